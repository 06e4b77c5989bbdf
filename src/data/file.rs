//! [`Dataset`]: equally sized 8-bit images in memory, and their compact file format.
//!
//! File layout (all integers little-endian):
//!
//! | bytes | field |
//! | --- | --- |
//! | 8 | magic `FLOWBBDS` |
//! | 4 | format version (1) |
//! | 4 | number of images n |
//! | 4 | height, then 4 width, then 4 channels |
//! | 4 | length m of the metadata |
//! | m | metadata, JSON: `{"kind": ..., "sources": [names], "source_of": [index per image]}` |
//! | n·h·w·c | the pixels, image after image, each (height, width, channels) interleaved |
//! | 4 | CRC-32 of everything before it |

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::image::Image;

const MAGIC: &[u8; 8] = b"FLOWBBDS";
const VERSION: u32 = 1;
const HEADER: usize = 8 + 4 * 6;

/// A set of images that all have the same height, width and channel count, stored back to back,
/// with the source photograph each one was cut from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// Height of every image.
    pub height: u32,
    /// Width of every image.
    pub width: u32,
    /// Channels of every image (1 or 3).
    pub channels: u8,
    /// What the set holds, e.g. `patches32` or `downsampled64`.
    pub kind: String,
    /// Names of the source photographs.
    pub sources: Vec<String>,
    /// For each image, the index of its source in `sources`.
    pub source_of: Vec<u32>,
    /// `len() * height * width * channels` bytes.
    pub pixels: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    kind: String,
    sources: Vec<String>,
    source_of: Vec<u32>,
}

impl Dataset {
    /// An empty set of `height x width x channels` images.
    pub fn new(height: u32, width: u32, channels: u8, kind: impl Into<String>) -> Self {
        Dataset {
            height,
            width,
            channels,
            kind: kind.into(),
            sources: Vec::new(),
            source_of: Vec::new(),
            pixels: Vec::new(),
        }
    }

    /// Bytes per image.
    pub fn image_len(&self) -> usize {
        self.height as usize * self.width as usize * self.channels as usize
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.source_of.len()
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.source_of.is_empty()
    }

    /// The raw bytes of image `i` (panics if `i >= len()`).
    pub fn bytes(&self, i: usize) -> &[u8] {
        let n = self.image_len();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// Image `i` as an [`Image`] (panics if `i >= len()`).
    pub fn image(&self, i: usize) -> Image {
        Image {
            width: self.width,
            height: self.height,
            channels: self.channels,
            pixels: self.bytes(i).to_vec(),
        }
    }

    /// Index of the source named `name`, added if new.
    pub fn source_index(&mut self, name: &str) -> u32 {
        match self.sources.iter().position(|s| s == name) {
            Some(i) => i as u32,
            None => {
                self.sources.push(name.to_string());
                (self.sources.len() - 1) as u32
            }
        }
    }

    /// Appends an image cut from the source named `source`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the image's shape differs from the set's.
    pub fn push(&mut self, img: &Image, source: &str) -> Result<()> {
        if img.width != self.width || img.height != self.height || img.channels != self.channels {
            return Err(Error::invalid(format!(
                "image from {source} is {}x{}x{}, the set holds {}x{}x{}",
                img.width, img.height, img.channels, self.width, self.height, self.channels
            )));
        }
        let s = self.source_index(source);
        self.pixels.extend_from_slice(&img.pixels);
        self.source_of.push(s);
        Ok(())
    }

    /// The images whose index is in `keep`, in that order.
    pub fn subset(&self, keep: &[usize]) -> Dataset {
        let mut out = Dataset::new(self.height, self.width, self.channels, self.kind.clone());
        out.sources = self.sources.clone();
        for &i in keep {
            out.pixels.extend_from_slice(self.bytes(i));
            out.source_of.push(self.source_of[i]);
        }
        out
    }

    /// Serializes the set in the file format described in the module docs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let meta = serde_json::to_vec(&Meta {
            kind: self.kind.clone(),
            sources: self.sources.clone(),
            source_of: self.source_of.clone(),
        })
        .expect("metadata serializes");
        let mut out = Vec::with_capacity(HEADER + meta.len() + self.pixels.len() + 4);
        out.extend_from_slice(MAGIC);
        for v in [
            VERSION,
            self.len() as u32,
            self.height,
            self.width,
            self.channels as u32,
            meta.len() as u32,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&meta);
        out.extend_from_slice(&self.pixels);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parses a set written by [`Dataset::to_bytes`]; `what` names the source in errors.
    ///
    /// # Errors
    /// [`Error::Corrupt`] for a wrong magic, unknown version, truncation or checksum mismatch.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Dataset> {
        let bad = |m: String| Error::corrupt(format!("data set {what}"), m);
        if bytes.len() < HEADER + 4 || &bytes[..8] != MAGIC {
            return Err(bad("not a flowbb data set (wrong magic or too short)".into()));
        }
        let word = |i: usize| u32::from_le_bytes(bytes[8 + 4 * i..12 + 4 * i].try_into().unwrap());
        let (version, n, h, w, c, m) = (word(0), word(1), word(2), word(3), word(4), word(5));
        if version != VERSION {
            return Err(bad(format!("format version {version}, expected {VERSION}")));
        }
        if c != 1 && c != 3 {
            return Err(bad(format!("{c} channels, expected 1 or 3")));
        }
        let pix = (n as u64) * (h as u64) * (w as u64) * (c as u64);
        let expected = HEADER as u64 + m as u64 + pix + 4;
        if bytes.len() as u64 != expected {
            return Err(bad(format!(
                "{} bytes, the header announces {expected} (truncated or padded)",
                bytes.len()
            )));
        }
        let body = &bytes[..bytes.len() - 4];
        let stored = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap());
        let actual = crc32fast::hash(body);
        if stored != actual {
            return Err(bad(format!(
                "checksum mismatch: stored {stored:08x}, computed {actual:08x}"
            )));
        }
        let meta: Meta = serde_json::from_slice(&body[HEADER..HEADER + m as usize])
            .map_err(|e| bad(format!("metadata: {e}")))?;
        if meta.source_of.len() != n as usize
            || meta.source_of.iter().any(|&s| s as usize >= meta.sources.len())
        {
            return Err(bad("metadata does not match the image count".into()));
        }
        Ok(Dataset {
            height: h,
            width: w,
            channels: c as u8,
            kind: meta.kind,
            sources: meta.sources,
            source_of: meta.source_of,
            pixels: body[HEADER + m as usize..].to_vec(),
        })
    }

    /// Writes the set to `path` atomically (temporary file, fsync, rename).
    ///
    /// # Errors
    /// [`Error::Io`] naming the path.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomic(path, &self.to_bytes())
    }

    /// Reads a set written by [`Dataset::save`].
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Corrupt`], naming the path.
    pub fn load(path: &Path) -> Result<Dataset> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Dataset::from_bytes(&bytes, &path.display().to_string())
    }
}

/// Writes `bytes` to `path` so that a reader never sees a partial file: the bytes go to a
/// temporary file next to it, which is flushed to disk and then renamed over `path`.
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Dataset {
        let mut d = Dataset::new(2, 2, 3, "patches2");
        d.push(&Image::new(2, 2, 3, (0..12).collect()).unwrap(), "a.png")
            .unwrap();
        d.push(&Image::new(2, 2, 3, (100..112).collect()).unwrap(), "b.png")
            .unwrap();
        d
    }

    #[test]
    fn round_trips_through_bytes() {
        let d = sample();
        let back = Dataset::from_bytes(&d.to_bytes(), "mem").unwrap();
        assert_eq!(back, d);
        assert_eq!(back.image(1).pixels, (100..112).collect::<Vec<u8>>());
        assert_eq!(back.sources, vec!["a.png", "b.png"]);
    }

    #[test]
    fn flipped_byte_and_truncation_are_refused() {
        let bytes = sample().to_bytes();
        let mut flipped = bytes.clone();
        let k = flipped.len() - 10;
        flipped[k] ^= 1;
        let e = Dataset::from_bytes(&flipped, "mem").unwrap_err().to_string();
        assert!(e.contains("checksum"), "{e}");
        let e = Dataset::from_bytes(&bytes[..bytes.len() - 3], "mem")
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn push_refuses_another_shape() {
        let mut d = sample();
        let e = d.push(&Image::new(3, 2, 3, vec![0; 18]).unwrap(), "c.png");
        assert!(e.unwrap_err().to_string().contains("c.png"));
    }
}

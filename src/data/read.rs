//! Reading photographs from disk and the pixel operations the data sets are built with.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::image::Image;

/// File name extensions (lower case) that [`read_folder`] picks up.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "ppm", "pgm", "pnm"];

/// Reads a PNG, JPEG or PPM/PGM file. Grayscale files give a one-channel image, everything else
/// three channels (an alpha channel is dropped, 16-bit samples are rounded to 8 bits).
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened, [`Error::Image`] naming the file if it cannot be
/// decoded.
pub fn load_image(path: &Path) -> Result<Image> {
    let name = path.display().to_string();
    let reader = image::ImageReader::open(path).map_err(|e| Error::io(path, e))?;
    let reader = reader.with_guessed_format().map_err(|e| Error::io(path, e))?;
    let decoded = reader.decode().map_err(|e| Error::Image {
        name: name.clone(),
        message: e.to_string(),
    })?;
    let gray = matches!(
        decoded.color(),
        image::ColorType::L8 | image::ColorType::La8 | image::ColorType::L16 | image::ColorType::La16
    );
    let (w, h) = (decoded.width(), decoded.height());
    let (channels, pixels) = if gray {
        (1, decoded.into_luma8().into_raw())
    } else {
        (3, decoded.into_rgb8().into_raw())
    };
    Image::new(w, h, channels, pixels).map_err(|e| Error::Image {
        name,
        message: e.to_string(),
    })
}

/// Reads every image file directly inside `dir` (by extension, see [`IMAGE_EXTENSIONS`]), sorted
/// by file name, and returns each with its file name.
///
/// # Errors
/// The first file that cannot be read, named in the error; an empty folder is an error too.
pub fn read_folder(dir: &Path) -> Result<Vec<(String, Image)>> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        if path.is_file() && ext.is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str())) {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(Error::invalid(format!(
            "{}: no image files (expected extensions {})",
            dir.display(),
            IMAGE_EXTENSIONS.join(", ")
        )));
    }
    paths
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            load_image(&p).map(|img| (name, img))
        })
        .collect()
}

/// Shrinks an image by the integer `factor` with a box filter: each output subpixel is the
/// rounded mean of a `factor x factor` block. Rows and columns that do not fill a whole block at
/// the right and bottom edges are dropped.
///
/// # Errors
/// [`Error::InvalidArgument`] if `factor` is 0 or larger than a side of the image.
pub fn box_shrink(img: &Image, factor: u32) -> Result<Image> {
    if factor == 0 || factor > img.width || factor > img.height {
        return Err(Error::invalid(format!(
            "box filter factor {factor} does not fit a {}x{} image",
            img.width, img.height
        )));
    }
    if factor == 1 {
        return Ok(img.clone());
    }
    let (ow, oh, c) = (img.width / factor, img.height / factor, img.channels as usize);
    let f = factor as usize;
    let area = (f * f) as u32;
    let mut out = vec![0u8; ow as usize * oh as usize * c];
    let in_row = img.width as usize * c;
    let mut acc = vec![0u32; ow as usize * c];
    for oy in 0..oh as usize {
        acc.iter_mut().for_each(|a| *a = 0);
        for dy in 0..f {
            let row = &img.pixels[(oy * f + dy) * in_row..][..in_row];
            for ox in 0..ow as usize {
                for dx in 0..f {
                    let px = &row[(ox * f + dx) * c..][..c];
                    for ch in 0..c {
                        acc[ox * c + ch] += px[ch] as u32;
                    }
                }
            }
        }
        let dst = &mut out[oy * ow as usize * c..][..ow as usize * c];
        for (d, a) in dst.iter_mut().zip(&acc) {
            *d = ((a + area / 2) / area) as u8;
        }
    }
    Image::new(ow, oh, img.channels, out)
}

/// Converts an image to `channels` (1 or 3) channels: grayscale is replicated to RGB, RGB is
/// turned into luma with the ITU-R BT.601 weights (0.299, 0.587, 0.114).
///
/// # Errors
/// [`Error::InvalidArgument`] if `channels` is not 1 or 3.
pub fn to_channels(img: &Image, channels: u8) -> Result<Image> {
    match (img.channels, channels) {
        (a, b) if a == b => Ok(img.clone()),
        (1, 3) => {
            let pixels = img.pixels.iter().flat_map(|&v| [v, v, v]).collect();
            Image::new(img.width, img.height, 3, pixels)
        }
        (3, 1) => {
            let pixels = img
                .pixels
                .chunks_exact(3)
                .map(|p| {
                    let y = 299 * p[0] as u32 + 587 * p[1] as u32 + 114 * p[2] as u32;
                    ((y + 500) / 1000) as u8
                })
                .collect();
            Image::new(img.width, img.height, 1, pixels)
        }
        (_, c) => Err(Error::invalid(format!(
            "images have 1 or 3 channels, asked for {c}"
        ))),
    }
}

/// Copies the `w x h` window at (`x`, `y`) out of an image.
pub(crate) fn crop(img: &Image, x: u32, y: u32, w: u32, h: u32) -> Image {
    let c = img.channels as usize;
    let mut pixels = Vec::with_capacity(w as usize * h as usize * c);
    for row in y..y + h {
        let start = (row as usize * img.width as usize + x as usize) * c;
        pixels.extend_from_slice(&img.pixels[start..start + w as usize * c]);
    }
    Image {
        width: w,
        height: h,
        channels: img.channels,
        pixels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_shrink_averages_blocks_with_rounding() {
        // 4x2 gray image, factor 2: blocks [1,2,3,4] -> 2.5 -> 3 and [10,20,30,41] -> 25.25 -> 25.
        let img = Image::new(4, 2, 1, vec![1, 2, 10, 20, 3, 4, 30, 41]).unwrap();
        let small = box_shrink(&img, 2).unwrap();
        assert_eq!((small.width, small.height), (2, 1));
        assert_eq!(small.pixels, vec![3, 25]);
        assert!(box_shrink(&img, 3).is_err());
        assert!(box_shrink(&img, 0).is_err());
    }

    #[test]
    fn gray_is_replicated_and_rgb_becomes_luma() {
        let g = Image::new(2, 1, 1, vec![7, 200]).unwrap();
        assert_eq!(to_channels(&g, 3).unwrap().pixels, vec![7, 7, 7, 200, 200, 200]);
        let c = Image::new(1, 1, 3, vec![255, 0, 0]).unwrap();
        assert_eq!(to_channels(&c, 1).unwrap().pixels, vec![76]);
    }

    #[test]
    fn crop_takes_the_window() {
        let img = Image::new(3, 3, 1, (0..9).collect()).unwrap();
        assert_eq!(crop(&img, 1, 1, 2, 2).pixels, vec![4, 5, 7, 8]);
    }
}

//! The `.fbb` archive: a self-checking container for bits-back streams.
//!
//! Layout (all integers little endian):
//!
//! ```text
//! magic        8 bytes   89 46 42 42 0D 0A 1A 0A  ("\x89FBB\r\n\x1a\n")
//! version      u16       FORMAT_VERSION
//! header_len   u32
//! header       header_len bytes (see `Header::write`)
//! header_crc   u32       CRC32 of the header bytes
//! chunks       for each chunk: len u64, stream bytes, CRC32 of the stream bytes
//! file_crc     u32       CRC32 of everything before it
//! ```
//!
//! The header holds what a decoder needs before touching a stream: the model fingerprint (weights
//! and configuration), a numerics fingerprint of the encoder's environment, the coder parameters,
//! the shape and pixel CRC32 of every image, and how many tiles each chunk holds. Tiles are coded
//! in batches of `batch_size`, the last batch of a chunk possibly smaller; that layout follows
//! from the tile count and the batch size, so it is recorded by them.

use crate::error::{Error, Result};

/// First bytes of every archive.
pub const MAGIC: [u8; 8] = *b"\x89FBB\r\n\x1a\n";
/// Version of the container layout written by this library (2: the network thread count in
/// the header, and escaped Gaussian tails coded by distance).
pub const FORMAT_VERSION: u16 = 3;

const WHAT: &str = "archive";

/// Coder parameters recorded in an archive; the decoder uses these, not its own options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoderParams {
    /// Noise scale sigma = 2^sigma_log2.
    pub sigma_log2: i32,
    /// Bin width delta = 2^delta_log2.
    pub delta_log2: i32,
    /// The grid covers [-2^range_log2, 2^range_log2).
    pub range_log2: i32,
    /// Number of parallel rANS streams per chunk.
    pub streams: u32,
    /// Tiles per network batch.
    pub batch_size: u32,
    /// Seed of the initial bits.
    pub seed: u64,
    /// Which local bits-back algorithm coded the streams.
    pub algorithm: Algorithm,
    /// Whether batches start at one tile and grow (see [`batch_layout`]).
    pub ramp: bool,
    /// libtorch intra-op threads the networks ran on. Some CPU kernels round differently with
    /// another thread count, so the decoder runs its networks on exactly this many.
    pub net_threads: u32,
}

/// Tiles per batch for a chunk of `tiles` tiles, in coding order.
///
/// Without the ramp every batch holds `batch_size` tiles, the last one what is left. With it,
/// batches start at one tile and grow to a sixteenth of the tiles coded so far, up to
/// `batch_size`. A batch borrows about 50 bits per dimension from the streams before it gives
/// most of them back, and the streams grow by the net codelength (a few bits per dimension) of
/// every batch before it; so growing batches this way keeps the initial bits near those of a
/// single tile, where full batches from the start would borrow them for `batch_size` tiles.
pub fn batch_layout(tiles: usize, batch_size: usize, ramp: bool) -> Vec<usize> {
    let mut out = Vec::new();
    let mut done = 0;
    while done < tiles {
        let b = if ramp {
            (done / 16).clamp(1, batch_size)
        } else {
            batch_size
        }
        .min(tiles - done);
        out.push(b);
        done += b;
    }
    out
}

/// The local bits-back algorithm an archive was coded with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// Layer by layer (the compositional method), each logistic-mixture coupling coded as one
    /// elementwise flow: Algorithm 3.3 with the coupling's whole elementwise map (mixture CDF,
    /// logit, affine). The default.
    Compositional = 0,
    /// The whole flow's Jacobian at once (the black box method).
    BlackBox = 1,
    /// Layer by layer, each logistic-mixture coupling coded as its three elementwise sub-flows
    /// in turn, with the mixture CDF's output on the unit grid, as the original implementation
    /// did: three times the coding work per coupling, and slightly longer codes.
    CompositionalSubflows = 2,
}

/// Shape and checksum of one image in an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageEntry {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    /// CRC32 of the interleaved pixels, checked after decoding.
    pub crc32: u32,
}

/// Everything in an archive except the streams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Fingerprint of the model's weights and configuration.
    pub model_fingerprint: u64,
    /// Hash of the network's outputs on a fixed probe in the encoder's environment.
    pub numerics_fingerprint: u64,
    pub params: CoderParams,
    /// Tile shape of the model: height, width, channels.
    pub tile: (u32, u32, u32),
    pub images: Vec<ImageEntry>,
    /// Number of tiles in each independent chunk, in coding order.
    pub chunk_tiles: Vec<u32>,
}

/// A parsed archive: its header and one stream blob per chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Archive {
    pub header: Header,
    pub chunks: Vec<Vec<u8>>,
}

impl Header {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.model_fingerprint.to_le_bytes());
        out.extend_from_slice(&self.numerics_fingerprint.to_le_bytes());
        let p = &self.params;
        for v in [p.sigma_log2, p.delta_log2, p.range_log2] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&p.streams.to_le_bytes());
        out.extend_from_slice(&p.batch_size.to_le_bytes());
        out.extend_from_slice(&p.seed.to_le_bytes());
        out.push(p.algorithm as u8);
        out.push(p.ramp as u8);
        out.extend_from_slice(&p.net_threads.to_le_bytes());
        for v in [self.tile.0, self.tile.1, self.tile.2] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(self.images.len() as u32).to_le_bytes());
        for im in &self.images {
            out.extend_from_slice(&im.width.to_le_bytes());
            out.extend_from_slice(&im.height.to_le_bytes());
            out.push(im.channels);
            out.extend_from_slice(&im.crc32.to_le_bytes());
        }
        out.extend_from_slice(&(self.chunk_tiles.len() as u32).to_le_bytes());
        for n in &self.chunk_tiles {
            out.extend_from_slice(&n.to_le_bytes());
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Header> {
        let model_fingerprint = r.u64("model fingerprint")?;
        let numerics_fingerprint = r.u64("numerics fingerprint")?;
        let sigma_log2 = r.i32("sigma_log2")?;
        let delta_log2 = r.i32("delta_log2")?;
        let range_log2 = r.i32("range_log2")?;
        let streams = r.u32("stream count")?;
        let batch_size = r.u32("batch size")?;
        let seed = r.u64("seed")?;
        let algorithm = match r.u8("algorithm")? {
            0 => Algorithm::Compositional,
            1 => Algorithm::BlackBox,
            2 => Algorithm::CompositionalSubflows,
            other => {
                return Err(Error::corrupt(
                    WHAT,
                    format!("unknown algorithm code {other}"),
                ))
            }
        };
        let ramp = match r.u8("batch ramp flag")? {
            0 => false,
            1 => true,
            other => {
                return Err(Error::corrupt(
                    WHAT,
                    format!("batch ramp flag {other} is not 0 or 1"),
                ))
            }
        };
        let net_threads = r.u32("network thread count")?;
        let tile = (
            r.u32("tile height")?,
            r.u32("tile width")?,
            r.u32("tile channels")?,
        );
        let n_images = r.u32("image count")? as usize;
        // Each image entry is 13 bytes: refuse counts the remaining bytes cannot hold.
        if n_images > r.remaining() / 13 {
            return Err(Error::corrupt(
                WHAT,
                format!(
                    "header claims {n_images} images but holds {} bytes",
                    r.remaining()
                ),
            ));
        }
        let mut images = Vec::with_capacity(n_images);
        for i in 0..n_images {
            let field = |f: &str| format!("image {i} {f}");
            images.push(ImageEntry {
                width: r.u32(&field("width"))?,
                height: r.u32(&field("height"))?,
                channels: r.u8(&field("channels"))?,
                crc32: r.u32(&field("crc32"))?,
            });
        }
        let n_chunks = r.u32("chunk count")? as usize;
        if n_chunks > r.remaining() / 4 {
            return Err(Error::corrupt(
                WHAT,
                format!(
                    "header claims {n_chunks} chunks but holds {} bytes",
                    r.remaining()
                ),
            ));
        }
        let mut chunk_tiles = Vec::with_capacity(n_chunks);
        for i in 0..n_chunks {
            chunk_tiles.push(r.u32(&format!("chunk {i} tile count"))?);
        }
        if r.remaining() != 0 {
            return Err(Error::corrupt(
                WHAT,
                format!(
                    "{} unexpected bytes at the end of the header",
                    r.remaining()
                ),
            ));
        }
        let header = Header {
            model_fingerprint,
            numerics_fingerprint,
            params: CoderParams {
                sigma_log2,
                delta_log2,
                range_log2,
                streams,
                batch_size,
                seed,
                algorithm,
                ramp,
                net_threads,
            },
            tile,
            images,
            chunk_tiles,
        };
        header.validate()?;
        Ok(header)
    }

    /// Checks that the fields are in the ranges this library codes.
    pub fn validate(&self) -> Result<()> {
        let p = &self.params;
        let bad = |m: String| Err(Error::corrupt(WHAT, m));
        if !(1..=32).contains(&-p.delta_log2) {
            return bad(format!("delta_log2 {} outside -32..=-1", p.delta_log2));
        }
        if !(-40..=0).contains(&p.sigma_log2) {
            return bad(format!("sigma_log2 {} outside -40..=0", p.sigma_log2));
        }
        if !(0..=16).contains(&p.range_log2) {
            return bad(format!("range_log2 {} outside 0..=16", p.range_log2));
        }
        if p.streams == 0 || p.streams > 1 << 16 {
            return bad(format!("stream count {} outside 1..=65536", p.streams));
        }
        if p.batch_size == 0 || p.batch_size > 1 << 16 {
            return bad(format!("batch size {} outside 1..=65536", p.batch_size));
        }
        if p.net_threads == 0 || p.net_threads > 4096 {
            return bad(format!(
                "network thread count {} outside 1..=4096",
                p.net_threads
            ));
        }
        let (th, tw, tc) = self.tile;
        if th == 0 || tw == 0 || th > 4096 || tw > 4096 || !(tc == 1 || tc == 3) {
            return bad(format!("tile shape {th}x{tw}x{tc} is not one a model has"));
        }
        for (i, im) in self.images.iter().enumerate() {
            if im.width == 0 || im.height == 0 || !(im.channels == 1 || im.channels == 3) {
                return bad(format!(
                    "image {i} has shape {}x{}x{}",
                    im.width, im.height, im.channels
                ));
            }
            if im.width as u64 * im.height as u64 > 1 << 32 {
                return bad(format!(
                    "image {i} is {}x{}: too large",
                    im.width, im.height
                ));
            }
        }
        let tiles: u64 = self.images.iter().map(|im| self.tiles_of(im)).sum();
        let in_chunks: u64 = self.chunk_tiles.iter().map(|&n| n as u64).sum();
        if tiles != in_chunks {
            return bad(format!(
                "images need {tiles} tiles but the chunks hold {in_chunks}"
            ));
        }
        Ok(())
    }

    /// Number of tiles an image is cut into.
    pub fn tiles_of(&self, im: &ImageEntry) -> u64 {
        let (th, tw, _) = self.tile;
        (im.height as u64).div_ceil(th as u64) * (im.width as u64).div_ceil(tw as u64)
    }

    /// Total subpixels of the images (the dimensions of bits per dimension).
    pub fn dims(&self) -> u64 {
        self.images
            .iter()
            .map(|im| im.width as u64 * im.height as u64 * im.channels as u64)
            .sum()
    }
}

impl Archive {
    /// Serializes the archive with its checksums.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut header = Vec::new();
        self.header.write(&mut header);
        let mut out = Vec::with_capacity(
            64 + header.len() + self.chunks.iter().map(|c| c.len() + 12).sum::<usize>(),
        );
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&crc32fast::hash(&header).to_le_bytes());
        for chunk in &self.chunks {
            out.extend_from_slice(&(chunk.len() as u64).to_le_bytes());
            out.extend_from_slice(chunk);
            out.extend_from_slice(&crc32fast::hash(chunk).to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parses and checks an archive; never panics, whatever the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Archive> {
        let header = Self::header_from_bytes(bytes)?;
        let mut r = Reader::new(bytes);
        r.skip(8 + 2)?;
        let header_len = r.u32("header length")? as usize;
        r.skip(header_len + 4)?;
        let mut chunks = Vec::with_capacity(header.chunk_tiles.len());
        for i in 0..header.chunk_tiles.len() {
            let len = r.u64(&format!("chunk {i} length"))?;
            if len > r.remaining() as u64 {
                return Err(Error::corrupt(
                    WHAT,
                    format!(
                        "chunk {i} claims {len} bytes but only {} remain (truncated?)",
                        r.remaining()
                    ),
                ));
            }
            let data = r.bytes(len as usize, "chunk")?;
            let crc = r.u32(&format!("chunk {i} crc32"))?;
            if crc32fast::hash(data) != crc {
                return Err(Error::corrupt(
                    WHAT,
                    format!("chunk {i} fails its CRC32 check"),
                ));
            }
            chunks.push(data.to_vec());
        }
        let body_len = r.pos();
        let crc = r.u32("file crc32")?;
        if r.remaining() != 0 {
            return Err(Error::corrupt(
                WHAT,
                format!("{} bytes after the end of the archive", r.remaining()),
            ));
        }
        if crc32fast::hash(&bytes[..body_len]) != crc {
            return Err(Error::corrupt(WHAT, "the file fails its CRC32 check"));
        }
        Ok(Archive { header, chunks })
    }

    /// Parses only the header (for `info`), checking magic, version and the header CRC32.
    pub fn header_from_bytes(bytes: &[u8]) -> Result<Header> {
        let mut r = Reader::new(bytes);
        let magic = r.bytes(8, "magic")?;
        if magic != MAGIC {
            return Err(Error::corrupt(
                WHAT,
                "not a libflowbb archive (bad magic bytes)",
            ));
        }
        let version = r.u16("version")?;
        if version != FORMAT_VERSION {
            return Err(Error::Unsupported(format!(
                "archive format version {version}; this library reads version {FORMAT_VERSION}"
            )));
        }
        let header_len = r.u32("header length")? as usize;
        if header_len > r.remaining() {
            return Err(Error::corrupt(
                WHAT,
                format!(
                    "header claims {header_len} bytes but only {} remain",
                    r.remaining()
                ),
            ));
        }
        let header_bytes = r.bytes(header_len, "header")?;
        let crc = r.u32("header crc32")?;
        if crc32fast::hash(header_bytes) != crc {
            return Err(Error::corrupt(WHAT, "the header fails its CRC32 check"));
        }
        Header::read(&mut Reader::new(header_bytes))
    }
}

/// A bounds-checked little-endian cursor whose errors name the field being read.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn pos(&self) -> usize {
        self.pos
    }

    fn bytes(&mut self, n: usize, field: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::corrupt(
                WHAT,
                format!("truncated while reading the {field} at byte {}", self.pos),
            ));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n, "archive").map(|_| ())
    }

    fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N, field)?);
        Ok(a)
    }

    fn u8(&mut self, field: &str) -> Result<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u16(&mut self, field: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    fn u32(&mut self, field: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    fn i32(&mut self, field: &str) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Archive {
        Archive {
            header: Header {
                model_fingerprint: 0x1234_5678_9abc_def0,
                numerics_fingerprint: 42,
                params: CoderParams {
                    sigma_log2: -14,
                    delta_log2: -32,
                    range_log2: 8,
                    streams: 16,
                    batch_size: 64,
                    seed: 7,
                    algorithm: Algorithm::Compositional,
                    ramp: true,
                    net_threads: 2,
                },
                tile: (32, 32, 3),
                images: vec![
                    ImageEntry {
                        width: 40,
                        height: 33,
                        channels: 3,
                        crc32: 1,
                    },
                    ImageEntry {
                        width: 32,
                        height: 32,
                        channels: 1,
                        crc32: 2,
                    },
                ],
                chunk_tiles: vec![3, 2],
            },
            chunks: vec![vec![1, 2, 3], vec![9; 100]],
        }
    }

    #[test]
    fn round_trip_preserves_every_field() {
        let a = sample();
        assert_eq!(Archive::from_bytes(&a.to_bytes()).unwrap(), a);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().to_bytes();
        for n in 0..bytes.len() {
            assert!(
                Archive::from_bytes(&bytes[..n]).is_err(),
                "prefix of {n} bytes accepted"
            );
        }
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let bytes = sample().to_bytes();
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(
                Archive::from_bytes(&b).is_err(),
                "flip of bit {i} went unnoticed"
            );
        }
    }

    #[test]
    fn batch_layouts_cover_the_tiles_and_ramp_up() {
        for tiles in [0usize, 1, 5, 17, 100, 5000] {
            for bs in [1usize, 7, 64] {
                for ramp in [false, true] {
                    let l = batch_layout(tiles, bs, ramp);
                    assert_eq!(l.iter().sum::<usize>(), tiles);
                    assert!(l.iter().all(|&b| b >= 1 && b <= bs));
                }
            }
        }
        let l = batch_layout(2000, 64, true);
        assert_eq!(&l[..17], &[1; 17][..]);
        assert_eq!(*l.last().unwrap(), 64.min(*l.last().unwrap()));
        assert!(l.contains(&64));
    }

    #[test]
    fn tile_count_must_match_chunks() {
        let mut a = sample();
        a.header.chunk_tiles = vec![3, 3];
        let err = Archive::from_bytes(&a.to_bytes()).unwrap_err().to_string();
        assert!(err.contains("tiles"), "{err}");
    }
}

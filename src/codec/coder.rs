//! The user-facing coder: tiling, batching, chunking, fingerprints and statistics around the
//! compositional algorithm.

use std::time::Instant;

use tch::{Device, Kind, Tensor};

use super::archive::{batch_layout, Algorithm, Archive, CoderParams, Header, ImageEntry};
use super::compositional::Session;
use super::elementwise::{self as ew, Elementwise};
use crate::ans::Streams;
use crate::error::{Error, Result};
use crate::flow::{FlowModel, PairStep, Step};
use crate::image::Image;

/// The grid covers `[-2^RANGE_LOG2, 2^RANGE_LOG2)`: room for pixels in [0, 256) and for every
/// intermediate value of the flow.
const RANGE_LOG2: i32 = 8;

/// Options of a [`Coder`]. The decoder reads the coding parameters from the archive; only
/// `device` matters when decoding.
#[derive(Clone, Debug)]
pub struct CoderOptions {
    /// Noise scale sigma = 2^sigma_log2 of the local bits-back steps (default -14).
    pub sigma_log2: i32,
    /// Bin width delta = 2^delta_log2 of the grid (default -32; -32..=-1).
    pub delta_log2: i32,
    /// Parallel rANS streams (default 16).
    pub streams: usize,
    /// Tiles per network batch (default 64). Encoder and decoder use the same batches.
    pub batch_size: usize,
    /// Where the networks run.
    pub device: Device,
    /// Seed of the initial bits.
    pub seed: u64,
    /// When set, every this many images start an independent chunk with its own streams and
    /// initial bits; otherwise all images share one bits-back chain.
    pub chunk_images: Option<usize>,
    /// Local bits-back algorithm: the compositional method (default), or the black box (whole
    /// flow Jacobian per image; a slow baseline for small images).
    pub algorithm: Algorithm,
    /// Start each chunk with one-tile batches that grow to `batch_size` (see
    /// [`super::archive::batch_layout`]): far fewer initial bits, somewhat slower early batches.
    pub ramp: bool,
    /// libtorch intra-op threads for the networks while encoding (default: libtorch's current
    /// count). The archive records it and the decoder uses the same count whatever its own
    /// setting, because some CPU kernels round differently with another thread count.
    pub net_threads: Option<usize>,
}

impl Default for CoderOptions {
    fn default() -> Self {
        CoderOptions {
            sigma_log2: -14,
            delta_log2: -32,
            streams: 16,
            batch_size: 64,
            device: Device::Cpu,
            seed: 0,
            chunk_images: None,
            algorithm: Algorithm::Compositional,
            ramp: true,
            net_threads: None,
        }
    }
}

/// Runs libtorch's CPU kernels on `n` intra-op threads until dropped, then restores the count
/// it found. Encoder and decoder pin the same count, so that their network outputs are bit
/// for bit the same even when the caller's thread settings differ.
struct NetThreads {
    previous: i32,
}

impl NetThreads {
    fn pin(n: u32) -> NetThreads {
        let previous = tch::get_num_threads();
        if previous != n as i32 {
            tch::set_num_threads(n as i32);
        }
        NetThreads { previous }
    }
}

impl Drop for NetThreads {
    fn drop(&mut self) {
        if tch::get_num_threads() != self.previous {
            tch::set_num_threads(self.previous);
        }
    }
}

/// What a compression achieved.
#[derive(Clone, Debug, Default)]
pub struct CompressStats {
    pub images: usize,
    pub tiles: usize,
    /// Subpixels of the images (padding excluded).
    pub dims: u64,
    /// Net codelength: stream growth in bits, initial bits excluded.
    pub net_bits: f64,
    /// Initial bits drawn by bits-back decoding (paid once per chunk).
    pub initial_bits: u64,
    /// Size of the archive in bytes.
    pub archive_bytes: usize,
    /// Net codelength in bits per dimension.
    pub bpd: f64,
    /// Initial bits per dimension.
    pub initial_bpd: f64,
    /// The whole archive in bits per dimension.
    pub total_bpd: f64,
    /// The model's single-sample bound (negative ELBO) in bits per dimension at the
    /// dequantization noise the coder used, over the coded tiles (padding included).
    pub sample_bound_bpd: f64,
    /// The net codelength over the same tiles (padding included), comparable with
    /// `sample_bound_bpd`.
    pub tile_bpd: f64,
    pub seconds: f64,
    pub network_seconds: f64,
}

/// What an archive holds, read without decoding.
#[derive(Clone, Debug)]
pub struct ArchiveInfo {
    pub header: Header,
    pub archive_bytes: usize,
    /// Whole archive in bits per dimension of its images.
    pub total_bpd: f64,
}

/// A progress report: tiles done out of tiles in all.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

/// Reads an archive's header without decoding it.
pub fn info(bytes: &[u8]) -> Result<ArchiveInfo> {
    let header = Archive::header_from_bytes(bytes)?;
    let dims = header.dims().max(1);
    Ok(ArchiveInfo {
        total_bpd: bytes.len() as f64 * 8.0 / dims as f64,
        archive_bytes: bytes.len(),
        header,
    })
}

/// A model plus coding options: compresses and decompresses images.
///
/// A `Coder` may be shared between threads for reading (`&self` methods); libtorch runs the
/// networks on its own thread pool.
pub struct Coder {
    model: FlowModel,
    /// The model in f64, for the black-box algorithm.
    model64: Option<FlowModel>,
    opts: CoderOptions,
    model_fingerprint: u64,
}

/// 64-bit FNV-1a over bytes.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(hash, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Fingerprint of safetensors model bytes that does not depend on the order in which the JSON
/// header lists its entries (the metadata map is written in a per-process random order): the
/// header is hashed with its keys sorted, then the tensor data as written.
fn model_bytes_fingerprint(bytes: &[u8]) -> Result<u64> {
    let bad = |m: &str| Error::corrupt("model bytes", m.to_string());
    let len: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad("shorter than a safetensors header"))?;
    let len = usize::try_from(u64::from_le_bytes(len)).map_err(|_| bad("header too long"))?;
    let end = 8usize.checked_add(len).filter(|&e| e <= bytes.len());
    let end = end.ok_or_else(|| bad("header longer than the bytes"))?;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..end])
        .map_err(|e| bad(&format!("header is not JSON: {e}")))?;
    let mut canonical = String::new();
    sorted_json(&header, &mut canonical);
    let header_hash = fnv1a(FNV_OFFSET, canonical.as_bytes());
    Ok(fnv1a(header_hash, &bytes[end..]))
}

/// Writes `v` as JSON text with the keys of every object in sorted order.
fn sorted_json(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                sorted_json(&map[k], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                sorted_json(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

impl Coder {
    /// A coder for `model` with `opts`. The model is moved to `opts.device` in f32.
    pub fn new(mut model: FlowModel, opts: CoderOptions) -> Result<Self> {
        if !(1..=32).contains(&-opts.delta_log2) {
            return Err(Error::invalid(format!(
                "delta_log2 is {}; it must be in -32..=-1",
                opts.delta_log2
            )));
        }
        if !(-30..=-1).contains(&opts.sigma_log2) {
            return Err(Error::invalid(format!(
                "sigma_log2 is {}; it must be in -30..=-1",
                opts.sigma_log2
            )));
        }
        if opts.sigma_log2 <= opts.delta_log2 {
            return Err(Error::invalid(format!(
                "sigma (2^{}) must be wider than a bin (2^{})",
                opts.sigma_log2, opts.delta_log2
            )));
        }
        if opts.streams == 0 || opts.streams > 1 << 16 {
            return Err(Error::invalid(format!(
                "streams is {}; 1..=65536",
                opts.streams
            )));
        }
        if opts.batch_size == 0 || opts.batch_size > 1 << 16 {
            return Err(Error::invalid(format!(
                "batch size is {}; 1..=65536",
                opts.batch_size
            )));
        }
        if opts.chunk_images == Some(0) {
            return Err(Error::invalid("chunk_images must be at least 1"));
        }
        if model.kind() != Kind::Float {
            model.set_kind(Kind::Float)?;
        }
        if model.device() != opts.device {
            model.set_device(opts.device);
        }
        let bytes = model.to_bytes()?;
        let model_fingerprint = model_bytes_fingerprint(&bytes)?;
        let model64 = match opts.algorithm {
            Algorithm::BlackBox => Some(FlowModel::from_bytes(&bytes, opts.device, Kind::Double)?),
            Algorithm::Compositional | Algorithm::CompositionalSubflows => None,
        };
        Ok(Coder {
            model,
            model64,
            opts,
            model_fingerprint,
        })
    }

    /// The model.
    pub fn model(&self) -> &FlowModel {
        &self.model
    }

    /// The options.
    pub fn options(&self) -> &CoderOptions {
        &self.opts
    }

    /// Fingerprint of the model's weights and configuration, as written into archives.
    pub fn model_fingerprint(&self) -> u64 {
        self.model_fingerprint
    }

    /// Tiles per batch: one for the black box, which codes image by image.
    fn batch_size(&self) -> usize {
        match self.opts.algorithm {
            Algorithm::BlackBox => 1,
            Algorithm::Compositional | Algorithm::CompositionalSubflows => self.opts.batch_size,
        }
    }

    fn tile_shape(&self) -> (u32, u32, u32) {
        let c = self.model.config();
        (c.height as u32, c.width as u32, c.channels as u32)
    }

    /// Hash of the first coupling network's outputs and of the elementwise maths on a fixed
    /// probe, in this environment. Archives record it: a decoder whose numerics differ would
    /// decode garbage, so it stops instead.
    pub fn numerics_fingerprint(&self) -> Result<u64> {
        let (h, w, c) = self.tile_shape();
        let n = (c * h * w) as usize;
        let probe: Vec<f32> = (0..n)
            .map(|i| ((i as f32 * 0.618_034).fract() - 0.5) * 3.0)
            .collect();
        let mut hash = FNV_OFFSET;
        let x = Tensor::from_slice(&probe)
            .reshape([1, c as i64, h as i64, w as i64])
            .to_device(self.opts.device);
        if let Some((cp, half)) = first_coupling(&self.model.steps, &x) {
            let p = tch::no_grad(|| cp.params(&half, None, false));
            for t in [&p.s, &p.t] {
                let v = Vec::<f32>::try_from(
                    t.to_device(Device::Cpu)
                        .to_kind(Kind::Float)
                        .contiguous()
                        .flatten(0, -1),
                )
                .map_err(|e| Error::Torch(e.to_string()))?;
                for x in v {
                    hash = fnv1a(hash, &x.to_le_bytes());
                }
            }
        }
        // The elementwise maths use the platform's exp and log: probe each kind of layer.
        let p64: Vec<f64> = (0..256)
            .map(|i| ((i as f64 * 0.618_034).fract() - 0.5) * 3.0)
            .collect();
        let mix = ew::MixLogisticCdf {
            k: 4,
            logits: &p64,
            means: &p64[1..],
            log_scales: &p64[2..],
        };
        let whole = ew::MixLogisticCoupling {
            cdf: ew::MixLogisticCdf { ..mix },
            affine: ew::Affine {
                period: 60,
                log_scale: &p64[3..],
                shift: &p64[4..],
            },
        };
        for (i, &x) in p64.iter().enumerate().take(60) {
            let (y, l) = ew::ImgProc.forward(i, (x + 1.5) * 80.0);
            let (s, m) = ew::Sigmoid.forward(i, y + l);
            let (c, d) = mix.forward(i, 4.0 * x);
            let back = mix.inverse(i, c);
            let (w, e) = whole.forward(i, 4.0 * x);
            let w_back = whole.inverse(i, w + 0.5);
            for v in [y, s, m, c, d, back, w, e, w_back] {
                hash = fnv1a(hash, &v.to_le_bytes());
            }
        }
        Ok(hash)
    }

    /// Cuts `image` into tiles `(C, th, tw)` of the model's shape, in row-major tile order.
    fn tiles_of(&self, image: &Image, index: usize) -> Result<Vec<Vec<u8>>> {
        let (th, tw, tc) = self.tile_shape();
        let ic = image.channels as u32;
        if ic != 1 && ic != 3 {
            return Err(Error::Image {
                name: format!("#{index}"),
                message: format!("{ic} channels; libflowbb codes 8-bit grayscale or RGB"),
            });
        }
        if tc == 1 && ic == 3 {
            return Err(Error::Image {
                name: format!("#{index}"),
                message: "an RGB image cannot be coded with a grayscale model".into(),
            });
        }
        let (w, h) = (image.width, image.height);
        let mut tiles = Vec::new();
        for ty in 0..h.div_ceil(th) {
            for tx in 0..w.div_ceil(tw) {
                let mut t = vec![0u8; (tc * th * tw) as usize];
                for c in 0..tc {
                    let src_c = if ic == 1 { 0 } else { c as u8 };
                    for y in 0..th {
                        let sy = (ty * th + y).min(h - 1);
                        for x in 0..tw {
                            let sx = (tx * tw + x).min(w - 1);
                            t[((c * th + y) * tw + x) as usize] = image.at(sy, sx, src_c);
                        }
                    }
                }
                tiles.push(t);
            }
        }
        Ok(tiles)
    }

    /// Compresses `images` into an archive.
    pub fn compress(&self, images: &[Image]) -> Result<(Vec<u8>, CompressStats)> {
        self.compress_with_progress(images, &mut |_, _| {})
    }

    /// [`Coder::compress`] with a progress report after each batch.
    pub fn compress_with_progress(
        &self,
        images: &[Image],
        progress: Progress<'_>,
    ) -> Result<(Vec<u8>, CompressStats)> {
        let start = Instant::now();
        if images.is_empty() {
            return Err(Error::invalid("no images to compress"));
        }
        let net_threads = match self.opts.net_threads {
            Some(n) if (1..=4096).contains(&n) => n as u32,
            Some(n) => {
                return Err(Error::invalid(format!(
                    "net_threads is {n}; it must be in 1..=4096"
                )))
            }
            None => tch::get_num_threads().clamp(1, 4096) as u32,
        };
        let _pinned = NetThreads::pin(net_threads);
        let (th, tw, tc) = self.tile_shape();
        let mut entries = Vec::with_capacity(images.len());
        let mut image_tiles = Vec::with_capacity(images.len());
        for (i, im) in images.iter().enumerate() {
            image_tiles.push(self.tiles_of(im, i)?);
            entries.push(ImageEntry {
                width: im.width,
                height: im.height,
                channels: im.channels,
                crc32: crc32fast::hash(&im.pixels),
            });
        }
        let per_chunk = self.opts.chunk_images.unwrap_or(images.len());
        let total_tiles: usize = image_tiles.iter().map(Vec::len).sum();
        let mut stats = CompressStats {
            images: images.len(),
            tiles: total_tiles,
            dims: images.iter().map(|im| im.dims() as u64).sum(),
            ..Default::default()
        };
        let mut chunks = Vec::new();
        let mut chunk_tiles = Vec::new();
        let mut log_bound = 0.0;
        let mut done = 0;
        for (ci, group) in image_tiles.chunks(per_chunk).enumerate() {
            let tiles: Vec<&Vec<u8>> = group.iter().flatten().collect();
            let mut streams = Streams::new(self.opts.streams, chunk_seed(self.opts.seed, ci));
            let initial_len = streams.len_bits();
            let mut session = Session::new(
                &mut streams,
                self.opts.delta_log2,
                RANGE_LOG2,
                self.opts.sigma_log2,
            )?;
            session.fuse_couplings = self.opts.algorithm == Algorithm::Compositional;
            let mut at = 0;
            for len in batch_layout(tiles.len(), self.batch_size(), self.opts.ramp) {
                let batch = &tiles[at..at + len];
                at += len;
                let flat: Vec<u8> = batch.iter().flat_map(|t| t.iter().copied()).collect();
                let x = Tensor::from_slice(&flat).reshape([
                    batch.len() as i64,
                    tc as i64,
                    th as i64,
                    tw as i64,
                ]);
                match &self.model64 {
                    Some(m64) => session.encode_image_blackbox(m64, &x)?,
                    None => session.encode_batch(&self.model, &x)?,
                }
                done += batch.len();
                progress(done, total_tiles);
            }
            log_bound += session.log_bound;
            stats.network_seconds += session.network_seconds;
            stats.net_bits += streams.len_bits() as f64 - initial_len as f64;
            stats.initial_bits += streams.initial_bits_used();
            chunks.push(streams.to_bytes());
            chunk_tiles.push(tiles.len() as u32);
        }
        let archive = Archive {
            header: Header {
                model_fingerprint: self.model_fingerprint,
                numerics_fingerprint: self.numerics_fingerprint()?,
                params: CoderParams {
                    sigma_log2: self.opts.sigma_log2,
                    delta_log2: self.opts.delta_log2,
                    range_log2: RANGE_LOG2,
                    streams: self.opts.streams as u32,
                    batch_size: self.batch_size() as u32,
                    seed: self.opts.seed,
                    algorithm: self.opts.algorithm,
                    ramp: self.opts.ramp,
                    net_threads,
                },
                tile: (th, tw, tc),
                images: entries,
                chunk_tiles,
            },
            chunks,
        };
        let bytes = archive.to_bytes();
        let dims = stats.dims as f64;
        let tile_dims = (total_tiles as u64 * (th * tw * tc) as u64) as f64;
        stats.archive_bytes = bytes.len();
        stats.bpd = stats.net_bits / dims;
        stats.initial_bpd = stats.initial_bits as f64 / dims;
        stats.total_bpd = bytes.len() as f64 * 8.0 / dims;
        stats.tile_bpd = stats.net_bits / tile_dims;
        stats.sample_bound_bpd = -log_bound / (tile_dims * std::f64::consts::LN_2);
        stats.seconds = start.elapsed().as_secs_f64();
        Ok((bytes, stats))
    }

    /// Decompresses an archive made with this coder's model.
    pub fn decompress(&self, bytes: &[u8]) -> Result<Vec<Image>> {
        self.decompress_with_progress(bytes, &mut |_, _| {})
    }

    /// [`Coder::decompress`] with a progress report after each batch.
    pub fn decompress_with_progress(
        &self,
        bytes: &[u8],
        progress: Progress<'_>,
    ) -> Result<Vec<Image>> {
        let archive = Archive::from_bytes(bytes)?;
        let h = &archive.header;
        if h.model_fingerprint != self.model_fingerprint {
            return Err(Error::ModelMismatch(format!(
                "the archive was made with model {:016x}, this coder holds model {:016x}",
                h.model_fingerprint, self.model_fingerprint
            )));
        }
        if h.tile != self.tile_shape() {
            return Err(Error::ModelMismatch(format!(
                "the archive codes {:?} tiles, the model has {:?}",
                h.tile,
                self.tile_shape()
            )));
        }
        let blackbox =
            match (h.params.algorithm, &self.model64) {
                (Algorithm::Compositional | Algorithm::CompositionalSubflows, _) => None,
                (Algorithm::BlackBox, Some(m)) => Some(m),
                (Algorithm::BlackBox, None) => return Err(Error::invalid(
                    "the archive was coded with the black-box algorithm: decode it with a coder \
                     whose algorithm is BlackBox",
                )),
            };
        let _pinned = NetThreads::pin(h.params.net_threads);
        let here = self.numerics_fingerprint()?;
        if h.numerics_fingerprint != here {
            return Err(Error::NumericsMismatch(format!(
                "the network outputs here (fingerprint {here:016x}) differ from the encoder's \
                 ({:016x}): another CPU family, GPU or libtorch build; decode on the kind of \
                 machine that encoded",
                h.numerics_fingerprint
            )));
        }
        let (th, tw, tc) = h.tile;
        let p = &h.params;
        let total_tiles: usize = h.chunk_tiles.iter().map(|&n| n as usize).sum();
        let tile_len = (th * tw * tc) as usize;
        let mut tiles: Vec<Vec<u8>> = Vec::with_capacity(total_tiles);
        let mut done = 0;
        let mut first_tile = 0usize;
        for (ci, (blob, &n)) in archive.chunks.iter().zip(&h.chunk_tiles).enumerate() {
            let mut streams = Streams::from_bytes(blob)
                .map_err(|e| Error::corrupt("archive", format!("chunk {ci}: {e}")))?;
            if streams.num_streams() != p.streams as usize {
                return Err(Error::corrupt(
                    "archive",
                    format!(
                        "chunk {ci} holds {} streams, the header says {}",
                        streams.num_streams(),
                        p.streams
                    ),
                ));
            }
            let mut session = Session::new(&mut streams, p.delta_log2, p.range_log2, p.sigma_log2)?;
            session.fuse_couplings = p.algorithm == Algorithm::Compositional;
            let n = n as usize;
            let bs = p.batch_size as usize;
            let mut batches = Vec::new();
            let mut start = 0;
            for len in batch_layout(n, bs, p.ramp) {
                batches.push((start, len));
                start += len;
            }
            let mut chunk = vec![Vec::new(); n];
            for &(start, len) in batches.iter().rev() {
                let shape = [len as i64, tc as i64, th as i64, tw as i64];
                let px = match blackbox {
                    Some(m64) => session.decode_image_blackbox(m64, &shape)?,
                    None => session.decode_batch(&self.model, &shape)?,
                };
                for (k, t) in px.chunks_exact(tile_len).enumerate() {
                    chunk[start + k] = t.to_vec();
                }
                done += len;
                progress(done, total_tiles);
            }
            tiles.extend(chunk);
            first_tile += n;
        }
        debug_assert_eq!(first_tile, total_tiles);

        // Reassemble the images from their tiles and check each against its CRC32.
        let mut out = Vec::with_capacity(h.images.len());
        let mut next = 0usize;
        for (i, e) in h.images.iter().enumerate() {
            let (w, hh, c) = (e.width, e.height, e.channels as u32);
            let (nx, ny) = (w.div_ceil(tw), hh.div_ceil(th));
            let mut pixels = vec![0u8; (w * hh * c) as usize];
            for ty in 0..ny {
                for tx in 0..nx {
                    let t = &tiles[next + (ty * nx + tx) as usize];
                    for y in 0..th.min(hh - ty * th) {
                        for x in 0..tw.min(w - tx * tw) {
                            for ch in 0..c {
                                let (py, px) = (ty * th + y, tx * tw + x);
                                pixels[((py * w + px) * c + ch) as usize] =
                                    t[((ch * th + y) * tw + x) as usize];
                            }
                        }
                    }
                }
            }
            next += (nx * ny) as usize;
            if crc32fast::hash(&pixels) != e.crc32 {
                return Err(Error::corrupt(
                    "archive",
                    format!("image {i} decoded with the wrong CRC32: the archive is damaged"),
                ));
            }
            out.push(Image::new(w, hh, e.channels, pixels)?);
        }
        Ok(out)
    }
}

/// Seed of chunk `i`'s initial bits.
fn chunk_seed(seed: u64, i: usize) -> u64 {
    seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// The first coupling of the main flow and its conditioning half for the probe `x`.
fn first_coupling<'m>(
    steps: &'m [Step],
    x: &Tensor,
) -> Option<(&'m crate::flow::Coupling, Tensor)> {
    let mut x = x.shallow_clone();
    for s in steps {
        match s {
            Step::SpaceToDepth => x = crate::flow::layers::space_to_depth(&x),
            Step::Split { kind, body } => {
                let (a, _) = crate::flow::layers::split(*kind, &x);
                return body.iter().find_map(|p| match p {
                    PairStep::Coupling(c) => Some((c, a.shallow_clone())),
                    _ => None,
                });
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod fingerprint_tests {
    use super::model_bytes_fingerprint;

    fn safetensors_bytes(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn model_fingerprint_ignores_the_order_of_header_keys() {
        let t = r#""w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#;
        let a = format!(r#"{{"__metadata__":{{"config":"{{}}","format":"x"}},{t}}}"#);
        let b = format!(r#"{{{t},"__metadata__":{{"format":"x","config":"{{}}"}}}}"#);
        let data = [1u8, 2, 3, 4];
        let fa = model_bytes_fingerprint(&safetensors_bytes(&a, &data)).unwrap();
        let fb = model_bytes_fingerprint(&safetensors_bytes(&b, &data)).unwrap();
        assert_eq!(fa, fb);
        // A changed weight or a changed configuration changes it.
        let other = model_bytes_fingerprint(&safetensors_bytes(&a, &[1, 2, 3, 5])).unwrap();
        assert_ne!(fa, other);
        let c = a.replace(r#""config":"{}""#, r#""config":"[]""#);
        let changed = model_bytes_fingerprint(&safetensors_bytes(&c, &data)).unwrap();
        assert_ne!(fa, changed);
        // Truncated or non-JSON headers are errors, not panics.
        assert!(model_bytes_fingerprint(&[1, 2, 3]).is_err());
        assert!(model_bytes_fingerprint(&safetensors_bytes("not json", &data)).is_err());
        let mut long = safetensors_bytes(&a, &data);
        long[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(model_bytes_fingerprint(&long).is_err());
    }
}

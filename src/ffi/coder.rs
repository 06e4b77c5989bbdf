//! The coder handle and its options: compress images into an archive and back.

use std::ffi::c_char;

use tch::Device;

use super::boundary::{arg_mut, arg_ref, arg_slice, arg_str, copy_out, out_arg, run, run_or};
use super::boundary::{Failure, Outcome};
use super::bytes::flowbb_bytes;
use super::error::{flowbb_error, flowbb_status};
use super::image::{flowbb_image, flowbb_image_list, images_from_c};
use super::model::flowbb_model;
use crate::codec::{self, Algorithm, Coder, CoderOptions, CompressStats};

/// Settings of a coder: noise scale sigma, bin width delta, streams, batch
/// size, seed of the initial bits and device. Starts at the defaults (sigma
/// = 2^-14, delta = 2^-32, 16 streams, 64 tiles per batch, seed 0, CPU);
/// each setter checks its value.
///
/// Ownership: made by `flowbb_coder_options_new`, freed with
/// `flowbb_coder_options_free`; `flowbb_coder_new` copies it.
/// Threads: may be read (`const`) from several threads at once; a setter
/// needs exclusive access.
pub struct flowbb_coder_options {
    opts: CoderOptions,
}

/// A model plus coding options; compresses images into archives and
/// decompresses archives made with the same model.
///
/// Ownership: made by `flowbb_coder_new`, freed with `flowbb_coder_free`.
/// It holds its own copy of the model.
/// Threads: one thread at a time; it may move between threads.
pub struct flowbb_coder {
    coder: Coder,
}

/// What a compression achieved. Codelengths are in bits; "per dimension"
/// divides by the subpixels of the images (width x height x channels).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct flowbb_compress_stats {
    /// Images coded.
    pub images: u64,
    /// Subpixels of the images.
    pub dims: u64,
    /// Size of the archive in bytes.
    pub archive_bytes: u64,
    /// Net codelength: growth of the streams, initial bits excluded.
    pub net_bits: f64,
    /// Initial bits drawn by the first bits-back decodes.
    pub initial_bits: u64,
    /// Net codelength in bits per dimension.
    pub bpd: f64,
    /// Initial bits per dimension.
    pub initial_bpd: f64,
    /// The whole archive in bits per dimension.
    pub total_bpd: f64,
    /// The model's own bound (negative ELBO) over the coded tiles, in bits per
    /// dimension: what the net codelength approaches.
    pub model_bpd: f64,
    /// Wall-clock seconds the compression took.
    pub seconds: f64,
}

impl From<&CompressStats> for flowbb_compress_stats {
    fn from(s: &CompressStats) -> Self {
        flowbb_compress_stats {
            images: s.images as u64,
            dims: s.dims,
            archive_bytes: s.archive_bytes as u64,
            net_bits: s.net_bits,
            initial_bits: s.initial_bits,
            bpd: s.bpd,
            initial_bpd: s.initial_bpd,
            total_bpd: s.total_bpd,
            model_bpd: s.sample_bound_bpd,
            seconds: s.seconds,
        }
    }
}

/// What an archive holds, read from its header without decoding.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct flowbb_archive_info {
    /// Images in the archive.
    pub images: u64,
    /// Subpixels of the images.
    pub dims: u64,
    /// Size of the archive in bytes.
    pub archive_bytes: u64,
    /// The whole archive in bits per dimension.
    pub total_bpd: f64,
    /// Fingerprint of the model the archive was made with.
    pub model_fingerprint: u64,
    /// Noise scale sigma = 2^sigma_log2.
    pub sigma_log2: i32,
    /// Bin width delta = 2^delta_log2.
    pub delta_log2: i32,
    /// Parallel rANS streams.
    pub streams: u32,
    /// Tile shape of the model: channels.
    pub tile_channels: u32,
    /// Tile shape of the model: rows.
    pub tile_height: u32,
    /// Tile shape of the model: columns.
    pub tile_width: u32,
}

/// New coder options at their defaults, freed with
/// `flowbb_coder_options_free`. Returns NULL only on an internal error.
#[no_mangle]
pub extern "C" fn flowbb_coder_options_new() -> *mut flowbb_coder_options {
    run_or(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(flowbb_coder_options {
            opts: CoderOptions::default(),
        }))
    })
}

/// Frees coder options. Does nothing when `options` is NULL.
///
/// # Safety
/// `options` is NULL or live options; they must not be used after.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_options_free(options: *mut flowbb_coder_options) {
    run_or((), || {
        if !options.is_null() {
            drop(Box::from_raw(options));
        }
    })
}

/// Sets the noise scale sigma = 2^sigma_log2 of the bits-back steps
/// (-30..=-1, default -14). Smaller values code closer to the model's bound
/// but need more initial bits; sigma must stay wider than a bin.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT.
///
/// # Safety
/// `options` is live options.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_options_set_sigma_log2(
    options: *mut flowbb_coder_options,
    sigma_log2: i32,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let o = arg_mut(options, "options")?;
        if !(-30..=-1).contains(&sigma_log2) {
            return Err(Failure::invalid(format!(
                "sigma_log2 is {sigma_log2}; it must be in -30..=-1"
            )));
        }
        o.opts.sigma_log2 = sigma_log2;
        Ok(())
    })
}

/// Sets the bin width delta = 2^delta_log2 of the coding grid (-32..=-1,
/// default -32).
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT.
///
/// # Safety
/// `options` is live options.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_options_set_delta_log2(
    options: *mut flowbb_coder_options,
    delta_log2: i32,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let o = arg_mut(options, "options")?;
        if !(-32..=-1).contains(&delta_log2) {
            return Err(Failure::invalid(format!(
                "delta_log2 is {delta_log2}; it must be in -32..=-1"
            )));
        }
        o.opts.delta_log2 = delta_log2;
        Ok(())
    })
}

/// Sets the number of parallel rANS streams (1..=65536, default 16).
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT.
///
/// # Safety
/// `options` is live options.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_options_set_streams(
    options: *mut flowbb_coder_options,
    streams: u32,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let o = arg_mut(options, "options")?;
        if !(1..=1 << 16).contains(&streams) {
            return Err(Failure::invalid(format!(
                "streams is {streams}; it must be in 1..=65536"
            )));
        }
        o.opts.streams = streams as usize;
        Ok(())
    })
}

/// Sets how many tiles go through the networks at once (1..=65536, default
/// 64). The decoder uses the batch size recorded in the archive.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT.
///
/// # Safety
/// `options` is live options.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_options_set_batch_size(
    options: *mut flowbb_coder_options,
    batch_size: u32,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let o = arg_mut(options, "options")?;
        if !(1..=1 << 16).contains(&batch_size) {
            return Err(Failure::invalid(format!(
                "batch size is {batch_size}; it must be in 1..=65536"
            )));
        }
        o.opts.batch_size = batch_size as usize;
        Ok(())
    })
}

/// Sets the seed of the initial bits (default 0). Archives of the same
/// images, model and options are identical byte for byte.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT.
///
/// # Safety
/// `options` is live options.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_options_set_seed(
    options: *mut flowbb_coder_options,
    seed: u64,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        arg_mut(options, "options")?.opts.seed = seed;
        Ok(())
    })
}

/// Local bits-back algorithms (values of
/// `flowbb_coder_options_set_algorithm`).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum flowbb_algorithm {
    /// Layer by layer through the flow, each coupling in one step (the default).
    FLOWBB_ALGORITHM_COMPOSITIONAL = 0,
    /// The whole flow's Jacobian at once; a slow baseline for small images.
    FLOWBB_ALGORITHM_BLACK_BOX = 1,
    /// Layer by layer, each coupling as its three sub-flows in turn (as the
    /// original implementation); slower, for comparison.
    FLOWBB_ALGORITHM_COMPOSITIONAL_SUBFLOWS = 2,
}

/// Sets the local bits-back algorithm: a `flowbb_algorithm` value.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT.
///
/// # Safety
/// `options` is live options.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_options_set_algorithm(
    options: *mut flowbb_coder_options,
    algorithm: i32,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let o = arg_mut(options, "options")?;
        o.opts.algorithm = match algorithm {
            0 => Algorithm::Compositional,
            1 => Algorithm::BlackBox,
            2 => Algorithm::CompositionalSubflows,
            other => {
                return Err(Failure::invalid(format!(
                    "algorithm is {other}; expected \
                     FLOWBB_ALGORITHM_COMPOSITIONAL (0), \
                     FLOWBB_ALGORITHM_BLACK_BOX (1) or \
                     FLOWBB_ALGORITHM_COMPOSITIONAL_SUBFLOWS (2)"
                )))
            }
        };
        Ok(())
    })
}

/// Sets how many images share one bits-back chain: every `images` images
/// start an independent chunk with its own streams and initial bits, so
/// that chunks can be decoded apart. 0 (the default) codes all images in
/// one chain, which pays the initial bits once.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT.
///
/// # Safety
/// `options` is live options.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_options_set_chunk(
    options: *mut flowbb_coder_options,
    images: u32,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let o = arg_mut(options, "options")?;
        o.opts.chunk_images = (images > 0).then_some(images as usize);
        Ok(())
    })
}

/// Sets where the networks run: "cpu" (default), "cuda" or "cuda:N".
/// Archives decode only on the kind of device that made them.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (not
/// a device name); FLOWBB_UNSUPPORTED (no such CUDA device here).
///
/// # Safety
/// `options` is live options; `device` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_options_set_device(
    options: *mut flowbb_coder_options,
    device: *const c_char,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let o = arg_mut(options, "options")?;
        let name = arg_str(device, "device")?;
        o.opts.device = parse_device(name)?;
        Ok(())
    })
}

fn parse_device(name: &str) -> Outcome<Device> {
    let index = match name {
        "cpu" => return Ok(Device::Cpu),
        "cuda" => 0,
        _ => name
            .strip_prefix("cuda:")
            .and_then(|i| i.parse::<usize>().ok())
            .ok_or_else(|| {
                Failure::invalid(format!(
                    "device {name:?}: expected \"cpu\", \"cuda\" or \"cuda:N\""
                ))
            })?,
    };
    let available = tch::Cuda::device_count() as usize;
    if index >= available {
        return Err(Failure::new(
            flowbb_status::FLOWBB_UNSUPPORTED,
            format!("device {name:?}: this machine has {available} CUDA devices"),
        ));
    }
    Ok(Device::Cuda(index))
}

/// Makes a coder for `model` with `options` (NULL for the defaults). The
/// coder copies the model and the options.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT
/// (sigma not wider than a bin); FLOWBB_TORCH.
///
/// # Safety
/// `model` is a live model; `options` is NULL or live options; `out` points
/// to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_new(
    model: *const flowbb_model,
    options: *const flowbb_coder_options,
    out: *mut *mut flowbb_coder,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let model = arg_ref(model, "model")?;
        let out = out_arg(out, "out")?;
        let opts = options
            .as_ref()
            .map_or_else(CoderOptions::default, |o| o.opts.clone());
        let coder = Coder::new(model.copy_model()?, opts)?;
        *out = Box::into_raw(Box::new(flowbb_coder { coder }));
        Ok(())
    })
}

/// Frees a coder. Does nothing when `coder` is NULL.
///
/// # Safety
/// `coder` is NULL or a live coder; it must not be used after.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_free(coder: *mut flowbb_coder) {
    run_or((), || {
        if !coder.is_null() {
            drop(Box::from_raw(coder));
        }
    })
}

/// Compresses `count` images into an archive written to the caller's buffer
/// `buf` of `cap` bytes. `*len` receives the archive's size, also when the
/// buffer is too small (then nothing is written and the compression must be
/// repeated with a larger buffer; `flowbb_coder_compress_alloc` avoids
/// that). `stats` may be NULL; otherwise it receives the codelengths.
///
/// Images of any size are cut into tiles of the model's shape. A grayscale
/// image given to an RGB model comes back grayscale.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (no
/// images, a malformed image view); FLOWBB_IMAGE (an RGB image for a
/// grayscale model); FLOWBB_BUFFER_TOO_SMALL; FLOWBB_TORCH.
///
/// # Safety
/// `coder` is a live coder; `images` points to `count` valid image views;
/// `buf` is NULL or points to `cap` writable bytes; `len` points to
/// writable storage; `stats` is NULL or points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_compress(
    coder: *mut flowbb_coder,
    images: *const flowbb_image,
    count: usize,
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
    stats: *mut flowbb_compress_stats,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let coder = arg_mut(coder, "coder")?;
        let len = out_arg(len, "len")?;
        let images = images_from_c(images, count, "images")?;
        let (bytes, s) = coder.coder.compress(&images)?;
        copy_out(&bytes, buf, cap, len, "the archive")?;
        if let Some(stats) = stats.as_mut() {
            *stats = flowbb_compress_stats::from(&s);
        }
        Ok(())
    })
}

/// Compresses `count` images into an archive that libflowbb allocates;
/// `*out` receives it and the caller frees it with `flowbb_bytes_free`.
/// `stats` may be NULL. Otherwise as `flowbb_coder_compress`.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT;
/// FLOWBB_IMAGE; FLOWBB_TORCH.
///
/// # Safety
/// `coder` is a live coder; `images` points to `count` valid image views;
/// `out` points to a writable `flowbb_bytes`; `stats` is NULL or points to
/// writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_compress_alloc(
    coder: *mut flowbb_coder,
    images: *const flowbb_image,
    count: usize,
    out: *mut flowbb_bytes,
    stats: *mut flowbb_compress_stats,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let coder = arg_mut(coder, "coder")?;
        let out = out_arg(out, "out")?;
        let images = images_from_c(images, count, "images")?;
        let (bytes, s) = coder.coder.compress(&images)?;
        *out = flowbb_bytes::from_vec(bytes);
        if let Some(stats) = stats.as_mut() {
            *stats = flowbb_compress_stats::from(&s);
        }
        Ok(())
    })
}

/// Decompresses an archive made with this coder's model into a list of
/// images, bit for bit the images that were compressed; the caller frees
/// the list with `flowbb_image_list_free`.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_CORRUPT (not an
/// archive, truncated, failed checksum); FLOWBB_MODEL_MISMATCH (made with
/// another model); FLOWBB_NUMERICS_MISMATCH (made on another kind of
/// machine); FLOWBB_UNSUPPORTED; FLOWBB_TORCH.
///
/// # Safety
/// `coder` is a live coder; `data` points to `len` readable bytes; `out`
/// points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_coder_decompress(
    coder: *mut flowbb_coder,
    data: *const u8,
    len: usize,
    out: *mut *mut flowbb_image_list,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let coder = arg_mut(coder, "coder")?;
        let data = arg_slice(data, len, "data")?;
        let out = out_arg(out, "out")?;
        let images = coder.coder.decompress(data)?;
        *out = flowbb_image_list::boxed(images);
        Ok(())
    })
}

/// Reads what an archive holds from its header, without a model and without
/// decoding.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_CORRUPT;
/// FLOWBB_UNSUPPORTED (a newer archive format).
///
/// # Safety
/// `data` points to `len` readable bytes; `info` points to writable
/// storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_archive_info_read(
    data: *const u8,
    len: usize,
    info: *mut flowbb_archive_info,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let data = arg_slice(data, len, "data")?;
        let out = out_arg(info, "info")?;
        let i = codec::info(data)?;
        let h = &i.header;
        *out = flowbb_archive_info {
            images: h.images.len() as u64,
            dims: h.dims(),
            archive_bytes: i.archive_bytes as u64,
            total_bpd: i.total_bpd,
            model_fingerprint: h.model_fingerprint,
            sigma_log2: h.params.sigma_log2,
            delta_log2: h.params.delta_log2,
            streams: h.params.streams,
            tile_channels: h.tile.2,
            tile_height: h.tile.0,
            tile_width: h.tile.1,
        };
        Ok(())
    })
}

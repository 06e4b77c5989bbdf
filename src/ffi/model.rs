//! The model handle: a trained (or freshly initialised) Flow++ model.

use std::ffi::c_char;
use std::sync::{Arc, Mutex, MutexGuard};

use tch::{Device, Kind, Tensor};

use super::boundary::{arg_ref, arg_slice, arg_str, copy_out, out_arg, run, run_or};
use super::boundary::{Failure, Outcome};
use super::bytes::flowbb_bytes;
use super::error::{flowbb_error, flowbb_status};
use super::image::{flowbb_image, flowbb_image_list, images_from_c};
use crate::flow::{FlowConfig, FlowModel};
use crate::Image;

/// A Flow++ model: the density model the coder compresses with.
///
/// Ownership: made by `flowbb_model_new`, `flowbb_model_load`,
/// `flowbb_model_from_bytes`, `flowbb_model_clone` or
/// `flowbb_trainer_export_model`; freed with `flowbb_model_free`. A coder
/// keeps its own copy, so the model may be freed while coders made from it
/// live on.
/// Threads: every function taking a `const flowbb_model *` may be called
/// from several threads at once (calls on one model run one at a time).
pub struct flowbb_model {
    inner: Arc<Mutex<FlowModel>>,
}

impl flowbb_model {
    pub(crate) fn boxed(model: FlowModel) -> *mut flowbb_model {
        Box::into_raw(Box::new(flowbb_model {
            inner: Arc::new(Mutex::new(model)),
        }))
    }

    /// Exclusive access to the model for one call.
    pub(crate) fn lock(&self) -> Outcome<MutexGuard<'_, FlowModel>> {
        self.inner.lock().map_err(|_| {
            Failure::new(
                flowbb_status::FLOWBB_PANIC,
                "the model is unusable: an earlier call on it hit an internal error",
            )
        })
    }

    /// An independent copy of the model's weights (for a coder, which owns its
    /// model).
    pub(crate) fn copy_model(&self) -> Outcome<FlowModel> {
        let model = self.lock()?;
        let bytes = model.to_bytes()?;
        Ok(FlowModel::from_bytes(&bytes, model.device(), model.kind())?)
    }
}

/// Stores a new model handle in `*out`.
fn hand_over(out: *mut *mut flowbb_model, model: FlowModel) -> Outcome {
    // SAFETY: `out` was checked non-NULL by the caller of this helper.
    unsafe { *out = flowbb_model::boxed(model) };
    Ok(())
}

/// Makes a model with freshly initialised (untrained) weights.
///
/// `config` is either the name of a preset ("tiny": 3x8x8 tiles, "small":
/// 3x32x32, "cifar": the paper's 32x32 CIFAR-10 model) or a model
/// configuration in JSON, as `flowbb_model_config_json` writes it. The
/// weights are drawn from `seed`, which also reseeds libtorch's global
/// random generator. An untrained model codes losslessly, only at a poor
/// rate.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT
/// (unknown preset, invalid configuration); FLOWBB_CORRUPT (malformed
/// JSON); FLOWBB_TORCH.
///
/// # Safety
/// `config` is a NUL-terminated string; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_new(
    config: *const c_char,
    seed: u64,
    out: *mut *mut flowbb_model,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let config = arg_str(config, "config")?;
        let out = out_arg(out, "out")?;
        let config = if config.trim_start().starts_with('{') {
            FlowConfig::from_json(config)?
        } else {
            FlowConfig::preset(config)?
        };
        tch::manual_seed(seed as i64);
        hand_over(out, FlowModel::new(&config, Device::Cpu, Kind::Float)?)
    })
}

/// The model built into the library: trained on photographs, it codes
/// 3x32x32 tiles, so compressing needs no model file.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_TORCH.
///
/// # Safety
/// `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_default(
    out: *mut *mut flowbb_model,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let out = out_arg(out, "out")?;
        hand_over(out, FlowModel::default_model()?)
    })
}

/// Loads a model file written by `flowbb_model_save` (or the `flowbb`
/// tool).
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (path
/// not UTF-8); FLOWBB_IO; FLOWBB_CORRUPT (not a model file); FLOWBB_TORCH.
///
/// # Safety
/// `path` is a NUL-terminated string; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_load(
    path: *const c_char,
    out: *mut *mut flowbb_model,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let path = arg_str(path, "path")?;
        let out = out_arg(out, "out")?;
        hand_over(out, FlowModel::load(path, Device::Cpu, Kind::Float)?)
    })
}

/// Reads a model from the bytes of a model file (`flowbb_model_to_bytes`).
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_CORRUPT; FLOWBB_TORCH.
///
/// # Safety
/// `data` points to `len` readable bytes; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_from_bytes(
    data: *const u8,
    len: usize,
    out: *mut *mut flowbb_model,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let data = arg_slice(data, len, "data")?;
        let out = out_arg(out, "out")?;
        hand_over(out, FlowModel::from_bytes(data, Device::Cpu, Kind::Float)?)
    })
}

/// Another handle on the same model (the weights are shared, not copied);
/// free each handle with `flowbb_model_free`. Returns NULL when `model` is
/// NULL.
///
/// # Safety
/// `model` is NULL or a live model.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_clone(model: *const flowbb_model) -> *mut flowbb_model {
    run_or(std::ptr::null_mut(), || match model.as_ref() {
        Some(m) => Box::into_raw(Box::new(flowbb_model {
            inner: Arc::clone(&m.inner),
        })),
        None => std::ptr::null_mut(),
    })
}

/// Frees a model handle. Does nothing when `model` is NULL.
///
/// # Safety
/// `model` is NULL or a live model; it must not be used after.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_free(model: *mut flowbb_model) {
    run_or((), || {
        if !model.is_null() {
            drop(Box::from_raw(model));
        }
    })
}

/// Writes the model to a file.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (path
/// not UTF-8); FLOWBB_IO; FLOWBB_TORCH.
///
/// # Safety
/// `model` is a live model; `path` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_save(
    model: *const flowbb_model,
    path: *const c_char,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let model = arg_ref(model, "model")?;
        let path = arg_str(path, "path")?;
        Ok(model.lock()?.save(path)?)
    })
}

/// The model file as bytes, in a buffer the caller frees with
/// `flowbb_bytes_free`.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_TORCH.
///
/// # Safety
/// `model` is a live model; `out` points to a writable `flowbb_bytes`.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_to_bytes(
    model: *const flowbb_model,
    out: *mut flowbb_bytes,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let model = arg_ref(model, "model")?;
        let out = out_arg(out, "out")?;
        let bytes = model.lock()?.to_bytes()?;
        *out = flowbb_bytes::from_vec(bytes);
        Ok(())
    })
}

/// Writes the model's configuration as NUL-terminated JSON into the
/// caller's buffer `buf` of `cap` bytes. `*needed` receives the size the
/// text needs, its NUL included, also when the buffer is too small; a call
/// with `buf = NULL, cap = 0` asks for the size.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_BUFFER_TOO_SMALL.
///
/// # Safety
/// `model` is a live model; `buf` is NULL or points to `cap` writable
/// bytes; `needed` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_config_json(
    model: *const flowbb_model,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let model = arg_ref(model, "model")?;
        let needed = out_arg(needed, "needed")?;
        let mut text = model.lock()?.config().to_json().into_bytes();
        text.push(0);
        copy_out(&text, buf.cast(), cap, needed, "the configuration")
    })
}

/// The image shape the model works on: images are cut into tiles of
/// `channels x height x width` subpixels.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT.
///
/// # Safety
/// `model` is a live model; the other pointers point to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_tile_shape(
    model: *const flowbb_model,
    channels: *mut u32,
    height: *mut u32,
    width: *mut u32,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let model = arg_ref(model, "model")?;
        let (c, h, w) = (
            out_arg(channels, "channels")?,
            out_arg(height, "height")?,
            out_arg(width, "width")?,
        );
        let m = model.lock()?;
        let config = m.config();
        *c = config.channels as u32;
        *h = config.height as u32;
        *w = config.width as u32;
        Ok(())
    })
}

/// The model's codelength bound for `images`, in bits per dimension: the
/// mean over the images of the single-sample dequantization bound (negative
/// ELBO). Every image must have the model's tile shape.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (no
/// images, an image of another shape); FLOWBB_TORCH.
///
/// # Safety
/// `model` is a live model; `images` points to `count` valid image views;
/// `bpd` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_bpd(
    model: *const flowbb_model,
    images: *const flowbb_image,
    count: usize,
    bpd: *mut f64,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let model = arg_ref(model, "model")?;
        let out = out_arg(bpd, "bpd")?;
        let images = images_from_c(images, count, "images")?;
        let m = model.lock()?;
        let x = images_to_tensor(&images, m.config())?;
        *out = m.bpd(&x)?.mean(Kind::Double).double_value(&[]);
        Ok(())
    })
}

/// Draws `count` images from the model at `temperature` (1 is the model's
/// distribution, lower values give smoother images), into a list the caller
/// frees with `flowbb_image_list_free`.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT
/// (count 0, temperature negative or not finite); FLOWBB_TORCH.
///
/// # Safety
/// `model` is a live model; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_model_sample(
    model: *const flowbb_model,
    count: usize,
    temperature: f64,
    out: *mut *mut flowbb_image_list,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let model = arg_ref(model, "model")?;
        let out = out_arg(out, "out")?;
        let n = i64::try_from(count)
            .map_err(|_| Failure::invalid(format!("cannot sample {count} images")))?;
        let x = model.lock()?.sample(n, temperature)?;
        *out = flowbb_image_list::boxed(images_from_tensor(&x)?);
        Ok(())
    })
}

/// Stacks images of the model's shape into a `(B, C, H, W)` u8 tensor.
fn images_to_tensor(images: &[Image], config: &FlowConfig) -> Outcome<Tensor> {
    if images.is_empty() {
        return Err(Failure::invalid("no images given"));
    }
    let (c, h, w) = (config.channels, config.height, config.width);
    let mut flat = Vec::with_capacity(images.len() * (c * h * w) as usize);
    for (i, im) in images.iter().enumerate() {
        if (im.channels as i64, im.height as i64, im.width as i64) != (c, h, w) {
            return Err(Failure::invalid(format!(
                "images[{i}] is {}x{} with {} channels; the model works on {w}x{h} images \
                 with {c} channels",
                im.width, im.height, im.channels
            )));
        }
        for ch in 0..c as u8 {
            for y in 0..h as u32 {
                for x in 0..w as u32 {
                    flat.push(im.at(y, x, ch));
                }
            }
        }
    }
    Ok(Tensor::from_slice(&flat).reshape([images.len() as i64, c, h, w]))
}

/// Splits a `(B, C, H, W)` u8 tensor into images.
fn images_from_tensor(x: &Tensor) -> Outcome<Vec<Image>> {
    let size = x.size();
    let [b, c, h, w] = size[..] else {
        return Err(Failure::new(
            flowbb_status::FLOWBB_TORCH,
            format!("expected a (B, C, H, W) tensor, found shape {size:?}"),
        ));
    };
    let data = Vec::<u8>::try_from(x.to_device(Device::Cpu).contiguous().flatten(0, -1))
        .map_err(|e| Failure::new(flowbb_status::FLOWBB_TORCH, e.to_string()))?;
    let plane = (h * w) as usize;
    let per_image = c as usize * plane;
    let mut images = Vec::with_capacity(b as usize);
    for chunk in data.chunks(per_image) {
        let mut pixels = vec![0u8; per_image];
        for ch in 0..c as usize {
            for p in 0..plane {
                pixels[p * c as usize + ch] = chunk[ch * plane + p];
            }
        }
        images.push(Image::new(w as u32, h as u32, c as u8, pixels)?);
    }
    Ok(images)
}

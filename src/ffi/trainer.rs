//! The trainer handle: fits a model's weights to images.

use std::ffi::{c_char, c_void};
use std::path::Path;

use tch::Device;

use super::boundary::{arg_mut, arg_ref, arg_str, out_arg, run, run_or};
use super::error::{flowbb_error, flowbb_status};
use super::image::{flowbb_image, images_from_c};
use super::model::flowbb_model;
use crate::train::{StepInfo, TrainConfig, Trainer};

/// Trains a model: Adam with a warm-up, gradient clipping and an
/// exponential moving average (EMA) of the weights, which evaluation and
/// export use. Training images are cut into tiles of the model's shape.
///
/// Ownership: made by `flowbb_trainer_new` or
/// `flowbb_trainer_load_checkpoint`, freed with `flowbb_trainer_free`.
/// Threads: one thread at a time; it may move between threads.
pub struct flowbb_trainer {
    trainer: Trainer,
}

/// What one training step did.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct flowbb_step_info {
    /// Steps done so far, this one included.
    pub step: u64,
    /// Loss of the step: the model's bound on the batch, in bits per dimension.
    pub train_bpd: f64,
    /// Learning rate of the step.
    pub learning_rate: f64,
    /// Global norm of the gradient before clipping.
    pub grad_norm: f64,
    /// Training speed.
    pub images_per_sec: f64,
    /// True when the step was skipped (a loss or gradient that was not finite).
    pub skipped: bool,
}

impl From<&StepInfo> for flowbb_step_info {
    fn from(s: &StepInfo) -> Self {
        flowbb_step_info {
            step: s.step,
            train_bpd: s.train_bpd,
            learning_rate: s.learning_rate,
            grad_norm: s.grad_norm,
            images_per_sec: s.images_per_sec,
            skipped: s.skipped,
        }
    }
}

/// Called after each training step with the `userdata` given to
/// `flowbb_trainer_step` and what the step did; returns true to go on,
/// false to stop (the call then returns FLOWBB_CANCELLED, and the steps
/// done so far are kept). It runs on the thread that called
/// `flowbb_trainer_step` and must not call functions on the same trainer.
pub type flowbb_progress_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, info: *const flowbb_step_info) -> bool>;

/// Makes a trainer that starts from the weights of `model` (copied) with
/// the training settings `config_json` (a JSON object whose fields override
/// the defaults: batch_size, learning_rate, warmup_steps, beta1, beta2,
/// adam_eps, grad_clip, ema_decay, init_batch, seed, eval_batch,
/// eval_max_images), or the defaults when `config_json` is NULL.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (a
/// setting out of range); FLOWBB_CORRUPT (malformed JSON); FLOWBB_TORCH.
///
/// # Safety
/// `model` is a live model; `config_json` is NULL or a NUL-terminated
/// string; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_new(
    model: *const flowbb_model,
    config_json: *const c_char,
    out: *mut *mut flowbb_trainer,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let model = arg_ref(model, "model")?;
        let out = out_arg(out, "out")?;
        let config = if config_json.is_null() {
            TrainConfig::default()
        } else {
            let text = arg_str(config_json, "config_json")?;
            serde_json::from_str::<TrainConfig>(text)
                .map_err(|e| crate::Error::corrupt("training configuration", e.to_string()))?
        };
        let trainer = Trainer::new(config, model.copy_model()?)?;
        *out = Box::into_raw(Box::new(flowbb_trainer { trainer }));
        Ok(())
    })
}

/// Resumes training from a checkpoint written by
/// `flowbb_trainer_save_checkpoint`. The training images are not part of
/// the checkpoint: add them again.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (path
/// not UTF-8); FLOWBB_IO; FLOWBB_CORRUPT; FLOWBB_TORCH.
///
/// # Safety
/// `path` is a NUL-terminated string; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_load_checkpoint(
    path: *const c_char,
    out: *mut *mut flowbb_trainer,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let path = arg_str(path, "path")?;
        let out = out_arg(out, "out")?;
        let trainer = Trainer::load_checkpoint(Path::new(path), Device::Cpu)?;
        *out = Box::into_raw(Box::new(flowbb_trainer { trainer }));
        Ok(())
    })
}

/// Frees a trainer. Does nothing when `trainer` is NULL.
///
/// # Safety
/// `trainer` is NULL or a live trainer; it must not be used after.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_free(trainer: *mut flowbb_trainer) {
    run_or((), || {
        if !trainer.is_null() {
            drop(Box::from_raw(trainer));
        }
    })
}

/// Adds training images (copied).
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT;
/// FLOWBB_IMAGE (an image the model cannot code).
///
/// # Safety
/// `trainer` is a live trainer; `images` points to `count` valid views.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_add_images(
    trainer: *mut flowbb_trainer,
    images: *const flowbb_image,
    count: usize,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let t = arg_mut(trainer, "trainer")?;
        let images = images_from_c(images, count, "images")?;
        Ok(t.trainer.add_images(&images)?)
    })
}

/// Adds test images (copied), on which `flowbb_trainer_evaluate` measures
/// the model.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT;
/// FLOWBB_IMAGE.
///
/// # Safety
/// `trainer` is a live trainer; `images` points to `count` valid views.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_add_test_images(
    trainer: *mut flowbb_trainer,
    images: *const flowbb_image,
    count: usize,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let t = arg_mut(trainer, "trainer")?;
        let images = images_from_c(images, count, "images")?;
        Ok(t.trainer.add_test_images(&images)?)
    })
}

/// Adds every image file of a folder as training images.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT;
/// FLOWBB_IO; FLOWBB_IMAGE.
///
/// # Safety
/// `trainer` is a live trainer; `path` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_add_folder(
    trainer: *mut flowbb_trainer,
    path: *const c_char,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let t = arg_mut(trainer, "trainer")?;
        let path = arg_str(path, "path")?;
        Ok(t.trainer.add_folder(Path::new(path))?)
    })
}

/// Runs `steps` training steps. After each, `progress` (which may be NULL)
/// is called with `userdata`; `last` (which may be NULL) receives what the
/// last step did.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (no
/// training images); FLOWBB_CANCELLED (`progress` returned false; `last` is
/// still written); FLOWBB_TORCH.
///
/// # Safety
/// `trainer` is a live trainer; `progress` is NULL or a function that may
/// be called with `userdata`; `last` is NULL or points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_step(
    trainer: *mut flowbb_trainer,
    steps: u64,
    progress: flowbb_progress_fn,
    userdata: *mut c_void,
    last: *mut flowbb_step_info,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let t = arg_mut(trainer, "trainer")?;
        let mut latest = None;
        let outcome = t.trainer.step(steps, |info| {
            let c = flowbb_step_info::from(info);
            latest = Some(c);
            match progress {
                // SAFETY: the caller vouches for `progress` and `userdata`.
                Some(f) => unsafe { f(userdata, &c) },
                None => true,
            }
        });
        if let (Some(out), Some(info)) = (last.as_mut(), latest) {
            *out = info;
        }
        outcome?;
        Ok(())
    })
}

/// Training steps done so far (also those before a checkpoint was saved); 0
/// when `trainer` is NULL.
///
/// # Safety
/// `trainer` is NULL or a live trainer.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_steps_done(trainer: *const flowbb_trainer) -> u64 {
    run_or(0, || trainer.as_ref().map_or(0, |t| t.trainer.steps_done()))
}

/// Measures the EMA weights on the test images: `*bpd` receives the mean
/// codelength bound in bits per dimension.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (no
/// test images); FLOWBB_TORCH.
///
/// # Safety
/// `trainer` is a live trainer; `bpd` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_evaluate(
    trainer: *mut flowbb_trainer,
    bpd: *mut f64,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let t = arg_mut(trainer, "trainer")?;
        let out = out_arg(bpd, "bpd")?;
        *out = t.trainer.evaluate()?.bpd;
        Ok(())
    })
}

/// Writes a checkpoint (weights, optimizer state, EMA weights, step) from
/// which `flowbb_trainer_load_checkpoint` resumes exactly.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_INVALID_ARGUMENT (path
/// not UTF-8); FLOWBB_IO.
///
/// # Safety
/// `trainer` is a live trainer; `path` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_save_checkpoint(
    trainer: *mut flowbb_trainer,
    path: *const c_char,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let t = arg_mut(trainer, "trainer")?;
        let path = arg_str(path, "path")?;
        Ok(t.trainer.save_checkpoint(Path::new(path))?)
    })
}

/// A new model holding the trainer's EMA weights, freed with
/// `flowbb_model_free`.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT; FLOWBB_TORCH.
///
/// # Safety
/// `trainer` is a live trainer; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn flowbb_trainer_export_model(
    trainer: *mut flowbb_trainer,
    out: *mut *mut flowbb_model,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let t = arg_mut(trainer, "trainer")?;
        let out = out_arg(out, "out")?;
        let model = t.trainer.export_model()?;
        *out = flowbb_model::boxed(model);
        Ok(())
    })
}

//! Hyperparameters of training.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Hyperparameters of a [`super::Trainer`]. The defaults are those of the original CIFAR-10
/// training except the batch size, which suits a CPU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Images per step.
    pub batch_size: usize,
    /// Learning rate after the warm-up.
    pub learning_rate: f64,
    /// Steps over which the learning rate grows linearly from `learning_rate / warmup_steps`
    /// to `learning_rate`.
    pub warmup_steps: u64,
    /// Adam's first-moment decay.
    pub beta1: f64,
    /// Adam's second-moment decay.
    pub beta2: f64,
    /// Adam's epsilon.
    pub adam_eps: f64,
    /// Gradients are rescaled so that their global norm is at most this (0: no clipping).
    pub grad_clip: f64,
    /// Decay of the EMA of the weights. Early on the effective decay is
    /// `min(ema_decay, (1 + step) / (10 + step))`, so that the average does not keep the random
    /// initial weights for thousands of steps.
    pub ema_decay: f64,
    /// Images in the data-dependent initialisation batch (drawn from the training set).
    pub init_batch: usize,
    /// Seed of everything random in training.
    pub seed: u64,
    /// Images per batch when evaluating.
    pub eval_batch: usize,
    /// Evaluate on at most this many test images (a fixed, seeded selection; 0: all).
    pub eval_max_images: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            batch_size: 32,
            learning_rate: 3e-4,
            warmup_steps: 2000,
            beta1: 0.9,
            beta2: 0.999,
            adam_eps: 1e-8,
            grad_clip: 1.0,
            ema_decay: 0.999,
            init_batch: 128,
            seed: 0,
            eval_batch: 64,
            eval_max_images: 0,
        }
    }
}

impl TrainConfig {
    /// Checks that every field is in range.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the field.
    pub fn validate(&self) -> Result<()> {
        let bad = |f: &str, v: String| Err(Error::invalid(format!("training {f} {v} out of range")));
        if self.batch_size == 0 {
            return bad("batch_size", "0".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad("learning_rate", self.learning_rate.to_string());
        }
        for (f, v) in [("beta1", self.beta1), ("beta2", self.beta2), ("ema_decay", self.ema_decay)]
        {
            if !(0.0..1.0).contains(&v) {
                return bad(f, v.to_string());
            }
        }
        if !(self.adam_eps > 0.0) {
            return bad("adam_eps", self.adam_eps.to_string());
        }
        if !(self.grad_clip >= 0.0) {
            return bad("grad_clip", self.grad_clip.to_string());
        }
        if self.init_batch == 0 || self.eval_batch == 0 {
            return bad("init_batch/eval_batch", "0".into());
        }
        Ok(())
    }

    /// Learning rate of step `step` (counted from 0).
    pub fn learning_rate_at(&self, step: u64) -> f64 {
        if self.warmup_steps == 0 {
            return self.learning_rate;
        }
        self.learning_rate * ((step + 1) as f64 / self.warmup_steps as f64).min(1.0)
    }

    /// EMA decay used after step `step`.
    pub fn ema_decay_at(&self, step: u64) -> f64 {
        self.ema_decay.min((1 + step) as f64 / (10 + step) as f64)
    }
}

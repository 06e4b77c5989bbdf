//! Training Flow++ models: [`Trainer`] and its configuration [`TrainConfig`].
//!
//! The recipe follows the original Flow++ training: data-dependent initialisation on one batch,
//! Adam with a linear learning-rate warm-up, clipping of the global gradient norm, an
//! exponential moving average (EMA) of the weights that evaluation and export use, dropout as set
//! in the model configuration, and either variational or uniform dequantization (also a model
//! configuration choice). The loss is the negated single-sample dequantization bound in bits per
//! dimension.
//!
//! # Reproducibility and resuming
//!
//! Everything random in a step is derived from the seed and the step number: the batch (a
//! seeded permutation of the training set per epoch) and libtorch's generator (reseeded before
//! each step, which drives dequantization noise and dropout). A checkpoint therefore only needs
//! the weights, the Adam moments, the EMA weights and the step to resume exactly: the step after
//! a resume computes the same loss as without the interruption.
//!
//! Checkpoints ([`Trainer::save_checkpoint`]) are written atomically and carry a CRC-32, so a
//! truncated or corrupted file is refused with an error instead of resuming from garbage.
//!
//! Batches are assembled on a separate thread while the current step runs.

mod checkpoint;
mod config;
mod loader;
mod trainer;

pub use config::TrainConfig;
pub use trainer::{evaluate_dataset, EvalReport, StepInfo, Trainer};

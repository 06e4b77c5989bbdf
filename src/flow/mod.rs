//! Flow++ on libtorch: the density model whose layers the bits-back coder walks.
//!
//! # Layer order
//!
//! The model is a public, walkable structure. [`FlowModel::steps`] lists the main flow in
//! forward order (dequantized image in pixel units `[0, 256)` to latent `z`); for the
//! `cifar` configuration:
//!
//! 1. [`Step::ImgProc`]: `v -> logit(0.05 + 0.9 v / 256)`.
//! 2. [`Step::Split`] stripe (even/odd columns, halves `3 x 32 x 16`), body 4 x
//!    [`PairStep::Norm`], [`PairStep::Pointwise`], [`PairStep::Coupling`], [`PairStep::Flip`].
//! 3. [`Step::SpaceToDepth`]: `3 x 32 x 32 -> 12 x 16 x 16`, channel `(dy*2 + dx)*3 + c`.
//! 4. [`Step::Split`] channel (halves `6 x 16 x 16`), body 2 x [Norm, Pointwise, Coupling, Flip].
//! 5. [`Step::Split`] stripe (halves `12 x 16 x 8`), body 3 x [Norm, Pointwise, Coupling, Flip].
//!
//! There is no factoring out: every subpixel passes through every stage. Inside a split the pair
//! is `(a, b)`: a coupling conditions on `a` and transforms `b`, and each [`PairStep::Flip`]
//! swaps the two, so after an odd number of steps the halves are merged back swapped (the
//! transformed `b` lands in the even columns, or the first channels).
//!
//! The dequantizer ([`FlowModel::dequantizer`]) maps noise `eps ~ N(0, I)` of the image's shape
//! to `u` in `(0, 1)`: a stripe split with 4 x [Norm, Pointwise, Coupling, Flip] whose couplings
//! all receive the context [`Dequantizer::context`] of the integer image, then
//! [`Step::Sigmoid`]. The bound is
//! `log P(x) >= log N(z) + log|J_main(x + u)| - log N(eps) + log|J_deq(eps)|`.
//!
//! # Latent layout
//!
//! `z` has shape `(B, C', H', W')` given by [`FlowConfig::latent_shape`]: `12 x 16 x 16` for
//! 32x32 RGB images with one space-to-depth; its prior is a standard normal on every element.
//!
//! # Elementwise pieces
//!
//! Each elementwise piece ([`ImgProc`], [`Sigmoid`], [`Norm`], and the three coupling
//! sub-flows [`mix_cdf`], [`logit`], [`affine`] on explicit [`CouplingParams`]) computes in the
//! float kind of its input, returns the elementwise log-derivative with its value, and has an
//! exact inverse. [`Pointwise`] exposes its matrix ([`Pointwise::weight_f64`]).
//!
//! The mixture log-scales are clamped below at [`coupling::MIN_LOG_SCALE`] (-7), in both
//! directions, since models here are trained from scratch.

pub mod config;
pub mod coupling;
pub mod default_model;
pub mod layers;
pub mod model;
pub mod net;

pub use config::{CouplingConfig, DequantConfig, FlowConfig, SplitKind, StageConfig};
pub use coupling::{affine, logit, mix_cdf, Coupling, CouplingParams, Mixture};
pub use layers::{ImgProc, Norm, Pointwise, Sigmoid};
pub use model::{forward_steps, inverse_steps, Dequantizer, FlowModel, PairStep, Step};
pub use net::Mode;

/// Makes libtorch as reproducible as this binding allows: turns cuDNN autotuning off (so the
/// same convolution algorithm is chosen every run), asks cuBLAS for a fixed workspace layout,
/// and optionally fixes the number of CPU threads. Every convolution of the model already
/// requests deterministic kernels. Call it once, before the first CUDA operation.
///
/// The global "deterministic algorithms" switch of libtorch is not exposed by `tch`; the model
/// uses no operation that is nondeterministic on CPU.
pub fn set_deterministic(threads: Option<i32>) {
    if std::env::var_os("CUBLAS_WORKSPACE_CONFIG").is_none() {
        std::env::set_var("CUBLAS_WORKSPACE_CONFIG", ":4096:8");
    }
    if tch::Cuda::is_available() {
        tch::Cuda::cudnn_set_benchmark(false);
    }
    if let Some(n) = threads {
        tch::set_num_threads(n.max(1));
    }
}

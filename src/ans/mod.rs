//! The entropy coder: rANS streams with stack semantics for bits-back coding.
//!
//! - [`rans`]: one stream (64-bit state, stack of 32-bit words, precision up to 32 bits),
//!   with initial bits drawn from a seeded generator on the encoder side.
//! - [`streams`]: N independent streams coded in parallel, and the batched calls the
//!   bits-back codec makes (discretized Gaussians, the standard normal prior, uniform
//!   symbols, linear autoregressive Gaussians).
//! - [`grid`]: the grid of bins of width delta = 2^-bits on which reals are discretized.
//! - [`gaussian`]: the two-level model of a discretized Gaussian and the autoregressive form.
//! - [`special`]: deterministic normal CDF and error functions.
//!
//! Everything here is pure Rust and builds without libtorch.

pub mod gaussian;
pub mod grid;
mod normal_table;
pub mod rans;
pub mod special;
pub mod streams;

pub use gaussian::ArGaussian;
pub use grid::Grid;
pub use rans::Stream;
pub use streams::Streams;

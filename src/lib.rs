//! libflowbb: lossless image compression with Flow++ and local bits-back coding.
//!
//! The crate is laid out by concept; see `docs/ARCHITECTURE.md` for the data flow.

pub mod ans;
pub mod codec;
pub mod data;
pub mod error;
#[cfg(feature = "torch")]
pub mod ffi;
pub mod image;
pub mod runtime;

#[cfg(feature = "torch")]
pub mod flow;
#[cfg(feature = "torch")]
pub mod train;

pub use error::{Error, Result};
pub use image::Image;

/// Crate version, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(feature = "torch")]
pub use tch;

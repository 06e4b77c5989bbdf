//! Lossless image coding with local bits-back coding over a Flow++ model.
//!
//! [`Coder`] holds a model and [`CoderOptions`]; [`Coder::compress`] turns images into a `.fbb`
//! archive ([`archive`]) and [`Coder::decompress`] turns it back, checking each image's CRC32.
//! Images of any size are cut into tiles of the model's size; tiles at the right and bottom
//! edges are padded by repeating the last column and row (the padding is coded too, and its
//! cost counts in the reported bits per dimension, which divide by the image's own subpixels).
//! A grayscale image given to an RGB model is coded as RGB with three equal channels and comes
//! back as grayscale; an RGB image given to a grayscale model is refused.

pub mod archive;
pub mod elementwise;

#[cfg(feature = "torch")]
mod compositional;
#[cfg(feature = "torch")]
mod blackbox;
#[cfg(feature = "torch")]
mod coder;

pub use archive::{Algorithm, Archive, CoderParams, Header, ImageEntry};
#[cfg(feature = "torch")]
pub use coder::{info, ArchiveInfo, Coder, CoderOptions, CompressStats, Progress};

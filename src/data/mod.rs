//! Training and test data: reading folders of photographs, cutting them into the fixed-size
//! images a model is trained on, and storing the result in a compact file.
//!
//! Two kinds of data set are built from a folder of photographs:
//!
//! - **patches**: each photograph is first shrunk by an integer box filter so that its short side
//!   is close to a target (256 pixels by default, which averages JPEG blocking away), then cut into
//!   non-overlapping `size x size` patches on a grid. Photographs much larger than the target also
//!   give patches at a second, finer scale (short side twice the target), so that large wallpapers
//!   are not drowned by many small photographs. The number of patches per photograph and scale is
//!   capped; which patches are kept is drawn with a fixed seed.
//! - **downsampled**: each whole photograph is centre-cropped to a square and shrunk by an integer
//!   box filter to `size x size` (the ImageNet32/64 setting).
//!
//! Grayscale photographs are replicated to three equal channels when a three-channel set is built
//! (the default, what RGB models need); a one-channel set converts colour photographs to luma
//! (ITU-R BT.601 weights) instead.
//!
//! Sets are split by source photograph, never by patch ([`split_by_source`]), so no test patch
//! shares a photograph with a training patch. Everything here is deterministic: the same folder
//! and options give the same bytes.

mod build;
mod file;
mod read;
mod rng;

pub use build::{downsampled_set, patch_set, split_by_source, BuildOptions, Kind};
pub use file::{write_atomic, Dataset};
pub use read::{box_shrink, load_image, read_folder, to_channels, IMAGE_EXTENSIONS};
pub use rng::SplitMix64;

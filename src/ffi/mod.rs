//! The C ABI of libflowbb: opaque handles, status codes and error objects over the Rust API.
//!
//! Every item here is a thin translation layer: it checks pointers, converts between C and
//! Rust types, runs the Rust call under a panic boundary and reports the outcome as a
//! [`flowbb_status`](error::flowbb_status). No compression, training or image logic lives
//! here. The header `include/flowbb.h` is generated from these files by cbindgen
//! (`cargo run --example gen_header`), so the doc comments below are the C manual; the
//! conventions they share are written out once in `docs/c-api.md`.

#![allow(non_camel_case_types)]

mod boundary;
pub mod bytes;
pub mod coder;
pub mod error;
pub mod image;
pub mod model;
pub mod trainer;
pub mod version;

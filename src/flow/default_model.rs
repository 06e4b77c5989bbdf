//! The model built into the library, so that compressing needs no model file.

use tch::{Device, Kind};

use super::FlowModel;
use crate::error::Result;

/// The default model as safetensors bytes (`models/default.safetensors`, the EMA weights of the
/// run reproduced by `scripts/train-default.sh`; its configuration is
/// `models/default-config.json`).
pub const DEFAULT_MODEL_BYTES: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/default.safetensors"));

impl FlowModel {
    /// Loads the default model built into the library, on the CPU in f32.
    ///
    /// # Errors
    /// [`crate::Error::Corrupt`] if the built-in bytes do not parse (a broken build).
    pub fn default_model() -> Result<FlowModel> {
        FlowModel::from_bytes(DEFAULT_MODEL_BYTES, Device::Cpu, Kind::Float)
    }
}

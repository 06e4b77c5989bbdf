//! The checkpoint file: everything needed to resume training exactly.
//!
//! Layout (integers little-endian):
//!
//! | bytes | field |
//! | --- | --- |
//! | 8 | magic `FLOWBBCK` |
//! | 4 | format version (1) |
//! | 4 | length m of the header |
//! | m | header, JSON ([`Header`]): configurations, step, and a table of the tensors |
//! | ... | tensor data, in table order, little-endian f32 or f64, row-major |
//! | 4 | CRC-32 of everything before it |

use std::path::Path;

use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use super::config::TrainConfig;
use crate::data::write_atomic;
use crate::error::{Error, Result};
use crate::flow::FlowConfig;

const MAGIC: &[u8; 8] = b"FLOWBBCK";
const VERSION: u32 = 1;

/// One tensor of the checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// `param`, `ema`, `adam_m` or `adam_v`.
    pub group: String,
    /// Variable name in the model.
    pub name: String,
    /// `f32` or `f64`.
    pub dtype: String,
    pub shape: Vec<i64>,
}

/// The JSON header.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Header {
    pub model: FlowConfig,
    pub train: TrainConfig,
    /// Steps done.
    pub step: u64,
    /// Whether the data-dependent initialisation has run.
    pub initialized: bool,
    pub tensors: Vec<Entry>,
}

fn dtype_of(kind: Kind) -> Result<(&'static str, usize)> {
    match kind {
        Kind::Float => Ok(("f32", 4)),
        Kind::Double => Ok(("f64", 8)),
        k => Err(Error::invalid(format!("checkpoint tensors are f32 or f64, found {k:?}"))),
    }
}

/// Serialises `tensors` (group, name, tensor) with the header fields and writes them to `path`
/// atomically.
pub(crate) fn write(path: &Path, mut header: Header, tensors: &[(&str, &str, &Tensor)]) -> Result<()> {
    let mut data = Vec::new();
    header.tensors.clear();
    for (group, name, t) in tensors {
        let t = t.detach().to_device(tch::Device::Cpu).contiguous();
        let (dtype, size) = dtype_of(t.kind())?;
        let numel = t.numel();
        let start = data.len();
        data.resize(start + numel * size, 0);
        t.f_copy_data_u8(&mut data[start..], numel)?;
        header.tensors.push(Entry {
            group: group.to_string(),
            name: name.to_string(),
            dtype: dtype.to_string(),
            shape: t.size(),
        });
    }
    let json = serde_json::to_vec(&header).expect("checkpoint header serializes");
    let mut out = Vec::with_capacity(16 + json.len() + data.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&data);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    write_atomic(path, &out)
}

/// Reads and verifies a checkpoint; returns its header and its tensors (CPU) in table order.
pub(crate) fn read(path: &Path) -> Result<(Header, Vec<Tensor>)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse(&bytes, &path.display().to_string())
}

pub(crate) fn parse(bytes: &[u8], what: &str) -> Result<(Header, Vec<Tensor>)> {
    let bad = |m: String| Error::corrupt(format!("checkpoint {what}"), m);
    if bytes.len() < 20 || &bytes[..8] != MAGIC {
        return Err(bad("not a flowbb checkpoint (wrong magic or too short)".into()));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
    if version != VERSION {
        return Err(bad(format!("format version {version}, expected {VERSION}")));
    }
    let body = &bytes[..bytes.len() - 4];
    let stored = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap());
    let actual = crc32fast::hash(body);
    if stored != actual {
        return Err(bad(format!(
            "checksum mismatch (stored {stored:08x}, computed {actual:08x}): the file is \
             truncated or corrupted"
        )));
    }
    let m = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    if 16 + m > body.len() {
        return Err(bad(format!("header of {m} bytes runs past the end")));
    }
    let header: Header =
        serde_json::from_slice(&body[16..16 + m]).map_err(|e| bad(format!("header: {e}")))?;
    let mut pos = 16 + m;
    let mut tensors = Vec::with_capacity(header.tensors.len());
    for e in &header.tensors {
        let (kind, size) = match e.dtype.as_str() {
            "f32" => (Kind::Float, 4),
            "f64" => (Kind::Double, 8),
            d => return Err(bad(format!("tensor {} has dtype {d}", e.name))),
        };
        if e.shape.iter().any(|&d| d < 0) {
            return Err(bad(format!("tensor {} has shape {:?}", e.name, e.shape)));
        }
        let numel: usize = e.shape.iter().map(|&d| d as usize).product();
        let len = numel * size;
        if pos + len > body.len() {
            return Err(bad(format!("tensor {} runs past the end", e.name)));
        }
        tensors.push(Tensor::f_from_data_size(&body[pos..pos + len], &e.shape, kind)?);
        pos += len;
    }
    if pos != body.len() {
        return Err(bad(format!("{} unexpected bytes after the tensors", body.len() - pos)));
    }
    Ok((header, tensors))
}

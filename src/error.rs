//! The one error type of the library. Each variant is a kind that the C ABI maps to a status
//! code, so variants are only ever added, never renumbered or reused.

use std::path::PathBuf;

/// Result alias used throughout libflowbb.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in libflowbb. Messages say what was expected and what was found,
/// and name the file, image or field concerned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A caller passed an argument outside its documented range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An image could not be read, or has a pixel format libflowbb does not code.
    #[error("image {name}: {message}")]
    Image { name: String, message: String },

    /// Bytes that should hold an archive, a stream, a model or a checkpoint are malformed,
    /// truncated or fail their checksum.
    #[error("corrupt {what}: {message}")]
    Corrupt { what: String, message: String },

    /// An archive was made with another model than the one given to decode it.
    #[error("model mismatch: {0}")]
    ModelMismatch(String),

    /// The decoder's network outputs differ from the encoder's (another CPU family, GPU versus
    /// CPU, another libtorch): decoding would produce garbage, so it stops.
    #[error("numerics mismatch: {0}")]
    NumericsMismatch(String),

    /// A feature or format that this build or version does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),

    /// An error raised by libtorch.
    #[error("libtorch: {0}")]
    Torch(String),

    /// Work stopped because the caller asked it to (a progress callback returned false).
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidArgument(msg.into())
    }

    /// Shorthand for [`Error::Corrupt`].
    pub fn corrupt(what: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Corrupt {
            what: what.into(),
            message: msg.into(),
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

#[cfg(feature = "torch")]
impl From<tch::TchError> for Error {
    fn from(e: tch::TchError) -> Self {
        Error::Torch(e.to_string())
    }
}

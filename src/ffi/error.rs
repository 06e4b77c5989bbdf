//! Status codes and error objects.

use std::ffi::{c_char, CString};

use super::boundary::{run_or, Failure};
use crate::Error;

/// Outcome of a libflowbb call. Every fallible function returns one.
///
/// The numeric values are part of the ABI: they never change and a retired
/// value is never given to another outcome. Values 1-9 are mistakes in the
/// call itself, 10-19 bad input data, 20-29 limits of the build or the
/// machine, 30-39 requests to stop, 99 a bug in libflowbb. New statuses may
/// be added in later versions, so treat an unknown value as a failure.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum flowbb_status {
    /// Success.
    FLOWBB_OK = 0,
    /// A required pointer argument was NULL.
    FLOWBB_NULL_ARGUMENT = 1,
    /// An argument is outside its documented range (a zero count, an image of
    /// the wrong shape, a string that is not UTF-8, an option the model cannot
    /// use).
    FLOWBB_INVALID_ARGUMENT = 2,
    /// A caller-allocated output buffer is too small; the size needed has been
    /// stored.
    FLOWBB_BUFFER_TOO_SMALL = 3,
    /// Reading or writing a file failed.
    FLOWBB_IO = 10,
    /// An image could not be read or has a pixel format libflowbb does not
    /// code.
    FLOWBB_IMAGE = 11,
    /// An archive, model or checkpoint is malformed, truncated or fails its
    /// checksum.
    FLOWBB_CORRUPT = 12,
    /// An archive was made with another model than the one given to decode it.
    FLOWBB_MODEL_MISMATCH = 13,
    /// The network outputs of the decoder differ from those of the encoder
    /// (another CPU family, GPU versus CPU, another libtorch), so decoding
    /// stopped.
    FLOWBB_NUMERICS_MISMATCH = 14,
    /// A feature or format that this build or version does not support.
    FLOWBB_UNSUPPORTED = 20,
    /// libtorch reported an error (out of memory, device not available).
    FLOWBB_TORCH = 21,
    /// A progress callback asked to stop.
    FLOWBB_CANCELLED = 30,
    /// libflowbb hit an internal error (a Rust panic); the handles used in the
    /// call must not be used again except to free them.
    FLOWBB_PANIC = 99,
}

impl flowbb_status {
    /// The status reported for a library error.
    pub(crate) fn of_error(e: &Error) -> Self {
        use flowbb_status::*;
        match e {
            Error::InvalidArgument(_) => FLOWBB_INVALID_ARGUMENT,
            Error::Io { .. } => FLOWBB_IO,
            Error::Image { .. } => FLOWBB_IMAGE,
            Error::Corrupt { .. } => FLOWBB_CORRUPT,
            Error::ModelMismatch(_) => FLOWBB_MODEL_MISMATCH,
            Error::NumericsMismatch(_) => FLOWBB_NUMERICS_MISMATCH,
            Error::Unsupported(_) => FLOWBB_UNSUPPORTED,
            Error::Torch(_) => FLOWBB_TORCH,
            Error::Cancelled => FLOWBB_CANCELLED,
        }
    }

    fn from_code(code: i32) -> Option<Self> {
        use flowbb_status::*;
        const ALL: [flowbb_status; 13] = [
            FLOWBB_OK,
            FLOWBB_NULL_ARGUMENT,
            FLOWBB_INVALID_ARGUMENT,
            FLOWBB_BUFFER_TOO_SMALL,
            FLOWBB_IO,
            FLOWBB_IMAGE,
            FLOWBB_CORRUPT,
            FLOWBB_MODEL_MISMATCH,
            FLOWBB_NUMERICS_MISMATCH,
            FLOWBB_UNSUPPORTED,
            FLOWBB_TORCH,
            FLOWBB_CANCELLED,
            FLOWBB_PANIC,
        ];
        ALL.into_iter().find(|s| *s as i32 == code)
    }

    fn describe(self) -> &'static std::ffi::CStr {
        use flowbb_status::*;
        match self {
            FLOWBB_OK => c"success",
            FLOWBB_NULL_ARGUMENT => c"a required pointer argument is NULL",
            FLOWBB_INVALID_ARGUMENT => c"invalid argument",
            FLOWBB_BUFFER_TOO_SMALL => c"output buffer too small",
            FLOWBB_IO => c"file input/output error",
            FLOWBB_IMAGE => c"unreadable or unsupported image",
            FLOWBB_CORRUPT => c"corrupt data",
            FLOWBB_MODEL_MISMATCH => c"archive made with another model",
            FLOWBB_NUMERICS_MISMATCH => c"decoder numerics differ from the encoder's",
            FLOWBB_UNSUPPORTED => c"not supported by this build",
            FLOWBB_TORCH => c"libtorch error",
            FLOWBB_CANCELLED => c"cancelled by a progress callback",
            FLOWBB_PANIC => c"internal error in libflowbb",
        }
    }
}

/// Details of a failed call: its status and a message that says what was
/// expected, what was found, and which file, image or field is concerned.
///
/// Ownership: created by libflowbb when a call fails and its `err` argument
/// is not NULL; the caller owns it and frees it with `flowbb_error_free`.
/// Threads: immutable; may be read from several threads at once and freed
/// from any thread.
pub struct flowbb_error {
    status: flowbb_status,
    message: CString,
}

impl flowbb_error {
    /// Boxes a failure for the caller.
    pub(crate) fn boxed(failure: Failure) -> *mut flowbb_error {
        let text = failure.message.replace('\0', "\u{fffd}");
        let message = CString::new(text).unwrap_or_default();
        Box::into_raw(Box::new(flowbb_error {
            status: failure.status,
            message,
        }))
    }
}

/// The status of a failed call. Returns `FLOWBB_OK` when `error` is NULL
/// (no error).
///
/// # Safety
/// `error` is NULL or was returned by libflowbb and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn flowbb_error_status(error: *const flowbb_error) -> flowbb_status {
    run_or(flowbb_status::FLOWBB_PANIC, || {
        error
            .as_ref()
            .map_or(flowbb_status::FLOWBB_OK, |e| e.status)
    })
}

/// The message of a failed call, as NUL-terminated UTF-8. The string
/// belongs to `error` and stays valid until `error` is freed. Returns an
/// empty string (never NULL) when `error` is NULL.
///
/// # Safety
/// `error` is NULL or was returned by libflowbb and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn flowbb_error_message(error: *const flowbb_error) -> *const c_char {
    run_or(c"".as_ptr(), || {
        error.as_ref().map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// Frees an error object. Does nothing when `error` is NULL.
///
/// # Safety
/// `error` is NULL or was returned by libflowbb and not yet freed; it must
/// not be used after.
#[no_mangle]
pub unsafe extern "C" fn flowbb_error_free(error: *mut flowbb_error) {
    run_or((), || {
        if !error.is_null() {
            drop(Box::from_raw(error));
        }
    })
}

/// A short English description of a status value, as a static
/// NUL-terminated string (never NULL; "unknown status" for values this
/// version does not define).
#[no_mangle]
pub extern "C" fn flowbb_status_str(status: i32) -> *const c_char {
    run_or(c"unknown status".as_ptr(), || {
        flowbb_status::from_code(status)
            .map_or(c"unknown status", flowbb_status::describe)
            .as_ptr()
    })
}

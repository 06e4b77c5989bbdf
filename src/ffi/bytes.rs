//! Byte buffers allocated by libflowbb and handed to the caller.

use super::boundary::run_or;

/// A byte buffer allocated by libflowbb (a compressed archive, a serialized
/// model).
///
/// Ownership: the caller owns the bytes once a call has filled the struct
/// and frees them with `flowbb_bytes_free`; `data` is NULL when `len` is 0.
/// Threads: plain memory; may be read from any thread.
#[repr(C)]
#[derive(Debug)]
pub struct flowbb_bytes {
    /// First byte, or NULL for an empty buffer.
    pub data: *mut u8,
    /// Number of bytes.
    pub len: usize,
}

impl flowbb_bytes {
    /// Hands `bytes` over to the caller.
    pub(crate) fn from_vec(bytes: Vec<u8>) -> Self {
        if bytes.is_empty() {
            return flowbb_bytes {
                data: std::ptr::null_mut(),
                len: 0,
            };
        }
        let boxed = bytes.into_boxed_slice();
        let len = boxed.len();
        flowbb_bytes {
            data: Box::into_raw(boxed).cast::<u8>(),
            len,
        }
    }
}

/// Frees the bytes of a buffer filled by libflowbb and resets it to `{NULL,
/// 0}`, so freeing twice is harmless. Does nothing when `bytes` is NULL.
///
/// # Safety
/// `bytes` is NULL or points to a buffer filled by libflowbb (or set to
/// `{NULL, 0}`), whose fields the caller has not changed.
#[no_mangle]
pub unsafe extern "C" fn flowbb_bytes_free(bytes: *mut flowbb_bytes) {
    run_or((), || {
        let Some(b) = bytes.as_mut() else {
            return;
        };
        if !b.data.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(b.data, b.len);
            drop(Box::from_raw(slice));
        }
        b.data = std::ptr::null_mut();
        b.len = 0;
    })
}

//! The panic boundary and the argument checks shared by every entry point.
//!
//! An entry point returning a status runs its body through [`run`]: a Rust error becomes its
//! status plus an error object for the caller, and a panic becomes `FLOWBB_PANIC` instead of
//! unwinding into C (undefined behaviour) or aborting the host process. Entry points that
//! return a value instead of a status use [`run_or`] with the value to return on a panic.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::error::{flowbb_error, flowbb_status};

/// Why a call failed: the status returned to C and the message carried by the error object.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: flowbb_status,
    pub message: String,
}

impl Failure {
    pub fn new(status: flowbb_status, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// A required pointer argument was NULL.
    pub fn null(name: &str) -> Self {
        Failure::new(
            flowbb_status::FLOWBB_NULL_ARGUMENT,
            format!("argument `{name}` is NULL"),
        )
    }

    /// An argument is outside its documented range.
    pub fn invalid(message: impl Into<String>) -> Self {
        Failure::new(flowbb_status::FLOWBB_INVALID_ARGUMENT, message)
    }
}

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Self {
        Failure::new(flowbb_status::of_error(&e), e.to_string())
    }
}

/// Outcome of an entry point's body.
pub(crate) type Outcome<T = ()> = Result<T, Failure>;

/// Runs `body` behind the panic boundary and turns its outcome into a status, storing a new
/// error object in `*err` (when `err` is not NULL) if the call fails.
pub(crate) fn run(err: *mut *mut flowbb_error, body: impl FnOnce() -> Outcome) -> flowbb_status {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return flowbb_status::FLOWBB_OK,
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::new(
            flowbb_status::FLOWBB_PANIC,
            format!("internal error (panic): {}", panic_message(&*payload)),
        ),
    };
    let status = failure.status;
    if !err.is_null() {
        // SAFETY: the caller passes either NULL or a pointer to writable storage for one
        // `flowbb_error *`, as documented for every `err` parameter.
        unsafe { *err = flowbb_error::boxed(failure) };
    }
    status
}

/// Runs `body` behind the panic boundary for entry points that return a plain value; a panic
/// returns `on_panic`.
pub(crate) fn run_or<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "no message"
    }
}

/// Borrows a required input object.
///
/// # Safety
/// `p` is NULL or points to a live `T` that nothing mutates for `'a`.
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, name: &str) -> Outcome<&'a T> {
    p.as_ref().ok_or_else(|| Failure::null(name))
}

/// Borrows a required object for exclusive use.
///
/// # Safety
/// `p` is NULL or points to a live `T` that nothing else uses for `'a`.
pub(crate) unsafe fn arg_mut<'a, T>(p: *mut T, name: &str) -> Outcome<&'a mut T> {
    p.as_mut().ok_or_else(|| Failure::null(name))
}

/// Borrows `len` elements; `(NULL, 0)` is the empty slice.
///
/// # Safety
/// Unless `len` is 0, `p` is NULL or points to `len` initialised `T` that live for `'a`.
pub(crate) unsafe fn arg_slice<'a, T>(p: *const T, len: usize, name: &str) -> Outcome<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Failure::null(name));
    }
    Ok(std::slice::from_raw_parts(p, len))
}

/// Borrows a NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that lives for `'a`.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> Outcome<&'a str> {
    if p.is_null() {
        return Err(Failure::null(name));
    }
    CStr::from_ptr(p)
        .to_str()
        .map_err(|e| Failure::invalid(format!("argument `{name}` is not UTF-8: {e}")))
}

/// Checks that a required out-parameter is not NULL before any work is done, so that a call
/// never does expensive work whose result it cannot hand back.
pub(crate) fn out_arg<T>(p: *mut T, name: &str) -> Outcome<*mut T> {
    if p.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(p)
    }
}

/// Copies `data` into a caller-allocated buffer of `cap` bytes and stores `data.len()` in
/// `*needed`, also when the buffer is too small (the one out-parameter written on failure).
///
/// # Safety
/// `buf` is NULL or points to `cap` writable bytes; `needed` points to writable storage.
pub(crate) unsafe fn copy_out(
    data: &[u8],
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
    what: &str,
) -> Outcome {
    *needed = data.len();
    if data.len() > cap {
        return Err(Failure::new(
            flowbb_status::FLOWBB_BUFFER_TOO_SMALL,
            format!(
                "{what} needs a buffer of {} bytes, the one given holds {cap}",
                data.len()
            ),
        ));
    }
    if data.is_empty() {
        return Ok(());
    }
    if buf.is_null() {
        return Err(Failure::null("buf"));
    }
    std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
    Ok(())
}

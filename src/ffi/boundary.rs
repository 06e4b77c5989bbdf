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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::error::{flowbb_error_free, flowbb_error_message, flowbb_error_status};

    fn message(e: *const flowbb_error) -> String {
        // SAFETY: `e` is an error made by `run`.
        unsafe { CStr::from_ptr(flowbb_error_message(e)) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn panic_becomes_panic_status_with_its_message() {
        let mut err: *mut flowbb_error = std::ptr::null_mut();
        let status = run(&mut err, || panic!("layer 3 lost its weights"));
        assert_eq!(status, flowbb_status::FLOWBB_PANIC);
        // SAFETY: `err` was just filled by `run`.
        assert_eq!(
            unsafe { flowbb_error_status(err) },
            flowbb_status::FLOWBB_PANIC
        );
        assert!(
            message(err).contains("layer 3 lost its weights"),
            "{}",
            message(err)
        );
        // SAFETY: freed once.
        unsafe { flowbb_error_free(err) };
    }

    #[test]
    fn library_error_keeps_its_kind_and_message() {
        let mut err: *mut flowbb_error = std::ptr::null_mut();
        let status = run(&mut err, || {
            Err(crate::Error::corrupt("archive", "header checksum fails").into())
        });
        assert_eq!(status, flowbb_status::FLOWBB_CORRUPT);
        assert_eq!(message(err), "corrupt archive: header checksum fails");
        // SAFETY: freed once.
        unsafe { flowbb_error_free(err) };
    }

    #[test]
    fn success_leaves_the_error_untouched_and_null_err_is_allowed() {
        let mut err: *mut flowbb_error = std::ptr::null_mut();
        assert_eq!(run(&mut err, || Ok(())), flowbb_status::FLOWBB_OK);
        assert!(err.is_null());
        let status = run(std::ptr::null_mut(), || Err(Failure::null("model")));
        assert_eq!(status, flowbb_status::FLOWBB_NULL_ARGUMENT);
    }

    #[test]
    fn run_or_returns_the_fallback_on_panic() {
        assert_eq!(run_or(7, || panic!("boom")), 7);
        assert_eq!(run_or(7, || 3), 3);
    }

    #[test]
    fn message_with_nul_byte_is_kept_readable() {
        let mut err: *mut flowbb_error = std::ptr::null_mut();
        run(&mut err, || Err(Failure::invalid("file a\0b")));
        assert_eq!(message(err), "file a\u{fffd}b");
        // SAFETY: freed once.
        unsafe { flowbb_error_free(err) };
    }

    #[test]
    fn copy_out_reports_the_size_needed() {
        let mut buf = [0u8; 4];
        let mut needed = 0usize;
        // SAFETY: `buf` holds 4 writable bytes.
        let r = unsafe { copy_out(b"abcdef", buf.as_mut_ptr(), 4, &mut needed, "text") };
        let f = r.unwrap_err();
        assert_eq!(f.status, flowbb_status::FLOWBB_BUFFER_TOO_SMALL);
        assert_eq!(needed, 6);
        assert_eq!(buf, [0; 4]);
        // SAFETY: as above.
        unsafe { copy_out(b"abc", buf.as_mut_ptr(), 4, &mut needed, "text") }.unwrap();
        assert_eq!((needed, &buf[..3]), (3, &b"abc"[..]));
    }

    #[test]
    fn empty_slice_may_be_null_but_not_a_nonempty_one() {
        // SAFETY: NULL with length 0 is the documented empty slice.
        let s = unsafe { arg_slice::<u8>(std::ptr::null(), 0, "data") }.unwrap();
        assert!(s.is_empty());
        // SAFETY: NULL is checked before any read.
        let f = unsafe { arg_slice::<u8>(std::ptr::null(), 3, "data") }.unwrap_err();
        assert_eq!(f.status, flowbb_status::FLOWBB_NULL_ARGUMENT);
        assert!(f.message.contains("`data`"));
    }
}

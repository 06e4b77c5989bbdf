//! Library and ABI versions.

use std::ffi::c_char;

/// Version of the binary interface: incremented whenever a change breaks
/// programs built against an older header. It is the number in the shared
/// library's SONAME (`libflowbb.so.1`). Compare it with
/// `flowbb_abi_version()` at run time.
pub const FLOWBB_ABI_VERSION: u32 = 1;

/// The library version as NUL-terminated "MAJOR.MINOR.PATCH", a static
/// string (never NULL). It matches `FLOWBB_VERSION_STRING` of the header
/// the library was built with.
#[no_mangle]
pub extern "C" fn flowbb_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The binary interface version of the loaded library; a program built
/// against a header whose `FLOWBB_ABI_VERSION` differs must not use it.
#[no_mangle]
pub extern "C" fn flowbb_abi_version() -> u32 {
    FLOWBB_ABI_VERSION
}

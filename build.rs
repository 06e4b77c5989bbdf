//! Build script: when the `torch` feature is on, record libtorch's library folder as an rpath so
//! that binaries, tests and the shared library find libtorch without `LD_LIBRARY_PATH`.
//!
//! libtorch is located the same way `torch-sys` does it: `LIBTORCH` if set, otherwise the torch
//! package of the Python interpreter (`LIBTORCH_USE_PYTORCH=1`), preferring the project-local
//! virtual environment in `.venv`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_USE_PYTORCH");
    // The shared library's SONAME carries the C ABI version (src/ffi/version.rs), and it
    // exports only the `flowbb_*` entry points, none of the static archives linked into it.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libflowbb.so.1");
        println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
    }
    if std::env::var_os("CARGO_FEATURE_TORCH").is_none() {
        return;
    }
    if let Some(lib) = libtorch_lib_dir() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
        println!("cargo:rustc-env=FLOWBB_LIBTORCH_LIB={}", lib.display());
    }
}

fn libtorch_lib_dir() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("LIBTORCH") {
        return Some(PathBuf::from(root).join("lib"));
    }
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let venv_python = manifest.join(".venv/bin/python");
    let python = if venv_python.exists() {
        venv_python
    } else {
        PathBuf::from("python3")
    };
    let out = Command::new(python)
        .args([
            "-c",
            "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let line = text.lines().last()?.trim().to_string();
    (!line.is_empty()).then(|| PathBuf::from(line))
}

//! Writes the C header `include/flowbb.h` from the C ABI in `src/ffi/` with cbindgen.
//!
//! `cargo run --example gen_header` rewrites the header; `-- --check` only compares and
//! exits with status 1 when the committed header is stale.

use std::path::{Path, PathBuf};

/// Generates the header text: cbindgen's output for `src/ffi/` plus version macros taken
/// from `Cargo.toml`.
pub fn generate(root: &Path) -> String {
    let mut config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("reading cbindgen.toml: {e}"));
    let (major, minor, patch) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    );
    config.after_includes = Some(format!(
        "\n/* Version of the header; compare with flowbb_version() at run time. */\n\
         #define FLOWBB_VERSION_MAJOR {major}\n\
         #define FLOWBB_VERSION_MINOR {minor}\n\
         #define FLOWBB_VERSION_PATCH {patch}\n\
         #define FLOWBB_VERSION_STRING \"{major}.{minor}.{patch}\"\n\
         /* MAJOR * 10000 + MINOR * 100 + PATCH, for #if comparisons. */\n\
         #define FLOWBB_VERSION_NUMBER \\\n    \
         (FLOWBB_VERSION_MAJOR * 10000 + FLOWBB_VERSION_MINOR * 100 + \\\n     \
         FLOWBB_VERSION_PATCH)"
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen failed on src/ffi: {e}"));
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("cbindgen writes UTF-8")
}

/// Where the committed header lives.
pub fn header_path(root: &Path) -> PathBuf {
    root.join("include/flowbb.h")
}

#[allow(dead_code)]
fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = generate(root);
    let path = header_path(root);
    if std::env::args().any(|a| a == "--check") {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            eprintln!(
                "{} is stale: run `cargo run --example gen_header`",
                path.display()
            );
            std::process::exit(1);
        }
        return;
    }
    std::fs::create_dir_all(path.parent().expect("header has a folder"))
        .unwrap_or_else(|e| panic!("creating include/: {e}"));
    std::fs::write(&path, fresh).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    println!("wrote {}", path.display());
}

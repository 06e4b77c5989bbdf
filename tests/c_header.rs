//! The committed C header must be exactly what cbindgen generates from `src/ffi/`.

#[allow(dead_code)]
#[path = "../examples/gen_header.rs"]
mod gen_header;

use std::path::Path;

#[test]
fn committed_header_matches_fresh_generation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = gen_header::generate(root);
    let path = gen_header::header_path(root);
    let committed =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "{} differs from a fresh generation from line {} on: run \
             `cargo run --example gen_header` and commit the result",
            path.display(),
            line + 1
        );
    }
}

#[test]
fn header_version_macros_match_cargo_toml() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(gen_header::header_path(root)).expect("header");
    let value = |name: &str| -> String {
        let prefix = format!("#define {name} ");
        header
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{name} is not defined in the header"))
            .trim()
            .to_string()
    };
    assert_eq!(
        value("FLOWBB_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        value("FLOWBB_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        value("FLOWBB_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION_PATCH")
    );
    assert_eq!(
        value("FLOWBB_VERSION_STRING"),
        format!("\"{}\"", env!("CARGO_PKG_VERSION"))
    );
}

//! The command-line tool end to end with the built-in model: compress in one process, decode in
//! another with a different thread count, compare pixels; damaged archives give errors.
#![cfg(feature = "torch")]

use std::path::Path;
use std::process::Command;

fn flowbb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_flowbb"))
}

/// A 45x37 RGB image (two tiles wide, two high, with partial edge tiles) and a grayscale one.
fn write_images(dir: &Path) -> Vec<std::path::PathBuf> {
    let (w, h) = (45u32, 37u32);
    let rgb = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 5 + y) as u8, (y * 6) as u8, ((x * y) % 251) as u8])
    });
    let gray = image::GrayImage::from_fn(20, 33, |x, y| image::Luma([(x * 11 + y * 3) as u8]));
    let a = dir.join("a.png");
    let b = dir.join("b.png");
    rgb.save(&a).unwrap();
    gray.save(&b).unwrap();
    vec![a, b]
}

#[test]
fn decoding_in_another_process_with_another_thread_count_gives_the_same_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_images(dir.path());
    let archive = dir.path().join("x.fbb");
    let out = flowbb()
        .args(["--threads", "2", "compress"])
        .args(&inputs)
        .arg("-o")
        .arg(&archive)
        .args(["--batch-size", "3"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let decoded = dir.path().join("out");
    let out = flowbb()
        .args(["--threads", "1", "decompress"])
        .arg(&archive)
        .arg("-o")
        .arg(&decoded)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (i, input) in inputs.iter().enumerate() {
        let a = image::open(input).unwrap();
        let b = image::open(decoded.join(format!("{i:04}.png"))).unwrap();
        assert_eq!(a.color(), b.color());
        assert_eq!(a.as_bytes(), b.as_bytes(), "image {i} differs");
    }

    let info = flowbb()
        .arg("info")
        .arg(&archive)
        .arg("--json")
        .output()
        .unwrap();
    assert!(info.status.success());
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(v["images"].as_array().unwrap().len(), 2);
    assert_eq!(v["batch_size"], 3);
}

#[test]
fn damaged_archives_and_unsupported_images_are_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_images(dir.path());
    let archive = dir.path().join("x.fbb");
    let ok = flowbb()
        .arg("compress")
        .arg(&inputs[1])
        .arg("-o")
        .arg(&archive)
        .output()
        .unwrap();
    assert!(ok.status.success());
    let mut bytes = std::fs::read(&archive).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 4;
    let bad = dir.path().join("bad.fbb");
    std::fs::write(&bad, &bytes).unwrap();
    let out = flowbb()
        .arg("decompress")
        .arg(&bad)
        .arg("-o")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains("corrupt"), "{msg}");
    assert!(
        !dir.path().join("o").exists(),
        "no output for a damaged archive"
    );

    let rgba = dir.path().join("alpha.png");
    image::RgbaImage::from_pixel(4, 4, image::Rgba([1, 2, 3, 4]))
        .save(&rgba)
        .unwrap();
    let out = flowbb()
        .arg("compress")
        .arg(&rgba)
        .arg("-o")
        .arg(dir.path().join("y.fbb"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("alpha.png") && msg.contains("not supported"),
        "{msg}"
    );
    assert!(!dir.path().join("y.fbb").exists());
}

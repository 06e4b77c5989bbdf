//! Sizes of classical lossless codecs on the images of a data set, in bits per dimension, for
//! comparison with a model's bpd on the same images: PNG (written by the `image` crate at its
//! best compression, adaptive filters) and, when the `cwebp` tool is found, lossless WebP at
//! its strongest setting (`-lossless -z 9`). Each image is its own file, headers included.
//!
//! `cargo run --release --example classical_sizes -- data/test-downsampled32.fbd ...`
//! (`CWEBP=/path/to/cwebp` to pick the tool).

use std::path::{Path, PathBuf};
use std::process::Command;

use flowbb::data::Dataset;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::ImageEncoder;

fn png_bytes(img: &flowbb::Image) -> Vec<u8> {
    let mut out = Vec::new();
    let color = if img.channels == 1 {
        image::ExtendedColorType::L8
    } else {
        image::ExtendedColorType::Rgb8
    };
    PngEncoder::new_with_quality(&mut out, CompressionType::Best, FilterType::Adaptive)
        .write_image(&img.pixels, img.width, img.height, color)
        .expect("PNG encoding to memory");
    out
}

fn webp_len(cwebp: &Path, png: &[u8], dir: &Path) -> Option<u64> {
    let src = dir.join("in.png");
    let dst = dir.join("out.webp");
    std::fs::write(&src, png).ok()?;
    let ok = Command::new(cwebp)
        .args(["-quiet", "-lossless", "-z", "9"])
        .arg(&src)
        .arg("-o")
        .arg(&dst)
        .status()
        .ok()?
        .success();
    ok.then(|| std::fs::metadata(&dst).ok().map(|m| m.len()))?
}

fn main() {
    let sets: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if sets.is_empty() {
        eprintln!("usage: classical_sizes DATASET.fbd...");
        std::process::exit(2);
    }
    let cwebp = PathBuf::from(std::env::var("CWEBP").unwrap_or_else(|_| "cwebp".into()));
    let has_webp = Command::new(&cwebp).arg("-version").output().is_ok();
    let tmp = std::env::temp_dir().join(format!("flowbb-classical-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temporary folder");
    println!("| data set | images | PNG bpd | WebP lossless bpd |");
    println!("| --- | ---: | ---: | ---: |");
    for path in &sets {
        let set = Dataset::load(path).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1)
        });
        let dims = (set.len() * set.image_len()) as f64;
        let (mut png_total, mut webp_total) = (0u64, 0u64);
        for i in 0..set.len() {
            let png = png_bytes(&set.image(i));
            png_total += png.len() as u64;
            if has_webp {
                webp_total += webp_len(&cwebp, &png, &tmp).unwrap_or(0);
            }
        }
        let name = path.file_name().unwrap().to_string_lossy();
        let webp = if has_webp {
            format!("{:.4}", webp_total as f64 * 8.0 / dims)
        } else {
            "- (no cwebp)".to_string()
        };
        println!(
            "| {name} | {} | {:.4} | {webp} |",
            set.len(),
            png_total as f64 * 8.0 / dims
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
}

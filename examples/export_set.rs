//! Writes every image of a `.fbd` data set as its own file, for tools that read ordinary image
//! files (the classical codecs of `scripts/bench-codecs.sh`).
//!
//! ```text
//! cargo run --release --example export_set -- DATA.fbd OUT_DIR [LIMIT]
//! ```
//!
//! Each image `i` becomes `OUT_DIR/NNNN.png` and `OUT_DIR/NNNN.ppm` (or `.pgm` for grayscale
//! sets), NNNN being `i` zero-padded to four digits. With `LIMIT`, only the first `LIMIT` images are
//! written. Files that already hold the same bytes are left untouched, so a rerun is cheap.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use flowbb::data::{write_atomic, Dataset};
use flowbb::error::{Error, Result};
use flowbb::image::Image;

fn png_bytes(img: &Image) -> Result<Vec<u8>> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    let color = if img.channels == 1 {
        image::ExtendedColorType::L8
    } else {
        image::ExtendedColorType::Rgb8
    };
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&img.pixels, img.width, img.height, color)
        .map_err(|e| Error::invalid(format!("PNG encoding failed: {e}")))?;
    Ok(out)
}

fn pnm_bytes(img: &Image) -> Vec<u8> {
    let magic = if img.channels == 1 { "P5" } else { "P6" };
    let mut out = format!("{magic}\n{} {}\n255\n", img.width, img.height).into_bytes();
    out.extend_from_slice(&img.pixels);
    out
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    write_atomic(path, bytes)
}

fn run(args: &[String]) -> Result<usize> {
    if args.len() < 2 || args.len() > 3 {
        return Err(Error::invalid("usage: export_set DATA.fbd OUT_DIR [LIMIT]"));
    }
    let set = Dataset::load(Path::new(&args[0]))?;
    let out = PathBuf::from(&args[1]);
    let limit = match args.get(2) {
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| Error::invalid(format!("LIMIT must be a whole number, got {s:?}")))?,
        None => usize::MAX,
    };
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let n = set.len().min(limit);
    let ext = if set.channels == 1 { "pgm" } else { "ppm" };
    for i in 0..n {
        let img = set.image(i);
        write_if_changed(&out.join(format!("{i:04}.png")), &png_bytes(&img)?)?;
        write_if_changed(&out.join(format!("{i:04}.{ext}")), &pnm_bytes(&img))?;
    }
    Ok(n)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(n) => {
            println!("{n} images written to {}", args[1]);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("export_set: {e}");
            ExitCode::FAILURE
        }
    }
}

//! `flowbb compress`, `flowbb decompress` and `flowbb info`.

use std::path::{Path, PathBuf};

use clap::Args;
use flowbb::codec::{self, Coder, CoderOptions};
use flowbb::flow::FlowModel;
use flowbb::{Error, Image, Result};
use indicatif::{ProgressBar, ProgressStyle};
use tch::{Device, Kind};

/// Options shared by compress and decompress.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Model file (safetensors written by `flowbb export`); the embedded default model if absent.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Device for the networks: `cpu` or `cuda[:N]`.
    #[arg(long, default_value = "cpu")]
    device: String,
}

#[derive(Args)]
pub struct CompressArgs {
    /// Images to compress (PNG, PPM/PGM; 8-bit grayscale or RGB).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Archive to write.
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Noise scale sigma = 2^-N.
    #[arg(long, default_value_t = 14)]
    neg_log_sigma: i32,
    /// Bin width delta = 2^-N.
    #[arg(long, default_value_t = 32)]
    neg_log_delta: i32,
    /// Parallel rANS streams.
    #[arg(long, default_value_t = 16)]
    streams: usize,
    /// Tiles per network batch.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Start an independent chunk every N images (default: one bits-back chain).
    #[arg(long)]
    chunk_images: Option<usize>,
    /// Seed of the initial bits.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Use full batches from the first tile (faster, but borrows initial bits for a whole
    /// batch instead of about one tile).
    #[arg(long)]
    no_ramp: bool,
    /// Code with the black-box algorithm (whole-flow Jacobian per tile; slow, a baseline).
    #[arg(long, conflicts_with = "sub_flows")]
    black_box: bool,
    /// Code each coupling as its three sub-flows in turn, as the original implementation did
    /// (slower, slightly longer codes; for comparison).
    #[arg(long)]
    sub_flows: bool,
    /// Print the statistics as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DecompressArgs {
    /// Archive to read.
    archive: PathBuf,
    /// Folder for the decoded images (PNG, named 0000.png, 0001.png, ...).
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args)]
pub struct InfoArgs {
    /// Archive to describe.
    archive: PathBuf,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_device(s: &str) -> Result<Device> {
    match s {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Ok(Device::Cuda(0)),
        _ => s
            .strip_prefix("cuda:")
            .and_then(|n| n.parse().ok())
            .map(Device::Cuda)
            .ok_or_else(|| Error::invalid(format!("device '{s}': expected cpu, cuda or cuda:N"))),
    }
}

fn load_model(args: &ModelArgs) -> Result<(FlowModel, Device)> {
    let device = parse_device(&args.device)?;
    if let Device::Cuda(_) = device {
        if !tch::Cuda::is_available() {
            return Err(Error::invalid("--device cuda: no CUDA device is available"));
        }
    }
    let model = match &args.model {
        Some(p) => FlowModel::load(p, device, Kind::Float)?,
        None => {
            let mut m = FlowModel::default_model()?;
            m.set_device(device);
            m
        }
    };
    Ok((model, device))
}

/// Reads an image for coding: 8-bit grayscale or RGB only; anything else is refused by name
/// rather than converted with loss.
pub fn load_for_coding(path: &Path) -> Result<Image> {
    let name = path.display().to_string();
    let reader = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| Error::io(path, e))?;
    let decoded = reader.decode().map_err(|e| Error::Image {
        name: name.clone(),
        message: e.to_string(),
    })?;
    let (w, h) = (decoded.width(), decoded.height());
    let (channels, pixels) = match decoded {
        image::DynamicImage::ImageLuma8(b) => (1, b.into_raw()),
        image::DynamicImage::ImageRgb8(b) => (3, b.into_raw()),
        other => {
            return Err(Error::Image {
                name,
                message: format!(
                    "pixel format {:?} is not supported: libflowbb codes 8-bit grayscale or RGB \
                     without alpha",
                    other.color()
                ),
            })
        }
    };
    Image::new(w, h, channels, pixels).map_err(|e| Error::Image {
        name,
        message: e.to_string(),
    })
}

/// Writes an image as PNG.
pub fn save_png(img: &Image, path: &Path) -> Result<()> {
    let color = if img.channels == 1 {
        image::ExtendedColorType::L8
    } else {
        image::ExtendedColorType::Rgb8
    };
    image::save_buffer(path, &img.pixels, img.width, img.height, color).map_err(|e| Error::Image {
        name: path.display().to_string(),
        message: e.to_string(),
    })
}

fn bar(len: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{pos}}/{{len}} tiles, {{elapsed}} (eta {{eta}})"
        ))
        .expect("a valid template"),
    );
    pb
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, flushed, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    flowbb::data::write_atomic(path, bytes)
}

pub fn compress(a: CompressArgs) -> Result<()> {
    let images: Vec<Image> = a
        .images
        .iter()
        .map(|p| load_for_coding(p))
        .collect::<Result<_>>()?;
    let (model, device) = load_model(&a.model)?;
    let opts = CoderOptions {
        sigma_log2: -a.neg_log_sigma,
        delta_log2: -a.neg_log_delta,
        streams: a.streams,
        batch_size: a.batch_size,
        device,
        seed: a.seed,
        chunk_images: a.chunk_images,
        ramp: !a.no_ramp,
        net_threads: None,
        algorithm: if a.black_box {
            codec::Algorithm::BlackBox
        } else if a.sub_flows {
            codec::Algorithm::CompositionalSubflows
        } else {
            codec::Algorithm::Compositional
        },
    };
    let coder = Coder::new(model, opts)?;
    let pb = bar(0, "compress");
    let (bytes, stats) = coder.compress_with_progress(&images, &mut |done, total| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    })?;
    pb.finish_and_clear();
    write_atomic(&a.output, &bytes)?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "images": stats.images, "tiles": stats.tiles, "dims": stats.dims,
                "archive_bytes": stats.archive_bytes, "net_bpd": stats.bpd,
                "initial_bpd": stats.initial_bpd, "total_bpd": stats.total_bpd,
                "tile_net_bpd": stats.tile_bpd, "tile_bound_bpd": stats.sample_bound_bpd,
                "seconds": stats.seconds, "network_seconds": stats.network_seconds,
            })
        );
    } else {
        println!(
            "{}: {} images, {} bytes: {:.4} bpd in all ({:.4} net + {:.4} initial bits); \
             model bound at the coded noise {:.4} bpd (net over tiles {:.4}); {:.2} s",
            a.output.display(),
            stats.images,
            stats.archive_bytes,
            stats.total_bpd,
            stats.bpd,
            stats.initial_bpd,
            stats.sample_bound_bpd,
            stats.tile_bpd,
            stats.seconds
        );
    }
    Ok(())
}

pub fn decompress(a: DecompressArgs) -> Result<()> {
    let bytes = std::fs::read(&a.archive).map_err(|e| Error::io(&a.archive, e))?;
    let info = codec::info(&bytes)?;
    let (model, device) = load_model(&a.model)?;
    let coder = Coder::new(
        model,
        CoderOptions {
            device,
            algorithm: info.header.params.algorithm,
            ..Default::default()
        },
    )?;
    let pb = bar(0, "decompress");
    let images = coder.decompress_with_progress(&bytes, &mut |done, total| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    })?;
    pb.finish_and_clear();
    std::fs::create_dir_all(&a.output).map_err(|e| Error::io(&a.output, e))?;
    for (i, img) in images.iter().enumerate() {
        let path = a.output.join(format!("{i:04}.png"));
        let tmp = a.output.join(format!(".{i:04}.tmp.png"));
        save_png(img, &tmp)?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    }
    println!(
        "{}: {} images decoded into {} (CRC32 of every image checked)",
        a.archive.display(),
        info.header.images.len(),
        a.output.display()
    );
    Ok(())
}

pub fn info(a: InfoArgs) -> Result<()> {
    let bytes = std::fs::read(&a.archive).map_err(|e| Error::io(&a.archive, e))?;
    let i = codec::info(&bytes)?;
    let h = &i.header;
    let p = &h.params;
    if a.json {
        let images: Vec<_> = h
            .images
            .iter()
            .map(|e| serde_json::json!({"width": e.width, "height": e.height, "channels": e.channels, "crc32": e.crc32}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "bytes": i.archive_bytes, "bpd": i.total_bpd,
                "model_fingerprint": format!("{:016x}", h.model_fingerprint),
                "numerics_fingerprint": format!("{:016x}", h.numerics_fingerprint),
                "sigma_log2": p.sigma_log2, "delta_log2": p.delta_log2, "range_log2": p.range_log2,
                "streams": p.streams, "batch_size": p.batch_size, "seed": p.seed,
                "algorithm": format!("{:?}", p.algorithm), "ramp": p.ramp,
                "net_threads": p.net_threads,
                "tile": [h.tile.0, h.tile.1, h.tile.2], "chunk_tiles": h.chunk_tiles,
                "images": images,
            })
        );
    } else {
        println!(
            "archive     {} ({} bytes, {:.4} bpd)",
            a.archive.display(),
            i.archive_bytes,
            i.total_bpd
        );
        println!("model       {:016x}", h.model_fingerprint);
        println!("numerics    {:016x}", h.numerics_fingerprint);
        println!(
            "coder       {:?}, sigma 2^{}, delta 2^{}, grid +-2^{}, {} streams, batch {}{}, seed {}, \
             network on {} threads",
            p.algorithm,
            p.sigma_log2,
            p.delta_log2,
            p.range_log2,
            p.streams,
            p.batch_size,
            if p.ramp { " (ramp)" } else { "" },
            p.seed,
            p.net_threads
        );
        println!(
            "tiles       {}x{}x{}, chunks {:?}",
            h.tile.0, h.tile.1, h.tile.2, h.chunk_tiles
        );
        for (k, e) in h.images.iter().enumerate() {
            println!(
                "image {k:<5} {}x{}x{} crc32 {:08x}",
                e.width, e.height, e.channels, e.crc32
            );
        }
    }
    Ok(())
}

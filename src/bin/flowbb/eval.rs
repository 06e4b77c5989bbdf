//! `flowbb eval` and `flowbb sample`: bits per dimension of a model on data sets, and image
//! grids drawn from a model.

use std::path::{Path, PathBuf};

use clap::Args;
use flowbb::data::Dataset;
use flowbb::flow::FlowModel;
use flowbb::train::{evaluate_dataset, Trainer};
use flowbb::{Error, Image, Result};
use tch::{Device, Kind};

/// Where a model comes from: `default` (the model built into the library), a checkpoint
/// (`.fbck`, its EMA weights, or a run folder) or a safetensors model file.
pub fn load_model(spec: &str) -> Result<FlowModel> {
    if spec == "default" {
        return FlowModel::default_model();
    }
    let p = Path::new(spec);
    if p.is_dir() || p.extension().is_some_and(|e| e == "fbck") {
        let ckpt = if p.is_dir() {
            p.join("checkpoint.fbck")
        } else {
            p.to_path_buf()
        };
        return Trainer::load_checkpoint(&ckpt, Device::Cpu)?.export_model();
    }
    FlowModel::load(p, Device::Cpu, Kind::Float)
}

/// Arguments of `flowbb eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Model: `default`, a model file, a checkpoint or a run folder.
    #[arg(long, default_value = "default")]
    pub model: String,
    /// Data set files built by `flowbb data build` (images whose sides are multiples of the
    /// model's are evaluated tile by tile).
    #[arg(required = true)]
    pub data: Vec<PathBuf>,
    /// Also compute the importance-weighted bound with this many samples per image.
    #[arg(long)]
    pub iw_samples: Option<usize>,
    /// Evaluate at most this many images per set (0: all).
    #[arg(long, default_value_t = 0)]
    pub max_images: usize,
    /// Images (tiles) per batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Seed of the dequantization noise and of the image selection.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// libtorch CPU threads.
    #[arg(long)]
    pub threads: Option<i32>,
    /// Print one JSON object per set instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `flowbb eval`.
pub fn run(a: EvalArgs) -> Result<()> {
    if let Some(n) = a.threads {
        tch::set_num_threads(n);
    }
    let model = load_model(&a.model)?;
    if !a.json {
        println!("| data set | images | bpd (single sample) | bpd (importance-weighted) |");
        println!("| --- | ---: | ---: | ---: |");
    }
    for path in &a.data {
        let set = Dataset::load(path)?;
        let r = evaluate_dataset(&model, &set, a.batch, a.max_images, a.iw_samples, a.seed)?;
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if a.json {
            println!(
                "{}",
                serde_json::json!({
                    "data": name, "images": r.images, "bpd": r.bpd, "iw_bpd": r.iw_bpd,
                    "iw_samples": a.iw_samples, "model": a.model,
                })
            );
        } else {
            let iw = match (r.iw_bpd, a.iw_samples) {
                (Some(v), Some(s)) => format!("{v:.4} ({s} samples)"),
                _ => "-".to_string(),
            };
            println!("| {name} | {} | {:.4} | {iw} |", r.images, r.bpd);
        }
    }
    Ok(())
}

/// Arguments of `flowbb sample`.
#[derive(Args)]
pub struct SampleArgs {
    /// Model: `default`, a model file, a checkpoint or a run folder.
    #[arg(long, default_value = "default")]
    pub model: String,
    /// Output PNG file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Number of images.
    #[arg(short, default_value_t = 64)]
    pub n: i64,
    /// Images per row of the grid.
    #[arg(long, default_value_t = 8)]
    pub columns: i64,
    /// Standard deviation of the latent (1: the model's distribution; lower: smoother images).
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: i64,
}

/// Runs `flowbb sample`.
pub fn sample(a: SampleArgs) -> Result<()> {
    if a.columns < 1 {
        return Err(Error::invalid("--columns must be at least 1"));
    }
    let model = load_model(&a.model)?;
    tch::manual_seed(a.seed);
    let x = model.sample(a.n, a.temperature)?;
    let (n, c, h, w) = x.size4()?;
    let data = Vec::<u8>::try_from(x.contiguous().flatten(0, -1))?;
    let (cols, rows) = (a.columns.min(n), (n + a.columns - 1) / a.columns);
    let gap = 2;
    let (gw, gh) = (cols * (w + gap) + gap, rows * (h + gap) + gap);
    let mut grid = vec![255u8; (gw * gh * 3) as usize];
    for k in 0..n {
        let (ox, oy) = (gap + (k % cols) * (w + gap), gap + (k / cols) * (h + gap));
        for y in 0..h {
            for xx in 0..w {
                for ch in 0..3 {
                    let src_c = if c == 1 { 0 } else { ch };
                    let v = data[(((k * c + src_c) * h + y) * w + xx) as usize];
                    grid[(((oy + y) * gw + ox + xx) * 3 + ch) as usize] = v;
                }
            }
        }
    }
    let img = Image::new(gw as u32, gh as u32, 3, grid)?;
    image::save_buffer(
        &a.output,
        &img.pixels,
        img.width,
        img.height,
        image::ExtendedColorType::Rgb8,
    )
    .map_err(|e| Error::Image {
        name: a.output.display().to_string(),
        message: e.to_string(),
    })?;
    println!("{}: {n} samples at temperature {}", a.output.display(), a.temperature);
    Ok(())
}

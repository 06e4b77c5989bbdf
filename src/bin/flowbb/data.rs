//! `flowbb data ...`: building data sets.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use flowbb::data::{read_folder, split_by_source, BuildOptions, Kind};
use flowbb::Result;

/// Data set commands.
#[derive(Subcommand)]
pub enum DataCommand {
    /// Cut a folder of photographs (PNG, JPEG, PPM/PGM) into a data set file.
    Build(BuildArgs),
}

/// Arguments of `flowbb data build`.
#[derive(Args)]
pub struct BuildArgs {
    /// Folder of photographs.
    pub folder: PathBuf,
    /// Output data set file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// "patches" (grid patches) or "downsampled" (whole photographs, box-filtered).
    #[arg(long, default_value = "patches")]
    pub kind: Kind,
    /// Side of the square images.
    #[arg(long, default_value_t = 32)]
    pub size: u32,
    /// Channels: 3 (grayscale is replicated) or 1 (colour becomes luma).
    #[arg(long, default_value_t = 3)]
    pub channels: u8,
    /// Patches: shrink photographs so that their short side is near this first (0: keep them
    /// at their own resolution).
    #[arg(long, default_value_t = 256)]
    pub short_side: u32,
    /// Patches: at most this many per photograph and scale.
    #[arg(long, default_value_t = 200)]
    pub max_per_image: usize,
    /// Seed of the choice of patches and of the split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also split by source photograph: this fraction of the photographs goes to a second
    /// file, OUTPUT with `.test` before its extension.
    #[arg(long)]
    pub split_test_fraction: Option<f64>,
}

/// Runs a data subcommand.
pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Build(a) => build(a),
    }
}

fn build(a: BuildArgs) -> Result<()> {
    let photos = read_folder(&a.folder)?;
    let opts = BuildOptions {
        kind: a.kind,
        size: a.size,
        channels: a.channels,
        short_side: a.short_side,
        max_per_image: a.max_per_image,
        seed: a.seed,
    };
    let set = opts.build(&photos)?;
    match a.split_test_fraction {
        None => {
            set.save(&a.output)?;
            println!(
                "{}: {} images of {}x{}x{} from {} photographs",
                a.output.display(),
                set.len(),
                set.height,
                set.width,
                set.channels,
                photos.len()
            );
        }
        Some(f) => {
            let (train, test) = split_by_source(&set, f, a.seed)?;
            let test_path = a.output.with_extension(format!(
                "test.{}",
                a.output.extension().and_then(|e| e.to_str()).unwrap_or("fbd")
            ));
            train.save(&a.output)?;
            test.save(&test_path)?;
            println!(
                "{}: {} images; {}: {} images",
                a.output.display(),
                train.len(),
                test_path.display(),
                test.len()
            );
        }
    }
    Ok(())
}

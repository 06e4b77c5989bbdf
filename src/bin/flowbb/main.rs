//! `flowbb`: the command-line tool of libflowbb. Each subcommand lives in its own module; this
//! file only parses the command line and dispatches.

use clap::{Parser, Subcommand};

mod codec;
mod data;
mod eval;
mod train;

/// Lossless image compression with Flow++ and local bits-back coding.
#[derive(Parser)]
#[command(name = "flowbb", version, about)]
struct Cli {
    /// CPU threads for libtorch and for the coder (default: libtorch's choice).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build data sets from folders of photographs.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Compress images into a `.fbb` archive.
    Compress(codec::CompressArgs),
    /// Decompress a `.fbb` archive into PNG files.
    Decompress(codec::DecompressArgs),
    /// Describe a `.fbb` archive without decoding it.
    Info(codec::InfoArgs),
    /// Train a model, resuming from the run folder's checkpoint when there is one.
    Train(Box<train::TrainArgs>),
    /// Write the averaged (EMA) weights of a checkpoint as a model file.
    Export(train::ExportArgs),
    /// Bits per dimension of a model on data sets (single-sample and importance-weighted).
    Eval(eval::EvalArgs),
    /// Draw images from a model into a PNG grid.
    Sample(eval::SampleArgs),
}

fn main() {
    // Idle OpenMP threads must not spin while the coder works (see `flowbb::runtime`); OpenMP
    // only reads this setting at start-up, hence the restart.
    #[cfg(unix)]
    flowbb::runtime::passive_omp_reexec();
    flowbb::runtime::tune_allocator();
    // Like other command-line tools, stop quietly when the reader of our output goes away
    // (`flowbb info x.fbb | head`) instead of panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        let n = n.max(1);
        tch::set_num_threads(n as i32);
        // The coder's own parallel loops; its results do not depend on the thread count.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let result = match cli.command {
        Command::Compress(a) => codec::compress(a),
        Command::Decompress(a) => codec::decompress(a),
        Command::Info(a) => codec::info(a),
        Command::Data(c) => data::run(c),
        Command::Train(a) => train::run(*a),
        Command::Export(a) => train::export(a),
        Command::Eval(a) => eval::run(a),
        Command::Sample(a) => eval::sample(a),
    };
    if let Err(e) = result {
        eprintln!("flowbb: {e}");
        std::process::exit(1);
    }
}

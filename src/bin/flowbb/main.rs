//! `flowbb`: the command-line tool of libflowbb. Each subcommand lives in its own module; this
//! file only parses the command line and dispatches.

use clap::{Parser, Subcommand};

mod data;

/// Lossless image compression with Flow++ and local bits-back coding.
#[derive(Parser)]
#[command(name = "flowbb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build data sets from folders of photographs.
    #[command(subcommand)]
    Data(data::DataCommand),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(c) => data::run(c),
    };
    if let Err(e) = result {
        eprintln!("flowbb: {e}");
        std::process::exit(1);
    }
}

//! Training throughput on the CPU: images per second and peak resident memory for the default
//! model's configuration and the paper's `cifar` configuration, a few steps each.
//!
//! `cargo bench --bench train` (set FLOWBB_BENCH_THREADS to fix libtorch's thread count). Each
//! configuration runs in its own child process so that its peak memory (VmHWM) is its own.

use std::process::Command;
use std::time::Instant;

use flowbb::flow::{FlowConfig, FlowModel};
use flowbb::train::{TrainConfig, Trainer};
use flowbb::Image;
use tch::{Device, Kind};

/// (name, configuration, batch size, timed steps)
fn cases() -> Vec<(&'static str, FlowConfig, usize, u64)> {
    let default_json = include_str!("../models/default-config.json");
    vec![
        (
            "default",
            FlowConfig::from_json(default_json).unwrap(),
            32,
            4,
        ),
        ("cifar", FlowConfig::cifar(), 8, 2),
    ]
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn synthetic(n: usize) -> Vec<Image> {
    (0..n)
        .map(|k| {
            let px = (0..32 * 32 * 3)
                .map(|i| ((i * 7 + k * 13 + (i / 96) * 3) % 256) as u8)
                .collect();
            Image::new(32, 32, 3, px).unwrap()
        })
        .collect()
}

fn run_one(name: &str) {
    if let Ok(t) = std::env::var("FLOWBB_BENCH_THREADS") {
        tch::set_num_threads(t.parse().expect("FLOWBB_BENCH_THREADS is a number"));
    }
    let (_, config, batch, steps) = cases().into_iter().find(|c| c.0 == name).unwrap();
    tch::manual_seed(0);
    let model = FlowModel::new(&config, Device::Cpu, Kind::Float).unwrap();
    let params = model.num_parameters();
    let tc = TrainConfig {
        batch_size: batch,
        init_batch: batch,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(tc, model).unwrap();
    t.add_images(&synthetic(4 * batch)).unwrap();
    t.step(1, |_| true).unwrap(); // initialisation and a warm-up step
    let start = Instant::now();
    t.step(steps, |_| true).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "| {name} | {params} | {batch} | {steps} | {:.2} | {:.0} |",
        (steps as usize * batch) as f64 / secs,
        peak_rss_mib()
    );
}

fn main() {
    // As the `flowbb` tool does: large blocks stay in the heap between batches.
    flowbb::runtime::tune_allocator();
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        run_one(&args[i + 1]);
        return;
    }
    println!(
        "CPU training, {} libtorch threads",
        std::env::var("FLOWBB_BENCH_THREADS")
            .unwrap_or_else(|_| tch::get_num_threads().to_string())
    );
    println!("| configuration | parameters | batch | steps | images/s | peak RSS (MiB) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let exe = std::env::current_exe().unwrap();
    for (name, ..) in cases() {
        let out = Command::new(&exe).args(["--one", name]).output().unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            eprintln!("{name}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

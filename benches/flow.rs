//! Throughput of the Flow++ model on the CPU: images per second of the main flow forward
//! (`x + u -> z`), its inverse (`z -> x + u`) and the single-sample bound (dequantizer plus
//! main flow), for each configuration at batch 1 and 64.
//!
//! `cargo bench --bench flow` runs everything; `cargo bench --bench flow -- small tiny` only the
//! named configurations. Set `FLOWBB_BENCH_THREADS` to fix the number of libtorch threads and
//! `FLOWBB_BENCH_BATCHES` (e.g. `1,8`) to choose the batch sizes.

use std::time::Instant;

use flowbb::flow::{FlowConfig, FlowModel};
use tch::{Device, Kind, Tensor};

fn time_per_call(reps: usize, mut f: impl FnMut()) -> f64 {
    if reps > 1 {
        f(); // warm-up
    }
    let start = Instant::now();
    for _ in 0..reps {
        f();
    }
    start.elapsed().as_secs_f64() / reps as f64
}

fn main() {
    // As the `flowbb` tool does: large blocks stay in the heap between batches.
    flowbb::runtime::tune_allocator();
    if let Some(n) = std::env::var("FLOWBB_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        tch::set_num_threads(n);
    }
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let batches: Vec<i64> = std::env::var("FLOWBB_BENCH_BATCHES")
        .ok()
        .map(|s| s.split(',').filter_map(|b| b.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 64]);
    let configs = [
        (FlowConfig::cifar(), 1usize),
        (FlowConfig::small(), 3),
        (FlowConfig::tiny(3, 32, 32), 5),
        (FlowConfig::tiny(3, 8, 8), 5),
    ];
    println!("threads: {}", tch::get_num_threads());
    println!(
        "{:<12} {:>12} {:>6} {:>14} {:>14} {:>14}",
        "config", "parameters", "batch", "forward img/s", "inverse img/s", "bound img/s"
    );
    for (config, reps) in configs {
        if !wanted.is_empty() && !wanted.contains(&config.name) {
            continue;
        }
        tch::manual_seed(0);
        let model = FlowModel::new(&config, Device::Cpu, Kind::Float).expect("model");
        let shape = [8, config.channels, config.height, config.width];
        let init = Tensor::randint(256, shape, (Kind::Int64, Device::Cpu));
        model.data_dependent_init(&init).expect("init");
        for &batch in &batches {
            let reps = if batch >= 64 && config.name == "cifar" {
                1
            } else {
                reps
            };
            let shape = [batch, config.channels, config.height, config.width];
            let x = Tensor::randint(256, shape, (Kind::Int64, Device::Cpu));
            let y = x.to_kind(Kind::Float) + 0.5;
            let (z, _) = tch::no_grad(|| model.forward(&y, false)).expect("forward");
            let fwd = time_per_call(reps, || {
                let _ = tch::no_grad(|| model.forward(&y, false)).expect("forward");
            });
            let inv = time_per_call(reps, || {
                let _ = model.inverse(&z).expect("inverse");
            });
            let bound = time_per_call(reps, || {
                let _ = model.bpd(&x).expect("bpd");
            });
            let b = batch as f64;
            println!(
                "{:<12} {:>12} {:>6} {:>14.2} {:>14.2} {:>14.2}",
                format!("{} {}x{}", config.name, config.height, config.width),
                model.num_parameters(),
                batch,
                b / fwd,
                b / inv,
                b / bound
            );
        }
    }
}

//! Prints the codec's tables on real test images with a model (the embedded default unless
//! `--model` is given), and writes them as JSON for the plots in `docs/`:
//!
//! - codelengths (the analogue of the paper's Table 3.3): net codelength against the model's
//!   single-sample bound on the same images, initial bits, totals for archives of 1, 10 and all;
//! - speed (Tables 3.4 and 3.5): encode and decode seconds per image at batch 1 and 64 for the
//!   compositional coder, the black box, and the network alone;
//! - the delta / sigma sweep (Fig. 3.6): codelength and initial bits per setting.
//!
//! ```text
//! cargo run --release --example codec_tables -- data/test-downsampled32.fbd [--model M] [--quick]
//!     [--no-black-box] [--black-box-tiny] [--json OUT] [--only codelength|speed|sweep]
//!     [--algorithm subflows|fused]
//! ```
//!
//! `--only` prints one section and writes no JSON.

use std::time::Instant;

use flowbb::codec::{Algorithm, Coder, CoderOptions};
use flowbb::data::Dataset;
use flowbb::flow::FlowModel;
use flowbb::Image;
use tch::{Device, Kind, Tensor};

fn to_tensor(images: &[Image]) -> Tensor {
    let (w, h, c) = (
        images[0].width as usize,
        images[0].height as usize,
        images[0].channels as usize,
    );
    let mut flat = Vec::with_capacity(images.len() * w * h * c);
    for im in images {
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    flat.push(im.pixels[(y * w + x) * c + ch]);
                }
            }
        }
    }
    Tensor::from_slice(&flat).reshape([images.len() as i64, c as i64, h as i64, w as i64])
}

/// The model's average single-sample bound (bpd) over `images`, averaged over `repeats` noise
/// draws.
fn model_bound(model: &FlowModel, images: &[Image], repeats: usize) -> f64 {
    let x = to_tensor(images);
    let n = x.size()[0];
    let mut acc = 0.0;
    for r in 0..repeats {
        tch::manual_seed(1000 + r as i64);
        let mut sum = 0.0;
        for chunk in 0..(n + 63) / 64 {
            let xb = x.narrow(0, chunk * 64, 64.min(n - chunk * 64));
            sum += model.bpd(&xb).unwrap().sum(Kind::Double).double_value(&[]);
        }
        acc += sum / images.len() as f64;
    }
    acc / repeats as f64
}

fn coder(model: &FlowModel, opts: CoderOptions) -> Coder {
    let bytes = model.to_bytes().unwrap();
    Coder::new(
        FlowModel::from_bytes(&bytes, Device::Cpu, Kind::Float).unwrap(),
        opts,
    )
    .unwrap()
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    // As the `flowbb` tool does (see `flowbb::runtime`).
    #[cfg(unix)]
    flowbb::runtime::passive_omp_reexec();
    flowbb::runtime::tune_allocator();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "data/test-downsampled32.fbd".into());
    let quick = args.iter().any(|a| a == "--quick");
    let out_json = arg(&args, "--json").unwrap_or_else(|| "docs/results/codec.json".into());
    let model = match arg(&args, "--model") {
        Some(p) => FlowModel::load(p, Device::Cpu, Kind::Float).unwrap(),
        None => FlowModel::default_model().unwrap(),
    };
    let ds = Dataset::load(std::path::Path::new(&data)).unwrap_or_else(|e| {
        eprintln!("{e}\nbuild the test sets first: scripts/fetch-data.sh");
        std::process::exit(2)
    });
    let mut images: Vec<Image> = (0..ds.len()).map(|i| ds.image(i)).collect();
    if quick {
        images.truncate(64);
    }
    println!(
        "model {} ({} parameters), data {} ({} images of {}x{}x{}), {} threads\n",
        model.config().name,
        model.num_parameters(),
        data,
        images.len(),
        images[0].width,
        images[0].height,
        images[0].channels,
        tch::get_num_threads()
    );
    // The algorithm of the codelength table and the sweep (default: the library's default).
    let base = CoderOptions {
        algorithm: match arg(&args, "--algorithm").as_deref() {
            None => CoderOptions::default().algorithm,
            Some("fused") => Algorithm::Compositional,
            Some("subflows") => Algorithm::CompositionalSubflows,
            Some(other) => panic!("--algorithm {other}: expected subflows or fused"),
        },
        ..Default::default()
    };
    let only = arg(&args, "--only");
    let want = |section: &str| only.as_deref().is_none_or(|o| o == section);
    let mut json = serde_json::Map::new();

    if want("codelength") {
        // ---- Table 3.3 analogue ----------------------------------------------------------------
        println!("## Codelengths (bits per dimension), sigma 2^-14, delta 2^-32, 16 streams\n");
        println!("| images | model bound | net codelength | net - bound | bound at coded noise | initial bits | total (net + initial) | archive |");
        println!("|---|---|---|---|---|---|---|---|");
        let mut rows = Vec::new();
        for n in [1usize, 10, images.len()] {
            let subset = &images[..n.min(images.len())];
            let c = coder(&model, base.clone());
            let (bytes, s) = c.compress(subset).unwrap();
            assert_eq!(c.decompress(&bytes).unwrap(), subset, "round trip failed");
            let bound = model_bound(&model, subset, if n == 1 { 64 } else { 8 });
            println!(
                "| {} | {:.4} | {:.4} | {:+.4} | {:.4} | {:.4} | {:.4} | {:.4} |",
                subset.len(),
                bound,
                s.bpd,
                s.bpd - bound,
                s.sample_bound_bpd,
                s.initial_bpd,
                s.bpd + s.initial_bpd,
                s.total_bpd
            );
            rows.push(serde_json::json!({
                "images": subset.len(), "model_bound_bpd": bound, "net_bpd": s.bpd,
                "bound_at_coded_noise_bpd": s.sample_bound_bpd,
                "initial_bpd": s.initial_bpd, "total_bpd": s.total_bpd,
            }));
        }
        json.insert("codelengths".into(), rows.into());
        println!(
            "\nmodel bound: average single-sample bound over fresh noise draws (8 per image, 64 for \
             one image); bound at coded noise: the same bound at the noise the coder drew\n"
        );
    }

    if want("speed") {
        // ---- Tables 3.4 / 3.5 analogue ----------------------------------------------------------
        println!("## Seconds per image, CPU\n");
        println!("| algorithm | batch | encode s/image | decode s/image | encode / network | decode / encode |");
        println!("|---|---|---|---|---|---|");
        let mut speed = Vec::new();
        let mut network_at = std::collections::HashMap::new();
        for batch in [1usize, 64] {
            let n = if batch == 1 {
                16
            } else if quick {
                64
            } else {
                128
            };
            let subset = &images[..n.min(images.len())];
            // Network alone: dequantizer and main flow forward, the passes encoding needs.
            let x = to_tensor(subset);
            let total = x.size()[0];
            let t = Instant::now();
            tch::no_grad(|| {
                for chunk in 0..(total + batch as i64 - 1) / batch as i64 {
                    let len = (batch as i64).min(total - chunk * batch as i64);
                    let xb = x.narrow(0, chunk * batch as i64, len);
                    let (y, _) = model.dequantize(&xb, false).unwrap();
                    let _ = model.forward(&y, false).unwrap();
                }
            });
            let net = t.elapsed().as_secs_f64() / subset.len() as f64;
            network_at.insert(batch, net);
            println!("| network alone | {batch} | {net:.4} | | 1.00 | |");
            for (name, algorithm) in [
                ("compositional", Algorithm::Compositional),
                ("compositional, sub-flows", Algorithm::CompositionalSubflows),
            ] {
                let c = coder(
                    &model,
                    CoderOptions {
                        batch_size: batch,
                        // The same batches as the network alone: no ramp of small first batches.
                        ramp: false,
                        algorithm,
                        ..Default::default()
                    },
                );
                let t = Instant::now();
                let (bytes, stats) = c.compress(subset).unwrap();
                let enc = t.elapsed().as_secs_f64() / subset.len() as f64;
                let t = Instant::now();
                let back = c.decompress(&bytes).unwrap();
                let dec = t.elapsed().as_secs_f64() / subset.len() as f64;
                assert_eq!(back, subset);
                let nets = stats.network_seconds / subset.len() as f64;
                println!(
                    "| {name} | {batch} | {enc:.4} | {dec:.4} | {:.2} | {:.2} |",
                    enc / net,
                    dec / enc
                );
                println!(
                    "|  of which networks | {batch} | {nets:.4} | | {:.2} | |",
                    nets / net
                );
                speed.push(serde_json::json!({"algorithm": name, "batch": batch, "encode_s": enc, "decode_s": dec, "network_s": nets}));
            }
            speed
                .push(serde_json::json!({"algorithm": "network", "batch": batch, "encode_s": net}));
        }
        if !args.iter().any(|a| a == "--no-black-box") {
            let subset = &images[..1];
            let c = coder(
                &model,
                CoderOptions {
                    algorithm: Algorithm::BlackBox,
                    ..Default::default()
                },
            );
            let t = Instant::now();
            let (bytes, s) = c.compress(subset).unwrap();
            let enc = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let back = c.decompress(&bytes).unwrap();
            let dec = t.elapsed().as_secs_f64();
            assert_eq!(back, subset);
            println!(
                "| black box | 1 | {enc:.2} | {dec:.2} | {:.0} | {:.2} |",
                enc / network_at[&1],
                dec / enc
            );
            println!(
                "\nblack box on one image: net {:.4} bpd against the bound at its noise {:.4}",
                s.bpd, s.sample_bound_bpd
            );
            speed.push(serde_json::json!({"algorithm": "black box", "batch": 1, "encode_s": enc, "decode_s": dec, "net_bpd": s.bpd}));
        }
        // The black box on a size where it fits: a tiny untrained model on 8x8 crops, timed next to
        // the compositional coder and the network alone on the same model and crops.
        if args.iter().any(|a| a == "--black-box-tiny") {
            let cfg = flowbb::flow::FlowConfig::tiny(3, 8, 8);
            tch::manual_seed(0);
            let tiny = FlowModel::new(&cfg, Device::Cpu, Kind::Float).unwrap();
            let crops: Vec<Image> = images
                .iter()
                .take(8)
                .map(|im| {
                    let w = im.width as usize;
                    let mut px = Vec::with_capacity(8 * 8 * 3);
                    for y in 0..8 {
                        px.extend_from_slice(&im.pixels[(y * w) * 3..(y * w + 8) * 3]);
                    }
                    Image::new(8, 8, 3, px).unwrap()
                })
                .collect();
            let x = to_tensor(&crops);
            let t = Instant::now();
            tch::no_grad(|| {
                for i in 0..crops.len() as i64 {
                    let (y, _) = tiny.dequantize(&x.narrow(0, i, 1), false).unwrap();
                    let _ = tiny.forward(&y, false).unwrap();
                }
            });
            let net = t.elapsed().as_secs_f64() / crops.len() as f64;
            println!(
                "\n### Black box against the compositional coder: tiny untrained model ({} parameters), \
                 {} crops of 8x8, batch 1\n",
                tiny.num_parameters(),
                crops.len()
            );
            println!("| algorithm | encode s/image | decode s/image | encode / network | net bpd | bound at coded noise |");
            println!("|---|---|---|---|---|---|");
            println!("| network alone | {net:.4} | | 1.00 | | |");
            for algorithm in [Algorithm::Compositional, Algorithm::BlackBox] {
                let c = coder(
                    &tiny,
                    CoderOptions {
                        algorithm,
                        batch_size: 1,
                        ..Default::default()
                    },
                );
                let t = Instant::now();
                let (bytes, s) = c.compress(&crops).unwrap();
                let enc = t.elapsed().as_secs_f64() / crops.len() as f64;
                let t = Instant::now();
                assert_eq!(c.decompress(&bytes).unwrap(), crops);
                let dec = t.elapsed().as_secs_f64() / crops.len() as f64;
                println!(
                    "| {:?} | {enc:.4} | {dec:.4} | {:.1} | {:.4} | {:.4} |",
                    algorithm,
                    enc / net,
                    s.bpd,
                    s.sample_bound_bpd
                );
                speed.push(serde_json::json!({"algorithm": format!("{algorithm:?} (tiny 8x8)"), "batch": 1, "encode_s": enc, "decode_s": dec, "network_s": net, "net_bpd": s.bpd}));
            }
        }
        json.insert("speed".into(), speed.into());
    }

    if want("sweep") {
        // ---- Fig. 3.6 analogue ---------------------------------------------------------------------
        let n_sweep = if quick { 8 } else { 32 };
        println!("\n## Sweep over delta and sigma ({n_sweep} images)\n");
        println!("| delta | sigma | net bpd | initial bpd |");
        println!("|---|---|---|---|");
        let subset = &images[..n_sweep.min(images.len())];
        let mut sweep = Vec::new();
        for delta_log2 in [-32, -28, -24, -20, -16] {
            for sigma_log2 in [-4, -6, -8, -10, -12, -14, -16, -18, -20] {
                if sigma_log2 <= delta_log2 + 2 {
                    continue;
                }
                let c = coder(
                    &model,
                    CoderOptions {
                        delta_log2,
                        sigma_log2,
                        ..base.clone()
                    },
                );
                let (_, s) = c.compress(subset).unwrap();
                println!(
                    "| 2^{delta_log2} | 2^{sigma_log2} | {:.4} | {:.3} |",
                    s.bpd, s.initial_bpd
                );
                sweep.push(serde_json::json!({"delta_log2": delta_log2, "sigma_log2": sigma_log2, "net_bpd": s.bpd, "initial_bpd": s.initial_bpd}));
            }
        }
        json.insert("sweep".into(), sweep.into());
    }
    if only.is_some() {
        return;
    }
    json.insert(
        "model".into(),
        serde_json::json!({"name": model.config().name, "parameters": model.num_parameters(), "data": data, "images": images.len()}),
    );
    if let Some(dir) = std::path::Path::new(&out_json).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let text = serde_json::to_string_pretty(&serde_json::Value::Object(json)).unwrap();
    std::fs::write(&out_json, text).unwrap();
    println!("\nwrote {out_json}");
}

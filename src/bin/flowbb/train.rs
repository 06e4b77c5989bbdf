//! `flowbb train` and `flowbb export`: training a model, with checkpoints, a metrics log and a
//! progress bar; exporting a checkpoint's averaged weights.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use flowbb::data::Dataset;
use flowbb::flow::{DequantConfig, FlowConfig, FlowModel};
use flowbb::train::{TrainConfig, Trainer};
use flowbb::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use tch::{Device, Kind};

/// Arguments of `flowbb train`.
#[derive(Args)]
pub struct TrainArgs {
    /// Run folder: holds `checkpoint.fbck`, `metrics.jsonl` and `model.safetensors`. Training
    /// resumes from the checkpoint there when one exists.
    #[arg(long)]
    pub run: PathBuf,
    /// Model configuration: a preset name (small, tiny, cifar, ...) or a JSON file. Ignored when
    /// resuming.
    #[arg(long, default_value = "small")]
    pub config: String,
    /// Override the coupling filters of the main flow.
    #[arg(long)]
    pub filters: Option<i64>,
    /// Override the gated blocks per coupling of the main flow.
    #[arg(long)]
    pub blocks: Option<usize>,
    /// Override the mixture components per coupling of the main flow.
    #[arg(long)]
    pub components: Option<i64>,
    /// Override the dropout of every coupling.
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Use uniform instead of variational dequantization.
    #[arg(long)]
    pub uniform_dequant: bool,
    /// Training data set file(s) built by `flowbb data build`.
    #[arg(long = "train", required = true)]
    pub train_sets: Vec<PathBuf>,
    /// Test data set file(s) for the periodic evaluation.
    #[arg(long = "test")]
    pub test_sets: Vec<PathBuf>,
    /// Stop when this many steps are done in total (0: train until interrupted).
    #[arg(long, default_value_t = 0)]
    pub steps: u64,
    /// Images per step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Learning rate after the warm-up.
    #[arg(long, default_value_t = 3e-4)]
    pub lr: f64,
    /// Warm-up steps.
    #[arg(long, default_value_t = 2000)]
    pub warmup: u64,
    /// EMA decay of the weights.
    #[arg(long, default_value_t = 0.999)]
    pub ema_decay: f64,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// libtorch CPU threads (default: libtorch's choice).
    #[arg(long)]
    pub threads: Option<i32>,
    /// Write a metrics line every this many steps.
    #[arg(long, default_value_t = 20)]
    pub log_every: u64,
    /// Evaluate on the test sets every this many steps (0: never during training).
    #[arg(long, default_value_t = 500)]
    pub eval_every: u64,
    /// Evaluate on at most this many test images (0: all).
    #[arg(long, default_value_t = 512)]
    pub eval_max_images: usize,
    /// Write a checkpoint every this many minutes.
    #[arg(long, default_value_t = 5.0)]
    pub checkpoint_minutes: f64,
    /// Run on the first CUDA device when one is available.
    #[arg(long)]
    pub cuda: bool,
}

/// Arguments of `flowbb export`.
#[derive(Args)]
pub struct ExportArgs {
    /// Checkpoint file, or a run folder holding `checkpoint.fbck`.
    pub checkpoint: PathBuf,
    /// Output safetensors file (the EMA weights with the configuration in its metadata).
    #[arg(short, long)]
    pub output: PathBuf,
}

fn checkpoint_path(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join("checkpoint.fbck")
    } else {
        p.to_path_buf()
    }
}

fn model_config(a: &TrainArgs) -> Result<FlowConfig> {
    let mut c = if a.config.ends_with(".json") {
        let text = std::fs::read_to_string(&a.config).map_err(|e| Error::io(&a.config, e))?;
        FlowConfig::from_json(&text)?
    } else {
        FlowConfig::preset(&a.config)?
    };
    if let Some(f) = a.filters {
        c.coupling.filters = f;
    }
    if let Some(b) = a.blocks {
        c.coupling.blocks = b;
    }
    if let Some(k) = a.components {
        c.coupling.components = k;
    }
    if let Some(d) = a.dropout {
        c.coupling.dropout = d;
        if let DequantConfig::Variational { coupling, .. } = &mut c.dequant {
            coupling.dropout = d;
        }
    }
    if a.uniform_dequant {
        c.dequant = DequantConfig::Uniform;
    }
    c.validate()?;
    Ok(c)
}

/// Appends one JSON line to the metrics log.
fn log_line(path: &Path, value: serde_json::Value) -> Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    writeln!(f, "{value}").map_err(|e| Error::io(path, e))
}

/// Runs `flowbb train`.
pub fn run(a: TrainArgs) -> Result<()> {
    if let Some(n) = a.threads {
        tch::set_num_threads(n);
    }
    let device = if a.cuda && tch::Cuda::is_available() {
        Device::Cuda(0)
    } else {
        Device::Cpu
    };
    std::fs::create_dir_all(&a.run).map_err(|e| Error::io(&a.run, e))?;
    let ckpt = a.run.join("checkpoint.fbck");
    let metrics = a.run.join("metrics.jsonl");
    let tc = TrainConfig {
        batch_size: a.batch_size,
        learning_rate: a.lr,
        warmup_steps: a.warmup,
        ema_decay: a.ema_decay,
        seed: a.seed,
        eval_max_images: a.eval_max_images,
        ..TrainConfig::default()
    };
    let mut trainer = if ckpt.exists() {
        let mut t = Trainer::load_checkpoint(&ckpt, device)?;
        let mut c = tc.clone();
        c.seed = t.config().seed;
        c.batch_size = t.config().batch_size;
        t.set_config(c)?;
        eprintln!("resuming {} at step {}", ckpt.display(), t.steps_done());
        t
    } else {
        let config = model_config(&a)?;
        tch::manual_seed(a.seed as i64);
        let model = FlowModel::new(&config, device, Kind::Float)?;
        eprintln!(
            "new model {} ({} parameters): {}",
            config.name,
            model.num_parameters(),
            config.to_json()
        );
        Trainer::new(tc, model)?
    };
    for p in &a.train_sets {
        trainer.add_dataset(&Dataset::load(p)?)?;
    }
    for p in &a.test_sets {
        trainer.add_test_dataset(&Dataset::load(p)?)?;
    }
    eprintln!(
        "{} training images, {} test images",
        trainer.train_len(),
        trainer.test_len()
    );

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .map_err(|e| Error::invalid(format!("cannot install the Ctrl-C handler: {e}")))?;
    }

    let bar = if a.steps > 0 {
        ProgressBar::new(a.steps)
    } else {
        ProgressBar::new_spinner()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} steps {msg}",
        )
        .expect("valid template"),
    );
    bar.set_position(trainer.steps_done());

    let started = Instant::now();
    let mut last_ckpt = Instant::now();
    let evaluate = |trainer: &Trainer| -> Result<Option<f64>> {
        if trainer.test_len() == 0 {
            return Ok(None);
        }
        Ok(Some(trainer.evaluate()?.bpd))
    };
    let mut interrupted = false;
    while a.steps == 0 || trainer.steps_done() < a.steps {
        let n = if a.steps == 0 {
            a.log_every
        } else {
            a.log_every.min(a.steps - trainer.steps_done())
        };
        let (mut sum, mut count, mut ips, mut gn, mut lr) = (0.0, 0u64, 0.0, 0.0, 0.0);
        let result = trainer.step(n, |info| {
            if info.train_bpd.is_finite() {
                sum += info.train_bpd;
                count += 1;
            }
            ips += info.images_per_sec;
            gn = info.grad_norm;
            lr = info.learning_rate;
            bar.set_position(info.step);
            bar.set_message(format!(
                "train {:.3} bpd, {:.1} img/s",
                info.train_bpd, info.images_per_sec
            ));
            !stop.load(Ordering::SeqCst)
        });
        match result {
            Ok(_) => {}
            Err(Error::Cancelled) => interrupted = true,
            Err(e) => return Err(e),
        }
        let step = trainer.steps_done();
        let done_steps = if interrupted { count.max(1) } else { n };
        let test_bpd = if !interrupted && a.eval_every > 0 && step % a.eval_every == 0 {
            evaluate(&trainer)?
        } else {
            None
        };
        log_line(
            &metrics,
            serde_json::json!({
                "step": step,
                "train_bpd": if count > 0 { Some(sum / count as f64) } else { None },
                "test_bpd": test_bpd,
                "images_per_sec": ips / done_steps as f64,
                "grad_norm": gn,
                "learning_rate": lr,
                "elapsed_s": started.elapsed().as_secs_f64(),
                "unix_time": std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
            }),
        )?;
        if let Some(t) = test_bpd {
            bar.println(format!("step {step}: test {t:.4} bpd (EMA weights)"));
        }
        if interrupted || last_ckpt.elapsed().as_secs_f64() >= a.checkpoint_minutes * 60.0 {
            trainer.save_checkpoint(&ckpt)?;
            last_ckpt = Instant::now();
        }
        if interrupted {
            bar.abandon_with_message(format!("interrupted: checkpoint at step {step} written"));
            return Ok(());
        }
    }
    trainer.save_checkpoint(&ckpt)?;
    trainer.export_model()?.save(a.run.join("model.safetensors"))?;
    let final_bpd = evaluate(&trainer)?;
    bar.finish_with_message(format!(
        "done at step {}; test {}",
        trainer.steps_done(),
        final_bpd.map_or("-".to_string(), |b| format!("{b:.4} bpd"))
    ));
    Ok(())
}

/// Runs `flowbb export`.
pub fn export(a: ExportArgs) -> Result<()> {
    let ckpt = checkpoint_path(&a.checkpoint);
    let trainer = Trainer::load_checkpoint(&ckpt, Device::Cpu)?;
    let model = trainer.export_model()?;
    model.save(&a.output)?;
    let size = std::fs::metadata(&a.output).map(|m| m.len()).unwrap_or(0);
    println!(
        "{}: EMA weights at step {} ({} parameters, {} bytes)",
        a.output.display(),
        trainer.steps_done(),
        model.num_parameters(),
        size
    );
    Ok(())
}

//! Trainer behaviour on a tiny model: learning, exact resumption, data-dependent
//! initialisation, refusal of damaged checkpoints.
#![cfg(feature = "torch")]

use flowbb::data::Dataset;
use flowbb::flow::{layers, FlowConfig, FlowModel, ImgProc, PairStep, Step};
use flowbb::train::{TrainConfig, Trainer};
use flowbb::Image;
use tch::{Device, Kind, Tensor};

/// Smooth synthetic 8x8 RGB images (gradients plus a little structure), so a model can learn.
fn images(n: usize, seed: u32) -> Vec<Image> {
    (0..n)
        .map(|k| {
            let k = k as u32 + seed * 1000;
            let mut px = Vec::with_capacity(8 * 8 * 3);
            for y in 0..8u32 {
                for x in 0..8u32 {
                    for c in 0..3u32 {
                        let v = (x * 20 + y * 9 + c * 40 + k * 37 + ((x ^ y) & 1) * 6) % 256;
                        px.push(v as u8);
                    }
                }
            }
            Image::new(8, 8, 3, px).unwrap()
        })
        .collect()
}

fn tiny_trainer(config: TrainConfig) -> Trainer {
    tch::set_num_threads(1);
    tch::manual_seed(3);
    let model = FlowModel::new(&FlowConfig::tiny(3, 8, 8), Device::Cpu, Kind::Float).unwrap();
    let mut t = Trainer::new(config, model).unwrap();
    t.add_images(&images(8, 0)).unwrap();
    t.add_test_images(&images(4, 1)).unwrap();
    t
}

fn config() -> TrainConfig {
    TrainConfig {
        batch_size: 8,
        learning_rate: 5e-3,
        warmup_steps: 5,
        init_batch: 8,
        eval_batch: 4,
        seed: 11,
        ..TrainConfig::default()
    }
}

fn batch_tensor(imgs: &[Image]) -> Tensor {
    let mut planar = Vec::new();
    for img in imgs {
        for c in 0..3u8 {
            for y in 0..8 {
                for x in 0..8 {
                    planar.push(img.at(y, x, c));
                }
            }
        }
    }
    Tensor::from_slice(&planar).view([imgs.len() as i64, 3, 8, 8])
}

/// Mean bpd of the current weights on a fixed batch with fixed dequantization noise.
fn fixed_bpd(t: &Trainer, x: &Tensor) -> f64 {
    tch::manual_seed(99);
    let noise = Tensor::randn([x.size()[0], 3, 8, 8], (Kind::Float, Device::Cpu));
    let elbo = tch::no_grad(|| {
        t.model()
            .log_likelihood_bound_with_noise(x, &noise, false)
            .unwrap()
    });
    -elbo.mean(Kind::Double).double_value(&[]) / (192.0 * std::f64::consts::LN_2)
}

#[test]
fn a_few_steps_lower_the_loss_on_a_fixed_batch() {
    let mut t = tiny_trainer(config());
    t.step(0, |_| true).unwrap();
    let x = batch_tensor(&images(8, 0));
    let before = fixed_bpd(&t, &x);
    t.step(40, |_| true).unwrap();
    let after = fixed_bpd(&t, &x);
    println!("fixed-batch bpd: {before:.4} -> {after:.4}");
    assert!(after < before - 0.2, "{before} -> {after}");
    let eval = t.evaluate().unwrap();
    assert!(eval.bpd.is_finite() && eval.images == 4);
}

#[test]
fn resuming_from_a_checkpoint_gives_the_same_next_loss() {
    let dir = std::env::temp_dir().join(format!("flowbb-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ckpt = dir.join("c.fbck");

    let mut a = tiny_trainer(config());
    a.step(4, |_| true).unwrap();
    a.save_checkpoint(&ckpt).unwrap();
    let next: Vec<f64> = (0..3)
        .map(|_| a.step(1, |_| true).unwrap().unwrap().train_bpd)
        .collect();

    let mut b = Trainer::load_checkpoint(&ckpt, Device::Cpu).unwrap();
    assert_eq!(b.steps_done(), 4);
    b.add_images(&images(8, 0)).unwrap();
    let resumed: Vec<f64> = (0..3)
        .map(|_| b.step(1, |_| true).unwrap().unwrap().train_bpd)
        .collect();
    println!("uninterrupted {next:?}, resumed {resumed:?}");
    assert_eq!(next, resumed);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cancelling_from_the_progress_callback_stops_and_keeps_the_steps() {
    let mut t = tiny_trainer(config());
    let mut calls = 0;
    let r = t.step(10, |_| {
        calls += 1;
        calls < 3
    });
    assert!(matches!(r, Err(flowbb::Error::Cancelled)));
    assert_eq!(t.steps_done(), 3);
}

#[test]
fn data_dependent_init_gives_unit_variance_on_the_init_batch() {
    let mut t = tiny_trainer(config());
    let x = batch_tensor(&images(8, 0));
    t.initialize_with(&x).unwrap();

    // Draw the initialisation's dequantization noise again and run up to the first Norms.
    tch::manual_seed(t.config().seed as i64);
    let (y, _) = tch::no_grad(|| t.model().dequantize(&x, false).unwrap());
    let (l, _) = ImgProc::forward(&y);
    let Step::Split { kind, body } = &t.model().steps[1] else {
        panic!("the second main-flow step is a split");
    };
    let PairStep::Norm(na, nb) = &body[0] else {
        panic!("a split body starts with a Norm pair");
    };
    let (a, b) = layers::split(*kind, &l);
    for (norm, half) in [(na, a), (nb, b)] {
        let (out, _) = tch::no_grad(|| norm.forward(&half));
        let mean = out
            .mean_dim(0, false, Kind::Double)
            .abs()
            .max()
            .double_value(&[]);
        let var = out.var_dim(0, false, false);
        let worst = (var - 1.0).abs().max().double_value(&[]);
        println!("Norm output on the init batch: max |mean| {mean:.2e}, max |var - 1| {worst:.2e}");
        assert!(mean < 1e-3, "{mean}");
        assert!(worst < 1e-2, "{worst}");
    }
}

#[test]
fn corrupted_or_truncated_checkpoints_are_refused() {
    let dir = std::env::temp_dir().join(format!("flowbb-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ckpt = dir.join("c.fbck");
    let mut t = tiny_trainer(config());
    t.step(1, |_| true).unwrap();
    t.save_checkpoint(&ckpt).unwrap();
    let good = std::fs::read(&ckpt).unwrap();
    assert!(Trainer::load_checkpoint(&ckpt, Device::Cpu).is_ok());

    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    std::fs::write(&ckpt, &flipped).unwrap();
    let e = Trainer::load_checkpoint(&ckpt, Device::Cpu)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("checksum") && e.contains("c.fbck"), "{e}");

    std::fs::write(&ckpt, &good[..good.len() - 1000]).unwrap();
    let e = Trainer::load_checkpoint(&ckpt, Device::Cpu)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("checksum") || e.contains("truncated"), "{e}");

    std::fs::write(&ckpt, b"FLOWBB").unwrap();
    let e = Trainer::load_checkpoint(&ckpt, Device::Cpu)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("not a flowbb checkpoint"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn exported_model_carries_the_ema_weights_and_round_trips() {
    let mut t = tiny_trainer(config());
    t.step(3, |_| true).unwrap();
    let m = t.export_model().unwrap();
    let bytes = m.to_bytes().unwrap();
    let back = FlowModel::from_bytes(&bytes, Device::Cpu, Kind::Float).unwrap();
    let x = batch_tensor(&images(2, 2));
    tch::manual_seed(1);
    let a = m.bpd(&x).unwrap();
    tch::manual_seed(1);
    let b = back.bpd(&x).unwrap();
    assert_eq!(
        Vec::<f64>::try_from(a.to_kind(Kind::Double)).unwrap(),
        Vec::<f64>::try_from(b.to_kind(Kind::Double)).unwrap()
    );
    // The EMA differs from the raw weights after a few steps.
    tch::manual_seed(1);
    let raw = t.model().bpd(&x).unwrap();
    assert!((raw - a).abs().max().double_value(&[]) > 0.0);
}

#[test]
fn larger_images_are_cut_into_model_sized_patches() {
    let mut t = tiny_trainer(config());
    let big = Image::new(16, 24, 1, (0..16 * 24).map(|i| i as u8).collect()).unwrap();
    let before = t.train_len();
    t.add_images(&[big]).unwrap();
    assert_eq!(t.train_len(), before + 6);
    let mut set = Dataset::new(8, 8, 3, "x");
    set.push(&images(1, 5)[0], "y").unwrap();
    t.add_dataset(&set).unwrap();
    assert_eq!(t.train_len(), before + 7);
}

#[test]
fn the_built_in_default_model_loads_with_its_documented_configuration() {
    let model = FlowModel::default_model().unwrap();
    let documented = FlowConfig::from_json(include_str!("../models/default-config.json")).unwrap();
    assert_eq!(model.config(), &documented);
    assert_eq!(model.num_parameters(), 480_312);
}

//! Whole-model checks of the Flow++ implementation: parameter counts of the paper's
//! configurations, invertibility, log-determinant against autograd, save and load.
#![cfg(feature = "torch")]

use flowbb::flow::{FlowConfig, FlowModel};
use tch::{Device, Kind, Tensor};

fn count(config: &FlowConfig) -> i64 {
    let _lock = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    FlowModel::new(config, Device::Cpu, Kind::Float)
        .unwrap()
        .num_parameters()
}

#[test]
fn paper_configurations_have_the_published_parameter_counts() {
    assert_eq!(count(&FlowConfig::cifar()), 31_443_440);
    assert_eq!(count(&FlowConfig::cifar_uniform_dequant()), 32_324_408);
    assert_eq!(count(&FlowConfig::cifar_affine()), 32_045_708);
}

/// Same shape and the same bits in every element.
fn bitwise_equal(a: &Tensor, b: &Tensor) -> bool {
    let bits = |t: &Tensor| -> Vec<u64> {
        let v = Vec::<f64>::try_from(t.to_kind(Kind::Double).flatten(0, -1)).unwrap();
        v.into_iter().map(f64::to_bits).collect()
    };
    a.size() == b.size() && a.kind() == b.kind() && bits(a) == bits(b)
}

fn random_images(b: i64, config: &FlowConfig) -> Tensor {
    Tensor::randint(
        256,
        [b, config.channels, config.height, config.width],
        (Kind::Int64, Device::Cpu),
    )
}

/// Tests of this file that draw from the global generator take this lock, so that their
/// draws (and so their measured figures) do not depend on thread scheduling.
static GENERATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn roundtrip_error(config: &FlowConfig, kind: Kind) -> f64 {
    let _lock = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(1);
    let model = FlowModel::new(config, Device::Cpu, kind).unwrap();
    let x = random_images(8, config);
    model.data_dependent_init(&x).unwrap();
    let (y, _) = model.dequantize(&x, false).unwrap();
    let (z, _) = tch::no_grad(|| model.forward(&y, false)).unwrap();
    let back = model.inverse(&z).unwrap();
    let err = (back - &y).abs().max().double_value(&[]);
    // the dequantizer alone
    let dq = model.dequantizer.as_ref().unwrap();
    let ctx = dq.context(&x);
    let eps = Tensor::randn(
        [8, config.channels, config.height, config.width],
        (model.flow_kind(), Device::Cpu),
    );
    let (u, _) = tch::no_grad(|| dq.forward(&eps, &ctx, flowbb::flow::Mode::Eval));
    let eps2 = tch::no_grad(|| dq.inverse(&u, &ctx));
    let err_dq = (eps2 - eps).abs().max().double_value(&[]);
    println!(
        "{} {kind:?}: main max abs error {err:.3e}, dequantizer {err_dq:.3e}",
        config.name
    );
    err.max(err_dq)
}

#[test]
fn whole_model_inverse_recovers_input() {
    for (c, h, w) in [(3, 8, 8), (1, 4, 8)] {
        let config = FlowConfig::tiny(c, h, w);
        assert!(roundtrip_error(&config, Kind::Float) < 1e-4);
        assert!(roundtrip_error(&config, Kind::Double) < 1e-9);
    }
}

#[test]
fn saved_model_reproduces_outputs_bit_for_bit() {
    let _lock = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(3);
    let config = FlowConfig::tiny(3, 8, 8);
    let model = FlowModel::new(&config, Device::Cpu, Kind::Float).unwrap();
    let x = random_images(4, &config);
    model.data_dependent_init(&x).unwrap();
    let bytes = model.to_bytes().unwrap();
    let loaded = FlowModel::from_bytes(&bytes, Device::Cpu, Kind::Float).unwrap();
    assert_eq!(loaded.config(), &config);
    let y = x.to_kind(Kind::Float) + 0.5;
    let (z1, l1) = tch::no_grad(|| model.forward(&y, false)).unwrap();
    let (z2, l2) = tch::no_grad(|| loaded.forward(&y, false)).unwrap();
    assert!(bitwise_equal(&z1, &z2) && bitwise_equal(&l1, &l2));
    let eps = Tensor::randn([4, 3, 8, 8], (Kind::Float, Device::Cpu));
    let b1 = tch::no_grad(|| model.log_likelihood_bound_with_noise(&x, &eps, false)).unwrap();
    let b2 = tch::no_grad(|| loaded.log_likelihood_bound_with_noise(&x, &eps, false)).unwrap();
    assert!(bitwise_equal(&b1, &b2));

    let dir = std::env::temp_dir().join(format!("flowbb-flow-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tiny.safetensors");
    model.save(&path).unwrap();
    let from_file = FlowModel::load(&path, Device::Cpu, Kind::Float).unwrap();
    let (z3, _) = tch::no_grad(|| from_file.forward(&y, false)).unwrap();
    assert!(bitwise_equal(&z1, &z3));
    std::fs::remove_dir_all(&dir).unwrap();

    assert!(FlowModel::from_bytes(&bytes[..bytes.len() / 2], Device::Cpu, Kind::Float).is_err());
}

#[test]
fn configurations_round_trip_through_json_and_bad_ones_are_rejected() {
    for name in [
        "cifar",
        "cifar_uniform_dequant",
        "cifar_affine",
        "small",
        "tiny",
    ] {
        let c = FlowConfig::preset(name).unwrap();
        assert_eq!(FlowConfig::from_json(&c.to_json()).unwrap(), c);
        assert_eq!(
            c.latent_shape().0 * c.latent_shape().1 * c.latent_shape().2,
            c.dims()
        );
    }
    assert!(FlowConfig::preset("huge").is_err());
    assert!(FlowConfig::from_json("{\"name\": 3}").is_err());
    let mut odd = FlowConfig::tiny(3, 8, 6);
    assert!(
        odd.validate().is_err(),
        "width 6 cannot be stripe-split after space-to-depth"
    );
    odd.width = 8;
    let mut many = odd.clone();
    many.coupling.components = 65;
    let e = many.validate().unwrap_err().to_string();
    assert!(e.contains("at most 64"), "{e}");
    odd.coupling.heads = 3;
    assert!(FlowModel::new(&odd, Device::Cpu, Kind::Float).is_err());
    assert!(FlowModel::new(&FlowConfig::tiny(3, 8, 8), Device::Cpu, Kind::Int64).is_err());
}

//! Bounds, sampling and reproducibility of the Flow++ model. One test function, so that the
//! global libtorch generator and thread count are not shared with other tests of this process.
#![cfg(feature = "torch")]

use flowbb::flow::{set_deterministic, FlowConfig, FlowModel};
use tch::{Device, Kind, Tensor};

fn bits(t: &Tensor) -> Vec<u64> {
    let v = Vec::<f64>::try_from(t.to_kind(Kind::Double).flatten(0, -1)).unwrap();
    v.into_iter().map(f64::to_bits).collect()
}

#[test]
fn bounds_sampling_and_thread_count_behave() {
    assert!(
        set_deterministic(Some(2)),
        "libtorch's deterministic switch was not found"
    );
    tch::manual_seed(11);
    let config = FlowConfig::tiny(3, 8, 8);
    let model = FlowModel::new(&config, Device::Cpu, Kind::Double).unwrap();
    let x = Tensor::randint(256, [4, 3, 8, 8], (Kind::Int64, Device::Cpu));
    model.data_dependent_init(&x).unwrap();

    // the single-sample bound in bits per dimension matches its definition
    tch::manual_seed(5);
    let bpd = model.bpd(&x).unwrap();
    tch::manual_seed(5);
    let eps = Tensor::randn([4, 3, 8, 8], (Kind::Double, Device::Cpu));
    let elbo = tch::no_grad(|| model.log_likelihood_bound_with_noise(&x, &eps, false)).unwrap();
    let expect = &elbo * (-1.0 / (192.0 * std::f64::consts::LN_2));
    assert_eq!(bits(&bpd), bits(&expect));
    println!(
        "tiny single-sample bpd {:?}",
        Vec::<f64>::try_from(&bpd).unwrap()
    );

    // the importance-weighted bound never exceeds the mean single-sample bound of its own
    // samples (Jensen), and is that mean for one sample
    let img = x.narrow(0, 0, 1);
    tch::manual_seed(6);
    let iw = model.iw_bpd(&img, 16, 16).unwrap().double_value(&[0]);
    tch::manual_seed(6);
    let singles = model.bpd(&img.expand([16, -1, -1, -1], false)).unwrap();
    let mean = singles.mean(Kind::Double).double_value(&[]);
    println!("tiny importance-weighted bpd (16 samples) {iw:.6}, mean single-sample {mean:.6}");
    assert!(iw <= mean + 1e-12 && iw > mean - 1.0);
    tch::manual_seed(7);
    let iw1 = model.iw_bpd(&img, 1, 1).unwrap().double_value(&[0]);
    tch::manual_seed(7);
    let one = model.bpd(&img).unwrap().double_value(&[0]);
    assert!((iw1 - one).abs() < 1e-12);

    // samples are images of the configured shape; temperature 0 inverts z = 0
    let s = model.sample(3, 0.7).unwrap();
    assert_eq!(s.size(), [3, 3, 8, 8]);
    assert_eq!(s.kind(), Kind::Uint8);
    let cold = model.sample(2, 0.0).unwrap();
    let (c, h, w) = config.latent_shape();
    let x0 = model
        .inverse(&Tensor::zeros([1, c, h, w], (Kind::Double, Device::Cpu)))
        .unwrap();
    let expect = x0.floor().clamp(0.0, 255.0).to_kind(Kind::Uint8);
    assert_eq!(bits(&cold.narrow(0, 0, 1)), bits(&expect));
    assert!(model.sample(0, 1.0).is_err());

    // wrong shapes are errors, not panics
    let wrong = Tensor::zeros([1, 3, 8, 4], (Kind::Int64, Device::Cpu));
    assert!(model.bpd(&wrong).is_err());
    assert!(model.inverse(&wrong).is_err());

    // With a given number of CPU threads, outputs are the same bits on every run. (Across
    // thread counts some oneDNN and MKL kernels round differently, which is why archives record
    // the count their networks ran on; tests/cli_codec.rs decodes with another one.)
    let f = FlowModel::new(&config, Device::Cpu, Kind::Float).unwrap();
    let y = x.to_kind(Kind::Float) + 0.25;
    let before = tch::get_num_threads();
    for threads in [1, 2] {
        tch::set_num_threads(threads);
        let (z1, l1) = tch::no_grad(|| f.forward(&y, false)).unwrap();
        let (z2, l2) = tch::no_grad(|| f.forward(&y, false)).unwrap();
        assert_eq!(bits(&z1), bits(&z2), "{threads} threads");
        assert_eq!(bits(&l1), bits(&l2), "{threads} threads");
    }
    tch::set_num_threads(before);
}

//! Layer-by-layer checks of the Flow++ implementation: every layer inverts its forward map, and
//! its log-determinant equals `log|det J|` of the autograd Jacobian on a tiny input.
#![cfg(feature = "torch")]

use flowbb::flow::config::{CouplingConfig, DequantConfig, SplitKind};
use flowbb::flow::layers::{depth_to_space, merge, space_to_depth, split};
use flowbb::flow::{
    affine, forward_steps, logit, mix_cdf, Coupling, FlowConfig, FlowModel, ImgProc, Mode, Norm,
    Pointwise, Sigmoid,
};
use tch::{nn, Device, Kind, Tensor};

const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

/// `log|det J|` of `f` at `x` (one example, any shape), from the autograd Jacobian in f64.
fn autograd_log_abs_det(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> f64 {
    let x = x.to_kind(Kind::Double).detach().set_requires_grad(true);
    let y = f(&x).flatten(0, -1);
    let d = y.size()[0];
    assert_eq!(d, x.numel() as i64, "the map must preserve the dimension");
    let mut rows = Vec::with_capacity(d as usize);
    for i in 0..d {
        let g = Tensor::run_backward(&[y.get(i)], &[&x], true, false);
        rows.push(g[0].flatten(0, -1));
    }
    let j = Tensor::stack(&rows, 0);
    let (_, logabs) = Tensor::linalg_slogdet(&j);
    logabs.double_value(&[])
}

fn assert_close(name: &str, analytic: f64, autograd: f64) {
    let rel = (analytic - autograd).abs() / autograd.abs().max(1e-12);
    println!("{name}: log-det {analytic:.10} autograd {autograd:.10} relative error {rel:.2e}");
    assert!(
        rel < 1e-4,
        "{name}: log-det {analytic} differs from autograd {autograd}"
    );
}

fn max_abs(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

fn check_roundtrip(name: &str, kind: Kind, err: f64) {
    let bound = if kind == Kind::Double { 1e-9 } else { 1e-4 };
    println!("{name} {kind:?}: inverse max abs error {err:.3e}");
    assert!(
        err < bound,
        "{name} {kind:?}: inverse error {err} >= {bound}"
    );
}

/// Same shape and bit-identical values.
fn same(a: &Tensor, b: &Tensor) -> bool {
    a.size() == b.size() && max_abs(a, b) == 0.0
}

fn sum(t: &Tensor) -> f64 {
    t.sum(Kind::Double).double_value(&[])
}

#[test]
fn elementwise_layers_invert_and_have_autograd_log_det() {
    tch::manual_seed(0);
    let pixels = Tensor::rand([1, 3, 4, 4], F64) * 255.999;
    let reals = Tensor::randn([1, 3, 4, 4], F64) * 2.0;
    for kind in [Kind::Float, Kind::Double] {
        let (l, _) = ImgProc::forward(&pixels.to_kind(kind));
        check_roundtrip(
            "ImgProc",
            kind,
            max_abs(&ImgProc::inverse(&l), &pixels.to_kind(kind)),
        );
        let (u, _) = Sigmoid::forward(&reals.to_kind(kind));
        check_roundtrip(
            "Sigmoid",
            kind,
            max_abs(&Sigmoid::inverse(&u), &reals.to_kind(kind)),
        );
    }
    let (_, ld) = ImgProc::forward(&pixels);
    assert_close(
        "ImgProc",
        sum(&ld),
        autograd_log_abs_det(|x| ImgProc::forward(x).0, &pixels),
    );
    let (_, ld) = Sigmoid::forward(&reals);
    assert_close(
        "Sigmoid",
        sum(&ld),
        autograd_log_abs_det(|x| Sigmoid::forward(x).0, &reals),
    );
}

#[test]
fn norm_and_pointwise_invert_and_have_autograd_log_det() {
    tch::manual_seed(1);
    let norm = Norm {
        g: Tensor::rand([1, 3, 2, 2], F64) + 0.5,
        b: Tensor::randn([1, 3, 2, 2], F64),
    };
    let pw = Pointwise {
        w: Tensor::eye(3, F64) + Tensor::randn([3, 3], F64) * 0.3,
    };
    let x = Tensor::randn([1, 3, 2, 2], F64);
    for kind in [Kind::Float, Kind::Double] {
        let xk = x.to_kind(kind);
        let (y, _) = norm.forward(&xk);
        check_roundtrip("Norm", kind, max_abs(&norm.inverse(&y), &xk));
        let (y, _) = pw.forward(&xk);
        assert_eq!(y.kind(), kind);
        check_roundtrip("Pointwise", kind, max_abs(&pw.inverse(&y), &xk));
    }
    let (_, ld) = norm.forward(&x);
    assert_close(
        "Norm",
        sum(&ld),
        autograd_log_abs_det(|t| norm.forward(t).0, &x),
    );
    let (_, ld) = pw.forward(&x);
    assert_close(
        "Pointwise",
        sum(&ld),
        autograd_log_abs_det(|t| pw.forward(t).0, &x),
    );

    // data-dependent init normalises the batch at every position and channel
    let batch = Tensor::randn([16, 3, 2, 2], F64) * 3.0 + 1.0;
    norm.init_from(&batch);
    let (y, _) = norm.forward(&batch);
    let mean = y.mean_dim(0, false, None).abs().max().double_value(&[]);
    let std = (y.std_dim(0, false, false) - 1.0)
        .abs()
        .max()
        .double_value(&[]);
    assert!(
        mean < 1e-9 && std < 1e-6,
        "after init: mean {mean}, std-1 {std}"
    );

    // the matrix is exposed row-major with y = W x
    let w = pw.weight_f64();
    let xv = Vec::<f64>::try_from(x.select(3, 0).select(2, 0).flatten(0, -1)).unwrap();
    let yv =
        Vec::<f64>::try_from(pw.forward(&x).0.select(3, 0).select(2, 0).flatten(0, -1)).unwrap();
    for i in 0..3 {
        let expect: f64 = (0..3).map(|j| w[i * 3 + j] * xv[j]).sum();
        assert!((expect - yv[i]).abs() < 1e-12);
    }
}

#[test]
fn splits_and_space_to_depth_are_permutations_with_the_documented_layout() {
    let x = Tensor::arange(2 * 3 * 4 * 4, F64).reshape([2, 3, 4, 4]);
    let x4 = Tensor::arange(2 * 4 * 4 * 4, F64).reshape([2, 4, 4, 4]);
    for kind in [SplitKind::Stripe, SplitKind::Channel] {
        let (a, b) = split(kind, &x4);
        assert!(same(&merge(kind, &a, &b), &x4));
    }
    let (a, _) = split(SplitKind::Channel, &x4);
    assert!(same(&a, &x4.narrow(1, 0, 2)));
    let (a, b) = split(SplitKind::Stripe, &x);
    assert_eq!(a.size(), [2, 3, 4, 2]);
    // even columns in a, odd columns in b
    assert_eq!(a.double_value(&[0, 0, 0, 1]), x.double_value(&[0, 0, 0, 2]));
    assert_eq!(b.double_value(&[0, 0, 0, 1]), x.double_value(&[0, 0, 0, 3]));
    let s = space_to_depth(&x);
    assert_eq!(s.size(), [2, 12, 2, 2]);
    // output channel (dy*2 + dx)*C + c holds x[c, 2h + dy, 2w + dx]
    for (dy, dx, c) in [(0, 0, 0), (0, 1, 2), (1, 0, 1), (1, 1, 2)] {
        let ch = (dy * 2 + dx) * 3 + c;
        assert_eq!(
            s.double_value(&[1, ch, 1, 0]),
            x.double_value(&[1, c, 2 + dy, dx])
        );
    }
    assert!(same(&depth_to_space(&s), &x));
}

fn coupling(components: i64, aux: Option<i64>) -> (nn::VarStore, Coupling) {
    let mut vs = nn::VarStore::new(Device::Cpu);
    let cfg = CouplingConfig {
        filters: 8,
        blocks: 1,
        components,
        heads: 2,
        dropout: 0.0,
    };
    let c = Coupling::new(vs.root(), 2, 2, 2, &cfg, aux);
    vs.double();
    // widen the random conditioning outputs so the mixture is not trivial
    tch::no_grad(|| {
        for (name, mut v) in vs.variables() {
            if name.contains("proj_out") && name.ends_with(".w") {
                let _ = v.f_mul_scalar_(4.0).unwrap();
            }
        }
    });
    (vs, c)
}

#[test]
fn couplings_invert_and_have_autograd_log_det() {
    tch::manual_seed(2);
    for (k, aux) in [(4, None), (0, None), (3, Some(5))] {
        let (_vs, c) = coupling(k, aux);
        let name = format!("Coupling K={k} aux={aux:?}");
        let a = Tensor::randn([1, 2, 2, 2], F64);
        let ctx = aux.map(|n| Tensor::randn([1, n, 2, 2], F64));
        let b = Tensor::randn([1, 2, 2, 2], F64) * 3.0;
        for kind in [Kind::Float, Kind::Double] {
            let bk = b.to_kind(kind);
            let (y, _) = tch::no_grad(|| c.forward(&a, &bk, ctx.as_ref(), Mode::Eval));
            check_roundtrip(&name, kind, max_abs(&c.inverse(&a, &y, ctx.as_ref()), &bk));
        }
        let (_, ld) = c.forward(&a, &b, ctx.as_ref(), Mode::Eval);
        let pair = Tensor::cat(&[&a, &b], 1);
        let f = |t: &Tensor| {
            let (ta, tb) = (t.narrow(1, 0, 2), t.narrow(1, 2, 2));
            let (y, _) = c.forward(&ta, &tb, ctx.as_ref(), Mode::Eval);
            Tensor::cat(&[ta, y], 1)
        };
        assert_close(&name, sum(&ld), autograd_log_abs_det(f, &pair));

        // the three sub-flows compose to the coupling's map
        let p = c.params(&a, ctx.as_ref(), false);
        let (mut v, mut ld_sum) = (b.shallow_clone(), Tensor::zeros_like(&b));
        if k > 0 {
            let (cdf, l1) = mix_cdf::forward(&v, &p);
            let (l, l2) = logit::forward(&cdf);
            assert_close(
                "mix_cdf",
                sum(&l1),
                autograd_log_abs_det(|t| mix_cdf::forward(t, &p).0, &b),
            );
            assert_close(
                "logit",
                sum(&l2),
                autograd_log_abs_det(|t| logit::forward(t).0, &cdf),
            );
            check_roundtrip(
                "mix_cdf",
                Kind::Double,
                max_abs(&mix_cdf::inverse(&cdf, &p), &b),
            );
            check_roundtrip("logit", Kind::Double, max_abs(&logit::inverse(&l), &cdf));
            v = l;
            ld_sum = l1 + l2;
        }
        let (y, l3) = affine::forward(&v, &p);
        assert_close(
            "affine",
            sum(&l3),
            autograd_log_abs_det(|t| affine::forward(t, &p).0, &v),
        );
        check_roundtrip(
            "affine",
            Kind::Double,
            max_abs(&affine::inverse(&y, &p), &v),
        );
        let (y_fused, _) = c.forward(&a, &b, ctx.as_ref(), Mode::Eval);
        assert!(max_abs(&y, &y_fused) < 1e-9);
        assert!((sum(&(ld_sum + l3)) - sum(&ld)).abs() < 1e-9);
    }
}

#[test]
fn mixture_cdf_inverse_is_finite_at_and_near_zero_and_one() {
    tch::manual_seed(4);
    let (_vs, c) = coupling(4, None);
    let a = Tensor::randn([1, 2, 2, 2], F64);
    let p = c.params(&a, None, false);
    let probes = [
        0.0,
        1e-300,
        1e-30,
        1e-8,
        0.5,
        1.0 - 1e-8,
        1.0 - 1e-12,
        1.0,
        f64::NAN,
    ];
    for kind in [Kind::Float, Kind::Double] {
        let pk = p.to_kind(kind);
        for &v in &probes {
            let cdf = Tensor::full([1, 2, 2, 2], v, (kind, Device::Cpu));
            let x = mix_cdf::inverse(&cdf, &pk);
            let finite = bool::try_from(x.isfinite().all()).unwrap();
            assert!(finite, "{kind:?}: inverse of {v} is not finite");
            if (1e-30..=1.0 - 1e-12).contains(&v) && kind == Kind::Double {
                let (back, _) = mix_cdf::forward(&x, &pk);
                let err = (back - v).abs().max().double_value(&[]);
                let allowed = 1e-6 * v.min(1.0 - v) + 4e-16;
                assert!(err <= allowed, "cdf(inverse({v})) is off by {err}");
            }
        }
    }
}

fn tiny_affine_uniform() -> FlowConfig {
    let mut c = FlowConfig::tiny(3, 4, 4);
    c.name = "tiny_affine_uniform".into();
    c.coupling.components = 0;
    c.dequant = DequantConfig::Uniform;
    c
}

#[test]
fn whole_flows_have_autograd_log_det() {
    for config in [
        FlowConfig::tiny(3, 4, 4),
        FlowConfig::tiny(1, 4, 4),
        tiny_affine_uniform(),
    ] {
        tch::manual_seed(5);
        let model = FlowModel::new(&config, Device::Cpu, Kind::Double).unwrap();
        let d = config.dims();
        let x_int = Tensor::randint(256, [8, config.channels, 4, 4], (Kind::Int64, Device::Cpu));
        model.data_dependent_init(&x_int).unwrap();
        let x = x_int.narrow(0, 0, 1).to_kind(Kind::Double) + 0.3;
        let (z, ld) = model.forward(&x, false).unwrap();
        assert_eq!(z.numel() as i64, d);
        let f = |t: &Tensor| model.forward(t, false).unwrap().0;
        assert_close(
            &format!("{} main flow", config.name),
            sum(&ld),
            autograd_log_abs_det(f, &x),
        );
        check_roundtrip(
            &config.name,
            Kind::Double,
            max_abs(&model.inverse(&z).unwrap(), &x),
        );

        if let Some(dq) = &model.dequantizer {
            let ctx = dq.context(&x_int.narrow(0, 0, 1));
            let eps = Tensor::randn([1, config.channels, 4, 4], F64);
            let (_, ld) = dq.forward(&eps, &ctx, Mode::Eval);
            let f = |t: &Tensor| forward_steps(&dq.steps, t, Some(&ctx), Mode::Eval).0;
            assert_close(
                &format!("{} dequantizer", config.name),
                sum(&ld),
                autograd_log_abs_det(f, &eps),
            );
        }
    }
}

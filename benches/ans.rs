//! Speed of the fine-grid discretized Gaussian: encode and decode nanoseconds per symbol on one
//! stream and on all cores, next to the `constriction` crate's leaky quantized Gaussian.
//!
//! Workload: std = 2^18 bins (noise scale sigma = 2^-14 on a grid with delta = 2^-32 over
//! [-256, 256)), means uniform in [-200, 200], symbols drawn from each Gaussian.
//!
//! Run with `cargo bench --no-default-features --bench ans`. Set `ANS_BENCH_SYMBOLS` to change
//! the number of symbols (default 10^6) and `ANS_BENCH_REPS` the number of timed runs of which
//! the best is shown (default 5).

use std::hint::black_box;
use std::time::Instant;

use constriction::stream::model::LeakyQuantizer;
use constriction::stream::stack::DefaultAnsCoder;
use constriction::stream::Decode;
use flowbb::ans::{Grid, Streams};
use probability::distribution::Gaussian;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-300);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Best of `reps` runs of `f`, in nanoseconds per symbol.
fn time_ns<F: FnMut()>(reps: usize, n: usize, mut f: F) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_nanos() as f64 / n as f64);
    }
    best
}

fn main() {
    let n: usize = std::env::var("ANS_BENCH_SYMBOLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let reps: usize = std::env::var("ANS_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let g = Grid::new(32, -256.0, 256.0).unwrap();
    let std_bins = (1u64 << 18) as f64;
    let std = std_bins * g.delta();
    let mut rng = Rng(1);
    let mut means = Vec::with_capacity(n);
    let mut syms = Vec::with_capacity(n);
    for _ in 0..n {
        let m = -200.0 + 400.0 * rng.unit();
        syms.push(g.symbol(m + std * rng.normal()).unwrap());
        means.push(m);
    }
    let stds = vec![std; n];
    let threads = rayon::current_num_threads();

    // Profiling aid: ANS_BENCH_ONLY=flowbb-encode or constriction-encode runs only that loop.
    if let Ok(only) = std::env::var("ANS_BENCH_ONLY") {
        let window = (8.0 * std_bins) as i32;
        let quantizer = LeakyQuantizer::<f64, i32, u32, 32>::new(-window..=window);
        let rel: Vec<(i32, f64)> = syms.iter().map(|&s| (s as i32 & 0xffff, 0.25)).collect();
        for _ in 0..reps {
            if only == "flowbb-encode" {
                let mut st = Streams::new(1, 7);
                st.encode_gaussian(&g, &syms, &means, &stds).unwrap();
                black_box(&st);
            } else {
                let mut coder = DefaultAnsCoder::new();
                coder
                    .encode_symbols_reverse(
                        rel.iter()
                            .map(|&(s, f)| (s, quantizer.quantize(Gaussian::new(f, std_bins)))),
                    )
                    .unwrap();
                black_box(&coder);
            }
        }
        return;
    }

    // This crate, one stream and one stream per core.
    let mut rows = Vec::new();
    for streams in [1, threads] {
        let mut bits = 0.0;
        let enc = time_ns(reps, n, || {
            let mut st = Streams::new(streams, 7);
            let before = st.len_bits_fractional();
            st.encode_gaussian(&g, &syms, &means, &stds).unwrap();
            bits = (st.len_bits_fractional() - before) / n as f64;
            black_box(&st);
        });
        let mut st = Streams::new(streams, 7);
        st.encode_gaussian(&g, &syms, &means, &stds).unwrap();
        let mut out = vec![0; n];
        let dec = time_ns(reps, n, || {
            let mut s = st.clone();
            s.decode_gaussian(&g, &means, &stds, &mut out).unwrap();
            black_box(&s);
        });
        assert_eq!(out, syms);
        rows.push((
            format!("flowbb two-level, {streams} stream(s)"),
            enc,
            dec,
            bits,
        ));
    }

    // constriction: leaky quantized Gaussian at 32-bit precision over +-8 std, on symbols
    // relative to the bin containing the mean (absolute bins do not fit its i32 symbols).
    let window = (8.0 * std_bins) as i32;
    let quantizer = LeakyQuantizer::<f64, i32, u32, 32>::new(-window..=window);
    let rel: Vec<(i32, f64)> = syms
        .iter()
        .zip(&means)
        .map(|(&s, &m)| {
            let center = g.symbol(m).unwrap();
            let frac = (m - g.edge(center)) / g.delta() - 0.5;
            ((s as i64 - center as i64) as i32, frac)
        })
        .collect();
    let mut bits = 0.0;
    let enc = time_ns(reps, n, || {
        let mut coder = DefaultAnsCoder::new();
        coder
            .encode_symbols_reverse(
                rel.iter()
                    .map(|&(s, f)| (s, quantizer.quantize(Gaussian::new(f, std_bins)))),
            )
            .unwrap();
        bits = coder.num_bits() as f64 / n as f64;
        black_box(&coder);
    });
    let mut coder = DefaultAnsCoder::new();
    coder
        .encode_symbols_reverse(
            rel.iter()
                .map(|&(s, f)| (s, quantizer.quantize(Gaussian::new(f, std_bins)))),
        )
        .unwrap();
    let mut decoded = Vec::new();
    let dec = time_ns(reps, n, || {
        let mut c = coder.clone();
        decoded = c
            .decode_symbols(
                rel.iter()
                    .map(|&(_, f)| quantizer.quantize(Gaussian::new(f, std_bins))),
            )
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
    });
    assert!(decoded.iter().zip(&rel).all(|(d, r)| *d == r.0));
    rows.push((
        "constriction LeakyQuantizer u32/64, P=32".to_string(),
        enc,
        dec,
        bits,
    ));

    println!();
    println!("discretized Gaussian, std 2^18 bins, delta 2^-32, {n} symbols, {threads} threads");
    println!(
        "{:<42} {:>12} {:>12} {:>14}",
        "coder", "encode ns/sym", "decode ns/sym", "bits/symbol"
    );
    for (name, enc, dec, bits) in &rows {
        println!("{name:<42} {enc:>12.1} {dec:>12.1} {bits:>14.6}");
    }
    let (ours, theirs) = (&rows[0], &rows[rows.len() - 1]);
    println!(
        "one-stream ratio flowbb / constriction: encode {:.2}, decode {:.2}",
        ours.1 / theirs.1,
        ours.2 / theirs.2
    );
}

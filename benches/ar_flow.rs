//! Speed of local bits-back coding with autoregressive flows (Algorithm 3.2): encode and decode
//! nanoseconds per dimension, and the net codelength next to `-log2 (p(x) delta^d)`.
//!
//! Workload: vectors sampled from the example flows `AffineAr` and `AsinhAr` (dense
//! conditioners, so one forward pass of a vector costs O(d^2)), grid delta = 2^-20 on
//! [-64, 64), noise scale sigma = 2^-8, standard normal prior.
//!
//! Run with `cargo bench --no-default-features --bench ar_flow`. Set `AR_BENCH_DIMS` to change
//! the total number of dimensions coded per run (default 2^18) and `AR_BENCH_REPS` the number
//! of timed runs of which the best is shown (default 3).

use std::time::Instant;

use flowbb::ans::{Grid, Streams};
use flowbb::codec::autoregressive::{
    decode_with_prior, encode_with_prior, log_density, AffineAr, AsinhAr, AutoregressiveFlow,
};

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

fn sample<F: AutoregressiveFlow>(f: &F, g: &Grid, n: usize, rng: &mut Rng) -> Vec<u64> {
    let d = f.dim();
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        let mut x = Vec::with_capacity(d);
        for i in 0..d {
            let xi = f.inverse_i(i, rng.normal(), &x);
            let s = g.symbol(xi.clamp(g.lo(), g.hi() - 1.0)).unwrap();
            x.push(g.midpoint(s));
            out.push(s);
        }
    }
    out
}

const SIGMA: f64 = 1.0 / 256.0;

/// One table row: encode and decode ns/dim (best of `reps`), net and ideal bpd.
fn row<F: AutoregressiveFlow>(name: &str, f: &F, total: usize, streams: usize, reps: usize) {
    let g = Grid::new(20, -64.0, 64.0).unwrap();
    let d = f.dim();
    let n = (total / d).max(1);
    let x = sample(f, &g, n, &mut Rng(d as u64));
    let dims = (n * d) as f64;
    let (mut enc, mut dec) = (f64::INFINITY, f64::INFINITY);
    let mut net = 0.0;
    for _ in 0..reps {
        let mut st = Streams::new(streams, 1);
        let before = st.len_bits_fractional();
        let t = Instant::now();
        encode_with_prior(&mut st, &g, SIGMA, f, &x).unwrap();
        enc = enc.min(t.elapsed().as_nanos() as f64 / dims);
        net = st.len_bits_fractional() - before;
        let mut back = Streams::from_bytes(&st.to_bytes()).unwrap();
        let t = Instant::now();
        let got = decode_with_prior(&mut back, &g, SIGMA, f, n).unwrap();
        dec = dec.min(t.elapsed().as_nanos() as f64 / dims);
        assert_eq!(got, x);
    }
    let ideal_nats: f64 = x
        .chunks(d)
        .map(|v| {
            let m: Vec<f64> = v.iter().map(|&s| g.midpoint(s)).collect();
            -log_density(f, &m)
        })
        .sum();
    let ideal = ideal_nats / std::f64::consts::LN_2 / dims + g.bits() as f64;
    println!(
        "| {name} | {d} | {n} | {streams} | {enc:.0} | {dec:.0} | {:.5} | {ideal:.5} |",
        net / dims
    );
}

fn main() {
    let total: usize = std::env::var("AR_BENCH_DIMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 18);
    let reps: usize = std::env::var("AR_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    println!(
        "{} rayon threads, {total} dimensions per run, best of {reps}",
        rayon::current_num_threads()
    );
    println!(
        "| flow | d | vectors | streams | encode ns/dim | decode ns/dim | net bpd | ideal bpd |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for d in [16usize, 64, 256] {
        for streams in [1usize, 16] {
            row("affine", &AffineAr::new(d, 1), total, streams, reps);
            row("asinh", &AsinhAr::new(d, 2), total, streams, reps);
        }
    }
}

//! Codelength of the two-level discretized Gaussian against the exact discretized Gaussian.

use flowbb::ans::special::{normal_tail, phi};
use flowbb::ans::{Grid, Streams};

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

/// Exact probability of bin `s` under `N(mean, std^2)`, from the side of the mean where the
/// subtraction keeps its relative accuracy.
fn bin_probability(g: &Grid, s: u64, mean: f64, std: f64) -> f64 {
    let za = (g.edge(s) - mean) / std;
    let zb = (g.edge(s + 1) - mean) / std;
    if za >= 0.0 {
        normal_tail(za) - normal_tail(zb)
    } else if zb <= 0.0 {
        phi(zb) - phi(za)
    } else {
        1.0 - phi(za) - normal_tail(zb)
    }
}

/// Measured bits per symbol and the ideal -log2 P(bin) per symbol for `n` symbols drawn from
/// Gaussians of the given std (in bins) on the grid with delta 2^-32 on [-256, 256).
fn measure(n: usize, std_bins: f64, seed: u64) -> (f64, f64) {
    let g = Grid::new(32, -256.0, 256.0).unwrap();
    let std = std_bins * g.delta();
    let mut rng = Rng(seed);
    let mut syms = Vec::with_capacity(n);
    let mut means = Vec::with_capacity(n);
    let mut ideal = 0.0;
    for _ in 0..n {
        let mean = -200.0 + 400.0 * rng.unit();
        let s = g.symbol(mean + std * rng.normal()).unwrap();
        ideal -= bin_probability(&g, s, mean, std).log2();
        syms.push(s);
        means.push(mean);
    }
    let stds = vec![std; n];
    let mut st = Streams::new(1, seed);
    let before = st.len_bits_fractional();
    st.encode_gaussian(&g, &syms, &means, &stds).unwrap();
    let measured = (st.len_bits_fractional() - before) / n as f64;
    let mut out = vec![0; n];
    st.decode_gaussian(&g, &means, &stds, &mut out).unwrap();
    assert_eq!(out, syms);
    (measured, ideal / n as f64)
}

#[test]
fn overhead_at_std_2_pow_18_bins_is_below_1e_minus_4_bits() {
    // sigma = 2^-14 on a grid with delta = 2^-32.
    let (measured, ideal) = measure(1_000_000, (1u64 << 18) as f64, 1);
    let overhead = measured - ideal;
    println!(
        "std 2^18 bins, 10^6 symbols: measured {measured:.6} bits/symbol, ideal {ideal:.6}, \
         overhead {overhead:.3e} bits/symbol"
    );
    assert!(overhead <= 1e-4, "overhead {overhead:e} bits/symbol");
    assert!(
        overhead > -1e-4,
        "codelength below the entropy: {overhead:e}"
    );
}

#[test]
fn overhead_stays_small_for_narrow_and_wide_gaussians() {
    for (std_bins, tol) in [
        (0.3, 1e-3),
        (5.0, 1e-3),
        (200.0, 1e-3),
        (2f64.powi(30), 1e-3),
    ] {
        let (measured, ideal) = measure(100_000, std_bins, 7);
        let overhead = measured - ideal;
        println!("std {std_bins} bins: measured {measured:.6}, ideal {ideal:.6}, overhead {overhead:.3e}");
        assert!(
            overhead.abs() <= tol,
            "std {std_bins} bins: overhead {overhead:e}"
        );
    }
}

#[test]
fn uniform_codelength_matches_log2_n() {
    let mut rng = Rng(3);
    for n in [
        3u64,
        1000,
        65_537,
        (1 << 20) - 1,
        (1 << 20) + 1,
        1_000_000_007,
        (1 << 40) + 3,
    ] {
        let count = 100_000;
        let syms: Vec<u64> = (0..count)
            .map(|_| ((rng.next() as u128 * n as u128) >> 64) as u64)
            .collect();
        let mut st = Streams::new(1, 9);
        let before = st.len_bits_fractional();
        st.encode_uniform(n, &syms).unwrap();
        let per = (st.len_bits_fractional() - before) / count as f64;
        let overhead = per - (n as f64).log2();
        println!("uniform n = {n}: {per:.6} bits/symbol, overhead {overhead:.3e}");
        assert!(overhead.abs() < 1e-4, "n = {n}: overhead {overhead:e}");
    }
}

//! The coded bytes of the entropy coder are part of the archive format: this pins checksums of
//! the streams after fixed, seeded workloads that cover every path of the Gaussian coder (the
//! benchmark's workload, escapes on both sides, buckets of one bin, stds wider than the grid,
//! means off the grid, decodes from initial bits, autoregressive blocks, uniform alphabets).
//! Any change to the coder, however it is optimized, must leave all of them unchanged.

use flowbb::ans::{ArGaussian, Grid, Streams};

/// Small deterministic generator; test data come from basic operations only, so they are the
/// same on every platform.
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
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    /// Approximately standard normal (Irwin-Hall sum of 12 uniforms), basic operations only.
    fn normalish(&mut self) -> f64 {
        let mut s = 0.0;
        for _ in 0..12 {
            s += self.unit();
        }
        s - 6.0
    }
}

/// Length and CRC-32 of the serialized streams.
fn digest(st: &Streams) -> (usize, u32) {
    let bytes = st.to_bytes();
    (bytes.len(), crc32fast::hash(&bytes))
}

/// The benchmark's workload (std 2^18 bins, delta 2^-32, means in [-200, 200]).
fn bench_workload(n: usize, seed: u64) -> (Grid, Vec<u64>, Vec<f64>, Vec<f64>) {
    let g = Grid::new(32, -256.0, 256.0).unwrap();
    let std = (1u64 << 18) as f64 * g.delta();
    let mut rng = Rng(seed);
    let (mut syms, mut means) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let m = -200.0 + 400.0 * rng.unit();
        // Mostly near the mean, sometimes far out (escapes on both sides).
        let z = match rng.below(64) {
            0 => -7.0 - 20.0 * rng.unit(),
            1 => 7.0 + 20.0 * rng.unit(),
            _ => rng.normalish(),
        };
        syms.push(g.symbol(m + std * z).unwrap());
        means.push(m);
    }
    (g, syms, means, vec![std; n])
}

/// Random cases on `g`: std from 1/64 bin to `2^max_log` bins, means in and beyond the grid,
/// symbols near the mean or anywhere on the grid.
fn mixed_workload(g: &Grid, n: usize, max_log: u64, seed: u64) -> (Vec<u64>, Vec<f64>, Vec<f64>) {
    let mut rng = Rng(seed);
    let (mut syms, mut means, mut stds) = (vec![], vec![], vec![]);
    let span = g.hi() - g.lo();
    for _ in 0..n {
        let k = rng.below(max_log + 7) as i32 - 6;
        let std = g.delta() * 2f64.powi(k) * (1.0 + rng.unit());
        let mean = match rng.below(8) {
            0 => g.lo() + rng.unit() * std * 3.0,
            1 => g.hi() - rng.unit() * std * 3.0,
            2 => g.lo() - span * rng.unit(),
            3 => g.hi() + span * rng.unit(),
            _ => g.lo() + rng.unit() * span,
        };
        let sym = if rng.below(8) == 0 {
            rng.below(g.num_bins())
        } else {
            let x = (mean + std * rng.normalish()).clamp(g.lo(), g.hi() - g.delta());
            g.symbol(x).unwrap()
        };
        syms.push(sym);
        means.push(mean);
        stds.push(std);
    }
    (syms, means, stds)
}

#[test]
fn bench_workload_bytes_are_pinned() {
    let (g, syms, means, stds) = bench_workload(200_000, 1);
    let mut got = vec![];
    for streams in [1, 3] {
        let mut st = Streams::new(streams, 7);
        st.encode_gaussian(&g, &syms, &means, &stds).unwrap();
        got.push(digest(&st));
        let mut out = vec![0; syms.len()];
        st.decode_gaussian(&g, &means, &stds, &mut out).unwrap();
        assert!(out == syms);
    }
    assert_eq!(
        got,
        vec![(529192, 1990425046), (529224, 1076066530)],
        "coded bytes changed"
    );
}

#[test]
fn mixed_workload_bytes_are_pinned() {
    let grids = [
        (Grid::new(32, -256.0, 256.0).unwrap(), 44),
        (Grid::new(8, 0.0, 1.0).unwrap(), 10),
        (Grid::new(0, -3.0, 5.0).unwrap(), 5),
        (Grid::new(20, -1.0, 1.0).unwrap(), 24),
    ];
    let mut got = vec![];
    for (i, (g, max_log)) in grids.iter().enumerate() {
        let (syms, means, stds) = mixed_workload(g, 20_000, *max_log, 100 + i as u64);
        let mut st = Streams::new(2, 11 + i as u64);
        // Bits-back pattern: decode from initial bits first, then encode.
        let mut eps = vec![0; 500];
        st.decode_std_normal(g, &mut eps).unwrap();
        let mut back = vec![0; 3000];
        st.decode_gaussian(g, &means[..3000], &stds[..3000], &mut back)
            .unwrap();
        st.encode_gaussian(g, &syms, &means, &stds).unwrap();
        st.encode_std_normal(g, &syms[..1000]).unwrap();
        got.push(digest(&st));
        let mut out = vec![0; 1000];
        st.decode_std_normal(g, &mut out).unwrap();
        assert!(out == syms[..1000]);
        let mut out = vec![0; syms.len()];
        st.decode_gaussian(g, &means, &stds, &mut out).unwrap();
        assert!(out == syms);
    }
    assert_eq!(
        got,
        vec![
            (79292, 869118259),
            (15184, 2135113284),
            (7468, 1523003578),
            (39092, 1520675927)
        ],
        "coded bytes changed"
    );
}

#[test]
fn ar_and_uniform_bytes_are_pinned() {
    let g = Grid::new(32, -256.0, 256.0).unwrap();
    let mut rng = Rng(5);
    let c = 6;
    let m: Vec<f64> = (0..c * c)
        .map(|i| 0.3 * (rng.unit() - 0.5) + if i % (c + 1) == 0 { 1.0 } else { 0.0 })
        .collect();
    let ar = ArGaussian::from_matrix(&m, c, 2f64.powi(-14)).unwrap();
    let blocks = 500;
    let base: Vec<f64> = (0..blocks * c)
        .map(|_| -100.0 + 200.0 * rng.unit())
        .collect();
    let syms: Vec<u64> = base
        .iter()
        .map(|&b| g.symbol(b + 2f64.powi(-14) * rng.normalish()).unwrap())
        .collect();
    let mut st = Streams::new(2, 3);
    st.encode_ar(&g, &ar, &base, &syms).unwrap();
    let sizes = [3u64, 1000, 1 << 20, (1 << 20) + 1, (1 << 40) + 3, u64::MAX];
    for &n in &sizes {
        let u: Vec<u64> = (0..300).map(|_| rng.below(n)).collect();
        st.encode_uniform(n, &u).unwrap();
    }
    assert_eq!(digest(&st), (13424, 3368042388), "coded bytes changed");
}

//! Local bits-back coding with autoregressive flows (Algorithm 3.2): exact round trips, the
//! streams returning to their initial length, and the net codelength against -log2 p(x) delta^d.

use flowbb::ans::{Grid, Streams};
use flowbb::codec::autoregressive::{
    decode, decode_with_prior, encode, encode_with_prior, log_density, AffineAr, AsinhAr,
    AutoregressiveFlow,
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

/// `n` vectors sampled from the flow (standard normal latents pushed through the inverse, one
/// coordinate at a time), as bins of `g`.
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

fn grid() -> Grid {
    Grid::new(20, -64.0, 64.0).unwrap()
}

const SIGMA: f64 = 1.0 / 256.0;

/// Encode with the prior, check the symbols come back and the streams return to where they
/// started (same length, same state); returns the net codelength in bits (fractional count).
fn round_trip<F: AutoregressiveFlow>(f: &F, x: &[u64], num_streams: usize, seed: u64) -> f64 {
    let g = grid();
    let d = f.dim();
    let mut st = Streams::new(num_streams, seed);
    let fresh = st.clone();
    let before = st.len_bits();
    let before_frac = st.len_bits_fractional();
    encode_with_prior(&mut st, &g, SIGMA, f, x).unwrap();
    let net = st.len_bits_fractional() - before_frac;

    // Through bytes, as a decoder would see them: no initial bits to lean on.
    let mut back = Streams::from_bytes(&st.to_bytes()).unwrap();
    let got = decode_with_prior(&mut back, &g, SIGMA, f, x.len() / d).unwrap();
    assert_eq!(got, x, "{num_streams} streams: decoded symbols differ");

    // On the encoder's own streams: back to the initial length and state exactly.
    let got = decode_with_prior(&mut st, &g, SIGMA, f, x.len() / d).unwrap();
    assert_eq!(got, x);
    assert_eq!(
        st.len_bits(),
        before,
        "{num_streams} streams: length not restored"
    );
    for i in 0..num_streams {
        assert_eq!(
            st.stream(i).unwrap().state(),
            fresh.stream(i).unwrap().state(),
            "stream {i} of {num_streams}: state not restored"
        );
    }
    net
}

#[test]
fn round_trips_exactly_for_several_stream_counts() {
    let g = grid();
    let mut rng = Rng(7);
    for (k, &num_streams) in [1usize, 2, 3, 8].iter().enumerate() {
        for n in [1usize, 5, 40] {
            let affine = AffineAr::new(9, 100 + k as u64);
            let x = sample(&affine, &g, n, &mut rng);
            round_trip(&affine, &x, num_streams, 11 + n as u64);
            let asinh = AsinhAr::new(9, 200 + k as u64);
            let x = sample(&asinh, &g, n, &mut rng);
            round_trip(&asinh, &x, num_streams, 13 + n as u64);
        }
    }
}

#[test]
fn round_trips_symbols_anywhere_on_the_grid() {
    // Data far from what the flow expects (including the grid's ends) still round trips.
    let g = grid();
    let mut rng = Rng(21);
    let f = AsinhAr::new(6, 5);
    let mut x: Vec<u64> = (0..6 * 30).map(|_| rng.next() % g.num_bins()).collect();
    x[0] = 0;
    x[1] = g.num_bins() - 1;
    for num_streams in [1usize, 4] {
        round_trip(&f, &x, num_streams, 3);
        round_trip(&AffineAr::new(6, 9), &x, num_streams, 4);
    }
}

/// Measured net codelength and the ideal `-log2 (p(x) delta^d)`, in bits per dimension.
fn codelength<F: AutoregressiveFlow>(f: &F, n: usize, num_streams: usize) -> (f64, f64) {
    let g = grid();
    let d = f.dim();
    let mut rng = Rng(99);
    let x = sample(f, &g, n, &mut rng);
    let net = round_trip(f, &x, num_streams, 5);
    let mut ideal_nats = 0.0;
    for v in x.chunks(d) {
        let mids: Vec<f64> = v.iter().map(|&s| g.midpoint(s)).collect();
        ideal_nats -= log_density(f, &mids);
    }
    let dims = (n * d) as f64;
    let ideal = ideal_nats / std::f64::consts::LN_2 / dims + g.bits() as f64;
    (net / dims, ideal)
}

#[test]
fn net_codelength_matches_the_flow_density() {
    for num_streams in [1usize, 4] {
        let (bpd, ideal) = codelength(&AffineAr::new(16, 31), 1000, num_streams);
        println!("affine, {num_streams} streams: {bpd:.5} bpd, ideal {ideal:.5}");
        assert!((bpd - ideal).abs() < 0.01, "affine: {bpd} vs {ideal}");
        let (bpd, ideal) = codelength(&AsinhAr::new(16, 32), 1000, num_streams);
        println!("asinh, {num_streams} streams: {bpd:.5} bpd, ideal {ideal:.5}");
        assert!((bpd - ideal).abs() < 0.01, "asinh: {bpd} vs {ideal}");
    }
}

/// A flow whose outputs are sometimes not finite.
struct Broken;

impl AutoregressiveFlow for Broken {
    /// The coordinate and a value taken from the prefix.
    type Params = (usize, f64);

    fn dim(&self) -> usize {
        4
    }
    fn params_i(&self, i: usize, prefix: &[f64]) -> (usize, f64) {
        (i, if i >= 2 { prefix[1] } else { f64::NAN })
    }
    fn forward(&self, &(i, c): &(usize, f64), x: f64) -> (f64, f64) {
        match i {
            0 => (f64::NAN, f64::NAN),
            1 => (f64::INFINITY, 1e308),
            2 => (x * 2.0 + c.min(1.0), -800.0),
            _ => (x, f64::NEG_INFINITY),
        }
    }
    fn inverse(&self, &(i, _): &(usize, f64), z: f64) -> f64 {
        if i == 1 {
            f64::NAN
        } else {
            z
        }
    }
}

#[test]
fn non_finite_flow_values_cost_rate_not_correctness() {
    let g = grid();
    let mut rng = Rng(3);
    let x: Vec<u64> = (0..4 * 25)
        .map(|_| g.symbol(rng.normal()).unwrap())
        .collect();
    for num_streams in [1usize, 3] {
        round_trip(&Broken, &x, num_streams, 8);
    }
}

#[test]
fn bad_arguments_are_errors_and_leave_the_streams_alone() {
    let g = grid();
    let f = AffineAr::new(4, 1);
    let mut st = Streams::new(2, 1);
    let bytes = st.to_bytes();
    let ok: Vec<u64> = vec![g.num_bins() / 2; 8];
    assert!(encode(&mut st, &g, 0.0, &f, &ok).is_err());
    assert!(encode(&mut st, &g, f64::NAN, &f, &ok).is_err());
    assert!(encode(&mut st, &g, SIGMA, &f, &ok[..7]).is_err());
    let mut bad = ok.clone();
    bad[5] = g.num_bins();
    assert!(encode(&mut st, &g, SIGMA, &f, &bad).is_err());
    assert!(decode(&mut st, &g, SIGMA, &f, &bad).is_err());
    assert!(decode(&mut st, &g, SIGMA, &f, &ok[..6]).is_err());
    assert!(decode_with_prior(&mut st, &g, -1.0, &f, 2).is_err());
    assert!(decode_with_prior(&mut st, &g, SIGMA, &f, usize::MAX).is_err());
    assert!(encode(&mut st, &g, SIGMA, &AffineAr::new(0, 1), &[]).is_err());
    assert_eq!(st.to_bytes(), bytes);
}

#[test]
fn truncated_streams_fail_cleanly() {
    let g = grid();
    let f = AsinhAr::new(8, 4);
    let mut rng = Rng(5);
    let x = sample(&f, &g, 20, &mut rng);
    let mut st = Streams::new(2, 6);
    encode_with_prior(&mut st, &g, SIGMA, &f, &x).unwrap();
    let full = Streams::from_bytes(&st.to_bytes()).unwrap();
    // Asking for more vectors than were coded runs the streams dry: an error, not a panic.
    let mut more = full.clone();
    assert!(decode_with_prior(&mut more, &g, SIGMA, &f, 200).is_err());
    // Random streams decode to something or fail, never panic.
    for seed in 0..20u64 {
        let mut junk = Streams::from_bytes(&Streams::new(3, seed).to_bytes()).unwrap();
        let _ = decode_with_prior(&mut junk, &g, SIGMA, &f, 3);
    }
}

/// The affine example flow with an inverse that misses by `err`.
struct Sloppy {
    inner: AffineAr,
    err: f64,
}

impl AutoregressiveFlow for Sloppy {
    type Params = <AffineAr as AutoregressiveFlow>::Params;

    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn params_i(&self, i: usize, prefix: &[f64]) -> Self::Params {
        self.inner.params_i(i, prefix)
    }
    fn forward(&self, p: &Self::Params, x: f64) -> (f64, f64) {
        self.inner.forward(p, x)
    }
    fn inverse(&self, p: &Self::Params, z: f64) -> f64 {
        self.inner.inverse(p, z) + self.err
    }
}

#[test]
fn an_inaccurate_inverse_costs_rate_not_correctness() {
    let exact = codelength(&AffineAr::new(8, 3), 300, 2);
    let sloppy = codelength(
        &Sloppy {
            inner: AffineAr::new(8, 3),
            err: 2.0 * SIGMA,
        },
        300,
        2,
    );
    println!("exact inverse {exact:?}, inverse off by 2 sigma {sloppy:?}");
    assert!((exact.0 - exact.1).abs() < 0.01);
    // Each coordinate's mean is 2 sigma off. The excess is below the 2 nats (2.9 bits) that
    // independent noise would give, as the bits taken back right after coding x_i are not
    // uniform when x_i was coded under a wrong distribution, but it is clearly there.
    let excess = sloppy.0 - sloppy.1;
    assert!(excess > 1.0 && excess < 3.0, "excess {excess} bpd");
}

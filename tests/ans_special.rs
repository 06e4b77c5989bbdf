//! Accuracy, monotonicity and bit-exact reproducibility of the deterministic normal CDF.
// Reference values are quoted with all the digits of the high-precision computation.
#![allow(clippy::excessive_precision)]

use flowbb::ans::special::{erf, erfc, normal_tail, phi};

/// Reference values of Phi computed with 40-digit arithmetic.
const PHI_REFERENCE: &[(f64, f64)] = &[
    (-37.5, 4.60535300958195484e-308),
    (-30.0, 4.90671392714818706e-198),
    (-20.0, 2.7536241186062337e-89),
    (-12.3, 4.52870695615878465e-35),
    (-8.0, 6.22096057427178412e-16),
    (-7.9, 1.39451714665926428e-15),
    (-5.0, 2.86651571879193912e-7),
    (-3.3, 0.000483424142383777507),
    (-1.7, 0.0445654627585430437),
    (-1.0, 0.158655253931457051),
    (-0.4, 0.344578258389675825),
    (-0.001, 0.499601057786088937),
    (0.0, 0.5),
    (0.25, 0.598706325682923724),
    (0.99, 0.838912940489169087),
    (1.5, 0.933192798731141934),
    (2.5, 0.993790334674223865),
    (6.0, 0.999999999013412355),
    (9.0, 1.0),
];

#[test]
fn phi_matches_high_precision_reference_in_relative_terms() {
    for &(z, want) in PHI_REFERENCE {
        let got = phi(z);
        let rel = ((got - want) / want).abs();
        let tol = if z < -20.0 { 5e-13 } else { 3e-15 };
        assert!(
            rel <= tol,
            "Phi({z}) = {got:e}, want {want:e}, relative error {rel:e}"
        );
    }
}

#[test]
fn phi_is_monotone_on_a_dense_sweep() {
    let mut prev = 0.0;
    let mut z = -39.0;
    while z < 10.0 {
        let p = phi(z);
        assert!(p >= prev, "Phi decreases at {z}: {p:e} < {prev:e}");
        assert!((0.0..=1.0).contains(&p));
        prev = p;
        z += 1.0 / 4096.0 + z.abs() * 1e-9;
    }
}

#[test]
fn tail_and_error_functions_agree() {
    for i in -200..200 {
        let x = i as f64 / 37.0;
        assert!((erf(x) + erfc(x) - 1.0).abs() < 4e-16, "x = {x}");
        assert!((phi(x) + normal_tail(x) - 1.0).abs() < 4e-16, "x = {x}");
        assert!((erf(-x) + erf(x)).abs() == 0.0);
    }
    let r = erfc(10.0) / 2.088487583762544757e-45;
    assert!((r - 1.0).abs() < 1e-13, "erfc(10) ratio {r}");
}

/// The exact bits of Phi at a few points. Any platform or compiler that changes one of these
/// would make archives undecodable across machines.
#[test]
fn phi_bits_are_reproducible() {
    let zs = [-31.25, -9.5, -6.0, -2.75, -0.5, 0.125, 1.5, 3.0, 7.25];
    let got: Vec<u64> = zs.iter().map(|&z| phi(z).to_bits()).collect();
    let want: [u64; 9] = PHI_BITS;
    assert_eq!(got, want);
}

const PHI_BITS: [u64; 9] = [
    1406035134984416227,
    4293006686552855722,
    4472341675461127496,
    4569017288750974979,
    4599229738095650578,
    4603126821274268845,
    4606580673026537218,
    4607170259999472933,
    4607182418800015531,
];

#[test]
fn coding_cdf_agrees_with_the_accurate_cdf_and_is_monotone() {
    use flowbb::ans::special::phi_coding;
    let mut prev = 0.0;
    let mut worst: f64 = 0.0;
    let mut z = -12.0;
    while z < 12.0 {
        let p = phi_coding(z);
        let tol = if z.abs() < 8.0 { 0.0 } else { 6.3e-16 };
        worst = worst.max((p - phi(z)).abs() - tol);
        assert!(p >= prev, "coding CDF decreases at {z}");
        prev = p;
        z += 1.0 / 8192.0 + 1e-7;
    }
    assert!(worst < 6e-16, "largest difference {worst:e}");
    for &(z, want) in PHI_REFERENCE {
        assert!((phi_coding(z) - want).abs() < 2e-16, "z = {z}");
    }
}

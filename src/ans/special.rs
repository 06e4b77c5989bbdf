//! Deterministic special functions for the entropy coder.
//!
//! Everything here that decides bits (the normal CDF and its tail, the exponential they use)
//! is built only from IEEE-754 basic operations (`+ - * /`), which are correctly rounded on
//! every platform, and never from the platform's math library. Given the same inputs, the
//! encoder and the decoder therefore compute bit-identical values on any machine.
//!
//! The upper tail `Q(z) = P(Z > z)` of the standard normal is approximated piecewise by
//! Chebyshev expansions (fitted by `scripts/fit_normal_tail.py`); its relative error is about
//! 1e-15 on `[0, 8]` and a few 1e-14 further out, where rounding of `z^2/2` dominates. The lower
//! tail is computed as `Q(-z)`, so small probabilities keep their relative accuracy.

use super::normal_table::{TABLE, TABLE_LO, TABLE_PIECES, TABLE_SCALE};

/// High part of ln 2, with enough trailing zero bits that `k * LN2_HI` is exact for |k| < 2^11.
const LN2_HI: f64 = 0.6931467056274414;
/// ln 2 - LN2_HI.
const LN2_LO: f64 = 4.7493250390316726e-07;
/// 1 / sqrt(2 pi).
const INV_SQRT_2PI: f64 = 0.3989422804014327;

// Chebyshev coefficients of the pieces of Q(z); see the module docs and the fitting script.
const TAIL_A: [f64; 11] = [
    0.3690955161047672,
    -0.028768099550741277,
    0.001047259750914927,
    -3.065264562641616e-05,
    7.371168584164308e-07,
    -1.496603254968702e-08,
    2.6239166153334063e-10,
    -4.043933706377385e-12,
    5.556950740668912e-14,
    -6.887180239708937e-16,
    7.771932123131337e-18,
];
const TAIL_B1: [f64; 16] = [
    0.2102771908607303,
    -0.04633240725519158,
    0.004529553131462607,
    -0.00040316284359988123,
    3.32150451069782e-05,
    -2.56224426351041e-06,
    1.866485977765655e-07,
    -1.2923463838641052e-08,
    8.549223972962733e-10,
    -5.426130699690445e-11,
    3.3157327776305673e-12,
    -1.956439749546064e-13,
    1.1174743683504077e-14,
    -6.192012113473938e-16,
    3.3347938230149683e-17,
    -1.7485227049252132e-18,
];
const TAIL_B2: [f64; 19] = [
    0.12630996025073998,
    -0.03621701088597736,
    0.004870211170370729,
    -0.0006198329611431007,
    7.516358950858963e-05,
    -8.729867087318123e-06,
    9.751738985994833e-07,
    -1.0512573679733388e-07,
    1.0967839077285482e-08,
    -1.110099859587828e-09,
    1.0922649987165154e-10,
    -1.0466387689080478e-11,
    9.782510269363888e-13,
    -8.93081999959765e-14,
    7.973644197871764e-15,
    -6.969928585975306e-16,
    5.970903129621684e-17,
    -5.0174806713876005e-18,
    4.1392735702741945e-19,
];
const TAIL_B3: [f64; 22] = [
    0.06819137156435533,
    -0.02209230826495091,
    0.003491883577010714,
    -0.000539403492665685,
    8.154734097787728e-05,
    -1.2080370756837708e-05,
    1.7554816461211648e-06,
    -2.504828909597571e-07,
    3.512390588258105e-08,
    -4.844078687905344e-09,
    6.575254294059338e-10,
    -8.790004955829667e-11,
    1.1579758439430065e-11,
    -1.5041169650580792e-12,
    1.9273257334142394e-13,
    -2.4373816009798096e-14,
    3.0435183604429976e-15,
    -3.7539502522209797e-16,
    4.575366687999021e-17,
    -5.512419644388172e-18,
    6.567231369147842e-19,
    -7.738952027016617e-20,
];
const TAIL_C: [f64; 13] = [
    0.3959285907669989,
    -0.0029803720277977197,
    3.272009702672454e-05,
    -5.828903299883247e-07,
    1.4170619578556398e-08,
    -4.322250033027378e-10,
    1.5739326745840548e-11,
    -6.622344839273683e-13,
    3.145905029674948e-14,
    -1.6585582131389706e-15,
    9.576848077482789e-17,
    -5.993335518106247e-18,
    4.0306782876999094e-19,
];

/// Evaluates a Chebyshev series on `[a, b]` at `x` (Clenshaw recurrence, fixed order).
#[inline(always)]
fn chebyshev<const N: usize>(c: &[f64; N], a: f64, b: f64, x: f64) -> f64 {
    let y = (2.0 * x - (a + b)) / (b - a);
    let y2 = 2.0 * y;
    let mut b1 = 0.0;
    let mut b2 = 0.0;
    let mut k = N - 1;
    while k > 0 {
        let t = y2 * b1 - b2 + c[k];
        b2 = b1;
        b1 = t;
        k -= 1;
    }
    y * b1 - b2 + c[0]
}

/// `e^x`, computed from basic operations only (deterministic across platforms).
///
/// Accurate to about one unit in the last place for `x` in `[-745, 709]`; returns 0 below
/// and +inf above that range, and NaN for NaN.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < -745.2 {
        return 0.0;
    }
    if x > 709.78 {
        return f64::INFINITY;
    }
    // Range reduction x = k ln 2 + r with |r| <= ln(2)/2.
    let kf = round_half_away(x * std::f64::consts::LOG2_E);
    let k = kf as i32;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    // Taylor polynomial of degree 13 (remainder below 4e-18 on the reduced range).
    let mut p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    scale_pow2(p, k)
}

/// Rounds to the nearest integer, halves away from zero (basic operations only).
#[inline(always)]
fn round_half_away(x: f64) -> f64 {
    // `trunc` is exact and platform independent.
    let t = x.trunc();
    let d = x - t;
    if d >= 0.5 {
        t + 1.0
    } else if d <= -0.5 {
        t - 1.0
    } else {
        t
    }
}

/// `x * 2^k` for x in [0.5, 2] and k in about [-1076, 1025], exact unless the result is
/// subnormal (then correctly rounded by the final multiplication).
#[inline(always)]
fn scale_pow2(x: f64, k: i32) -> f64 {
    if k > 1023 {
        x * 2.0 * pow2(k - 1)
    } else if k >= -1022 {
        x * pow2(k)
    } else {
        // Two steps so that only the last multiplication can round.
        (x * pow2(k + 600)) * pow2(-600)
    }
}

/// `2^k` for k in [-1022, 1023], built from its bit pattern.
#[inline(always)]
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Upper tail of the standard normal distribution, `Q(z) = P(Z > z) = 1 - Phi(z)`.
///
/// Deterministic (basic operations only) and accurate in relative terms for large `z`, where
/// `1 - Phi(z)` would cancel. Returns 1 for `z = -inf`, 0 for `z >= 38.5` and NaN for NaN.
pub fn normal_tail(z: f64) -> f64 {
    if z.is_nan() {
        return z;
    }
    if z < 0.0 {
        return 1.0 - normal_tail_pos(-z);
    }
    normal_tail_pos(z)
}

/// `Q(z)` for `z >= 0`.
#[inline(always)]
fn normal_tail_pos(z: f64) -> f64 {
    if z < 1.0 {
        0.5 - z * chebyshev(&TAIL_A, 0.0, 1.0, z * z)
    } else if z < 8.0 {
        let g = exp(-0.5 * (z * z));
        let b = if z < 2.0 {
            chebyshev(&TAIL_B1, 1.0, 2.0, z)
        } else if z < 4.0 {
            chebyshev(&TAIL_B2, 2.0, 4.0, z)
        } else {
            chebyshev(&TAIL_B3, 4.0, 8.0, z)
        };
        g * b
    } else if z < 38.5 {
        let t = 1.0 / (z * z);
        exp(-0.5 * (z * z)) / z * chebyshev(&TAIL_C, 0.0, 1.0 / 64.0, t)
    } else {
        0.0
    }
}

/// Cumulative distribution function of the standard normal, `Phi(z) = P(Z <= z)`.
///
/// Deterministic (basic operations only). For negative `z` it is computed as the upper tail
/// `Q(-z)`, so it keeps relative accuracy far into the lower tail. The result is in `[0, 1]`.
pub fn phi(z: f64) -> f64 {
    if z.is_nan() {
        return z;
    }
    if z < 0.0 {
        normal_tail_pos(-z)
    } else {
        1.0 - normal_tail_pos(z)
    }
}

/// `x` truncated to an integer, for `x` in `[0, 2^52]` (never NaN).
///
/// The same value as `x as i64 as u64`, without the saturation and NaN handling of `as`,
/// which cost several instructions per conversion on the coder's hot path.
#[inline(always)]
pub(crate) fn trunc_small(x: f64) -> u64 {
    debug_assert!((0.0..=(1u64 << 52) as f64).contains(&x));
    // SAFETY: callers pass a finite x in [0, 2^52], whose truncation fits in an i64.
    unsafe { x.to_int_unchecked::<i64>() as u64 }
}

/// The standard normal CDF as the coder evaluates it: `Phi(z)` for `z <= 0` from a table of
/// degree-9 Taylor polynomials on 64 pieces of width 1/8 over `[-8, 0]`
/// (`scripts/fit_normal_table.py`) and 0 below -8; `1 - Phi(-z)` for `z > 0`.
///
/// Its absolute error is about 1e-16, and below `Phi(-8) = 6.3e-16` beyond 8 in magnitude
/// (the coder needs absolute, not relative, accuracy: it quantizes CDF values to multiples of
/// about 2^-26). It is deterministic like [`phi`], in `[0, 1]`, and several times faster.
#[inline(always)]
pub fn phi_coding(z: f64) -> f64 {
    // Without a branch on the sign of z, which is unpredictable: for z > 0 this computes
    // 1 + (-1) p = 1 - p, for z <= 0 it computes 0 + 1 p = p, both exactly as written.
    let upper = (z > 0.0) as u8 as f64;
    let p = lower_half(-z.abs());
    upper + (1.0 - 2.0 * upper) * p
}

/// `Phi(z)` for `z <= 0` from the table (0 below its range, also for NaN).
#[inline(always)]
fn lower_half(z: f64) -> f64 {
    let u = (z - TABLE_LO) * TABLE_SCALE;
    if u.is_nan() || u < 0.0 {
        return 0.0;
    }
    // `u` is in [0, 64] for z <= 0 (in [0, inf] in general); clamping it before the
    // conversion gives the same index as clamping the index.
    let i = trunc_small(u.min((TABLE_PIECES - 1) as f64)) as usize;
    let t = u - i as f64 - 0.5;
    let c = &TABLE[i];
    // Estrin's scheme: a short dependency chain, in a fixed order of operations.
    let t2 = t * t;
    let t4 = t2 * t2;
    let t8 = t4 * t4;
    let a = c[0] + c[1] * t;
    let b = c[2] + c[3] * t;
    let d = c[4] + c[5] * t;
    let e = c[6] + c[7] * t;
    let f = c[8] + c[9] * t;
    let low = a + b * t2;
    let high = d + e * t2;
    let p = (low + high * t4) + f * t8;
    p.clamp(0.0, 0.5)
}

/// The error function `erf(x)`, deterministic (basic operations only).
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let v = 1.0 - 2.0 * normal_tail_pos(a * std::f64::consts::SQRT_2);
    if x < 0.0 {
        -v
    } else {
        v
    }
}

/// The complementary error function `erfc(x) = 1 - erf(x)`, deterministic (basic operations
/// only) and accurate in relative terms for large positive `x`.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 0.0 {
        2.0 - 2.0 * normal_tail_pos(-x * std::f64::consts::SQRT_2)
    } else {
        2.0 * normal_tail_pos(x * std::f64::consts::SQRT_2)
    }
}

/// Density of the standard normal, `exp(-z^2/2) / sqrt(2 pi)`, deterministic.
pub fn normal_density(z: f64) -> f64 {
    INV_SQRT_2PI * exp(-0.5 * (z * z))
}

/// Approximate quantile (inverse CDF) of the standard normal, `Phi^-1(p)`, with an absolute
/// error below about 5e-4.
///
/// Only ever used as a starting point for an exact search, so it may use the platform's
/// logarithm: its inaccuracy or platform dependence changes the search path, never a result.
/// Clamps `p` into `[1e-300, 1 - 1e-16]`.
pub fn normal_quantile_approx(p: f64) -> f64 {
    let p = if p.is_nan() {
        0.5
    } else {
        p.clamp(1e-300, 1.0 - 1e-16)
    };
    // Rational approximation in t = sqrt(-2 ln q) of the tail quantile, q = min(p, 1 - p).
    let (q, sign) = if p < 0.5 { (p, -1.0) } else { (1.0 - p, 1.0) };
    let t = (-2.0 * q.ln()).sqrt();
    let num = 2.515517 + t * (0.802853 + t * 0.010328);
    let den = 1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308));
    sign * (t - num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_known_values() {
        assert_eq!(exp(0.0), 1.0);
        let e = exp(1.0);
        assert!((e - std::f64::consts::E).abs() <= 2.0 * f64::EPSILON * e);
        for &x in &[-700.0, -100.0, -10.5, -0.3, 0.2, 3.0, 50.0] {
            let want = f64::exp(x);
            assert!(((exp(x) - want) / want).abs() < 4e-16, "x = {x}");
        }
        assert_eq!(exp(-800.0), 0.0);
        assert!(exp(-740.0) > 0.0);
    }

    #[test]
    fn quantile_hint_is_close() {
        for i in 1..1000 {
            let p = i as f64 / 1000.0;
            let z = normal_quantile_approx(p);
            assert!((phi(z) - p).abs() < 5e-4 * 0.4, "p = {p}");
        }
    }
}

//! Elementwise flows in pure-Rust f64: the values, log-derivatives and inverses that the bits-back
//! coder feeds to the entropy coder.
//!
//! The coder needs each function to be deterministic (encoder and decoder must compute the same
//! bits from the same midpoints), not exactly invertible: an inaccurate inverse only costs rate.
//! Everything here is a per-element function of its inputs, evaluated with scalar f64 arithmetic,
//! so results do not depend on batch layout or thread count.

use rayon::prelude::*;

/// Elements per rayon task: large enough to amortize scheduling, small enough to balance.
const PAR_CHUNK: usize = 4096;

/// Lower bound on mixture log-scales, as in training.
pub const MIN_LOG_SCALE: f64 = -7.0;

/// `log(1 + e^x)` without overflow.
#[inline]
pub fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The logistic sigmoid, accurate in both tails.
#[inline]
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `log sigmoid(x)`.
#[inline]
pub fn log_sigmoid(x: f64) -> f64 {
    -softplus(-x)
}

/// The logit, with its argument kept strictly inside (0, 1) so that it stays finite.
#[inline]
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
    p.ln() - (-p).ln_1p()
}

/// One elementwise flow as the coder sees it: forward value with log-derivative, and an inverse.
pub trait Elementwise: Sync {
    /// `(f(x), log f'(x))` for element `i` at input `x`.
    fn forward(&self, i: usize, x: f64) -> (f64, f64);
    /// An approximate inverse of `f` for element `i`.
    fn inverse(&self, i: usize, y: f64) -> f64;
}

/// Applies `forward` to every element in parallel: fills `y` and `logd`.
pub fn forward_all<F: Elementwise + ?Sized>(f: &F, x: &[f64], y: &mut [f64], logd: &mut [f64]) {
    y.par_chunks_mut(PAR_CHUNK)
        .zip(logd.par_chunks_mut(PAR_CHUNK))
        .enumerate()
        .for_each(|(ci, (ys, ls))| {
            let base = ci * PAR_CHUNK;
            for (k, (yv, lv)) in ys.iter_mut().zip(ls.iter_mut()).enumerate() {
                let (a, b) = f.forward(base + k, x[base + k]);
                *yv = a;
                *lv = b;
            }
        });
}

/// Applies `inverse` to every element in parallel.
pub fn inverse_all<F: Elementwise + ?Sized>(f: &F, y: &[f64], x: &mut [f64]) {
    x.par_chunks_mut(PAR_CHUNK)
        .enumerate()
        .for_each(|(ci, xs)| {
            let base = ci * PAR_CHUNK;
            for (k, xv) in xs.iter_mut().enumerate() {
                *xv = f.inverse(base + k, y[base + k]);
            }
        });
}

/// The input map of the main flow: `v` in integer pixel units [0, 256) to
/// `logit(0.05 + 0.9 v / 256)`.
pub struct ImgProc;

impl Elementwise for ImgProc {
    fn forward(&self, _: usize, v: f64) -> (f64, f64) {
        let y = v * (0.9 / 256.0) + 0.05;
        let logd = (0.9f64 / 256.0).ln() - y.ln() - (-y).ln_1p();
        (logit(y), logd)
    }

    fn inverse(&self, _: usize, l: f64) -> f64 {
        (sigmoid(l) - 0.05) * (256.0 / 0.9)
    }
}

/// The logistic sigmoid as a flow (the last layer of the dequantizer).
pub struct Sigmoid;

impl Elementwise for Sigmoid {
    fn forward(&self, _: usize, x: f64) -> (f64, f64) {
        (sigmoid(x), log_sigmoid(x) + log_sigmoid(-x))
    }

    fn inverse(&self, _: usize, s: f64) -> f64 {
        logit(s)
    }
}

/// The logit as a flow (the middle sub-flow of a mixture-logistic coupling).
pub struct Logit;

impl Elementwise for Logit {
    fn forward(&self, _: usize, c: f64) -> (f64, f64) {
        let cc = c.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
        (logit(cc), -cc.ln() - (-cc).ln_1p())
    }

    fn inverse(&self, _: usize, l: f64) -> f64 {
        sigmoid(l)
    }
}

/// `y = x * scale + shift` per element, with `log_scale = ln scale` given (Norm, and the affine
/// sub-flow of a coupling where `log_scale = tanh(raw)`).
pub struct Affine<'a> {
    pub log_scale: &'a [f64],
    pub shift: &'a [f64],
    /// Element `i` uses parameter `i % period` (a Norm's parameters repeat over the batch).
    pub period: usize,
}

impl Elementwise for Affine<'_> {
    fn forward(&self, i: usize, x: f64) -> (f64, f64) {
        let j = i % self.period;
        let s = self.log_scale[j];
        (x * s.exp() + self.shift[j], s)
    }

    fn inverse(&self, i: usize, y: f64) -> f64 {
        let j = i % self.period;
        (y - self.shift[j]) * (-self.log_scale[j]).exp()
    }
}

/// The mixture-of-logistics CDF; element `i` has `k` components at `[i*k, (i+1)*k)` of each of
/// `logits`, `means` and `log_scales`.
pub struct MixLogisticCdf<'a> {
    pub k: usize,
    pub logits: &'a [f64],
    pub means: &'a [f64],
    pub log_scales: &'a [f64],
}

/// Most mixture components a coupling may have (model configurations are checked against it);
/// one element's parameters live on the stack.
pub const MAX_COMPONENTS: usize = 64;

/// One element's mixture, prepared once per call: weights (softmax of the logits), their logs,
/// means, inverse scales (log-scales clamped below at [`MIN_LOG_SCALE`]) and their logs.
struct Mixture {
    k: usize,
    w: [f64; MAX_COMPONENTS],
    lw: [f64; MAX_COMPONENTS],
    mu: [f64; MAX_COMPONENTS],
    inv_s: [f64; MAX_COMPONENTS],
    log_inv_s: [f64; MAX_COMPONENTS],
}

impl Mixture {
    /// `(CDF, 1 - CDF, pdf)` at `x`, each accurate in its own tail, with one exponential per
    /// component: with `e = exp(-|z|)`, `sigmoid(z)` is `1/(1+e)` or `e/(1+e)` and
    /// `sigmoid(z) sigmoid(-z) = e/(1+e)^2`.
    #[inline]
    fn cdf_sf_pdf(&self, x: f64) -> (f64, f64, f64) {
        let (mut cdf, mut sf, mut pdf) = (0.0, 0.0, 0.0);
        for j in 0..self.k {
            let z = (x - self.mu[j]) * self.inv_s[j];
            let e = (-z.abs()).exp();
            let r = 1.0 / (1.0 + e);
            let (s, t) = if z >= 0.0 { (r, e * r) } else { (e * r, r) };
            cdf += self.w[j] * s;
            sf += self.w[j] * t;
            pdf += self.w[j] * (e * r * r) * self.inv_s[j];
        }
        (cdf, sf, pdf)
    }

    /// `(log CDF, log(1 - CDF), log pdf)` by log-sum-exp over the components, for the far
    /// tails where one of them underflows.
    fn log_cdf_sf_pdf(&self, x: f64) -> (f64, f64, f64) {
        let (mut lc, mut ls, mut lp) = (
            [0.0; MAX_COMPONENTS],
            [0.0; MAX_COMPONENTS],
            [0.0; MAX_COMPONENTS],
        );
        for j in 0..self.k {
            let z = (x - self.mu[j]) * self.inv_s[j];
            let l1 = (-z.abs()).exp().ln_1p();
            let (ls_pos, ls_neg) = (z.min(0.0) - l1, (-z).min(0.0) - l1);
            lc[j] = self.lw[j] + ls_pos;
            ls[j] = self.lw[j] + ls_neg;
            lp[j] = self.lw[j] + ls_pos + ls_neg + self.log_inv_s[j];
        }
        let k = self.k;
        (
            log_sum_exp(&lc[..k]),
            log_sum_exp(&ls[..k]),
            log_sum_exp(&lp[..k]),
        )
    }

    /// `(logit(CDF(x)), log of its derivative)`, accurate in both tails.
    #[inline]
    fn logit_cdf(&self, x: f64) -> (f64, f64) {
        let (c, sf, pdf) = self.cdf_sf_pdf(x);
        let (lc, ls, lp) = if c.min(sf).min(pdf) >= f64::MIN_POSITIVE {
            (c.ln(), sf.ln(), pdf.ln())
        } else {
            self.log_cdf_sf_pdf(x)
        };
        (lc - ls, lp - lc - ls)
    }

    /// An interval holding the `x` with `logit(CDF(x)) = l`: every component's CDF is below the
    /// target left of it and above it right of it. `Err(lo)` when it is empty or not finite,
    /// with nothing to search.
    #[inline]
    fn bracket(&self, l: f64) -> std::result::Result<(f64, f64), f64> {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for j in 0..self.k {
            let q = self.mu[j] + l / self.inv_s[j];
            lo = lo.min(q);
            hi = hi.max(q);
        }
        if hi.partial_cmp(&lo) == Some(std::cmp::Ordering::Greater) {
            Ok((lo, hi))
        } else {
            Err(lo)
        }
    }

    /// The `x` with `logit(CDF(x)) = l`: a safeguarded Newton search on the CDF where `l <= 0`
    /// and on `1 - CDF` where `l > 0`, so that the target is never rounded to 1.
    fn inverse_logit_cdf(&self, l: f64) -> f64 {
        let l = if l.is_nan() { 0.0 } else { l };
        let (lo, hi) = match self.bracket(l) {
            Ok(b) => b,
            Err(x) => return x,
        };
        let upper = l > 0.0;
        let target = sigmoid(-l.abs());
        safeguarded_newton(lo, hi, |x| {
            let (c, sf, pdf) = self.cdf_sf_pdf(x);
            (if upper { target - sf } else { c - target }, pdf)
        })
    }
}

/// The root in `(lo, hi)` of an increasing function given as `x -> (value, slope)`: Newton
/// steps that stay inside a bracket kept around the root, bisection otherwise, until the step
/// or the bracket is [`INVERSE_TOL`] wide relative to `x`. The result only needs to be a
/// deterministic function of the inputs and close to the root: an error `e` costs about
/// `(e / sigma)^2 / 2` nats, nothing at 1e-11.
#[inline]
fn safeguarded_newton(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> (f64, f64)) -> f64 {
    let mut x = 0.5 * (lo + hi);
    for _ in 0..100 {
        let (r, slope) = f(x);
        if r < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        if hi - lo <= INVERSE_TOL * (1.0 + x.abs()) {
            break;
        }
        let newton = x - r / slope;
        let next = if slope > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= INVERSE_TOL * (1.0 + x.abs()) {
            return next;
        }
        x = next;
    }
    x
}

fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + v.iter().map(|a| (a - m).exp()).sum::<f64>().ln()
}

impl MixLogisticCdf<'_> {
    /// The mixture of element `i`.
    #[inline]
    fn mixture(&self, i: usize) -> Mixture {
        let k = self.k;
        let r = i * k..(i + 1) * k;
        let (logits, means, log_scales) = (
            &self.logits[r.clone()],
            &self.means[r.clone()],
            &self.log_scales[r],
        );
        let mut m = Mixture {
            k,
            w: [0.0; MAX_COMPONENTS],
            lw: [0.0; MAX_COMPONENTS],
            mu: [0.0; MAX_COMPONENTS],
            inv_s: [0.0; MAX_COMPONENTS],
            log_inv_s: [0.0; MAX_COMPONENTS],
        };
        let top = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0;
        for (w, l) in m.w.iter_mut().zip(logits) {
            *w = (l - top).exp();
            total += *w;
        }
        let log_total = top + total.ln();
        for j in 0..k {
            m.w[j] /= total;
            m.lw[j] = logits[j] - log_total;
            m.mu[j] = means[j];
            m.log_inv_s[j] = -log_scales[j].max(MIN_LOG_SCALE);
            m.inv_s[j] = m.log_inv_s[j].exp();
        }
        m
    }
}

impl Elementwise for MixLogisticCdf<'_> {
    fn forward(&self, i: usize, x: f64) -> (f64, f64) {
        let m = self.mixture(i);
        let (cdf, _, pdf) = m.cdf_sf_pdf(x);
        if pdf >= f64::MIN_POSITIVE {
            (cdf, pdf.ln())
        } else {
            let (lc, _, lp) = m.log_cdf_sf_pdf(x);
            (lc.exp(), lp)
        }
    }

    fn inverse(&self, i: usize, c: f64) -> f64 {
        let m = self.mixture(i);
        let c = c.clamp(1e-300, 1.0 - f64::EPSILON / 2.0);
        let (lo, hi) = match m.bracket(logit(c)) {
            Ok(b) => b,
            Err(x) => return x,
        };
        safeguarded_newton(lo, hi, |x| {
            let (f, _, p) = m.cdf_sf_pdf(x);
            (f - c, p)
        })
    }
}

/// A whole logistic-mixture coupling transform as one elementwise flow,
/// `y = logit(CDF(x)) exp(s) + t`: Algorithm 3.3 with `f` the coupling's complete elementwise
/// map, coded in one local bits-back step instead of one per sub-flow. Its derivative is the
/// product of the sub-flows' derivatives, and nothing between them is put on a grid.
pub struct MixLogisticCoupling<'a> {
    pub cdf: MixLogisticCdf<'a>,
    pub affine: Affine<'a>,
}

impl Elementwise for MixLogisticCoupling<'_> {
    fn forward(&self, i: usize, x: f64) -> (f64, f64) {
        let (l, dl) = self.cdf.mixture(i).logit_cdf(x);
        let (y, ds) = self.affine.forward(i, l);
        (y, dl + ds)
    }

    fn inverse(&self, i: usize, y: f64) -> f64 {
        let l = self.affine.inverse(i, y);
        self.cdf.mixture(i).inverse_logit_cdf(l)
    }
}

/// Relative tolerance of the mixture CDF's inverse.
const INVERSE_TOL: f64 = 1e-11;

#[cfg(test)]
mod tests {
    use super::*;

    fn check_inverse<F: Elementwise>(f: &F, xs: &[f64], tol: f64) {
        for (i, &x) in xs.iter().enumerate() {
            let (y, _) = f.forward(i, x);
            let back = f.inverse(i, y);
            assert!((back - x).abs() <= tol, "x {x} -> y {y} -> {back}");
        }
    }

    fn check_logd<F: Elementwise>(f: &F, xs: &[f64]) {
        for (i, &x) in xs.iter().enumerate() {
            let h = 1e-6 * (1.0 + x.abs());
            let (yp, _) = f.forward(i, x + h);
            let (ym, _) = f.forward(i, x - h);
            let (_, logd) = f.forward(i, x);
            let numeric = ((yp - ym) / (2.0 * h)).ln();
            assert!(
                (numeric - logd).abs() < 1e-5,
                "x {x}: logd {logd} vs numeric {numeric}"
            );
        }
    }

    #[test]
    fn imgproc_sigmoid_logit_invert_and_have_the_right_derivative() {
        let pixels: Vec<f64> = (0..256).map(|v| v as f64 + 0.37).collect();
        check_inverse(&ImgProc, &pixels, 1e-9);
        check_logd(&ImgProc, &pixels);
        let reals: Vec<f64> = (-30..30).map(|v| v as f64 * 0.5 + 0.1).collect();
        check_inverse(&Sigmoid, &reals, 1e-9);
        check_logd(&Sigmoid, &reals);
        let unit: Vec<f64> = (1..100).map(|v| v as f64 / 100.0).collect();
        check_inverse(&Logit, &unit, 1e-12);
        check_logd(&Logit, &unit);
    }

    #[test]
    fn mixture_cdf_inverts_in_the_body_and_the_tails() {
        let k = 4;
        let (mut logits, mut means, mut log_scales) = (Vec::new(), Vec::new(), Vec::new());
        let xs: Vec<f64> = (-40..40).map(|v| v as f64 * 0.37).collect();
        for i in 0..xs.len() {
            let s = i as f64 * 0.1;
            logits.extend_from_slice(&[0.1, -0.3, 1.0 + s.sin(), 0.0]);
            means.extend_from_slice(&[-2.0, 0.5, 1.0, s.cos() * 3.0]);
            log_scales.extend_from_slice(&[-1.0, 0.0, 0.5, -3.0]);
        }
        let f = MixLogisticCdf {
            k,
            logits: &logits,
            means: &means,
            log_scales: &log_scales,
        };
        check_inverse(&f, &xs, 1e-7);
        check_logd(&f, &xs);
    }

    #[test]
    fn whole_coupling_inverts_and_matches_its_sub_flows() {
        let k = 4;
        let (mut logits, mut means, mut log_scales) = (Vec::new(), Vec::new(), Vec::new());
        let xs: Vec<f64> = (-60..60).map(|v| v as f64 * 0.37).collect();
        let (mut s, mut t) = (Vec::new(), Vec::new());
        for i in 0..xs.len() {
            let a = i as f64 * 0.1;
            logits.extend_from_slice(&[0.1, -0.3, 1.0 + a.sin(), 0.0]);
            means.extend_from_slice(&[-2.0, 0.5, 1.0, a.cos() * 3.0]);
            log_scales.extend_from_slice(&[-1.0, 0.0, 0.5, -3.0]);
            s.push(0.3 * a.cos());
            t.push(a.sin());
        }
        let cdf = MixLogisticCdf {
            k,
            logits: &logits,
            means: &means,
            log_scales: &log_scales,
        };
        let affine = Affine {
            period: xs.len(),
            log_scale: &s,
            shift: &t,
        };
        for (i, &x) in xs.iter().enumerate() {
            // In the body the composition of the three sub-flows gives the same value and
            // log-derivative.
            let (c, d1) = cdf.forward(i, x);
            if c > 1e-6 && c < 1.0 - 1e-6 {
                let (l, d2) = Logit.forward(i, c);
                let (y, d3) = affine.forward(i, l);
                let (yf, df) = MixLogisticCoupling {
                    cdf: MixLogisticCdf { ..cdf },
                    affine: Affine { ..affine },
                }
                .forward(i, x);
                assert!((y - yf).abs() < 1e-9 * (1.0 + y.abs()), "{x}: {y} vs {yf}");
                assert!((d1 + d2 + d3 - df).abs() < 1e-9, "{x}: log-derivative");
            }
        }
        let f = MixLogisticCoupling { cdf, affine };
        // Far into both tails (x up to 22 standard deviations of the widest component).
        check_inverse(&f, &xs, 1e-7);
        check_logd(&f, &xs);
        for y in [-1e300, -800.0, 800.0, 1e300, f64::NAN] {
            assert!(f.inverse(0, y).is_finite(), "inverse at {y}");
        }
    }

    #[test]
    fn inverse_never_returns_nan_at_the_ends_of_the_unit_interval() {
        let f = MixLogisticCdf {
            k: 2,
            logits: &[0.0, 0.0],
            means: &[-1.0, 1.0],
            log_scales: &[-7.0, -7.0],
        };
        for c in [
            0.0,
            1e-300,
            2.0f64.powi(-33),
            0.5,
            1.0 - 2.0f64.powi(-33),
            1.0,
        ] {
            assert!(f.inverse(0, c).is_finite(), "c = {c}");
        }
        assert!(Logit.forward(0, 0.0).0.is_finite());
        assert!(Logit.forward(0, 1.0).0.is_finite());
    }
}

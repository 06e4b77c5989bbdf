//! Logistic-mixture coupling: the conditioning half `a` sets, for every subpixel of the
//! transformed half `b`, the parameters of the elementwise map
//! `y = exp(s) * logit(MixLogCDF(x; pi, mu, log_scale)) + t` (affine only when K = 0).
//!
//! The map is exposed as three elementwise sub-flows on explicit parameters, each with its
//! forward value, elementwise log-derivative and inverse: [`mix_cdf`], [`logit`], [`affine`].

use tch::{nn, Kind, Tensor};

use super::config::CouplingConfig;
use super::net::{CondNet, Mode};

/// Lower clamp on the mixture log-scales (applied in both directions).
pub const MIN_LOG_SCALE: f64 = -7.0;

/// Bisection iterations of the mixture-CDF inverse (the bracket is tested for collapse every
/// few iterations, so most inputs stop far earlier).
pub const BISECTION_MAX_ITERS: usize = 200;

/// Elementwise parameters of the logistic mixture, each of shape `(B, C, H, W, K)`.
#[derive(Debug)]
pub struct Mixture {
    /// Unnormalised mixture weights (logits).
    pub logits: Tensor,
    /// Component means.
    pub means: Tensor,
    /// Component log-scales, already clamped at [`MIN_LOG_SCALE`].
    pub log_scales: Tensor,
}

/// Output of a coupling's conditioning network, in the network's kind.
#[derive(Debug)]
pub struct CouplingParams {
    /// Log-scale of the final affine map, `tanh` applied, shape `(B, C, H, W)`.
    pub s: Tensor,
    /// Translation of the final affine map, shape `(B, C, H, W)`.
    pub t: Tensor,
    /// Mixture parameters; `None` for an affine-only coupling (K = 0).
    pub mixture: Option<Mixture>,
}

impl CouplingParams {
    /// Casts every parameter to `kind`.
    pub fn to_kind(&self, kind: Kind) -> CouplingParams {
        CouplingParams {
            s: self.s.to_kind(kind),
            t: self.t.to_kind(kind),
            mixture: self.mixture.as_ref().map(|m| Mixture {
                logits: m.logits.to_kind(kind),
                means: m.means.to_kind(kind),
                log_scales: m.log_scales.to_kind(kind),
            }),
        }
    }
}

/// A coupling layer: conditions on the first element of the pair, transforms the second.
#[derive(Debug)]
pub struct Coupling {
    /// The conditioning network.
    pub net: CondNet,
    /// Number of mixture components K (0: affine only).
    pub components: i64,
    channels: i64,
}

impl Coupling {
    /// A coupling on halves of `c x h x w`, with an optional context of `aux_channels`.
    pub fn new(
        p: nn::Path,
        c: i64,
        h: i64,
        w: i64,
        cfg: &CouplingConfig,
        aux_channels: Option<i64>,
    ) -> Self {
        let k = cfg.components;
        let net = CondNet::new(p / "net", c, c * (2 + 3 * k), h, w, cfg, aux_channels);
        Coupling {
            net,
            components: k,
            channels: c,
        }
    }

    /// Runs the conditioning network on `cond` (cast to the network's kind) and the optional
    /// context `aux`, and unpacks its output. Output channels are laid out channel-major,
    /// `c * (2 + 3K) + j`: `j = 0` raw log-scale, `1` translation, then K logits, K means and
    /// K log-scales.
    pub fn params(&self, cond: &Tensor, aux: Option<&Tensor>, train: bool) -> CouplingParams {
        self.params_mode(cond, aux, Mode::from_train(train))
    }

    pub(crate) fn params_mode(
        &self,
        cond: &Tensor,
        aux: Option<&Tensor>,
        mode: Mode,
    ) -> CouplingParams {
        let kind = self.net.kind();
        let cond = cond.to_kind(kind);
        let aux = aux.map(|a| a.to_kind(kind));
        let out = self.net.forward(&cond, aux.as_ref(), mode);
        let s = out.size();
        let (b, h, w) = (s[0], s[2], s[3]);
        let k = self.components;
        let out = out
            .reshape([b, self.channels, 2 + 3 * k, h, w])
            .permute([0, 1, 3, 4, 2]); // (B, C, H, W, 2+3K)
        let mixture = (k > 0).then(|| Mixture {
            logits: out.narrow(4, 2, k).contiguous(),
            means: out.narrow(4, 2 + k, k).contiguous(),
            log_scales: out.narrow(4, 2 + 2 * k, k).clamp_min(MIN_LOG_SCALE),
        });
        CouplingParams {
            s: out.select(4, 0).tanh(),
            t: out.select(4, 1).contiguous(),
            mixture,
        }
    }

    /// Transforms `b` given `a`: returns `y` and the elementwise log-derivative (shape of `b`).
    /// The flow math runs in `b`'s kind.
    pub fn forward(
        &self,
        a: &Tensor,
        b: &Tensor,
        aux: Option<&Tensor>,
        mode: Mode,
    ) -> (Tensor, Tensor) {
        let p = self.params_mode(a, aux, mode).to_kind(b.kind());
        match &p.mixture {
            Some(m) => {
                let (l, logd1) = mix_logit_forward(b, m);
                let (y, logd2) = affine::forward(&l, &p);
                (y, logd1 + logd2)
            }
            None => affine::forward(b, &p),
        }
    }

    /// Inverse of [`Coupling::forward`] (the conditioning half `a` is unchanged by the layer).
    pub fn inverse(&self, a: &Tensor, y: &Tensor, aux: Option<&Tensor>) -> Tensor {
        let p = self.params_mode(a, aux, Mode::Eval).to_kind(y.kind());
        let l = affine::inverse(y, &p);
        match &p.mixture {
            Some(m) => mix_logit_inverse(&l, m),
            None => l,
        }
    }

    /// Number of scalar parameters of the conditioning network.
    pub fn channels(&self) -> i64 {
        self.channels
    }
}

fn log_weights(m: &Mixture) -> Tensor {
    m.logits.log_softmax(-1, None)
}

/// `log MixLogCDF(x)` and `log(1 - MixLogCDF(x))`, computed without cancellation.
fn log_cdf_pair(x: &Tensor, m: &Mixture) -> (Tensor, Tensor) {
    let lw = log_weights(m);
    let z = (x.unsqueeze(-1) - &m.means) * (-&m.log_scales).exp();
    let lc = (&lw + z.log_sigmoid()).logsumexp([-1], false);
    let l1mc = (lw + (-z).log_sigmoid()).logsumexp([-1], false);
    (lc, l1mc)
}

/// `log` of the mixture density at `x`.
fn log_pdf(x: &Tensor, m: &Mixture) -> Tensor {
    let z = (x.unsqueeze(-1) - &m.means) * (-&m.log_scales).exp();
    (log_weights(m) + &z - &m.log_scales - z.softplus() * 2.0).logsumexp([-1], false)
}

/// Fused `logit(MixLogCDF(x))` with its elementwise log-derivative, stable at both tails.
fn mix_logit_forward(x: &Tensor, m: &Mixture) -> (Tensor, Tensor) {
    let (lc, l1mc) = log_cdf_pair(x, m);
    let logd = log_pdf(x, m) - &lc - &l1mc;
    (lc - l1mc, logd)
}

/// Bisection inverse of `l = logit(MixLogCDF(x))`: never NaN or infinite for any `l`,
/// including `+-inf` (the result is clamped to the bracket `[min mu - 100 S, max mu + 100 S]`,
/// `S` the sum of the component scales). Elementwise and deterministic: the result for one
/// subpixel does not depend on the rest of the batch.
fn mix_logit_inverse(l: &Tensor, m: &Mixture) -> Tensor {
    tch::no_grad(|| {
        let spread = m.log_scales.exp().sum_dim_intlist(-1, false, None) * 100.0;
        let mut lo = m.means.amin(-1, false) - &spread;
        let mut hi = m.means.amax(-1, false) + &spread;
        let target = l.nan_to_num(0.0, None, None);
        // A subpixel stops moving once its bracket is a few ulps wide, so its result does not
        // depend on how long other subpixels of the batch keep the loop running.
        let eps = if l.kind() == Kind::Double {
            2.3e-16
        } else {
            1.2e-7
        };
        for it in 0..BISECTION_MAX_ITERS {
            let mid = (&lo + &hi) * 0.5;
            let done = (&hi - &lo).le_tensor(&((mid.abs() + 1.0) * eps));
            let (lc, l1mc) = log_cdf_pair(&mid, m);
            let above = (lc - l1mc).gt_tensor(&target);
            let lower_hi = above.logical_and(&done.logical_not());
            let raise_lo = above.logical_not().logical_and(&done.logical_not());
            hi = mid.where_self(&lower_hi, &hi);
            lo = mid.where_self(&raise_lo, &lo);
            if it % 8 == 7 {
                let mid = (&lo + &hi) * 0.5;
                let done = (&hi - &lo).le_tensor(&((mid.abs() + 1.0) * eps));
                if bool::try_from(done.all()).unwrap_or(false) {
                    break;
                }
            }
        }
        (lo + hi) * 0.5
    })
}

/// Mixture CDF sub-flow: `x -> c = MixLogCDF(x)` in `(0, 1)`.
pub mod mix_cdf {
    use super::*;

    /// `c = MixLogCDF(x)` and the elementwise log-derivative `log mixpdf(x)`.
    pub fn forward(x: &Tensor, p: &CouplingParams) -> (Tensor, Tensor) {
        let m = p
            .mixture
            .as_ref()
            .expect("mix_cdf needs a mixture coupling (K > 0)");
        let (lc, _) = log_cdf_pair(x, m);
        (lc.exp(), log_pdf(x, m))
    }

    /// Bisection inverse; `c` outside `(0, 1)` (including exactly 0 or 1) gives the end of the
    /// search bracket, never NaN or infinity.
    pub fn inverse(c: &Tensor, p: &CouplingParams) -> Tensor {
        let m = p
            .mixture
            .as_ref()
            .expect("mix_cdf needs a mixture coupling (K > 0)");
        mix_logit_inverse(&(c.log() - (-c).log1p()), m)
    }
}

/// Inverse-sigmoid sub-flow: `c -> l = log c - log(1 - c)`.
pub mod logit {
    use tch::Tensor;

    /// `l = logit(c)` and the elementwise log-derivative `-log c - log(1 - c)`.
    pub fn forward(c: &Tensor) -> (Tensor, Tensor) {
        let lc = c.log();
        let l1mc = (-c).log1p();
        (&lc - &l1mc, -(lc + l1mc))
    }

    /// `c = sigmoid(l)`.
    pub fn inverse(l: &Tensor) -> Tensor {
        l.sigmoid()
    }
}

/// Affine sub-flow: `l -> y = exp(s) l + t`.
pub mod affine {
    use super::CouplingParams;
    use tch::Tensor;

    /// `y = exp(s) l + t` and the elementwise log-derivative `s`.
    pub fn forward(l: &Tensor, p: &CouplingParams) -> (Tensor, Tensor) {
        (l * p.s.exp() + &p.t, p.s.shallow_clone())
    }

    /// `l = (y - t) exp(-s)`.
    pub fn inverse(y: &Tensor, p: &CouplingParams) -> Tensor {
        (y - &p.t) * (-&p.s).exp()
    }
}

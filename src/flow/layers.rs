//! The invertible layers other than couplings: logit preprocessing, sigmoid, Norm, Pointwise,
//! splits, space-to-depth.
//!
//! Every elementwise layer returns the *elementwise* log-derivative (same shape as its input),
//! so that a caller can use it per subpixel; summing it over an example gives the layer's
//! log-determinant. All layers compute in the float kind of their input and cast their
//! parameters to it.

use tch::{Kind, Tensor};

use super::config::SplitKind;

/// Logit preprocessing of pixel values in integer units `[0, 256)`:
/// `v -> y = 0.05 + 0.9 v / 256 -> logit(y)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImgProc;

impl ImgProc {
    /// Forward map and its elementwise log-derivative `log(0.9/256) - log y - log(1-y)`.
    pub fn forward(x: &Tensor) -> (Tensor, Tensor) {
        let y = x * (0.9 / 256.0) + 0.05;
        let log1my = (-&y).log1p();
        let logy = y.log();
        let out = &logy - &log1my;
        let logd = -(logy + log1my) + (0.9f64 / 256.0).ln();
        (out, logd)
    }

    /// Inverse map: `sigmoid(l)`, then back to pixel units.
    pub fn inverse(l: &Tensor) -> Tensor {
        (l.sigmoid() - 0.05) * (256.0 / 0.9)
    }
}

/// The logistic sigmoid as a flow layer (last layer of the dequantizer, mapping to `(0,1)`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sigmoid;

impl Sigmoid {
    /// `y = sigmoid(x)` and its elementwise log-derivative `log y + log(1-y)`.
    pub fn forward(x: &Tensor) -> (Tensor, Tensor) {
        let logd = x.log_sigmoid() + (-x).log_sigmoid();
        (x.sigmoid(), logd)
    }

    /// `x = logit(y) = log y - log(1-y)`.
    pub fn inverse(y: &Tensor) -> Tensor {
        y.log() - (-y).log1p()
    }
}

/// Elementwise affine normalisation with one scale and bias per position and channel (the
/// shape of one example), `y = x g + b`, scale clamped to at least `1e-10`.
#[derive(Debug)]
pub struct Norm {
    /// Scale, shape `(1, C, H, W)`.
    pub g: Tensor,
    /// Bias, shape `(1, C, H, W)`.
    pub b: Tensor,
}

impl Norm {
    fn scale(&self, kind: Kind) -> Tensor {
        self.g.clamp_min(1e-10).to_kind(kind)
    }

    /// `y = x g + b` and the elementwise log-derivative `log g`, broadcast to `x`'s shape.
    pub fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        let g = self.scale(x.kind());
        let y = x * &g + self.b.to_kind(x.kind());
        let logd = g.log().expand_as(x);
        (y, logd)
    }

    /// `x = (y - b) / g`.
    pub fn inverse(&self, y: &Tensor) -> Tensor {
        (y - self.b.to_kind(y.kind())) / self.scale(y.kind())
    }

    /// Data-dependent initialisation: sets `g = 1/sqrt(var + 1e-8)` and `b = -mean g` from the
    /// batch statistics of `x` (over the batch axis only), so that the output of this batch has
    /// zero mean and unit variance at every position and channel.
    pub fn init_from(&self, x: &Tensor) {
        tch::no_grad(|| {
            let x = x.to_kind(self.g.kind());
            let mean = x.mean_dim(0, true, None);
            let var = (&x - &mean).square().mean_dim(0, true, None);
            let g = (var + 1e-8).rsqrt();
            let b = -(mean * &g);
            self.g.shallow_clone().copy_(&g);
            self.b.shallow_clone().copy_(&b);
        });
    }

    /// Number of scalar parameters.
    pub fn num_parameters(&self) -> i64 {
        self.g.numel() as i64 + self.b.numel() as i64
    }
}

/// Invertible 1x1 convolution: one dense `C x C` matrix applied over the channels at every
/// pixel, `y[:, h, w] = W x[:, h, w]`.
#[derive(Debug)]
pub struct Pointwise {
    /// The matrix, shape `(C, C)`, row-major: output channel by input channel.
    pub w: Tensor,
}

impl Pointwise {
    /// Number of channels.
    pub fn channels(&self) -> i64 {
        self.w.size()[0]
    }

    /// The matrix in f64, `c * c` values, row-major (`y = W x`).
    pub fn weight_f64(&self) -> Vec<f64> {
        let w = self
            .w
            .detach()
            .to_kind(Kind::Double)
            .to_device(tch::Device::Cpu);
        Vec::<f64>::try_from(w.flatten(0, -1)).expect("a CPU f64 tensor converts to Vec<f64>")
    }

    /// `log |det W|`, computed in f64.
    pub fn log_abs_det(&self) -> Tensor {
        let (_, logabs) = Tensor::linalg_slogdet(&self.w.to_kind(Kind::Double));
        logabs
    }

    fn apply(m: &Tensor, x: &Tensor) -> Tensor {
        // (B, C, H, W) -> (B, H, W, C) x (C, C)^T -> (B, C, H, W)
        x.permute([0, 2, 3, 1])
            .matmul(&m.tr())
            .permute([0, 3, 1, 2])
            .contiguous()
    }

    /// `y = W x` at every pixel, and the log-determinant per example, `H W log|det W|`, as a
    /// tensor of shape `(B,)` in `x`'s kind.
    pub fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        let size = x.size();
        let y = Self::apply(&self.w.to_kind(x.kind()), x);
        let ld = (self.log_abs_det() * (size[2] * size[3]) as f64).to_kind(x.kind());
        let ld = ld.expand([size[0]], false).contiguous();
        (y, ld)
    }

    /// `x = W^-1 y` at every pixel; the inverse matrix is computed in f64.
    pub fn inverse(&self, y: &Tensor) -> Tensor {
        let inv = Tensor::linalg_inv(&self.w.to_kind(Kind::Double)).to_kind(y.kind());
        Self::apply(&inv, y)
    }

    /// Number of scalar parameters.
    pub fn num_parameters(&self) -> i64 {
        self.w.numel() as i64
    }
}

/// Splits `x` of shape `(B, C, H, W)` into the pair `(a, b)`.
///
/// Stripe: `a` holds the even columns and `b` the odd columns. Channel: `a` holds the first
/// `C/2` channels, `b` the rest.
pub fn split(kind: SplitKind, x: &Tensor) -> (Tensor, Tensor) {
    let s = x.size();
    match kind {
        SplitKind::Stripe => {
            let r = x.reshape([s[0], s[1], s[2], s[3] / 2, 2]);
            (r.select(4, 0).contiguous(), r.select(4, 1).contiguous())
        }
        SplitKind::Channel => {
            let h = s[1] / 2;
            (
                x.narrow(1, 0, h).contiguous(),
                x.narrow(1, h, h).contiguous(),
            )
        }
    }
}

/// Inverse of [`split`].
pub fn merge(kind: SplitKind, a: &Tensor, b: &Tensor) -> Tensor {
    match kind {
        SplitKind::Stripe => {
            let s = a.size();
            Tensor::stack(&[a, b], 4).reshape([s[0], s[1], s[2], s[3] * 2])
        }
        SplitKind::Channel => Tensor::cat(&[a, b], 1),
    }
}

/// Space-to-depth by 2 with channel order `(dy*2 + dx)*C + c`:
/// `(B, C, H, W) -> (B, 4C, H/2, W/2)`.
pub fn space_to_depth(x: &Tensor) -> Tensor {
    let s = x.size();
    let (b, c, h, w) = (s[0], s[1], s[2], s[3]);
    x.reshape([b, c, h / 2, 2, w / 2, 2])
        .permute([0, 3, 5, 1, 2, 4])
        .reshape([b, 4 * c, h / 2, w / 2])
}

/// Inverse of [`space_to_depth`]: `(B, 4C, H, W) -> (B, C, 2H, 2W)`.
pub fn depth_to_space(x: &Tensor) -> Tensor {
    let s = x.size();
    let (b, c4, h, w) = (s[0], s[1], s[2], s[3]);
    let c = c4 / 4;
    x.reshape([b, 2, 2, c, h, w])
        .permute([0, 3, 4, 1, 5, 2])
        .reshape([b, c, 2 * h, 2 * w])
}

//! The compositional local bits-back coder (paper section 3.5.4.3): the flow is coded layer by
//! layer, each layer with its own local bits-back step, and the whole is wrapped in bits-back
//! coding of the dequantization noise (Algorithm 3.4).
//!
//! Every quantity lives on a grid of bins of width delta: the main grid covers
//! `[-2^range_log2, 2^range_log2)` and holds pixels, latents and every intermediate; the unit grid
//! covers `[0, 1)` and holds the outputs of the mixture CDFs and of the dequantizer's sigmoid, so
//! that those are always strictly inside (0, 1). Symbols travel between layers as `Int64`
//! tensors of shape `(B, C, H, W)`, permuted by the flow's own split and squeeze functions, so
//! that the conditioning networks see exactly the layout they were trained on. Networks and
//! the elementwise maths only ever see bin midpoints, which the decoder recovers exactly.
//!
//! Per elementwise layer `y = f(x)` (Algorithm 3.3 applies it to a coupling's whole elementwise
//! map, or, with `fuse_couplings` off, to each of its three sub-flows):
//!
//! - encode: bits-back decode `y ~ N(f(x), (sigma f'(x))^2)`, then encode
//!   `x ~ N(f^-1(y), sigma^2)`;
//! - decode: decode `x ~ N(f^-1(y), sigma^2)`, then encode `y ~ N(f(x), (sigma f'(x))^2)`.
//!
//! The per-pixel matrix of a Pointwise layer is coded the same way with a linear
//! autoregressive Gaussian per pixel (section 3.5.4.1).

use std::time::Instant;

use tch::{Kind, Tensor};

use super::elementwise::{self as ew, Elementwise};
use crate::ans::{ArGaussian, Grid, Streams};
use crate::error::{Error, Result};
use crate::flow::{layers, Coupling, FlowModel, Norm, PairStep, Pointwise, Step};

/// Which grid a variable lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum On {
    Main,
    Unit,
}

/// One batch's worth of coding state: the streams, the grids and the accounting.
pub(crate) struct Session<'a> {
    pub streams: &'a mut Streams,
    pub(super) main: Grid,
    pub(super) unit: Grid,
    pub(super) sigma: f64,
    /// Log-density of the coded sample accumulated while encoding (nats): the single-sample
    /// bound at the dequantization noise the coder actually used.
    pub log_bound: f64,
    /// Seconds spent in networks (the conditioning and context networks).
    pub network_seconds: f64,
    /// Where the networks run.
    pub(super) device: tch::Device,
    /// Code each logistic-mixture coupling as one elementwise flow instead of three sub-flows.
    pub(super) fuse_couplings: bool,
}

pub(super) fn to_u64(t: &Tensor) -> Vec<u64> {
    let v = Vec::<i64>::try_from(t.flatten(0, -1)).expect("symbol tensors are CPU int64");
    v.into_iter().map(|s| s as u64).collect()
}

pub(super) fn from_u64(v: &[u64], shape: &[i64]) -> Tensor {
    let v: Vec<i64> = v.iter().map(|&s| s as i64).collect();
    Tensor::from_slice(&v).reshape(shape)
}

fn to_f64(t: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(
        t.detach()
            .to_device(tch::Device::Cpu)
            .to_kind(Kind::Double)
            .contiguous()
            .flatten(0, -1),
    )
    .expect("parameter tensors convert to f64")
}

/// Keeps a Gaussian's mean inside the grid and its standard deviation positive and finite; the
/// coder stays exact whatever the network produced, a bad value only costs rate.
pub(super) fn sanitize(g: &Grid, means: &mut [f64], stds: &mut [f64]) {
    let (lo, hi) = (g.midpoint(0), g.midpoint(g.num_bins() - 1));
    for m in means.iter_mut() {
        *m = if m.is_nan() {
            0.5 * (lo + hi)
        } else {
            m.clamp(lo, hi)
        };
    }
    for s in stds.iter_mut() {
        *s = if s.is_nan() {
            1.0
        } else {
            s.clamp(1e-300, 1e300)
        };
    }
}

impl<'a> Session<'a> {
    pub fn new(
        streams: &'a mut Streams,
        delta_log2: i32,
        range_log2: i32,
        sigma_log2: i32,
    ) -> Result<Self> {
        let bits = (-delta_log2) as u32;
        let r = (2.0f64).powi(range_log2);
        Ok(Session {
            streams,
            main: Grid::new(bits, -r, r)?,
            unit: Grid::new(bits, 0.0, 1.0)?,
            sigma: (2.0f64).powi(sigma_log2),
            log_bound: 0.0,
            network_seconds: 0.0,
            device: tch::Device::Cpu,
            fuse_couplings: false,
        })
    }

    pub(super) fn grid(&self, on: On) -> &Grid {
        match on {
            On::Main => &self.main,
            On::Unit => &self.unit,
        }
    }

    pub(super) fn mids(&self, on: On, syms: &[u64]) -> Vec<f64> {
        let g = self.grid(on);
        syms.iter().map(|&s| g.midpoint(s)).collect()
    }

    // ---- elementwise layers ------------------------------------------------------------

    fn encode_elementwise(
        &mut self,
        f: &dyn Elementwise,
        x: &[u64],
        input: On,
        output: On,
    ) -> Result<Vec<u64>> {
        let n = x.len();
        let xm = self.mids(input, x);

        // Forward pass at the input midpoints: the mean and scale of the bits-back posterior.
        let (mut y, mut logd) = (vec![0.0; n], vec![0.0; n]);
        ew::forward_all(f, &xm, &mut y, &mut logd);
        self.log_bound += logd.iter().sum::<f64>();
        let mut stds: Vec<f64> = logd.iter().map(|l| self.sigma * l.exp()).collect();
        sanitize(self.grid(output), &mut y, &mut stds);

        // Bits-back: decode the output y-bar from the streams.
        let mut ybar = vec![0u64; n];
        let og = *self.grid(output);
        self.streams.decode_gaussian(&og, &y, &stds, &mut ybar)?;

        // Encode the input given the inverse at y-bar.
        let ym = self.mids(output, &ybar);
        let mut xhat = vec![0.0; n];
        ew::inverse_all(f, &ym, &mut xhat);
        let mut sig = vec![self.sigma; n];
        sanitize(self.grid(input), &mut xhat, &mut sig);
        let ig = *self.grid(input);
        self.streams.encode_gaussian(&ig, x, &xhat, &sig)?;
        Ok(ybar)
    }

    fn decode_elementwise(
        &mut self,
        f: &dyn Elementwise,
        y: &[u64],
        input: On,
        output: On,
    ) -> Result<Vec<u64>> {
        let n = y.len();

        // Decode the input given the inverse at y-bar.
        let ym = self.mids(output, y);
        let mut xhat = vec![0.0; n];
        ew::inverse_all(f, &ym, &mut xhat);
        let mut sig = vec![self.sigma; n];
        sanitize(self.grid(input), &mut xhat, &mut sig);
        let ig = *self.grid(input);
        let mut x = vec![0u64; n];
        self.streams.decode_gaussian(&ig, &xhat, &sig, &mut x)?;

        // Give the bits back: encode y-bar under the posterior at the recovered input.
        let xm = self.mids(input, &x);
        let (mut yv, mut logd) = (vec![0.0; n], vec![0.0; n]);
        ew::forward_all(f, &xm, &mut yv, &mut logd);
        let mut stds: Vec<f64> = logd.iter().map(|l| self.sigma * l.exp()).collect();
        sanitize(self.grid(output), &mut yv, &mut stds);
        let og = *self.grid(output);
        self.streams.encode_gaussian(&og, y, &yv, &stds)?;
        Ok(x)
    }

    fn elementwise(
        &mut self,
        encode: bool,
        f: &dyn Elementwise,
        t: &Tensor,
        input: On,
        output: On,
    ) -> Result<Tensor> {
        let syms = to_u64(t);
        let out = if encode {
            self.encode_elementwise(f, &syms, input, output)?
        } else {
            self.decode_elementwise(f, &syms, input, output)?
        };
        Ok(from_u64(&out, &t.size()))
    }

    // ---- Norm ----------------------------------------------------------------------------

    fn norm(&mut self, encode: bool, norm: &Norm, t: &Tensor) -> Result<Tensor> {
        let log_scale: Vec<f64> = to_f64(&norm.g)
            .into_iter()
            .map(|g| g.max(1e-10).ln())
            .collect();
        let shift = to_f64(&norm.b);
        let f = ew::Affine {
            period: log_scale.len(),
            log_scale: &log_scale,
            shift: &shift,
        };
        self.elementwise(encode, &f, t, On::Main, On::Main)
    }

    // ---- Pointwise (per-pixel C x C matrix) ------------------------------------------------

    fn pointwise(&mut self, encode: bool, pw: &Pointwise, t: &Tensor) -> Result<Tensor> {
        let shape = t.size();
        let c = shape[1] as usize;
        let w = pw.weight_f64();
        let w_inv = invert(&w, c).ok_or_else(|| {
            Error::invalid("a Pointwise matrix of the model is singular; it cannot be coded")
        })?;
        let ar = ArGaussian::from_matrix(&w, c, self.sigma)?;
        // Blocks of c channel values per pixel: (B, H, W, C) order.
        let pixels = t.permute([0, 2, 3, 1]).contiguous();
        let syms = to_u64(&pixels);
        let n = syms.len();
        let sig = vec![self.sigma; n];
        let out = if encode {
            let xm = self.mids(On::Main, &syms);
            let mut base = mat_apply(&w, c, &xm);
            let mut dummy = vec![1.0; n];
            sanitize(&self.main, &mut base, &mut dummy);
            self.log_bound += (n / c) as f64 * log_abs_det(&w, c);

            // Bits-back: decode y-bar from the autoregressive form of N(W x, sigma^2 W W^T).
            let mut ybar = vec![0u64; n];
            let g = self.main;
            self.streams.decode_ar(&g, &ar, &base, &mut ybar)?;

            // Encode x given W^-1 y-bar.
            let mut xhat = mat_apply(&w_inv, c, &self.mids(On::Main, &ybar));
            let mut s2 = sig.clone();
            sanitize(&self.main, &mut xhat, &mut s2);
            self.streams.encode_gaussian(&g, &syms, &xhat, &s2)?;
            ybar
        } else {
            let g = self.main;
            let mut xhat = mat_apply(&w_inv, c, &self.mids(On::Main, &syms));
            let mut s2 = sig.clone();
            sanitize(&self.main, &mut xhat, &mut s2);
            let mut x = vec![0u64; n];
            self.streams.decode_gaussian(&g, &xhat, &s2, &mut x)?;

            let mut base = mat_apply(&w, c, &self.mids(On::Main, &x));
            let mut dummy = vec![1.0; n];
            sanitize(&self.main, &mut base, &mut dummy);
            self.streams.encode_ar(&g, &ar, &base, &syms)?;
            x
        };
        let (b, h, wd) = (shape[0], shape[2], shape[3]);
        Ok(from_u64(&out, &[b, h, wd, c as i64])
            .permute([0, 3, 1, 2])
            .contiguous())
    }

    // ---- Coupling (Algorithm 3.3) ------------------------------------------------------------

    fn coupling(
        &mut self,
        encode: bool,
        cp: &Coupling,
        a: &Tensor,
        b: &Tensor,
        aux: Option<&Tensor>,
    ) -> Result<Tensor> {
        // The conditioning network runs on the midpoints of the untouched half.
        let a_syms = to_u64(a);
        let am = self.mids(On::Main, &a_syms);
        let start = Instant::now();
        let device = self.device;
        let cond = Tensor::from_slice(&am)
            .reshape(a.size())
            .to_kind(Kind::Float)
            .to_device(device);
        let params = tch::no_grad(|| cp.params(&cond, aux, false));
        let s = to_f64(&params.s);
        let t = to_f64(&params.t);
        let mix = params
            .mixture
            .as_ref()
            .map(|m| (to_f64(&m.logits), to_f64(&m.means), to_f64(&m.log_scales)));
        self.network_seconds += start.elapsed().as_secs_f64();

        let affine = ew::Affine {
            period: s.len(),
            log_scale: &s,
            shift: &t,
        };
        match &mix {
            Some((logits, means, log_scales)) => {
                let cdf = ew::MixLogisticCdf {
                    k: cp.components as usize,
                    logits,
                    means,
                    log_scales,
                };
                if self.fuse_couplings {
                    let whole = ew::MixLogisticCoupling { cdf, affine };
                    self.elementwise(encode, &whole, b, On::Main, On::Main)
                } else if encode {
                    let c = self.elementwise(true, &cdf, b, On::Main, On::Unit)?;
                    let l = self.elementwise(true, &ew::Logit, &c, On::Unit, On::Main)?;
                    self.elementwise(true, &affine, &l, On::Main, On::Main)
                } else {
                    let l = self.elementwise(false, &affine, b, On::Main, On::Main)?;
                    let c = self.elementwise(false, &ew::Logit, &l, On::Unit, On::Main)?;
                    self.elementwise(false, &cdf, &c, On::Main, On::Unit)
                }
            }
            None => self.elementwise(encode, &affine, b, On::Main, On::Main),
        }
    }

    // ---- walking the flow ----------------------------------------------------------------------

    /// Encodes through `steps` in forward order: symbols of the input in, symbols of the output
    /// out. `aux` is the dequantizer's context.
    pub fn encode_steps(
        &mut self,
        steps: &[Step],
        x: Tensor,
        aux: Option<&Tensor>,
    ) -> Result<Tensor> {
        let mut x = x;
        for step in steps {
            x = match step {
                Step::ImgProc => self.elementwise(true, &ew::ImgProc, &x, On::Main, On::Main)?,
                Step::Sigmoid => self.elementwise(true, &ew::Sigmoid, &x, On::Main, On::Unit)?,
                Step::SpaceToDepth => layers::space_to_depth(&x).contiguous(),
                Step::Split { kind, body } => {
                    let (mut a, mut b) = layers::split(*kind, &x);
                    for ps in body {
                        match ps {
                            PairStep::Norm(na, nb) => {
                                a = self.norm(true, na, &a)?;
                                b = self.norm(true, nb, &b)?;
                            }
                            PairStep::Pointwise(pa, pb) => {
                                a = self.pointwise(true, pa, &a)?;
                                b = self.pointwise(true, pb, &b)?;
                            }
                            PairStep::Coupling(cp) => b = self.coupling(true, cp, &a, &b, aux)?,
                            PairStep::Flip => std::mem::swap(&mut a, &mut b),
                        }
                    }
                    layers::merge(*kind, &a, &b).contiguous()
                }
            };
        }
        Ok(x)
    }

    /// Exact mirror of [`Session::encode_steps`]: symbols of the output in, of the input out.
    pub fn decode_steps(
        &mut self,
        steps: &[Step],
        y: Tensor,
        aux: Option<&Tensor>,
    ) -> Result<Tensor> {
        let mut y = y;
        for step in steps.iter().rev() {
            y = match step {
                Step::ImgProc => self.elementwise(false, &ew::ImgProc, &y, On::Main, On::Main)?,
                Step::Sigmoid => self.elementwise(false, &ew::Sigmoid, &y, On::Main, On::Unit)?,
                Step::SpaceToDepth => layers::depth_to_space(&y).contiguous(),
                Step::Split { kind, body } => {
                    let (mut a, mut b) = layers::split(*kind, &y);
                    for ps in body.iter().rev() {
                        match ps {
                            PairStep::Norm(na, nb) => {
                                b = self.norm(false, nb, &b)?;
                                a = self.norm(false, na, &a)?;
                            }
                            PairStep::Pointwise(pa, pb) => {
                                b = self.pointwise(false, pb, &b)?;
                                a = self.pointwise(false, pa, &a)?;
                            }
                            PairStep::Coupling(cp) => b = self.coupling(false, cp, &a, &b, aux)?,
                            PairStep::Flip => std::mem::swap(&mut a, &mut b),
                        }
                    }
                    layers::merge(*kind, &a, &b).contiguous()
                }
            };
        }
        Ok(y)
    }

    // ---- whole model with dequantization (Algorithm 3.4) ------------------------------------

    pub(super) fn context(&mut self, model: &FlowModel, x_int: &Tensor) -> Option<Tensor> {
        let dq = model.dequantizer.as_ref()?;
        let start = Instant::now();
        let x = x_int.to_kind(model.kind()).to_device(model.device());
        let ctx = tch::no_grad(|| dq.context(&x));
        self.network_seconds += start.elapsed().as_secs_f64();
        Some(ctx)
    }

    pub(super) fn log_std_normal(&self, syms: &[u64]) -> f64 {
        let c = 0.5 * (2.0 * std::f64::consts::PI).ln();
        syms.iter()
            .map(|&s| {
                let z = self.main.midpoint(s);
                -0.5 * z * z - c
            })
            .sum()
    }

    /// Encodes a batch of integer images `(B, C, H, W)` (values 0..=255, any integer kind).
    pub fn encode_batch(&mut self, model: &FlowModel, x_int: &Tensor) -> Result<()> {
        self.device = model.device();
        let shape = x_int.size();
        let n: i64 = shape.iter().product();
        let bits = self.main_bits();
        let pixels = Vec::<i64>::try_from(x_int.to_kind(Kind::Int64).flatten(0, -1))
            .map_err(|e| Error::invalid(format!("images tensor: {e}")))?;
        let x_syms: Vec<u64> = pixels
            .iter()
            .map(|&v| self.main.symbol(v as f64))
            .collect::<Result<_>>()?;

        // Dequantization noise u, taken from the streams (bits-back).
        let u_syms: Vec<u64> = match &model.dequantizer {
            None => {
                let mut u = vec![0u64; n as usize];
                self.streams.decode_uniform(1u64 << bits, &mut u)?;
                u
            }
            Some(dq) => {
                let mut eps = vec![0u64; n as usize];
                let g = self.main;
                self.streams.decode_std_normal(&g, &mut eps)?;
                self.log_bound -= self.log_std_normal(&eps);
                let ctx = self.context(model, x_int);
                let u = self.encode_steps(&dq.steps, from_u64(&eps, &shape), ctx.as_ref())?;
                to_u64(&u)
            }
        };

        // x + u on the main grid: the unit grid's bins subdivide each integer exactly.
        let xu: Vec<u64> = x_syms.iter().zip(&u_syms).map(|(x, u)| x + u).collect();

        // Main flow, then the prior on z.
        let z = self.encode_steps(&model.steps, from_u64(&xu, &shape), None)?;
        let z = to_u64(&z);
        self.log_bound += self.log_std_normal(&z);
        let g = self.main;
        self.streams.encode_std_normal(&g, &z)
    }

    /// Decodes a batch of `shape = (B, C, H, W)` images; the exact mirror of
    /// [`Session::encode_batch`]. Returns the pixels as `u8`, in `(B, C, H, W)` order.
    pub fn decode_batch(&mut self, model: &FlowModel, shape: &[i64]) -> Result<Vec<u8>> {
        self.device = model.device();
        let n: i64 = shape.iter().product();
        let bits = self.main_bits();
        let (c, h, w) = model.config().latent_shape();
        let mut z = vec![0u64; n as usize];
        let g = self.main;
        self.streams.decode_std_normal(&g, &mut z)?;
        let xu = self.decode_steps(&model.steps, from_u64(&z, &[shape[0], c, h, w]), None)?;
        let xu = to_u64(&xu);

        // Split x + u into the integer image and the dequantization noise.
        let zero = self.main.symbol(0.0)?;
        let mut pixels = Vec::with_capacity(xu.len());
        let mut u_syms = Vec::with_capacity(xu.len());
        for &s in &xu {
            let v = s.wrapping_sub(zero) >> bits;
            if s < zero || v > 255 {
                return Err(Error::corrupt(
                    "stream",
                    "decoded a pixel outside 0..=255: the archive is damaged or was made by \
                     another model",
                ));
            }
            pixels.push(v as u8);
            u_syms.push(s - zero - (v << bits));
        }
        let x_int = Tensor::from_slice(&pixels).reshape(shape);

        // Give back the bits of the dequantization noise.
        match &model.dequantizer {
            None => self.streams.encode_uniform(1u64 << bits, &u_syms)?,
            Some(dq) => {
                let ctx = self.context(model, &x_int);
                let eps = self.decode_steps(&dq.steps, from_u64(&u_syms, shape), ctx.as_ref())?;
                let g = self.main;
                self.streams.encode_std_normal(&g, &to_u64(&eps))?;
            }
        }
        Ok(pixels)
    }

    pub(super) fn main_bits(&self) -> u32 {
        (1.0 / self.main.delta()).log2().round() as u32
    }
}

/// `y = M x` for each block of `c` values of `x`, summed in a fixed sequential order.
fn mat_apply(m: &[f64], c: usize, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for (xb, yb) in x.chunks_exact(c).zip(y.chunks_exact_mut(c)) {
        for i in 0..c {
            let mut acc = 0.0;
            for j in 0..c {
                acc += m[i * c + j] * xb[j];
            }
            yb[i] = acc;
        }
    }
    y
}

/// Inverse of a `c x c` row-major matrix by Gauss-Jordan elimination with partial pivoting.
fn invert(m: &[f64], c: usize) -> Option<Vec<f64>> {
    let mut a = m.to_vec();
    let mut inv = vec![0.0; c * c];
    for i in 0..c {
        inv[i * c + i] = 1.0;
    }
    for col in 0..c {
        let piv =
            (col..c).max_by(|&p, &q| a[p * c + col].abs().total_cmp(&a[q * c + col].abs()))?;
        if a[piv * c + col].abs() < 1e-300 {
            return None;
        }
        for k in 0..c {
            a.swap(col * c + k, piv * c + k);
            inv.swap(col * c + k, piv * c + k);
        }
        let d = a[col * c + col];
        for k in 0..c {
            a[col * c + k] /= d;
            inv[col * c + k] /= d;
        }
        for r in 0..c {
            if r != col {
                let f = a[r * c + col];
                if f != 0.0 {
                    for k in 0..c {
                        a[r * c + k] -= f * a[col * c + k];
                        inv[r * c + k] -= f * inv[col * c + k];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// `log |det M|` by LU elimination with partial pivoting.
fn log_abs_det(m: &[f64], c: usize) -> f64 {
    let mut a = m.to_vec();
    let mut acc = 0.0;
    for col in 0..c {
        let piv = (col..c)
            .max_by(|&p, &q| a[p * c + col].abs().total_cmp(&a[q * c + col].abs()))
            .unwrap_or(col);
        for k in 0..c {
            a.swap(col * c + k, piv * c + k);
        }
        let d = a[col * c + col];
        acc += d.abs().ln();
        for r in col + 1..c {
            let f = a[r * c + col] / d;
            for k in col..c {
                a[r * c + k] -= f * a[col * c + k];
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Net bits of one elementwise bits-back step against -sum log2 f'(x).
    fn step_overhead(f: &dyn Elementwise, xs: &[f64], input: On, output: On) -> f64 {
        let mut streams = Streams::new(1, 5);
        let mut s = Session::new(&mut streams, -32, 8, -14).unwrap();
        let g = *s.grid(input);
        let syms: Vec<u64> = xs.iter().map(|&x| g.symbol(x).unwrap()).collect();
        // Warm the stream so bits-back decoding does not draw initial bits.
        let warm: Vec<u64> = (0..4000u64).map(|i| (i * 7919) % 1000).collect();
        s.streams.encode_uniform(1000, &warm).unwrap();
        let before = s.streams.len_bits() as f64;
        s.log_bound = 0.0;
        s.encode_elementwise(f, &syms, input, output).unwrap();
        let net = s.streams.len_bits() as f64 - before;
        let ideal = -s.log_bound / std::f64::consts::LN_2;
        (net - ideal) / xs.len() as f64
    }

    #[test]
    fn gaussian_decode_gains_its_information() {
        let g = Grid::new(32, -256.0, 256.0).unwrap();
        let n = 20000;
        let mut streams = Streams::new(1, 9);
        let warm: Vec<u64> = (0..200_000u64)
            .map(|i| (i * 7919 + i * i) % 1_000_003)
            .collect();
        streams.encode_uniform(1_000_003, &warm).unwrap();
        for std_bins in [1e3, 2f64.powi(18), 1e7] {
            let std = std_bins * g.delta();
            let means: Vec<f64> = (0..n).map(|i| (i as f64 * 0.013).sin() * 100.0).collect();
            let stds = vec![std; n];
            let before = streams.len_bits() as f64;
            let mut out = vec![0u64; n];
            streams
                .decode_gaussian(&g, &means, &stds, &mut out)
                .unwrap();
            let gained = before - streams.len_bits() as f64;
            let info: f64 = out
                .iter()
                .zip(&means)
                .map(|(&sym, &m)| {
                    let a = (g.edge(sym) - m) / std;
                    let b = (g.edge(sym + 1) - m) / std;
                    let p = crate::ans::special::phi(b) - crate::ans::special::phi(a);
                    -p.log2()
                })
                .sum();
            println!(
                "std {std_bins:e} bins: decode gained {:.6} bits/sym less than info",
                (info - gained) / n as f64
            );
            let before = streams.len_bits() as f64;
            streams.encode_gaussian(&g, &out, &means, &stds).unwrap();
            let cost = streams.len_bits() as f64 - before;
            println!(
                "std {std_bins:e} bins: encode cost {:.6} bits/sym more than info",
                (cost - info) / n as f64
            );
        }
    }

    #[test]
    fn elementwise_steps_cost_their_log_derivative() {
        let xs: Vec<f64> = (0..20000)
            .map(|i| (i % 256) as f64 + ((i * 37) % 1000) as f64 / 1000.0)
            .collect();
        let o = step_overhead(&ew::ImgProc, &xs, On::Main, On::Main);
        println!("imgproc overhead {o:.6} bits/dim");
        assert!(o.abs() < 1e-3, "imgproc {o}");
        let ls = vec![0.7; xs.len()];
        let sh = vec![-3.0; xs.len()];
        let f = ew::Affine {
            log_scale: &ls,
            shift: &sh,
            period: xs.len(),
        };
        let xs2: Vec<f64> = xs.iter().map(|x| x / 50.0 - 2.0).collect();
        let o = step_overhead(&f, &xs2, On::Main, On::Main);
        println!("affine overhead {o:.6} bits/dim");
        assert!(o.abs() < 1e-3, "affine {o}");
        let o = step_overhead(&ew::Sigmoid, &xs2, On::Main, On::Unit);
        println!("sigmoid overhead {o:.6} bits/dim");
        assert!(o.abs() < 1e-3, "sigmoid {o}");
    }

    #[test]
    fn matrix_inverse_and_determinant_agree() {
        let m = [2.0, 1.0, 0.5, -1.0, 3.0, 0.2, 0.3, 0.1, 1.5];
        let inv = invert(&m, 3).unwrap();
        let x = [0.3, -1.2, 2.5];
        let back = mat_apply(&inv, 3, &mat_apply(&m, 3, &x));
        for (a, b) in back.iter().zip(&x) {
            assert!((a - b).abs() < 1e-12);
        }
        // det = 2(4.5-0.02) - 1(-1.5-0.06) + 0.5(-0.1-0.9) = 8.96 + 1.56 - 0.5 = 10.02
        assert!((log_abs_det(&m, 3) - 10.02f64.ln()).abs() < 1e-12);
    }
}

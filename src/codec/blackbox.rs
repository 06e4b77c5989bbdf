//! The black-box algorithm (Algorithm 3.1): local bits-back coding with the Jacobian of a whole
//! flow, computed by automatic differentiation, turned into a linear autoregressive Gaussian
//! through its Cholesky factor.
//!
//! It makes no assumption about the flow's structure, and costs `d` backward passes and an
//! `O(d^3)` factorization per image of `d` subpixels: a baseline for small images, against
//! which the compositional algorithm's speed is measured. Flows run in f64 here, so that the
//! inverse is accurate at the noise scale.

use tch::{Kind, Tensor};

use super::compositional::{from_u64, sanitize, to_u64, On, Session};
use crate::ans::ArGaussian;
use crate::error::{Error, Result};
use crate::flow::{forward_steps, inverse_steps, FlowModel, Mode, Step};

/// Rows of the Jacobian computed per backward pass.
const JACOBIAN_ROWS_PER_PASS: i64 = 64;

/// `f(x)` flattened, and the Jacobian of `steps` at `x` (one example `(1, C, H, W)`) as a
/// row-major `d x d` f64 matrix `J[i][j] = d f_i / d x_j`.
fn jacobian(steps: &[Step], x: &Tensor, aux: Option<&Tensor>) -> (Vec<f64>, Vec<f64>, Vec<i64>) {
    let d = x.numel() as i64;
    let y = tch::no_grad(|| forward_steps(steps, x, aux, Mode::Eval).0);
    let y_shape = y.size();
    let y = Vec::<f64>::try_from(y.flatten(0, -1)).expect("f64 CPU output");
    let mut jac = vec![0.0; (d * d) as usize];
    let mut row = 0;
    while row < d {
        // A fixed batch of copies, the last pass padded, so that encoder and decoder evaluate
        // the same batch layouts.
        let k = JACOBIAN_ROWS_PER_PASS.min(d);
        let xs = x
            .expand([k, -1, -1, -1], false)
            .contiguous()
            .set_requires_grad(true);
        let aux_k = aux.map(|a| a.expand([k, -1, -1, -1], false).contiguous());
        let (z, _) = forward_steps(steps, &xs, aux_k.as_ref(), Mode::Eval);
        let z = z.reshape([k, d]);
        let rows: Vec<i64> = (0..k).map(|r| (row + r).min(d - 1)).collect();
        let pick = Tensor::zeros([k, d], (Kind::Double, x.device()))
            .scatter_value(1, &Tensor::from_slice(&rows).reshape([k, 1]), 1.0);
        let g = Tensor::run_backward(&[(z * pick).sum(Kind::Double)], &[&xs], false, false);
        let g = Vec::<f64>::try_from(g[0].reshape([k * d]).to_kind(Kind::Double))
            .expect("f64 gradient");
        for r in 0..k.min(d - row) {
            let dst = ((row + r) * d) as usize;
            jac[dst..dst + d as usize].copy_from_slice(&g[(r * d) as usize..((r + 1) * d) as usize]);
        }
        row += k;
    }
    (y, jac, y_shape)
}

impl Session<'_> {
    /// One black-box local bits-back step through `steps` for one example: input symbols in,
    /// output symbols out (encode), or the mirror (decode).
    fn blackbox(
        &mut self,
        encode: bool,
        steps: &[Step],
        t: &Tensor,
        aux: Option<&Tensor>,
        input: On,
        output: On,
    ) -> Result<Tensor> {
        let shape = t.size();
        let syms = to_u64(t);
        let d = syms.len();
        let sig = vec![self.sigma; d];
        let real = |v: &[f64], shape: &[i64]| Tensor::from_slice(v).reshape(shape);
        let (ig, og) = (*self.grid(input), *self.grid(output));
        if encode {
            // Jacobian at the input, its autoregressive form, bits-back decode of the output.
            let xm = self.mids(input, &syms);
            let (mut y, jac, y_shape) = jacobian(steps, &real(&xm, &shape), aux);
            let ar = ArGaussian::from_matrix(&jac, d, self.sigma)?;
            self.log_bound += log_abs_det_from_ar(&ar, self.sigma);
            let mut ones = vec![1.0; d];
            sanitize(&og, &mut y, &mut ones);
            let mut ybar = vec![0u64; d];
            self.streams.decode_ar(&og, &ar, &y, &mut ybar)?;

            // Encode the input given the inverse flow at y-bar.
            let ym = self.mids(output, &ybar);
            let xhat = tch::no_grad(|| inverse_steps(steps, &real(&ym, &y_shape), aux));
            let mut xhat = Vec::<f64>::try_from(xhat.flatten(0, -1)).expect("f64 output");
            let mut s2 = sig.clone();
            sanitize(&ig, &mut xhat, &mut s2);
            self.streams.encode_gaussian(&ig, &syms, &xhat, &s2)?;
            Ok(from_u64(&ybar, &y_shape))
        } else {
            let ym = self.mids(output, &syms);
            let xhat = tch::no_grad(|| inverse_steps(steps, &real(&ym, &shape), aux));
            let x_shape = xhat.size();
            let mut xhat = Vec::<f64>::try_from(xhat.flatten(0, -1)).expect("f64 output");
            let mut s2 = sig.clone();
            sanitize(&ig, &mut xhat, &mut s2);
            let mut x = vec![0u64; d];
            self.streams.decode_gaussian(&ig, &xhat, &s2, &mut x)?;

            let xm = self.mids(input, &x);
            let (mut y, jac, _) = jacobian(steps, &real(&xm, &x_shape), aux);
            let ar = ArGaussian::from_matrix(&jac, d, self.sigma)?;
            let mut ones = vec![1.0; d];
            sanitize(&og, &mut y, &mut ones);
            self.streams.encode_ar(&og, &ar, &y, &syms)?;
            Ok(from_u64(&x, &x_shape))
        }
    }

    /// Encodes one image `(1, C, H, W)` with the black-box algorithm on the main flow and on
    /// the dequantizer. `model` runs in f64.
    pub fn encode_image_blackbox(&mut self, model: &FlowModel, x_int: &Tensor) -> Result<()> {
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
        let u_syms = match &model.dequantizer {
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
                let u = self.blackbox(
                    true,
                    &dq.steps,
                    &from_u64(&eps, &shape),
                    ctx.as_ref(),
                    On::Main,
                    On::Unit,
                )?;
                to_u64(&u)
            }
        };
        let xu: Vec<u64> = x_syms.iter().zip(&u_syms).map(|(x, u)| x + u).collect();
        let z = self.blackbox(true, &model.steps, &from_u64(&xu, &shape), None, On::Main, On::Main)?;
        let z = to_u64(&z);
        self.log_bound += self.log_std_normal(&z);
        let g = self.main;
        self.streams.encode_std_normal(&g, &z)
    }

    /// Mirror of [`Session::encode_image_blackbox`]; returns the pixels in `(C, H, W)` order.
    pub fn decode_image_blackbox(&mut self, model: &FlowModel, shape: &[i64]) -> Result<Vec<u8>> {
        self.device = model.device();
        let n: i64 = shape.iter().product();
        let bits = self.main_bits();
        let (c, h, w) = model.config().latent_shape();
        let mut z = vec![0u64; n as usize];
        let g = self.main;
        self.streams.decode_std_normal(&g, &mut z)?;
        let xu = self.blackbox(
            false,
            &model.steps,
            &from_u64(&z, &[shape[0], c, h, w]),
            None,
            On::Main,
            On::Main,
        )?;
        let xu = to_u64(&xu);
        let zero = self.main.symbol(0.0)?;
        let mut pixels = Vec::with_capacity(xu.len());
        let mut u_syms = Vec::with_capacity(xu.len());
        for &s in &xu {
            let v = s.wrapping_sub(zero) >> bits;
            if s < zero || v > 255 {
                return Err(Error::corrupt("stream", "decoded a pixel outside 0..=255"));
            }
            pixels.push(v as u8);
            u_syms.push(s - zero - (v << bits));
        }
        let x_int = Tensor::from_slice(&pixels).reshape(shape);
        match &model.dequantizer {
            None => self.streams.encode_uniform(1u64 << bits, &u_syms)?,
            Some(dq) => {
                let ctx = self.context(model, &x_int);
                let eps = self.blackbox(
                    false,
                    &dq.steps,
                    &from_u64(&u_syms, shape),
                    ctx.as_ref(),
                    On::Main,
                    On::Unit,
                )?;
                let g = self.main;
                self.streams.encode_std_normal(&g, &to_u64(&eps))?;
            }
        }
        Ok(pixels)
    }
}

/// `log |det J|` from the autoregressive form: the conditional standard deviations are
/// `sigma |L_ii|` and `|det J| = prod |L_ii|`.
fn log_abs_det_from_ar(ar: &ArGaussian, sigma: f64) -> f64 {
    ar.std.iter().map(|s| (s / sigma).ln()).sum()
}

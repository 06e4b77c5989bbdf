//! The walkable Flow++ model: step lists for the main flow and the dequantizer, the likelihood
//! bounds, sampling, and saving to safetensors with the configuration embedded.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use tch::{nn, Device, Kind, Tensor};

use super::config::{DequantConfig, FlowConfig, SplitKind, StageConfig};
use super::coupling::Coupling;
use super::layers::{self, ImgProc, Norm, Pointwise, Sigmoid};
use super::net::{ContextNet, Mode};
use crate::error::{Error, Result};

/// Safetensors metadata key holding the configuration JSON.
pub const CONFIG_KEY: &str = "flowbb.config";
/// Safetensors metadata key holding the format tag [`FORMAT_TAG`].
pub const FORMAT_KEY: &str = "flowbb.format";
/// Format tag of saved models.
pub const FORMAT_TAG: &str = "flowbb-flowpp-1";

/// A step acting on one tensor `(B, C, H, W)`.
#[derive(Debug)]
pub enum Step {
    /// Logit preprocessing of pixel units, see [`ImgProc`]. Elementwise.
    ImgProc,
    /// Logistic sigmoid, see [`Sigmoid`]. Elementwise.
    Sigmoid,
    /// Space-to-depth by 2, see [`layers::space_to_depth`]. A permutation.
    SpaceToDepth,
    /// Split into a pair `(a, b)`, run `body` on the pair, merge back.
    Split {
        /// How the pair is formed.
        kind: SplitKind,
        /// Steps on the pair, in forward order.
        body: Vec<PairStep>,
    },
}

/// A step acting on a pair `(a, b)` inside a [`Step::Split`].
#[derive(Debug)]
pub enum PairStep {
    /// Elementwise normalisation, one per half.
    Norm(Norm, Norm),
    /// Per-pixel `C x C` matrix, one per half.
    Pointwise(Pointwise, Pointwise),
    /// Conditions on `a`, transforms `b`.
    Coupling(Coupling),
    /// `(a, b) -> (b, a)`.
    Flip,
}

fn sum_example(t: &Tensor) -> Tensor {
    t.flatten(1, -1).sum_dim_intlist(1, false, None)
}

/// Runs `steps` forward on `x`; returns the output and the log-determinant per example `(B,)`.
/// `aux` is the context handed to every coupling (dequantizer only).
pub fn forward_steps(
    steps: &[Step],
    x: &Tensor,
    aux: Option<&Tensor>,
    mode: Mode,
) -> (Tensor, Tensor) {
    let mut x = x.shallow_clone();
    let mut logdet = Tensor::zeros([x.size()[0]], (x.kind(), x.device()));
    for step in steps {
        match step {
            Step::ImgProc => {
                let (y, ld) = ImgProc::forward(&x);
                logdet = logdet + sum_example(&ld);
                x = y;
            }
            Step::Sigmoid => {
                let (y, ld) = Sigmoid::forward(&x);
                logdet = logdet + sum_example(&ld);
                x = y;
            }
            Step::SpaceToDepth => x = layers::space_to_depth(&x),
            Step::Split { kind, body } => {
                let (mut a, mut b) = layers::split(*kind, &x);
                for ps in body {
                    match ps {
                        PairStep::Norm(na, nb) => {
                            if mode == Mode::Init {
                                na.init_from(&a);
                                nb.init_from(&b);
                            }
                            let (a2, la) = na.forward(&a);
                            let (b2, lb) = nb.forward(&b);
                            logdet = logdet + sum_example(&la) + sum_example(&lb);
                            a = a2;
                            b = b2;
                        }
                        PairStep::Pointwise(pa, pb) => {
                            let (a2, la) = pa.forward(&a);
                            let (b2, lb) = pb.forward(&b);
                            logdet = logdet + la + lb;
                            a = a2;
                            b = b2;
                        }
                        PairStep::Coupling(c) => {
                            let (b2, lb) = c.forward(&a, &b, aux, mode);
                            logdet = logdet + sum_example(&lb);
                            b = b2;
                        }
                        PairStep::Flip => std::mem::swap(&mut a, &mut b),
                    }
                }
                x = layers::merge(*kind, &a, &b);
            }
        }
    }
    (x, logdet)
}

/// Inverse of [`forward_steps`] (evaluation mode).
pub fn inverse_steps(steps: &[Step], y: &Tensor, aux: Option<&Tensor>) -> Tensor {
    let mut y = y.shallow_clone();
    for step in steps.iter().rev() {
        match step {
            Step::ImgProc => y = ImgProc::inverse(&y),
            Step::Sigmoid => y = Sigmoid::inverse(&y),
            Step::SpaceToDepth => y = layers::depth_to_space(&y),
            Step::Split { kind, body } => {
                let (mut a, mut b) = layers::split(*kind, &y);
                for ps in body.iter().rev() {
                    match ps {
                        PairStep::Norm(na, nb) => {
                            a = na.inverse(&a);
                            b = nb.inverse(&b);
                        }
                        PairStep::Pointwise(pa, pb) => {
                            a = pa.inverse(&a);
                            b = pb.inverse(&b);
                        }
                        PairStep::Coupling(c) => b = c.inverse(&a, &b, aux),
                        PairStep::Flip => std::mem::swap(&mut a, &mut b),
                    }
                }
                y = layers::merge(*kind, &a, &b);
            }
        }
    }
    y
}

/// Builds the body of a split stage: `n` times [Norm, Pointwise, Coupling, Flip] on halves of
/// `c x h x w`.
fn build_body(
    p: &nn::Path,
    n: usize,
    (c, h, w): (i64, i64, i64),
    cfg: &super::config::CouplingConfig,
    aux: Option<i64>,
) -> Vec<PairStep> {
    let mut body = Vec::with_capacity(4 * n);
    for i in 0..n {
        let q = p / i;
        let norm = |name: &str| Norm {
            g: (&q / name).var("g", &[1, c, h, w], nn::Init::Const(1.0)),
            b: (&q / name).var("b", &[1, c, h, w], nn::Init::Const(0.0)),
        };
        body.push(PairStep::Norm(norm("norm_a"), norm("norm_b")));
        let pw = |name: &str| {
            let init = Tensor::eye(c, (Kind::Float, q.device()))
                + Tensor::randn([c, c], (Kind::Float, q.device())) * 1e-3;
            Pointwise {
                w: (&q / name).var_copy("w", &init),
            }
        };
        body.push(PairStep::Pointwise(pw("pointwise_a"), pw("pointwise_b")));
        body.push(PairStep::Coupling(Coupling::new(
            &q / "coupling",
            c,
            h,
            w,
            cfg,
            aux,
        )));
        body.push(PairStep::Flip);
    }
    body
}

fn half_shape(kind: SplitKind, (c, h, w): (i64, i64, i64)) -> (i64, i64, i64) {
    match kind {
        SplitKind::Stripe => (c, h, w / 2),
        SplitKind::Channel => (c / 2, h, w),
    }
}

/// The variational dequantizer `q(u|x)`: `u = sigmoid(g_x(eps))` with `eps ~ N(0, I)`, where
/// `g_x` is a stripe-split coupling flow whose couplings all receive the context of `x`.
#[derive(Debug)]
pub struct Dequantizer {
    /// Context network on the integer image.
    pub context_net: ContextNet,
    /// The flow `eps -> u`: one [`Step::Split`] (stripe) followed by [`Step::Sigmoid`].
    pub steps: Vec<Step>,
}

impl Dequantizer {
    /// Context features `(B, F, H, W/2)` of integer images `x_int` `(B, C, H, W)`, in the
    /// network's kind.
    pub fn context(&self, x_int: &Tensor) -> Tensor {
        self.context_net.forward(x_int, Mode::Eval)
    }

    /// Maps noise `eps` to `u` in `(0, 1)`; returns `u` and the log-determinant per example.
    pub fn forward(&self, eps: &Tensor, context: &Tensor, mode: Mode) -> (Tensor, Tensor) {
        forward_steps(&self.steps, eps, Some(context), mode)
    }

    /// Maps `u` back to `eps`.
    pub fn inverse(&self, u: &Tensor, context: &Tensor) -> Tensor {
        inverse_steps(&self.steps, u, Some(context))
    }
}

/// A Flow++ model: main flow (dequantized image in pixel units -> latent `z`) and dequantizer.
#[derive(Debug)]
pub struct FlowModel {
    vs: nn::VarStore,
    config: FlowConfig,
    /// Main flow, in forward order, starting with [`Step::ImgProc`].
    pub steps: Vec<Step>,
    /// Variational dequantizer; `None` for uniform dequantization.
    pub dequantizer: Option<Dequantizer>,
}

fn log_normal(z: &Tensor) -> Tensor {
    sum_example(&(z.square() * -0.5 - 0.5 * (2.0 * std::f64::consts::PI).ln()))
}

impl FlowModel {
    /// Builds a freshly initialised model (weights from the global libtorch generator; seed it
    /// with `tch::manual_seed` for reproducible models).
    pub fn new(config: &FlowConfig, device: Device, kind: Kind) -> Result<Self> {
        config.validate()?;
        if kind != Kind::Float && kind != Kind::Double {
            return Err(Error::invalid(format!(
                "model kind must be Float or Double, found {kind:?}"
            )));
        }
        let mut vs = nn::VarStore::new(device);
        let root = vs.root();
        let main = &root / "main";
        let mut steps = vec![Step::ImgProc];
        let mut shape = (config.channels, config.height, config.width);
        for (i, stage) in config.stages.iter().enumerate() {
            match stage {
                StageConfig::SpaceToDepth => {
                    steps.push(Step::SpaceToDepth);
                    shape = (shape.0 * 4, shape.1 / 2, shape.2 / 2);
                }
                StageConfig::Split { kind, couplings } => {
                    let half = half_shape(*kind, shape);
                    let body = build_body(&(&main / i), *couplings, half, &config.coupling, None);
                    steps.push(Step::Split { kind: *kind, body });
                }
            }
        }
        let dequantizer = match &config.dequant {
            DequantConfig::Uniform => None,
            DequantConfig::Variational {
                couplings,
                coupling,
                context_filters,
                context_blocks,
            } => {
                let dq = &root / "dequant";
                let context_net = ContextNet::new(
                    &dq / "context",
                    config.channels,
                    *context_filters,
                    *context_blocks,
                    coupling.dropout,
                );
                let half = (config.channels, config.height, config.width / 2);
                let body = build_body(
                    &(&dq / "flow"),
                    *couplings,
                    half,
                    coupling,
                    Some(*context_filters),
                );
                Some(Dequantizer {
                    context_net,
                    steps: vec![
                        Step::Split {
                            kind: SplitKind::Stripe,
                            body,
                        },
                        Step::Sigmoid,
                    ],
                })
            }
        };
        if kind == Kind::Double {
            vs.double();
        }
        Ok(FlowModel {
            vs,
            config: config.clone(),
            steps,
            dequantizer,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// The variable store holding every parameter (for optimisers and EMA).
    pub fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    /// Mutable access to the variable store.
    pub fn var_store_mut(&mut self) -> &mut nn::VarStore {
        &mut self.vs
    }

    /// Device of the parameters.
    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Float kind of the parameters (`Float` or `Double`).
    pub fn kind(&self) -> Kind {
        self.vs
            .trainable_variables()
            .first()
            .map(|t| t.kind())
            .unwrap_or(Kind::Float)
    }

    /// Moves every parameter to `device`.
    pub fn set_device(&mut self, device: Device) {
        self.vs.set_device(device);
    }

    /// Casts every parameter to `kind` (`Float` or `Double`).
    pub fn set_kind(&mut self, kind: Kind) -> Result<()> {
        match kind {
            Kind::Float => self.vs.float(),
            Kind::Double => self.vs.double(),
            other => {
                return Err(Error::invalid(format!(
                    "model kind must be Float or Double, found {other:?}"
                )))
            }
        }
        Ok(())
    }

    /// Total number of scalar parameters.
    pub fn num_parameters(&self) -> i64 {
        self.vs.variables().values().map(|t| t.numel() as i64).sum()
    }

    /// Subpixels per image, `D = C H W`.
    pub fn dims(&self) -> i64 {
        self.config.dims()
    }

    fn check_images(&self, x: &Tensor, what: &str) -> Result<()> {
        let s = x.size();
        let c = &self.config;
        if s.len() != 4 || s[1] != c.channels || s[2] != c.height || s[3] != c.width || s[0] < 1 {
            return Err(Error::invalid(format!(
                "{what}: expected shape (B, {}, {}, {}) with B >= 1, found {s:?}",
                c.channels, c.height, c.width
            )));
        }
        Ok(())
    }

    fn input(&self, x: &Tensor) -> Tensor {
        x.to_device(self.device()).to_kind(self.kind())
    }

    /// Main flow forward: dequantized images `x` `(B, C, H, W)` in pixel units `[0, 256)` to the
    /// latent `z` of shape `(B, C', H', W')` (see [`FlowConfig::latent_shape`]) and the
    /// log-determinant per example `(B,)`.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<(Tensor, Tensor)> {
        self.check_images(x, "forward input")?;
        Ok(forward_steps(
            &self.steps,
            &self.input(x),
            None,
            Mode::from_train(train),
        ))
    }

    /// Main flow inverse: latent `z` to dequantized images in pixel units.
    pub fn inverse(&self, z: &Tensor) -> Result<Tensor> {
        let (c, h, w) = self.config.latent_shape();
        let s = z.size();
        if s.len() != 4 || s[1] != c || s[2] != h || s[3] != w || s[0] < 1 {
            return Err(Error::invalid(format!(
                "inverse input: expected latent shape (B, {c}, {h}, {w}), found {s:?}"
            )));
        }
        Ok(tch::no_grad(|| {
            inverse_steps(&self.steps, &self.input(z), None)
        }))
    }

    /// Draws a dequantization `u ~ q(u|x)` for integer images `x_int` (values 0..=255, any
    /// numeric kind); returns `x + u` in the model's kind and `log q(u|x)` per example.
    pub fn dequantize(&self, x_int: &Tensor, train: bool) -> Result<(Tensor, Tensor)> {
        self.check_images(x_int, "dequantize input")?;
        Ok(self.dequantize_mode(&self.input(x_int), Mode::from_train(train)))
    }

    fn dequantize_mode(&self, x: &Tensor, mode: Mode) -> (Tensor, Tensor) {
        let noise = match &self.dequantizer {
            None => x.rand_like(),
            Some(_) => x.randn_like(),
        };
        self.dequantize_noise(x, &noise, mode)
    }

    /// `x + u` and `log q(u|x)` for given noise: `u` itself for uniform dequantization, `eps`
    /// for the variational dequantizer.
    fn dequantize_noise(&self, x: &Tensor, noise: &Tensor, mode: Mode) -> (Tensor, Tensor) {
        match &self.dequantizer {
            None => {
                let zero = Tensor::zeros([x.size()[0]], (x.kind(), x.device()));
                (x + noise, zero)
            }
            Some(dq) => {
                let ctx = dq.context_net.forward(x, mode);
                let (u, ld) = dq.forward(noise, &ctx, mode);
                (x + u, log_normal(noise) - ld)
            }
        }
    }

    fn elbo_mode(&self, x: &Tensor, mode: Mode) -> Tensor {
        let (y, log_q) = self.dequantize_mode(x, mode);
        let (z, ld) = forward_steps(&self.steps, &y, None, mode);
        log_normal(&z) + ld - log_q
    }

    /// [`FlowModel::log_likelihood_bound`] with explicit dequantization noise of the images'
    /// shape: `eps ~ N(0, I)` for the variational dequantizer, `u ~ U[0, 1)` for uniform
    /// dequantization.
    pub fn log_likelihood_bound_with_noise(
        &self,
        x_int: &Tensor,
        noise: &Tensor,
        train: bool,
    ) -> Result<Tensor> {
        self.check_images(x_int, "images")?;
        self.check_images(noise, "dequantization noise")?;
        let mode = Mode::from_train(train);
        let (y, log_q) = self.dequantize_noise(&self.input(x_int), &self.input(noise), mode);
        let (z, ld) = forward_steps(&self.steps, &y, None, mode);
        Ok(log_normal(&z) + ld - log_q)
    }

    /// Single-sample variational bound on `log P(x)` in nats, per example `(B,)`:
    /// `log N(z) + sum log|J_main| - log q(u|x)`. Differentiable (the training loss is its
    /// negated mean).
    pub fn log_likelihood_bound(&self, x_int: &Tensor, train: bool) -> Result<Tensor> {
        self.check_images(x_int, "images")?;
        Ok(self.elbo_mode(&self.input(x_int), Mode::from_train(train)))
    }

    /// Bits per dimension of the single-sample dequantization bound, per example `(B,)`,
    /// evaluation mode, without gradients.
    pub fn bpd(&self, x_int: &Tensor) -> Result<Tensor> {
        self.check_images(x_int, "images")?;
        let d = self.dims() as f64 * std::f64::consts::LN_2;
        Ok(tch::no_grad(|| {
            self.elbo_mode(&self.input(x_int), Mode::Eval) * (-1.0 / d)
        }))
    }

    /// Bits per dimension of the importance-weighted bound with `samples` dequantization
    /// samples per image, `-(logsumexp_i r_i - log N) / (D ln 2)`, per example `(B,)`. Samples
    /// are evaluated `chunk` at a time.
    pub fn iw_bpd(&self, x_int: &Tensor, samples: usize, chunk: usize) -> Result<Tensor> {
        self.check_images(x_int, "images")?;
        if samples == 0 || chunk == 0 {
            return Err(Error::invalid(format!(
                "importance samples {samples} and chunk {chunk} must be positive"
            )));
        }
        let x = self.input(x_int);
        let d = self.dims() as f64 * std::f64::consts::LN_2;
        let b = x.size()[0];
        let out = tch::no_grad(|| {
            let mut per_image = Vec::with_capacity(b as usize);
            for i in 0..b {
                let xi = x.narrow(0, i, 1);
                let mut ratios = Vec::new();
                let mut done = 0;
                while done < samples {
                    let n = chunk.min(samples - done);
                    let xb = xi.expand([n as i64, -1, -1, -1], false).contiguous();
                    ratios.push(self.elbo_mode(&xb, Mode::Eval));
                    done += n;
                }
                let r = Tensor::cat(&ratios, 0);
                per_image.push(-(r.logsumexp([0], false) - (samples as f64).ln()) / d);
            }
            Tensor::stack(&per_image, 0)
        });
        Ok(out)
    }

    /// Draws `n` images: `z ~ N(0, temperature^2 I)`, inverted through the main flow, floored and
    /// clamped to 0..=255. Returns a `Uint8` tensor `(n, C, H, W)` on the model's device.
    pub fn sample(&self, n: i64, temperature: f64) -> Result<Tensor> {
        if n < 1 || !(temperature.is_finite() && temperature >= 0.0) {
            return Err(Error::invalid(format!(
                "sample: n {n} must be positive and temperature {temperature} finite and >= 0"
            )));
        }
        let (c, h, w) = self.config.latent_shape();
        let z = Tensor::randn([n, c, h, w], (self.kind(), self.device())) * temperature;
        let x = self.inverse(&z)?;
        Ok(x.nan_to_num(0.0, None, None)
            .floor()
            .clamp(0.0, 255.0)
            .to_kind(Kind::Uint8))
    }

    /// Data-dependent initialisation on a batch of integer images (the original uses 128):
    /// every Norm is set to normalise its input over the batch, every convolution is rescaled
    /// so its output has zero mean and the layer's init scale as deviation.
    pub fn data_dependent_init(&self, x_int: &Tensor) -> Result<()> {
        self.check_images(x_int, "initialisation images")?;
        tch::no_grad(|| {
            let _ = self.elbo_mode(&self.input(x_int), Mode::Init);
        });
        Ok(())
    }

    /// Serialises the model to safetensors bytes, parameters in the model's kind, with the
    /// configuration JSON in the metadata under [`CONFIG_KEY`].
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let vars = self.vs.variables();
        let mut raws = Vec::with_capacity(vars.len());
        for (name, t) in vars {
            let t = t.detach().to_device(Device::Cpu).contiguous();
            let dtype = match t.kind() {
                Kind::Float => safetensors::Dtype::F32,
                Kind::Double => safetensors::Dtype::F64,
                k => return Err(Error::invalid(format!("parameter {name} has kind {k:?}"))),
            };
            let numel = t.numel();
            let mut data = vec![0u8; numel * t.kind().elt_size_in_bytes()];
            t.f_copy_data_u8(&mut data, numel)?;
            let shape = t.size().iter().map(|&d| d as usize).collect();
            raws.push((name, Raw { dtype, shape, data }));
        }
        let mut meta = HashMap::new();
        meta.insert(CONFIG_KEY.to_string(), self.config.to_json());
        meta.insert(FORMAT_KEY.to_string(), FORMAT_TAG.to_string());
        let views = raws.iter().map(|(n, r)| (n.as_str(), r));
        safetensors::tensor::serialize(views, &Some(meta))
            .map_err(|e| Error::corrupt("model", format!("serialising: {e:?}")))
    }

    /// Loads a model from safetensors bytes written by [`FlowModel::to_bytes`], onto `device`
    /// in `kind`. With the same kind as saved, outputs are reproduced bit for bit.
    pub fn from_bytes(bytes: &[u8], device: Device, kind: Kind) -> Result<Self> {
        Self::from_bytes_named(bytes, "model bytes", device, kind)
    }

    fn from_bytes_named(bytes: &[u8], what: &str, device: Device, kind: Kind) -> Result<Self> {
        let st = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| Error::corrupt(what, format!("not a safetensors file: {e:?}")))?;
        let (_, meta) = safetensors::SafeTensors::read_metadata(bytes)
            .map_err(|e| Error::corrupt(what, format!("bad safetensors header: {e:?}")))?;
        let meta = meta.metadata().clone().unwrap_or_default();
        match meta.get(FORMAT_KEY) {
            Some(tag) if tag == FORMAT_TAG => {}
            other => {
                return Err(Error::corrupt(
                    what,
                    format!("metadata {FORMAT_KEY}: expected {FORMAT_TAG:?}, found {other:?}"),
                ))
            }
        }
        let json = meta
            .get(CONFIG_KEY)
            .ok_or_else(|| Error::corrupt(what, format!("metadata has no {CONFIG_KEY}")))?;
        let config = FlowConfig::from_json(json)?;
        let model = FlowModel::new(&config, device, kind)?;
        let mut vars = model.vs.variables();
        if st.len() != vars.len() {
            return Err(Error::corrupt(
                what,
                format!(
                    "expected {} tensors for this configuration, found {}",
                    vars.len(),
                    st.len()
                ),
            ));
        }
        tch::no_grad(|| -> Result<()> {
            for (name, var) in vars.iter_mut() {
                let view = st
                    .tensor(name)
                    .map_err(|_| Error::corrupt(what, format!("tensor {name} is missing")))?;
                let src_kind = match view.dtype() {
                    safetensors::Dtype::F32 => Kind::Float,
                    safetensors::Dtype::F64 => Kind::Double,
                    d => {
                        return Err(Error::corrupt(
                            what,
                            format!("tensor {name} has dtype {d:?}"),
                        ))
                    }
                };
                let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
                if shape != var.size() {
                    return Err(Error::corrupt(
                        what,
                        format!(
                            "tensor {name}: expected shape {:?}, found {shape:?}",
                            var.size()
                        ),
                    ));
                }
                let t = Tensor::f_from_data_size(view.data(), &shape, src_kind)?;
                var.f_copy_(&t.to_kind(var.kind()).to_device(var.device()))?;
            }
            Ok(())
        })?;
        Ok(model)
    }

    /// Writes the model to a safetensors file (see [`FlowModel::to_bytes`]).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes()?;
        std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
    }

    /// Reads a model written by [`FlowModel::save`].
    pub fn load(path: impl AsRef<Path>, device: Device, kind: Kind) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes_named(&bytes, &path.display().to_string(), device, kind)
    }
}

struct Raw {
    dtype: safetensors::Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl safetensors::View for &Raw {
    fn dtype(&self) -> safetensors::Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

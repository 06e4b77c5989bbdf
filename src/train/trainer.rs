//! [`Trainer`]: the training loop over a [`FlowModel`].

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tch::{Device, Kind, Tensor};

use super::checkpoint::{self, Header};
use super::config::TrainConfig;
use super::loader::{Loader, Schedule};
use crate::data::{patch_set, read_folder, to_channels, BuildOptions, Dataset, Kind as SetKind};
use crate::data::SplitMix64;
use crate::error::{Error, Result};
use crate::flow::{FlowConfig, FlowModel};
use crate::image::Image;

/// What one training step did, handed to the progress callback of [`Trainer::step`].
#[derive(Clone, Debug, Serialize)]
pub struct StepInfo {
    /// Steps done after this one.
    pub step: u64,
    /// Training loss of the step: the single-sample bound in bits per dimension (dropout on).
    pub train_bpd: f64,
    /// Learning rate used.
    pub learning_rate: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    /// Images per second over the step, batch loading included.
    pub images_per_sec: f64,
    /// True if the loss or gradient was not finite and the update was skipped.
    pub skipped: bool,
}

/// Result of an evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// Mean single-sample bound in bits per dimension.
    pub bpd: f64,
    /// Mean importance-weighted bound in bits per dimension, when asked for.
    pub iw_bpd: Option<f64>,
    /// Images evaluated (larger images count once, whatever their number of tiles).
    pub images: usize,
}

/// Trains a [`FlowModel`]: see the module docs for the recipe.
pub struct Trainer {
    config: TrainConfig,
    model: FlowModel,
    /// Trainable variables, sorted by name (shallow copies sharing the model's storage).
    params: Vec<(String, Tensor)>,
    adam_m: Vec<Tensor>,
    adam_v: Vec<Tensor>,
    ema: Vec<Tensor>,
    step: u64,
    initialized: bool,
    train_set: Arc<Dataset>,
    test_set: Dataset,
    loader: Option<Loader>,
}

fn mix(seed: u64, step: u64) -> i64 {
    (SplitMix64::derived(seed, step).next_u64() >> 1) as i64
}

impl Trainer {
    /// A trainer for `model` (freshly built; its data-dependent initialisation runs before the
    /// first step) with no data yet.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid configuration.
    pub fn new(config: TrainConfig, model: FlowModel) -> Result<Trainer> {
        config.validate()?;
        let mut params: Vec<(String, Tensor)> = model.var_store().variables().into_iter().collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let zeros = |p: &[(String, Tensor)]| -> Vec<Tensor> {
            p.iter().map(|(_, t)| t.detach().zeros_like()).collect()
        };
        let (adam_m, adam_v) = (zeros(&params), zeros(&params));
        let ema = params.iter().map(|(_, t)| t.detach().copy()).collect();
        let fc = model.config();
        let (h, w, c) = (fc.height as u32, fc.width as u32, fc.channels as u8);
        Ok(Trainer {
            config,
            params,
            adam_m,
            adam_v,
            ema,
            step: 0,
            initialized: false,
            train_set: Arc::new(Dataset::new(h, w, c, "train")),
            test_set: Dataset::new(h, w, c, "test"),
            loader: None,
            model,
        })
    }

    /// The training configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The model being trained (its current, not averaged, weights).
    pub fn model(&self) -> &FlowModel {
        &self.model
    }

    /// Steps done so far.
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    /// Number of training images.
    pub fn train_len(&self) -> usize {
        self.train_set.len()
    }

    /// Number of test images.
    pub fn test_len(&self) -> usize {
        self.test_set.len()
    }

    fn shape(&self) -> (u32, u32, u8) {
        let c = self.model.config();
        (c.height as u32, c.width as u32, c.channels as u8)
    }

    fn conform(&self, sets: &[Dataset]) -> Result<Dataset> {
        let (h, w, c) = self.shape();
        let mut out = Dataset::new(h, w, c, "added");
        for set in sets {
            for i in 0..set.len() {
                let src = set.sources[set.source_of[i] as usize].clone();
                let img = to_channels(&set.image(i), c)?;
                if img.height == h && img.width == w {
                    out.push(&img, &src)?;
                } else {
                    let mut opts = BuildOptions::new(SetKind::Patches, h);
                    opts.short_side = 0;
                    opts.max_per_image = usize::MAX;
                    if h != w {
                        return Err(Error::invalid(format!(
                            "image from {src} is {}x{}: only {w}x{h} images can be added to a \
                             model of that shape",
                            img.width, img.height
                        )));
                    }
                    if let Ok(p) = patch_set(&[(src.clone(), img)], &opts) {
                        for k in 0..p.len() {
                            out.push(&p.image(k), &src)?;
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    fn append(target: &mut Dataset, add: &Dataset) {
        for i in 0..add.len() {
            let src = &add.sources[add.source_of[i] as usize];
            let s = target.source_index(src);
            target.pixels.extend_from_slice(add.bytes(i));
            target.source_of.push(s);
        }
    }

    /// Adds a data set to the training images. Images of the model's shape are used as they
    /// are; larger square-model images are cut into non-overlapping patches; channels are
    /// converted (grayscale replicated, colour to luma).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if images cannot be fitted to the model's shape.
    pub fn add_dataset(&mut self, set: &Dataset) -> Result<()> {
        let add = self.conform(std::slice::from_ref(set))?;
        let mut train = (*self.train_set).clone();
        Self::append(&mut train, &add);
        self.train_set = Arc::new(train);
        self.loader = None;
        Ok(())
    }

    /// Adds images to the training set (see [`Trainer::add_dataset`]).
    ///
    /// # Errors
    /// As [`Trainer::add_dataset`].
    pub fn add_images(&mut self, images: &[Image]) -> Result<()> {
        let set = self.images_to_set(images)?;
        self.add_dataset(&set)
    }

    fn images_to_set(&self, images: &[Image]) -> Result<Dataset> {
        let mut sets = Vec::new();
        for (i, img) in images.iter().enumerate() {
            let mut d = Dataset::new(img.height, img.width, img.channels, "images");
            d.push(img, &format!("image {i}"))?;
            sets.push(d);
        }
        self.conform(&sets)
    }

    /// Reads a folder of photographs and adds their patches at the model's size, built with
    /// [`BuildOptions::new`]'s defaults (short side near 256, at most 200 patches each).
    ///
    /// # Errors
    /// Reading errors name the file.
    pub fn add_folder(&mut self, dir: &Path) -> Result<()> {
        let (h, _, c) = self.shape();
        let photos = read_folder(dir)?;
        let mut opts = BuildOptions::new(SetKind::Patches, h);
        opts.channels = c;
        self.add_dataset(&patch_set(&photos, &opts)?)
    }

    /// Adds a data set to the test images used by [`Trainer::evaluate`].
    ///
    /// # Errors
    /// As [`Trainer::add_dataset`].
    pub fn add_test_dataset(&mut self, set: &Dataset) -> Result<()> {
        let add = self.conform(std::slice::from_ref(set))?;
        Self::append(&mut self.test_set, &add);
        Ok(())
    }

    /// Adds images to the test set (see [`Trainer::add_test_dataset`]).
    ///
    /// # Errors
    /// As [`Trainer::add_dataset`].
    pub fn add_test_images(&mut self, images: &[Image]) -> Result<()> {
        let set = self.images_to_set(images)?;
        self.add_test_dataset(&set)
    }

    fn to_input(&self, pixels: &[u8], n: usize) -> Tensor {
        let fc = self.model.config();
        Tensor::from_slice(pixels)
            .view([n as i64, fc.channels, fc.height, fc.width])
            .to_kind(self.model.kind())
            .to_device(self.model.device())
    }

    /// Data-dependent initialisation on `init_batch` training images drawn with replacement.
    fn initialize(&mut self) -> Result<()> {
        let n = self.config.init_batch;
        let mut rng = SplitMix64::derived(self.config.seed, u64::MAX);
        let mut pixels = Vec::new();
        for _ in 0..n {
            let i = rng.below(self.train_set.len() as u64) as usize;
            pixels.extend(planar(&self.train_set, i));
        }
        let x = self.to_input(&pixels, n);
        self.initialize_with(&x)
    }

    /// Runs the data-dependent initialisation on the integer images `x` `(B, C, H, W)` (done
    /// automatically on `init_batch` training images before the first step otherwise): every
    /// Norm and convolution is set so that its output on this batch is normalised. The pass
    /// starts right after `tch::manual_seed(seed)`, so its dequantization noise can be drawn
    /// again. The EMA weights are set to the initialised weights.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for images of another shape; [`Error::Torch`].
    pub fn initialize_with(&mut self, x: &Tensor) -> Result<()> {
        tch::manual_seed(self.config.seed as i64);
        self.model.data_dependent_init(x)?;
        tch::no_grad(|| {
            for ((_, p), e) in self.params.iter().zip(self.ema.iter_mut()) {
                e.copy_(p);
            }
        });
        self.initialized = true;
        Ok(())
    }

    /// Runs `n` training steps. After each, `progress` receives what the step did and returns
    /// whether to go on.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without training images; [`Error::Cancelled`] when `progress`
    /// returned false (the steps done so far are kept and the trainer stays usable);
    /// [`Error::Torch`] from libtorch.
    pub fn step(
        &mut self,
        n: u64,
        mut progress: impl FnMut(&StepInfo) -> bool,
    ) -> Result<Option<StepInfo>> {
        if self.train_set.is_empty() {
            return Err(Error::invalid("no training images: add some before training"));
        }
        if !self.initialized {
            self.initialize()?;
        }
        let mut last = None;
        for _ in 0..n {
            let info = self.one_step()?;
            let go_on = progress(&info);
            last = Some(info);
            if !go_on {
                return Err(Error::Cancelled);
            }
        }
        Ok(last)
    }

    fn one_step(&mut self) -> Result<StepInfo> {
        let t0 = Instant::now();
        let b = self.config.batch_size;
        if self.loader.as_ref().map(|l| l.next_step) != Some(self.step) {
            let schedule = Schedule {
                set: self.train_set.clone(),
                batch_size: b,
                seed: self.config.seed,
            };
            self.loader = Some(Loader::start(schedule, self.step));
        }
        let pixels = self
            .loader
            .as_mut()
            .and_then(|l| l.next())
            .ok_or_else(|| Error::invalid("the batch loading thread stopped"))?;
        tch::manual_seed(mix(self.config.seed, self.step));
        let x = self.to_input(&pixels, b);
        let dims = self.model.dims() as f64 * std::f64::consts::LN_2;
        let loss = self.model.log_likelihood_bound(&x, true)?.mean(Kind::Double) * (-1.0 / dims);
        for (_, p) in &mut self.params {
            p.zero_grad();
        }
        loss.f_backward()?;
        let train_bpd = loss.double_value(&[]);
        let grads: Vec<Tensor> = self
            .params
            .iter()
            .map(|(_, p)| {
                let g = p.grad();
                if g.defined() {
                    g
                } else {
                    p.zeros_like()
                }
            })
            .collect();
        let sq: Vec<Tensor> = grads.iter().map(|g| g.square().sum(Kind::Double)).collect();
        let grad_norm = Tensor::stack(&sq, 0).sum(Kind::Double).sqrt().double_value(&[]);
        let lr = self.config.learning_rate_at(self.step);
        let skipped = !(train_bpd.is_finite() && grad_norm.is_finite());
        if !skipped {
            let clip = if self.config.grad_clip > 0.0 && grad_norm > self.config.grad_clip {
                self.config.grad_clip / grad_norm
            } else {
                1.0
            };
            self.adam_update(&grads, clip, lr);
        }
        self.step += 1;
        Ok(StepInfo {
            step: self.step,
            train_bpd,
            learning_rate: lr,
            grad_norm,
            images_per_sec: b as f64 / t0.elapsed().as_secs_f64(),
            skipped,
        })
    }

    fn adam_update(&mut self, grads: &[Tensor], clip: f64, lr: f64) {
        let c = &self.config;
        let t = (self.step + 1) as i32;
        let bc1 = 1.0 - c.beta1.powi(t);
        let bc2 = 1.0 - c.beta2.powi(t);
        let decay = c.ema_decay_at(self.step);
        tch::no_grad(|| {
            for i in 0..self.params.len() {
                let g = &grads[i] * clip;
                let m = &mut self.adam_m[i];
                let _ = m.g_mul_scalar_(c.beta1);
                let _ = m.g_add_(&(&g * (1.0 - c.beta1)));
                let v = &mut self.adam_v[i];
                let _ = v.g_mul_scalar_(c.beta2);
                let _ = v.g_add_(&(g.square() * (1.0 - c.beta2)));
                let denom = (&self.adam_v[i] / bc2).sqrt() + c.adam_eps;
                let upd = &self.adam_m[i] / denom * (lr / bc1);
                let p = &mut self.params[i].1;
                let _ = p.g_sub_(&upd);
                let e = &mut self.ema[i];
                let _ = e.g_mul_scalar_(decay);
                let _ = e.g_add_(&(&*p * (1.0 - decay)));
            }
        });
    }

    /// A copy of the model carrying the EMA weights (what evaluation and export use).
    ///
    /// # Errors
    /// [`Error::Torch`] from libtorch.
    pub fn export_model(&self) -> Result<FlowModel> {
        let model = FlowModel::new(self.model.config(), self.model.device(), self.model.kind())?;
        let mut vars = model.var_store().variables();
        tch::no_grad(|| -> Result<()> {
            for ((name, _), e) in self.params.iter().zip(&self.ema) {
                let v = vars
                    .get_mut(name)
                    .ok_or_else(|| Error::invalid(format!("variable {name} missing")))?;
                v.f_copy_(e)?;
            }
            Ok(())
        })?;
        Ok(model)
    }

    /// Single-sample bound of the EMA weights on the test set (at most `eval_max_images` of it,
    /// a fixed selection), in bits per dimension.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without test images; [`Error::Torch`].
    pub fn evaluate(&self) -> Result<EvalReport> {
        if self.test_set.is_empty() {
            return Err(Error::invalid("no test images: add some before evaluating"));
        }
        let model = self.export_model()?;
        evaluate_dataset(
            &model,
            &self.test_set,
            self.config.eval_batch,
            self.config.eval_max_images,
            None,
            self.config.seed,
        )
    }

    /// Writes a checkpoint to `path` atomically: model and training configurations, step,
    /// weights, Adam moments and EMA weights.
    ///
    /// # Errors
    /// [`Error::Io`] naming the path.
    pub fn save_checkpoint(&self, path: &Path) -> Result<()> {
        let header = Header {
            model: self.model.config().clone(),
            train: self.config.clone(),
            step: self.step,
            initialized: self.initialized,
            tensors: Vec::new(),
        };
        let mut list: Vec<(&str, &str, &Tensor)> = Vec::new();
        for (i, (name, p)) in self.params.iter().enumerate() {
            list.push(("param", name, p));
            list.push(("ema", name, &self.ema[i]));
            list.push(("adam_m", name, &self.adam_m[i]));
            list.push(("adam_v", name, &self.adam_v[i]));
        }
        checkpoint::write(path, header, &list)
    }

    /// Rebuilds a trainer from a checkpoint, on `device`. The data sets are not stored in the
    /// checkpoint: add the same training images again to continue exactly where it stopped.
    ///
    /// # Errors
    /// [`Error::Corrupt`] for a truncated or corrupted file (checksum) or one that does not
    /// match its own model configuration; [`Error::Io`].
    pub fn load_checkpoint(path: &Path, device: Device) -> Result<Trainer> {
        let (header, tensors) = checkpoint::read(path)?;
        let what = format!("checkpoint {}", path.display());
        let kind = match header.tensors.first().map(|e| e.dtype.as_str()) {
            Some("f64") => Kind::Double,
            _ => Kind::Float,
        };
        let model = FlowModel::new(&header.model, device, kind)?;
        let mut t = Trainer::new(header.train.clone(), model)?;
        if header.tensors.len() != 4 * t.params.len() {
            return Err(Error::corrupt(
                what,
                format!(
                    "{} tensors, the model configuration needs {}",
                    header.tensors.len(),
                    4 * t.params.len()
                ),
            ));
        }
        let index: std::collections::HashMap<String, usize> = t
            .params
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        tch::no_grad(|| -> Result<()> {
            for (e, src) in header.tensors.iter().zip(&tensors) {
                let i = *index.get(&e.name).ok_or_else(|| {
                    Error::corrupt(&what, format!("unknown variable {}", e.name))
                })?;
                let dst = match e.group.as_str() {
                    "param" => &mut t.params[i].1,
                    "ema" => &mut t.ema[i],
                    "adam_m" => &mut t.adam_m[i],
                    "adam_v" => &mut t.adam_v[i],
                    g => return Err(Error::corrupt(&what, format!("unknown group {g}"))),
                };
                if dst.size() != src.size() {
                    return Err(Error::corrupt(
                        &what,
                        format!(
                            "{} {}: shape {:?}, the model needs {:?}",
                            e.group,
                            e.name,
                            src.size(),
                            dst.size()
                        ),
                    ));
                }
                dst.f_copy_(&src.to_kind(dst.kind()).to_device(dst.device()))?;
            }
            Ok(())
        })?;
        t.step = header.step;
        t.initialized = header.initialized;
        Ok(t)
    }

    /// Replaces the training configuration (e.g. a new learning rate when resuming). The seed
    /// and batch size should stay those of the checkpoint for an exact continuation.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid configuration.
    pub fn set_config(&mut self, config: TrainConfig) -> Result<()> {
        config.validate()?;
        self.config = config;
        self.loader = None;
        Ok(())
    }
}

/// Image `i` of a set in channel-planar layout.
fn planar(set: &Dataset, i: usize) -> Vec<u8> {
    let (plane, c) = (set.height as usize * set.width as usize, set.channels as usize);
    let mut out = vec![0u8; plane * c];
    for (p, px) in set.bytes(i).chunks_exact(c).enumerate() {
        for (ch, &v) in px.iter().enumerate() {
            out[ch * plane + p] = v;
        }
    }
    out
}

/// Evaluates `model` on a data set: mean single-sample bound (and importance-weighted bound
/// with `iw_samples` samples, if given) in bits per dimension. Images larger than the model
/// whose sides are multiples of the model's are cut into tiles; an image's bpd is the mean over
/// its tiles (all tiles have the same number of dimensions). At most `max_images` images are
/// used (0: all), a selection fixed by `seed`.
///
/// # Errors
/// [`Error::InvalidArgument`] if the images cannot be tiled by the model's shape or have other
/// channels; [`Error::Torch`].
pub fn evaluate_dataset(
    model: &FlowModel,
    set: &Dataset,
    batch: usize,
    max_images: usize,
    iw_samples: Option<usize>,
    seed: u64,
) -> Result<EvalReport> {
    let fc: &FlowConfig = model.config();
    let (mh, mw, mc) = (fc.height as u32, fc.width as u32, fc.channels as u8);
    if set.channels != mc || set.height % mh != 0 || set.width % mw != 0 || set.is_empty() {
        return Err(Error::invalid(format!(
            "a {}x{}x{} model cannot evaluate {} images of {}x{}x{}",
            mw,
            mh,
            mc,
            set.len(),
            set.width,
            set.height,
            set.channels
        )));
    }
    let mut idx: Vec<usize> = (0..set.len()).collect();
    if max_images > 0 && max_images < idx.len() {
        SplitMix64::derived(seed, 0xE7A1).shuffle(&mut idx);
        idx.truncate(max_images);
        idx.sort();
    }
    let tiles_per = ((set.height / mh) * (set.width / mw)) as usize;
    // Tiles of all selected images, channel-planar.
    let plane = (mh * mw) as usize;
    let c = mc as usize;
    let mut tiles: Vec<u8> = Vec::with_capacity(idx.len() * tiles_per * plane * c);
    for &i in &idx {
        let img = set.image(i);
        for ty in 0..set.height / mh {
            for tx in 0..set.width / mw {
                let start = tiles.len();
                tiles.resize(start + plane * c, 0);
                for y in 0..mh {
                    for x in 0..mw {
                        for ch in 0..c {
                            tiles[start + ch * plane + (y * mw + x) as usize] =
                                img.at(ty * mh + y, tx * mw + x, ch as u8);
                        }
                    }
                }
            }
        }
    }
    let n_tiles = idx.len() * tiles_per;
    let to_t = |from: usize, n: usize| {
        Tensor::from_slice(&tiles[from * plane * c..(from + n) * plane * c])
            .view([n as i64, fc.channels, fc.height, fc.width])
    };
    tch::manual_seed(mix(seed, 0xE7A1_0000));
    let mut sum = 0.0;
    let mut iw_sum = 0.0;
    let mut k = 0;
    while k < n_tiles {
        let n = batch.min(n_tiles - k);
        let x = to_t(k, n);
        sum += model.bpd(&x)?.sum(Kind::Double).double_value(&[]);
        if let Some(s) = iw_samples {
            iw_sum += model.iw_bpd(&x, s, batch.max(1))?.sum(Kind::Double).double_value(&[]);
        }
        k += n;
    }
    Ok(EvalReport {
        bpd: sum / n_tiles as f64,
        iw_bpd: iw_samples.map(|_| iw_sum / n_tiles as f64),
        images: idx.len(),
    })
}

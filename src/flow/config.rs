//! Model configurations as data: every architecture choice of a Flow++ model, serialisable to
//! JSON (the configuration travels inside saved models).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a [`StageConfig::Split`] divides its input into the conditioning and transformed halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitKind {
    /// Even columns versus odd columns (vertical stripes); halves are `C x H x W/2`.
    Stripe,
    /// First `C/2` channels versus last `C/2` channels; halves are `C/2 x H x W`.
    Channel,
}

/// One stage of the main flow, applied in order after the initial logit preprocessing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageConfig {
    /// Split into two halves, run `couplings` steps of [Norm, Pointwise, Coupling, Flip] on the
    /// pair, then merge the halves back.
    Split {
        /// How the halves are formed.
        kind: SplitKind,
        /// Number of coupling steps in the stage.
        couplings: usize,
    },
    /// Space-to-depth by 2: `C x H x W -> 4C x H/2 x W/2`, channel `(dy*2 + dx)*C + c`.
    SpaceToDepth,
}

/// Conditioning network of a coupling layer: gated convolutions and self-attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CouplingConfig {
    /// Width of the conditioning network (the paper's "filters").
    pub filters: i64,
    /// Number of convolution-attention blocks.
    pub blocks: usize,
    /// Number of logistic mixture components K; 0 gives an affine-only coupling.
    pub components: i64,
    /// Number of attention heads; 0 disables self-attention (convolutions only).
    pub heads: i64,
    /// Dropout probability inside the network during training.
    pub dropout: f64,
}

/// The dequantization distribution `q(u|x)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DequantConfig {
    /// `u ~ U[0,1)^D`, independent of the image; `log q(u|x) = 0`.
    Uniform,
    /// A conditional flow `u = sigmoid(g_x(eps))`, `eps ~ N(0, I)`, with a context network on
    /// the integer image.
    Variational {
        /// Coupling steps in the dequantizer's stripe-split stage.
        couplings: usize,
        /// Conditioning network of the dequantizer couplings.
        coupling: CouplingConfig,
        /// Width of the context network.
        context_filters: i64,
        /// Number of gated residual convolution blocks of the context network.
        context_blocks: usize,
    },
}

/// Full description of a Flow++ model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowConfig {
    /// Short name (`cifar`, `small`, `tiny`, ...).
    pub name: String,
    /// Image channels: 3 (RGB) or 1 (grey).
    pub channels: i64,
    /// Image height in pixels.
    pub height: i64,
    /// Image width in pixels.
    pub width: i64,
    /// Main-flow stages after the logit preprocessing.
    pub stages: Vec<StageConfig>,
    /// Conditioning network of the main-flow couplings.
    pub coupling: CouplingConfig,
    /// Dequantization distribution.
    pub dequant: DequantConfig,
}

impl FlowConfig {
    /// The CIFAR-10 Flow++ model of the paper: 31,443,440 parameters.
    pub fn cifar() -> Self {
        Self::paper_layout("cifar", 96, 32, true)
    }

    /// Ablation with uniform dequantization and 104 filters: 32,324,408 parameters.
    pub fn cifar_uniform_dequant() -> Self {
        let mut c = Self::paper_layout("cifar_uniform_dequant", 104, 32, true);
        c.dequant = DequantConfig::Uniform;
        c
    }

    /// Ablation with affine-only couplings (K = 0) and 108 filters: 32,045,708 parameters.
    pub fn cifar_affine() -> Self {
        Self::paper_layout("cifar_affine", 108, 0, true)
    }

    fn paper_layout(name: &str, filters: i64, components: i64, variational: bool) -> Self {
        let dequant = if variational {
            DequantConfig::Variational {
                couplings: 4,
                coupling: CouplingConfig {
                    filters,
                    blocks: 2,
                    components,
                    heads: 4,
                    dropout: 0.2,
                },
                context_filters: 32,
                context_blocks: 3,
            }
        } else {
            DequantConfig::Uniform
        };
        FlowConfig {
            name: name.to_string(),
            channels: 3,
            height: 32,
            width: 32,
            stages: paper_stages(4, 2, 3),
            coupling: CouplingConfig {
                filters,
                blocks: 10,
                components,
                heads: 4,
                dropout: 0.2,
            },
            dequant,
        }
    }

    /// A model that trains on a few CPU cores: the paper's layout on 32x32 RGB images with 32
    /// filters, 2 blocks, K = 8 and a 2-coupling dequantizer.
    pub fn small() -> Self {
        Self::small_with(3, 32, 32)
    }

    /// [`FlowConfig::small`] for another image shape.
    pub fn small_with(channels: i64, height: i64, width: i64) -> Self {
        FlowConfig {
            name: "small".to_string(),
            channels,
            height,
            width,
            stages: paper_stages(4, 2, 3),
            coupling: CouplingConfig {
                filters: 32,
                blocks: 2,
                components: 8,
                heads: 4,
                dropout: 0.0,
            },
            dequant: DequantConfig::Variational {
                couplings: 2,
                coupling: CouplingConfig {
                    filters: 16,
                    blocks: 1,
                    components: 4,
                    heads: 2,
                    dropout: 0.0,
                },
                context_filters: 16,
                context_blocks: 1,
            },
        }
    }

    /// A very small model for tests: 8 filters, 1 block, K = 4, on `channels x height x width`
    /// images (height even, width a multiple of 4).
    pub fn tiny(channels: i64, height: i64, width: i64) -> Self {
        FlowConfig {
            name: "tiny".to_string(),
            channels,
            height,
            width,
            stages: paper_stages(2, 1, 1),
            coupling: CouplingConfig {
                filters: 8,
                blocks: 1,
                components: 4,
                heads: 2,
                dropout: 0.0,
            },
            dequant: DequantConfig::Variational {
                couplings: 2,
                coupling: CouplingConfig {
                    filters: 8,
                    blocks: 1,
                    components: 4,
                    heads: 2,
                    dropout: 0.0,
                },
                context_filters: 8,
                context_blocks: 1,
            },
        }
    }

    /// Looks a preset up by name: `cifar`, `cifar_uniform_dequant`, `cifar_affine`, `small`,
    /// `tiny` (3 x 8 x 8).
    pub fn preset(name: &str) -> Result<Self> {
        match name {
            "cifar" => Ok(Self::cifar()),
            "cifar_uniform_dequant" => Ok(Self::cifar_uniform_dequant()),
            "cifar_affine" => Ok(Self::cifar_affine()),
            "small" => Ok(Self::small()),
            "tiny" => Ok(Self::tiny(3, 8, 8)),
            other => Err(Error::invalid(format!(
                "unknown model configuration {other:?}: expected cifar, cifar_uniform_dequant, \
                 cifar_affine, small or tiny"
            ))),
        }
    }

    /// Serialises the configuration to JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a FlowConfig always serialises")
    }

    /// Parses a configuration from JSON and validates it.
    pub fn from_json(text: &str) -> Result<Self> {
        let c: FlowConfig = serde_json::from_str(text)
            .map_err(|e| Error::corrupt("model configuration", e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Number of subpixels `D = C * H * W` of one image.
    pub fn dims(&self) -> i64 {
        self.channels * self.height * self.width
    }

    /// Shape of the latent `z` of one image, `(C', H', W')`, after all space-to-depth stages.
    pub fn latent_shape(&self) -> (i64, i64, i64) {
        let (mut c, mut h, mut w) = (self.channels, self.height, self.width);
        for s in &self.stages {
            if let StageConfig::SpaceToDepth = s {
                c *= 4;
                h /= 2;
                w /= 2;
            }
        }
        (c, h, w)
    }

    /// Checks that every stage can split and squeeze the shapes it receives.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| {
            Err(Error::invalid(format!(
                "model configuration {}: {m}",
                self.name
            )))
        };
        if self.channels != 1 && self.channels != 3 {
            return bad(format!("channels must be 1 or 3, found {}", self.channels));
        }
        if self.height < 1 || self.width < 1 {
            return bad(format!(
                "image size {}x{} is empty",
                self.height, self.width
            ));
        }
        check_coupling(&self.name, "coupling", &self.coupling)?;
        let (mut c, mut h, mut w) = (self.channels, self.height, self.width);
        for (i, s) in self.stages.iter().enumerate() {
            match s {
                StageConfig::SpaceToDepth => {
                    if h % 2 != 0 || w % 2 != 0 {
                        return bad(format!(
                            "stage {i}: space-to-depth needs even sizes, found {h}x{w}"
                        ));
                    }
                    c *= 4;
                    h /= 2;
                    w /= 2;
                }
                StageConfig::Split {
                    kind: SplitKind::Stripe,
                    ..
                } if w % 2 != 0 => {
                    return bad(format!(
                        "stage {i}: stripe split needs an even width, found {w}"
                    ));
                }
                StageConfig::Split {
                    kind: SplitKind::Channel,
                    ..
                } if c % 2 != 0 => {
                    return bad(format!(
                        "stage {i}: channel split needs even channels, found {c}"
                    ));
                }
                StageConfig::Split { .. } => {}
            }
        }
        if let DequantConfig::Variational {
            coupling,
            context_filters,
            ..
        } = &self.dequant
        {
            if self.width % 2 != 0 {
                return bad(format!(
                    "the dequantizer needs an even width, found {}",
                    self.width
                ));
            }
            if *context_filters < 1 {
                return bad(format!(
                    "context_filters must be positive, found {context_filters}"
                ));
            }
            check_coupling(&self.name, "dequant coupling", coupling)?;
        }
        Ok(())
    }
}

fn check_coupling(name: &str, what: &str, c: &CouplingConfig) -> Result<()> {
    let bad = |m: String| {
        Err(Error::invalid(format!(
            "model configuration {name}: {what}: {m}"
        )))
    };
    let max_k = crate::codec::elementwise::MAX_COMPONENTS as i64;
    if c.filters < 1 || !(0..=max_k).contains(&c.components) || c.heads < 0 {
        return bad(format!(
            "filters {} components {} heads {} out of range (components at most {max_k})",
            c.filters, c.components, c.heads
        ));
    }
    if c.heads > 0 && c.filters % c.heads != 0 {
        return bad(format!(
            "filters {} not divisible by heads {}",
            c.filters, c.heads
        ));
    }
    if !(0.0..1.0).contains(&c.dropout) {
        return bad(format!("dropout {} outside [0, 1)", c.dropout));
    }
    Ok(())
}

/// The CIFAR layout: stripe split at full size, space-to-depth, channel split, stripe split.
fn paper_stages(a: usize, b: usize, c: usize) -> Vec<StageConfig> {
    vec![
        StageConfig::Split {
            kind: SplitKind::Stripe,
            couplings: a,
        },
        StageConfig::SpaceToDepth,
        StageConfig::Split {
            kind: SplitKind::Channel,
            couplings: b,
        },
        StageConfig::Split {
            kind: SplitKind::Stripe,
            couplings: c,
        },
    ]
}

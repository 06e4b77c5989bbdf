//! Conditioning networks: gated residual convolutions with concat-ELU and GLU, layer norm and
//! multi-head self-attention with a learned positional embedding; and the dequantizer's context
//! network.

use tch::{nn, Kind, Tensor};

/// How a network is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Inference: no dropout.
    Eval,
    /// Training: dropout active.
    Train,
    /// Data-dependent initialisation: every convolution and Norm rescales its parameters so
    /// that its output on this batch has zero mean and the layer's init scale as deviation;
    /// dropout active.
    Init,
}

impl Mode {
    /// Whether dropout is active.
    pub fn dropout(self) -> bool {
        !matches!(self, Mode::Eval)
    }

    /// `Train` for `true`, `Eval` for `false`.
    pub fn from_train(train: bool) -> Self {
        if train {
            Mode::Train
        } else {
            Mode::Eval
        }
    }
}

/// `elu([x, -x])` over channels: doubles the channel count.
pub fn concat_elu(x: &Tensor) -> Tensor {
    Tensor::cat(&[x, &(-x)], 1).elu()
}

/// A 2-D convolution with "same" padding (odd kernel), deterministic kernels, and data-dependent
/// initialisation.
#[derive(Debug)]
pub struct Conv {
    /// Kernel, shape `(out, in, k, k)`.
    pub w: Tensor,
    /// Bias, shape `(out,)`.
    pub b: Tensor,
    init_scale: f64,
}

impl Conv {
    /// Creates a `k x k` convolution from `cin` to `cout` channels with weights drawn from
    /// `N(0, 0.05^2)` and zero bias.
    pub fn new(p: nn::Path, cin: i64, cout: i64, k: i64, init_scale: f64) -> Self {
        let w = p.var(
            "w",
            &[cout, cin, k, k],
            nn::Init::Randn {
                mean: 0.0,
                stdev: 0.05,
            },
        );
        let b = p.var("b", &[cout], nn::Init::Const(0.0));
        Conv { w, b, init_scale }
    }

    fn conv(&self, x: &Tensor) -> Tensor {
        let k = self.w.size()[2];
        x.internal_convolution(
            &self.w,
            Some(&self.b),
            [1, 1],
            [k / 2, k / 2],
            [1, 1],
            false,
            [0, 0],
            1,
            false,
            true,
            true,
            false,
        )
    }

    /// Applies the convolution; in [`Mode::Init`] first rescales the weights and sets the bias
    /// from the statistics of this batch.
    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        if mode == Mode::Init {
            tch::no_grad(|| {
                let y = self.conv(x);
                let m = y.mean_dim(&[0i64, 2, 3][..], false, None);
                let v =
                    (&y - m.view([1, -1, 1, 1]))
                        .square()
                        .mean_dim(&[0i64, 2, 3][..], false, None);
                let s = (v + 1e-8).rsqrt() * self.init_scale;
                let w = &self.w * s.view([-1, 1, 1, 1]);
                let b = (&self.b - m) * &s;
                self.w.shallow_clone().copy_(&w);
                self.b.shallow_clone().copy_(&b);
            });
        }
        self.conv(x)
    }
}

/// Layer normalisation over the channels at every position, learned gain and bias per channel,
/// epsilon `1e-5`.
#[derive(Debug)]
pub struct ChannelNorm {
    /// Gain, shape `(C,)`.
    pub g: Tensor,
    /// Bias, shape `(C,)`.
    pub b: Tensor,
}

impl ChannelNorm {
    /// Creates a norm with unit gain and zero bias.
    pub fn new(p: nn::Path, c: i64) -> Self {
        ChannelNorm {
            g: p.var("g", &[c], nn::Init::Const(1.0)),
            b: p.var("b", &[c], nn::Init::Const(0.0)),
        }
    }

    /// Normalises `x` of shape `(B, C, H, W)` over `C`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let m = x.mean_dim(1, true, None);
        let d = x - m;
        let v = d.square().mean_dim(1, true, None);
        d * (v + 1e-5).rsqrt() * self.g.view([1, -1, 1, 1]) + self.b.view([1, -1, 1, 1])
    }
}

/// Gated residual convolution: `x + GLU(gate(dropout(concat_elu(conv(concat_elu(x)) + aux))))`.
#[derive(Debug)]
pub struct GatedConv {
    conv: Conv,
    aux: Option<Conv>,
    gate: Conv,
    dropout: f64,
}

impl GatedConv {
    /// `aux_channels`: channels of the optional context added after the first convolution;
    /// `gate_kernel`: 1 in coupling networks, 3 in the context network.
    pub fn new(
        p: nn::Path,
        f: i64,
        aux_channels: Option<i64>,
        gate_kernel: i64,
        dropout: f64,
    ) -> Self {
        GatedConv {
            conv: Conv::new(&p / "conv", 2 * f, f, 3, 1.0),
            aux: aux_channels.map(|a| Conv::new(&p / "aux", 2 * a, f, 1, 1.0)),
            gate: Conv::new(&p / "gate", 2 * f, 2 * f, gate_kernel, 0.1),
            dropout,
        }
    }

    /// Applies the block.
    pub fn forward(&self, x: &Tensor, aux: Option<&Tensor>, mode: Mode) -> Tensor {
        let mut h = self.conv.forward(&concat_elu(x), mode);
        if let (Some(layer), Some(a)) = (&self.aux, aux) {
            h = h + layer.forward(&concat_elu(a), mode);
        }
        let h = concat_elu(&h).dropout(self.dropout, mode.dropout());
        let h = self.gate.forward(&h, mode);
        x + h.glu(1)
    }
}

/// Gated multi-head self-attention over all positions, with the positional embedding added to
/// its input only.
#[derive(Debug)]
pub struct GatedAttention {
    qkv: Conv,
    gate: Conv,
    heads: i64,
    dropout: f64,
}

impl GatedAttention {
    /// Creates an attention layer of width `f` with `heads` heads.
    pub fn new(p: nn::Path, f: i64, heads: i64, dropout: f64) -> Self {
        GatedAttention {
            qkv: Conv::new(&p / "qkv", f, 3 * f, 1, 1.0),
            gate: Conv::new(&p / "gate", f, 2 * f, 1, 0.1),
            heads,
            dropout,
        }
    }

    /// Applies the block to `x` with positional embedding `pos` of shape `(1, F, H, W)`.
    pub fn forward(&self, x: &Tensor, pos: &Tensor, mode: Mode) -> Tensor {
        let s = x.size();
        let (b, f, h, w) = (s[0], s[1], s[2], s[3]);
        let n = h * w;
        let dh = f / self.heads;
        let qkv = self.qkv.forward(&(x + pos), mode);
        // channel layout (3, heads, dh) -> (3, B, heads, N, dh)
        let qkv = qkv
            .reshape([b, 3, self.heads, dh, n])
            .permute([1, 0, 2, 4, 3]);
        let (q, k, v) = (qkv.get(0), qkv.get(1), qkv.get(2));
        let att = (q.matmul(&k.transpose(2, 3)) * (1.0 / (dh as f64).sqrt())).softmax(-1, None);
        let o = att.matmul(&v); // (B, heads, N, dh)
        let o = o.permute([0, 1, 3, 2]).reshape([b, f, h, w]);
        let o = o.dropout(self.dropout, mode.dropout());
        x + self.gate.forward(&o, mode).glu(1)
    }
}

/// The conditioning network of a coupling: `proj_in`, then blocks of
/// [gated conv, layer norm, gated attention, layer norm], then `proj_out`.
#[derive(Debug)]
pub struct CondNet {
    proj_in: Conv,
    pos: Option<Tensor>,
    blocks: Vec<(
        GatedConv,
        ChannelNorm,
        Option<(GatedAttention, ChannelNorm)>,
    )>,
    proj_out: Conv,
}

impl CondNet {
    /// `cin` input channels at `h x w`, `cout` output channels, width `f`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        p: nn::Path,
        cin: i64,
        cout: i64,
        h: i64,
        w: i64,
        cfg: &super::config::CouplingConfig,
        aux_channels: Option<i64>,
    ) -> Self {
        let f = cfg.filters;
        let pos = (cfg.heads > 0).then(|| {
            p.var(
                "pos",
                &[1, f, h, w],
                nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.01,
                },
            )
        });
        let blocks = (0..cfg.blocks)
            .map(|i| {
                let q = &p / "block" / i;
                let conv = GatedConv::new(&q / "conv", f, aux_channels, 1, cfg.dropout);
                let n1 = ChannelNorm::new(&q / "norm_conv", f);
                let attn = (cfg.heads > 0).then(|| {
                    (
                        GatedAttention::new(&q / "attn", f, cfg.heads, cfg.dropout),
                        ChannelNorm::new(&q / "norm_attn", f),
                    )
                });
                (conv, n1, attn)
            })
            .collect();
        CondNet {
            proj_in: Conv::new(&p / "proj_in", cin, f, 3, 1.0),
            pos,
            blocks,
            proj_out: Conv::new(&p / "proj_out", f, cout, 3, 0.1),
        }
    }

    /// Kind of the network's weights.
    pub fn kind(&self) -> Kind {
        self.proj_in.w.kind()
    }

    /// Runs the network on `x` (already in the weights' kind), with optional context `aux`.
    pub fn forward(&self, x: &Tensor, aux: Option<&Tensor>, mode: Mode) -> Tensor {
        let mut h = self.proj_in.forward(x, mode);
        for (conv, n1, attn) in &self.blocks {
            h = n1.forward(&conv.forward(&h, aux, mode));
            if let (Some((a, n2)), Some(pos)) = (attn, &self.pos) {
                h = n2.forward(&a.forward(&h, pos, mode));
            }
        }
        self.proj_out.forward(&h, mode)
    }
}

/// Context network of the dequantizer, run on the integer image: `x/256 - 0.5`, stripe split
/// with the halves concatenated over channels, a 3x3 convolution, then gated residual
/// convolutions (3x3 gates, no layer norm).
#[derive(Debug)]
pub struct ContextNet {
    proj_in: Conv,
    blocks: Vec<GatedConv>,
}

impl ContextNet {
    /// Context of width `f` with `blocks` gated blocks on images of `c` channels.
    pub fn new(p: nn::Path, c: i64, f: i64, blocks: usize, dropout: f64) -> Self {
        ContextNet {
            proj_in: Conv::new(&p / "proj_in", 2 * c, f, 3, 1.0),
            blocks: (0..blocks)
                .map(|i| GatedConv::new(&p / "block" / i, f, None, 3, dropout))
                .collect(),
        }
    }

    /// Kind of the network's weights.
    pub fn kind(&self) -> Kind {
        self.proj_in.w.kind()
    }

    /// Context features of shape `(B, F, H, W/2)` for integer images `x` of shape `(B, C, H, W)`.
    pub fn forward(&self, x_int: &Tensor, mode: Mode) -> Tensor {
        let x = x_int.to_kind(self.kind()) / 256.0 - 0.5;
        let (a, b) = super::layers::split(super::config::SplitKind::Stripe, &x);
        let mut h = self.proj_in.forward(&Tensor::cat(&[a, b], 1), mode);
        for blk in &self.blocks {
            h = blk.forward(&h, None, mode);
        }
        h
    }
}

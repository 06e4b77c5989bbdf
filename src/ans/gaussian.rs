//! The discretized Gaussian on a grid, coded in two levels.
//!
//! A Gaussian `N(mean, std^2)` discretized on a [`Grid`] of bin width delta gives bin `s` the
//! probability `Phi((e_{s+1} - mean)/std) - Phi((e_s - mean)/std)`. When std is 2^18 bins wide
//! the likeliest bin has probability about 2^-20, below what a 32-bit frequency table can
//! represent well, so each symbol is coded in two steps:
//!
//! 1. **Coarse bucket.** The grid is cut into buckets of `2^m` bins, with edges at multiples of
//!    `2^m delta` from the grid's lower end, and `m = max(0, floor(log2(std / delta)) - 6)`, so
//!    a bucket is between std/128 and std/64 wide (or one bin). The buckets within about
//!    six std of the mean form a window; each gets a frequency out of `2^26` from the
//!    quantized normal CDF at its edges, plus one (so every bucket is codable). The total
//!    is `2^26` rather than `2^32` because the rounding loss of an rANS step grows as the
//!    total `2^P` approaches the state's lower bound `2^32`: at `P = 32` it measured 2.5e-3
//!    bits per symbol, at `P = 26` it is below 1e-5. The mass below
//!    and above the window goes to two escape symbols, present only if bins lie there.
//!    The grid ends count as minus and plus infinity, so no mass is lost off the grid. After
//!    an escape, the bucket's distance from the window is coded with probabilities that fall
//!    off geometrically (its bit length in unary, then its other bits), so that every bucket
//!    stays codable and near ones are cheap.
//! 2. **Fine bins.** Within the bucket the bin is coded uniformly.
//!
//! The extra cost over the exact discretized Gaussian is the divergence between the Gaussian
//! and its bucket-wise uniform approximation, at most `(std/64)^2/(24 std^2 ln 2)`, about
//! 1.5e-5 bits, plus the frequency quantization and rounding of the coarse step (a few
//! 1e-6 bits) and the escapes (about 1e-7 bits). Measured: 1.5e-5 bits per symbol at a std
//! of 2^18 bins (`tests/ans_codelength.rs`).
//!
//! Both steps are exact bijections between symbols and stream contents, so decoding from any
//! stream yields some bin of the grid and re-encoding it restores that stream bit for bit,
//! which is what bits-back coding relies on. The CDF is [`special::phi_coding`], deterministic
//! across platforms.

use super::grid::{pow2, Grid};
use super::rans::Stream;
use super::special::{self, trunc_small};
use crate::error::{Error, Result};

/// Precision of the coarse step: frequencies are out of `2^26` (see the module docs).
pub const COARSE_BITS: u32 = 26;
/// Total of the coarse frequencies.
const COARSE_TOTAL: u64 = 1 << COARSE_BITS;
/// Half-width of the coarse window, in standard deviations.
const WINDOW_STDS: f64 = 6.0;
/// Buckets are `2^-BUCKET_SHIFT` to `2^(1 - BUCKET_SHIFT)` std wide.
const BUCKET_SHIFT: i32 = 6;

/// Checks a Gaussian's parameters; `what` names the element for the message.
#[inline]
pub(crate) fn check_params(mean: f64, std: f64, index: usize) -> Result<()> {
    if !mean.is_finite() {
        return Err(Error::invalid(format!(
            "Gaussian mean {mean} at index {index} is not finite"
        )));
    }
    if !(std.is_finite() && std > 0.0) {
        return Err(Error::invalid(format!(
            "Gaussian std {std} at index {index} must be positive and finite"
        )));
    }
    Ok(())
}

/// `floor(log2(x))` for finite `x > 0`, from the exponent bits.
#[inline(always)]
fn floor_log2(x: f64) -> i32 {
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32;
    if e == 0 {
        // Subnormal: 2^-1074 times the mantissa.
        let mant = bits & ((1u64 << 52) - 1);
        -1074 + (63 - mant.leading_zeros() as i32)
    } else {
        e - 1023
    }
}

/// The parts of a [`TwoLevel`] model that depend only on the grid and the std, so that a run
/// of symbols with the same std computes them once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    std: f64,
    /// `1 / std`, so that each CDF argument costs a multiplication.
    inv_std: f64,
    /// Bins per bucket, log2.
    m: u32,
    /// Buckets per unit of the reals (a power of two, so multiplying by it is exact).
    inv_width: f64,
    /// Number of buckets on the grid.
    buckets: u64,
    /// The last bucket, as a float.
    last: f64,
}

impl Scale {
    /// Scale for std `std` on `grid`; `std` must have passed [`check_params`].
    #[inline(always)]
    pub(crate) fn new(grid: &Grid, std: f64) -> Scale {
        let log_ratio = floor_log2(std) as i64 + grid.bits() as i64;
        let m = (log_ratio - BUCKET_SHIFT as i64).clamp(0, 63) as u32;
        let inv_width = pow2(grid.bits() as i32 - m as i32);
        let buckets = ((grid.num_bins() - 1) >> m) + 1;
        Scale {
            std,
            inv_std: 1.0 / std,
            m,
            inv_width,
            buckets,
            // Buckets are fewer than 2^52, so the signed conversion (cheaper) is exact.
            last: (buckets - 1) as i64 as f64,
        }
    }

    /// Whether this is the scale of `std` (compares the bits: stds are positive).
    #[inline(always)]
    pub(crate) fn is_for(&self, std: f64) -> bool {
        self.std.to_bits() == std.to_bits()
    }
}

/// The two-level model of one discretized Gaussian on one grid.
#[derive(Debug, Clone)]
pub(crate) struct TwoLevel<'g> {
    grid: &'g Grid,
    mean: f64,
    std: f64,
    /// `1 / std`, so that each CDF argument costs a multiplication.
    inv_std: f64,
    /// Bins per bucket, log2.
    m: u32,
    /// Number of buckets on the grid.
    buckets: u64,
    /// First and last bucket of the window.
    k0: u64,
    k1: u64,
    /// Buckets per unit of the reals (a power of two, so multiplying by it is exact).
    inv_width: f64,
    /// 1 if the low (high) escape symbol exists.
    has_lo: u64,
    has_hi: u64,
    /// Frequency mass shared out by the CDF (the rest is the +1 per symbol).
    free: f64,
}

impl<'g> TwoLevel<'g> {
    /// Model for `N(mean, std^2)` on `grid`; parameters must have passed [`check_params`].
    #[inline]
    pub(crate) fn new(grid: &'g Grid, mean: f64, std: f64) -> TwoLevel<'g> {
        TwoLevel::with_scale(grid, mean, &Scale::new(grid, std))
    }

    /// Model for `N(mean, std^2)` on `grid` from the [`Scale`] of its std.
    #[inline(always)]
    pub(crate) fn with_scale(grid: &'g Grid, mean: f64, sc: &Scale) -> TwoLevel<'g> {
        let (std, inv_width, buckets) = (sc.std, sc.inv_width, sc.buckets);
        // The argument is clamped to [0, last], last < 2^52 (NaN becomes 0).
        let to_bucket =
            |x: f64| -> u64 { trunc_small(((x - grid.lo()) * inv_width).max(0.0).min(sc.last)) };
        let k0 = to_bucket(mean - WINDOW_STDS * std);
        let k1 = to_bucket(mean + WINDOW_STDS * std).max(k0);
        let has_lo = (k0 > 0) as u64;
        let has_hi = (k1 + 1 < buckets) as u64;
        let free = (COARSE_TOTAL - (k1 - k0 + 1) - has_lo - has_hi) as i64 as f64;
        TwoLevel {
            grid,
            mean,
            std,
            inv_std: sc.inv_std,
            m: sc.m,
            buckets,
            k0,
            k1,
            inv_width,
            has_lo,
            has_hi,
            free,
        }
    }

    /// Normal CDF at the lower edge of bucket `k` (0 at the grid's start, 1 at its end).
    #[inline(always)]
    fn cdf(&self, k: u64) -> f64 {
        if k == 0 {
            0.0
        } else if k >= self.buckets {
            1.0
        } else {
            special::phi_coding((self.grid.edge(k << self.m) - self.mean) * self.inv_std)
        }
    }

    /// Cumulative frequency where bucket `k` starts, for `k` in `[k0, k1 + 1]`.
    #[inline(always)]
    fn start(&self, k: u64) -> u64 {
        // The CDF is in [0, 1] (never NaN), so the product is in [0, free], free < 2^26, and
        // its truncation is its floor.
        trunc_small(self.free * self.cdf(k)) + self.has_lo + (k - self.k0)
    }

    /// Number of bins in bucket `k` and its first bin.
    #[inline(always)]
    fn bucket_bins(&self, k: u64) -> (u64, u64) {
        let base = k << self.m;
        let end = (base + (1u64 << self.m)).min(self.grid.num_bins());
        (base, end - base)
    }

    /// Pushes bin `s` (callers guarantee `s < num_bins`).
    #[inline(always)]
    pub(crate) fn encode(&self, stream: &mut Stream, s: u64) -> Result<()> {
        let k = s >> self.m;
        if k < self.k0 || k > self.k1 {
            // The cold path rebuilds the model, so that this one never leaves registers.
            encode_escape(self.grid, self.mean, self.std, stream, s);
            return Ok(());
        }
        // Fine bits within the bucket, then the bucket. A whole bucket of 2 to 2^32 bins is
        // `m` raw bits, which is what `push_uniform` would do with its `2^m` values.
        let base = k << self.m;
        let end = base + (1u64 << self.m);
        if end <= self.grid.num_bins() && self.m.wrapping_sub(1) < 32 {
            stream.push_bits(s - base, self.m);
        } else {
            stream.push_uniform(end.min(self.grid.num_bins()) - base, s - base);
        }
        let a = self.start(k);
        let b = self.start(k + 1);
        if b <= a {
            return Err(non_monotone(self.mean, self.std, k));
        }
        stream.push(a, b - a, COARSE_BITS);
        Ok(())
    }

    /// [`TwoLevel::encode`] for a bin below or above the window.
    #[inline(always)]
    fn encode_escape(&self, stream: &mut Stream, s: u64) {
        let k = s >> self.m;
        let (base, n) = self.bucket_bins(k);
        stream.push_uniform(n, s - base);
        if k < self.k0 {
            // Low escape: the bin within its bucket, the bucket's distance below the window,
            // then the escape symbol.
            push_tail(stream, self.k0 - 1 - k, self.k0);
            stream.push(0, self.start(self.k0), COARSE_BITS);
        } else {
            push_tail(stream, k - self.k1 - 1, self.buckets - self.k1 - 1);
            let a = self.start(self.k1 + 1);
            stream.push(a, COARSE_TOTAL - a, COARSE_BITS);
        }
    }

    /// Pops a bin; the inverse of [`TwoLevel::encode`].
    #[inline]
    pub(crate) fn decode(&self, stream: &mut Stream) -> Result<u64> {
        let slot = stream.peek(COARSE_BITS);

        // Starting guess from the approximate quantile; the search below makes it exact.
        let p = (slot as f64 + 0.5) * (1.0 / COARSE_TOTAL as f64);
        let x = self.mean + self.std * special::normal_quantile_approx(p);
        let g = (x - self.grid.lo()) * self.inv_width;
        let guess = if g >= self.k1 as f64 {
            self.k1
        } else if g >= self.k0 as f64 {
            g as i64 as u64
        } else {
            self.k0
        };

        // Bracket the slot: start(lo) <= slot < start(hi).
        let (mut lo, mut lo_v, mut hi, mut hi_v);
        let v = self.start(guess);
        if v <= slot {
            lo = guess;
            lo_v = v;
            let mut step = 1;
            loop {
                let j = (lo + step).min(self.k1 + 1);
                let v = if j == self.k1 + 1 && self.has_hi == 0 {
                    COARSE_TOTAL
                } else {
                    self.start(j)
                };
                if v > slot {
                    hi = j;
                    hi_v = v;
                    break;
                }
                if j == self.k1 + 1 {
                    return self.decode_high_escape(stream, v);
                }
                lo = j;
                lo_v = v;
                step *= 2;
            }
        } else {
            hi = guess;
            hi_v = v;
            let mut step = 1;
            loop {
                if hi == self.k0 {
                    return self.decode_low_escape(stream, hi_v);
                }
                let j = hi.saturating_sub(step).max(self.k0);
                let v = self.start(j);
                if v <= slot {
                    lo = j;
                    lo_v = v;
                    break;
                }
                hi = j;
                hi_v = v;
                step *= 2;
            }
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let v = self.start(mid);
            if v <= slot {
                lo = mid;
                lo_v = v;
            } else {
                hi = mid;
                hi_v = v;
            }
        }

        // The bucket, then the fine bits within it.
        stream.pop(lo_v, hi_v - lo_v, COARSE_BITS)?;
        let (base, n) = self.bucket_bins(lo);
        Ok(base + stream.pop_uniform(n)?)
    }

    #[cold]
    fn decode_low_escape(&self, stream: &mut Stream, end: u64) -> Result<u64> {
        stream.pop(0, end, COARSE_BITS)?;
        let k = self.k0 - 1 - pop_tail(stream, self.k0)?;
        let (base, n) = self.bucket_bins(k);
        Ok(base + stream.pop_uniform(n)?)
    }

    #[cold]
    fn decode_high_escape(&self, stream: &mut Stream, start: u64) -> Result<u64> {
        stream.pop(start, COARSE_TOTAL - start, COARSE_BITS)?;
        let k = self.k1 + 1 + pop_tail(stream, self.buckets - self.k1 - 1)?;
        let (base, n) = self.bucket_bins(k);
        Ok(base + stream.pop_uniform(n)?)
    }
}

/// Pushes the distance `d` in `[0, count)` of an escaped bucket from the window, `count >= 1`.
///
/// `d + 1` is coded as its bit length `j` (in unary, one fair bit per step, without the
/// terminator at the largest possible `j`), then its remaining `j` bits uniformly. Near
/// buckets therefore cost few bits and the code's probabilities fall off geometrically with
/// the distance. This matters beyond the rare escapes themselves: a bits-back decode that
/// follows an encode on the same stream maps the encoded symbol's position in its
/// distribution to the same position in the new one, so an escape encoded by one step can
/// become an escape decoded by the next. With a tail that decays, such a decode lands a few
/// standard deviations beyond the window instead of anywhere on the grid, and the coding
/// chain recovers instead of compounding the outlier.
#[inline(never)]
fn push_tail(stream: &mut Stream, d: u64, count: u64) {
    debug_assert!(d < count);
    let top = 63 - count.leading_zeros();
    let v = d + 1;
    let j = 63 - v.leading_zeros();
    let lo = 1u64 << j;
    let hi = (lo << 1).min(count + 1);
    stream.push_uniform(hi - lo, v - lo);
    if j < top {
        stream.push_bits(0, 1);
    }
    for _ in 0..j {
        stream.push_bits(1, 1);
    }
}

/// Pops a distance pushed by [`push_tail`] with the same `count`.
#[inline(never)]
fn pop_tail(stream: &mut Stream, count: u64) -> Result<u64> {
    let top = 63 - count.leading_zeros();
    let mut j = 0;
    while j < top && stream.pop_uniform(2)? == 1 {
        j += 1;
    }
    let lo = 1u64 << j;
    let hi = (lo << 1).min(count + 1);
    Ok(lo + stream.pop_uniform(hi - lo)? - 1)
}

/// [`TwoLevel::encode`] for a bin outside the window of `N(mean, std^2)`.
#[cold]
#[inline(never)]
fn encode_escape(grid: &Grid, mean: f64, std: f64, stream: &mut Stream, s: u64) {
    TwoLevel::new(grid, mean, std).encode_escape(stream, s);
}

/// The error for a bucket that got no frequency (never seen: see the module docs).
#[cold]
#[inline(never)]
fn non_monotone(mean: f64, std: f64, k: u64) -> Error {
    Error::NumericsMismatch(format!(
        "discretized Gaussian (mean {mean}, std {std}) has an empty bucket {k}"
    ))
}

/// A linear autoregressive Gaussian on blocks of `c` elements.
///
/// Element `i` of a block is Gaussian with std `std[i]` and mean
/// `base_i + sum_{j<i} coef[i*c + j] * (y_j - base_j)`, where `y_j` are the midpoints of the
/// block's earlier symbols and `base` the unconditional means. The sum runs over `j`
/// in increasing order in f64, so encoder and decoder compute identical means.
#[derive(Debug, Clone, PartialEq)]
pub struct ArGaussian {
    /// Block size.
    pub c: usize,
    /// `c * c` coefficients, row-major; only the strictly lower triangle is used.
    pub coef: Vec<f64>,
    /// Conditional standard deviation of each element.
    pub std: Vec<f64>,
}

impl ArGaussian {
    /// Autoregressive form of `y ~ N(M x, sigma^2 M M^T)` for a `c * c` row-major matrix `M`.
    ///
    /// With `L` lower triangular and `L L^T = M M^T` (from a Householder QR of `M^T`, in f64
    /// with fixed-order loops), element `i` has std `sigma |L_ii|` and coefficients
    /// `coef[i][j] = -L_ii (L^-1)_ij` for `j < i`: then `y_i - mean_i = sigma L_ii e_i` with
    /// `e = L^-1 (y - M x) / sigma` standard normal.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the sizes disagree, an entry or sigma is not finite,
    /// sigma is not positive, or `M` is singular.
    pub fn from_matrix(m: &[f64], c: usize, sigma: f64) -> Result<ArGaussian> {
        if c == 0 || m.len() != c * c {
            return Err(Error::invalid(format!(
                "AR matrix has {} entries, expected {c} x {c}",
                m.len()
            )));
        }
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::invalid(format!("AR sigma {sigma} must be positive")));
        }
        if let Some(i) = m.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(format!("AR matrix entry {i} is not finite")));
        }
        let l = lower_factor(m, c)?;

        // L^-1 by forward substitution, one column at a time, stored transposed
        // (inv_t[col c + i] = (L^-1)_{i,col}) so that the inner sums run over contiguous memory.
        let mut inv_t = vec![0.0; c * c];
        for col in 0..c {
            for i in col..c {
                let row = &l[i * c..i * c + i];
                let x = &inv_t[col * c..col * c + i];
                let s = if i == col { 1.0 } else { 0.0 };
                inv_t[col * c + i] = (s - dot(&row[col..], &x[col..])) / l[i * c + i];
            }
        }
        let mut coef = vec![0.0; c * c];
        let mut std = vec![0.0; c];
        for i in 0..c {
            let lii = l[i * c + i];
            std[i] = sigma * lii.abs();
            for j in 0..i {
                coef[i * c + j] = -lii * inv_t[j * c + i];
            }
        }
        let largest = std.iter().fold(0.0f64, |a, &b| a.max(b));
        let tiny = largest * 1e-14 * c as f64;
        if let Some(i) = std.iter().position(|s| !(s.is_finite() && *s > tiny)) {
            return Err(Error::invalid(format!(
                "AR matrix is singular (conditional std {} at element {i})",
                std[i]
            )));
        }
        Ok(ArGaussian { c, coef, std })
    }

    /// Checks sizes and values against a block size.
    pub(crate) fn check(&self) -> Result<()> {
        if self.c == 0 || self.coef.len() != self.c * self.c || self.std.len() != self.c {
            return Err(Error::invalid(format!(
                "AR Gaussian with c = {} has {} coefficients and {} stds",
                self.c,
                self.coef.len(),
                self.std.len()
            )));
        }
        if let Some(i) = self.coef.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(format!("AR coefficient {i} is not finite")));
        }
        for (i, &s) in self.std.iter().enumerate() {
            check_params(0.0, s, i)?;
        }
        Ok(())
    }

    /// Conditional mean of element `i` of a block given the midpoints `y[..i]`.
    #[inline]
    pub(crate) fn mean(&self, i: usize, base: &[f64], y: &[f64]) -> f64 {
        let row = &self.coef[i * self.c..i * self.c + i];
        let mut acc = 0.0;
        for j in 0..i {
            acc += row[j] * (y[j] - base[j]);
        }
        base[i] + acc
    }
}

/// Dot product of two equally long slices in a fixed order: four interleaved partial sums,
/// combined as `(s0 + s1) + (s2 + s3)`, then the leftover elements in order. Deterministic on
/// every platform, and lets the compiler use vector instructions.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut s = [0.0f64; 4];
    let chunks = n / 4;
    for (ca, cb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for l in 0..4 {
            s[l] += ca[l] * cb[l];
        }
    }
    let mut total = (s[0] + s[1]) + (s[2] + s[3]);
    for i in 4 * chunks..n {
        total += a[i] * b[i];
    }
    total
}

/// Lower-triangular `L` (row-major) with `L L^T = M M^T`, as `R^T` of a Householder QR of `M^T`.
///
/// Column `k` of `M^T` is row `k` of `M`, so the reduction works on rows of a copy of `M` and
/// every inner loop walks contiguous memory; the lower triangle of the result is `L`.
fn lower_factor(m: &[f64], c: usize) -> Result<Vec<f64>> {
    // Row j of `a` holds column j of the matrix being reduced (M^T, then R).
    let mut a = m.to_vec();
    let mut v = vec![0.0; c];
    for k in 0..c {
        let col = &a[k * c..(k + 1) * c];
        let mut norm2 = 0.0;
        for x in &col[k..] {
            norm2 += x * x;
        }
        let norm = norm2.sqrt();
        if norm == 0.0 {
            return Err(Error::invalid(format!(
                "AR matrix is singular (column {k})"
            )));
        }
        let alpha = if col[k] > 0.0 { -norm } else { norm };
        // Reflector H = I - 2 v v^T / (v^T v) with v = x - alpha e_k.
        let mut vnorm2 = 0.0;
        for i in k..c {
            v[i] = col[i];
            if i == k {
                v[i] -= alpha;
            }
            vnorm2 += v[i] * v[i];
        }
        if vnorm2 > 0.0 {
            for j in k..c {
                let colj = &mut a[j * c..(j + 1) * c];
                let d = dot(&v[k..], &colj[k..]);
                let f = 2.0 * d / vnorm2;
                for i in k..c {
                    colj[i] -= f * v[i];
                }
            }
        }
    }
    // R[k][j] = a[j c + k], so L[i][j] = R[j][i] = a[i c + j] for j <= i.
    for i in 0..c {
        for j in i + 1..c {
            a[i * c + j] = 0.0;
        }
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ar_factor_reproduces_covariance() {
        let c = 4;
        let m: Vec<f64> = (0..c * c)
            .map(|i| {
                ((i * 7 + 3) % 11) as f64 / 5.0 - 1.0 + if i % (c + 1) == 0 { 2.0 } else { 0.0 }
            })
            .collect();
        let l = lower_factor(&m, c).unwrap();
        for i in 0..c {
            for j in 0..c {
                let mut want = 0.0;
                let mut got = 0.0;
                for k in 0..c {
                    want += m[i * c + k] * m[j * c + k];
                    got += l[i * c + k] * l[j * c + k];
                }
                assert!((want - got).abs() < 1e-12, "({i},{j}): {want} vs {got}");
            }
        }
        let ar = ArGaussian::from_matrix(&m, c, 0.5).unwrap();
        // With L = D (I - C) style factorization: residual covariance check through the AR
        // recursion: y = A e with A built from coef and std must give sigma^2 M M^T.
        let mut a = vec![0.0; c * c];
        for i in 0..c {
            // y_i = sum_j coef_ij y_j + std_i e_i, so row i of A = sum_j coef_ij A_j + std_i e_i.
            for k in 0..c {
                let mut s = if k == i { ar.std[i] } else { 0.0 };
                for j in 0..i {
                    s += ar.coef[i * c + j] * a[j * c + k];
                }
                a[i * c + k] = s;
            }
        }
        for i in 0..c {
            for j in 0..c {
                let mut want = 0.0;
                let mut got = 0.0;
                for k in 0..c {
                    want += 0.25 * m[i * c + k] * m[j * c + k];
                    got += a[i * c + k] * a[j * c + k];
                }
                assert!((want - got).abs() < 1e-12, "({i},{j}): {want} vs {got}");
            }
        }
    }

    #[test]
    fn singular_matrix_is_an_error() {
        assert!(ArGaussian::from_matrix(&[1.0, 2.0, 2.0, 4.0], 2, 1.0).is_err());
        assert!(ArGaussian::from_matrix(&[1.0, 2.0, 2.0], 2, 1.0).is_err());
    }
}

//! The discretization grid: bins of width delta = 2^-bits covering `[lo, hi)`.

use crate::error::{Error, Result};

/// Largest number of bins a grid may have, so that every midpoint is exact in f64.
pub const MAX_GRID_BINS: u64 = 1 << 52;

/// A uniform grid of bins of width `delta = 2^-bits` covering `[lo, hi)`.
///
/// Bin `s` is `[lo + s delta, lo + (s + 1) delta)`; its representative real is its midpoint.
/// Both conversions are exact in f64, so the encoder and the decoder always feed identical
/// reals to whatever computes the next distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    bits: u32,
    lo: f64,
    hi: f64,
    /// `lo / delta`, an integer.
    lo_units: i64,
    num_bins: u64,
    delta: f64,
    scale: f64,
}

impl Grid {
    /// Grid with `delta = 2^-bits` on `[lo, hi)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `bits <= 1000`, `lo < hi` are finite multiples of
    /// delta, and the grid has at most 2^52 bins, with `|lo| / delta` below 2^52 as well.
    pub fn new(bits: u32, lo: f64, hi: f64) -> Result<Grid> {
        if bits > 1000 {
            return Err(Error::invalid(format!("grid bits {bits} exceeds 1000")));
        }
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::invalid(format!(
                "grid range [{lo}, {hi}) must be finite and non-empty"
            )));
        }
        let scale = pow2(bits as i32);
        let delta = pow2(-(bits as i32));
        let lo_s = lo * scale;
        let hi_s = hi * scale;
        let limit = MAX_GRID_BINS as f64;
        if lo_s.fract() != 0.0 || hi_s.fract() != 0.0 || lo_s.abs() >= limit || hi_s.abs() >= limit
        {
            return Err(Error::invalid(format!(
                "grid range [{lo}, {hi}) must be multiples of 2^-{bits} within 2^52 bins of 0"
            )));
        }
        let num = hi_s - lo_s;
        if num > limit {
            return Err(Error::invalid(format!(
                "grid [{lo}, {hi}) at 2^-{bits} has more than 2^52 bins"
            )));
        }
        Ok(Grid {
            bits,
            lo,
            hi,
            lo_units: lo_s as i64,
            num_bins: num as u64,
            delta,
            scale,
        })
    }

    /// Number of bins, `(hi - lo) / delta`.
    pub fn num_bins(&self) -> u64 {
        self.num_bins
    }

    /// Bin width, `2^-bits`.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// `bits` such that delta = 2^-bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Lower end of the covered range (inclusive).
    pub fn lo(&self) -> f64 {
        self.lo
    }

    /// Upper end of the covered range (exclusive).
    pub fn hi(&self) -> f64 {
        self.hi
    }

    /// The bin containing `x`: `floor((x - lo) / delta)`, computed exactly.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `x` is NaN or outside `[lo, hi)`.
    pub fn symbol(&self, x: f64) -> Result<u64> {
        if !(x >= self.lo && x < self.hi) {
            return Err(Error::invalid(format!(
                "value {x} is outside the grid range [{}, {})",
                self.lo, self.hi
            )));
        }
        // x * 2^bits is exact; its floor is an integer below 2^52 in magnitude.
        let units = (x * self.scale).floor() as i64;
        Ok((units - self.lo_units) as u64)
    }

    /// Midpoint of bin `s`, `lo + (s + 1/2) delta`, exact in f64. Symbols past the last bin
    /// give midpoints past `hi` (still exact up to 2^52 bins).
    pub fn midpoint(&self, s: u64) -> f64 {
        ((self.lo_units.wrapping_add(s as i64))
            .wrapping_mul(2)
            .wrapping_add(1) as f64)
            * (0.5 * self.delta)
    }

    /// Left edge of bin `s`, `lo + s delta`, exact in f64.
    pub fn edge(&self, s: u64) -> f64 {
        (self.lo_units.wrapping_add(s as i64) as f64) * self.delta
    }
}

/// `2^k` for k in [-1074, 1023], exact.
pub(crate) fn pow2(k: i32) -> f64 {
    if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_and_midpoint_are_exact() {
        let g = Grid::new(32, -256.0, 256.0).unwrap();
        assert_eq!(g.num_bins(), 1 << 41);
        assert_eq!(g.symbol(-256.0).unwrap(), 0);
        assert_eq!(g.symbol(0.0).unwrap(), 1 << 40);
        assert_eq!(g.symbol(255.99999999976717).unwrap(), (1 << 41) - 1);
        assert!(g.symbol(256.0).is_err());
        assert!(g.symbol(f64::NAN).is_err());
        for s in [0u64, 1, 12345, (1 << 40) + 3, (1 << 41) - 1] {
            assert_eq!(g.symbol(g.midpoint(s)).unwrap(), s);
            assert_eq!(g.symbol(g.edge(s)).unwrap(), s);
        }
        assert_eq!(g.midpoint(1 << 40), 2f64.powi(-33));
    }

    #[test]
    fn rejects_bad_grids() {
        assert!(Grid::new(0, 0.5, 2.0).is_err());
        assert!(Grid::new(60, -256.0, 256.0).is_err());
        assert!(Grid::new(8, 1.0, 1.0).is_err());
        assert!(Grid::new(0, 0.0, 1.0).is_ok());
    }
}

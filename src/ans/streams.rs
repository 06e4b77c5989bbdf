//! Independent rANS streams coded in parallel, with the batched calls of bits-back coding.
//!
//! [`Streams`] holds N independent [`Stream`]s; stream `i` of `Streams::new(N, seed)` draws
//! its state and initial bits from a generator seeded from `(seed, i)`. Every batched call on
//! `n` items splits them into N contiguous blocks, block `i` starting at
//! `floor(n/N) i + min(i, n mod N)`, and codes block `i` on stream `i` (the streams run in
//! parallel on the rayon pool). Within a block, encodes go from the last item to the first
//! and decodes from the first to the last, so a decoder that makes the mirror calls in the
//! reverse order recovers every symbol and every stream exactly.
//!
//! # Errors and partial work
//!
//! Encoding calls check all their inputs before touching any stream, so an error leaves the
//! streams unchanged. A decoding call can fail part way (a stream read from corrupt bytes runs
//! out of words, or an autoregressive mean comes out non-finite); the streams are then in an
//! unspecified but valid state and should be discarded.

use std::ops::Range;

use rayon::prelude::*;

use super::gaussian::{check_params, ArGaussian, Scale, TwoLevel, COARSE_BITS};
use super::grid::Grid;
use super::rans::{SplitMix64, Stream};
use crate::error::{Error, Result};

/// First bytes of a serialized [`Streams`].
pub const STREAMS_MAGIC: [u8; 4] = *b"FBBS";
/// Version of the serialized format written by [`Streams::to_bytes`].
pub const STREAMS_FORMAT_VERSION: u16 = 1;
/// Bytes before the first stream: magic, version, word bits, precision, stream count.
const HEADER_BYTES: usize = 4 + 2 + 1 + 1 + 4;

/// Items `[start, end)` of block `i` when `n` items are split over `parts` streams.
pub fn block_range(n: usize, parts: usize, i: usize) -> Range<usize> {
    let q = n / parts;
    let r = n % parts;
    let start = q * i + i.min(r);
    let len = q + (i < r) as usize;
    start..start + len
}

/// Seed of stream `i` of a set seeded with `seed`.
fn stream_seed(seed: u64, i: usize) -> u64 {
    SplitMix64::new(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

/// N independent rANS streams; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Streams {
    streams: Vec<Stream>,
}

impl Streams {
    /// `num_streams` fresh streams (at least one), stream `i` seeded from `(seed, i)`.
    pub fn new(num_streams: usize, seed: u64) -> Streams {
        let n = num_streams.max(1);
        Streams {
            streams: (0..n).map(|i| Stream::new(stream_seed(seed, i))).collect(),
        }
    }

    /// Number of streams.
    pub fn num_streams(&self) -> usize {
        self.streams.len()
    }

    /// Stream `i`.
    pub fn stream(&self, i: usize) -> Option<&Stream> {
        self.streams.get(i)
    }

    /// Mutable stream `i`, for sequential coding on one stream.
    pub fn stream_mut(&mut self, i: usize) -> Option<&mut Stream> {
        self.streams.get_mut(i)
    }

    /// Total length in bits over all streams (see [`Stream::len_bits`]); the net codelength of
    /// a sequence of calls is the length after minus the length before. It may be negative.
    pub fn len_bits(&self) -> i64 {
        self.streams.iter().map(Stream::len_bits).sum()
    }

    /// Sum of [`Stream::len_bits_fractional`] over all streams (for reporting only).
    pub fn len_bits_fractional(&self) -> f64 {
        self.streams.iter().map(Stream::len_bits_fractional).sum()
    }

    /// Initial bits drawn so far, over all streams.
    pub fn initial_bits_used(&self) -> u64 {
        self.streams.iter().map(Stream::initial_bits_used).sum()
    }

    /// Serializes the streams (little endian):
    ///
    /// | bytes | field |
    /// |---|---|
    /// | 4 | magic `FBBS` |
    /// | 2 | format version (1) |
    /// | 1 | word bits (32) |
    /// | 1 | precision bits of the Gaussian's coarse step (26) |
    /// | 4 | number of streams N |
    ///
    /// then for each stream: its state (u64), its number of words W (u64) and W words (u32),
    /// bottom of the stack first. The generators of initial bits are not stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        let words: usize = self.streams.iter().map(|s| s.words().len()).sum();
        let mut out = Vec::with_capacity(HEADER_BYTES + 16 * self.streams.len() + 4 * words);
        out.extend_from_slice(&STREAMS_MAGIC);
        out.extend_from_slice(&STREAMS_FORMAT_VERSION.to_le_bytes());
        out.push(32);
        out.push(COARSE_BITS as u8);
        out.extend_from_slice(&(self.streams.len() as u32).to_le_bytes());
        for s in &self.streams {
            s.write_bytes(&mut out);
        }
        out
    }

    /// Reads streams written by [`Streams::to_bytes`]. They have no initial bits: decoding
    /// past their first word is an error, never a panic.
    ///
    /// # Errors
    /// [`Error::Corrupt`] for a wrong magic, an unknown version or word size, a truncated
    /// stream, a state below 2^32, or trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Streams> {
        let what = "rANS streams";
        if bytes.len() < HEADER_BYTES {
            return Err(Error::corrupt(
                what,
                format!("{} bytes is too short", bytes.len()),
            ));
        }
        if bytes[0..4] != STREAMS_MAGIC {
            return Err(Error::corrupt(what, "wrong magic bytes"));
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != STREAMS_FORMAT_VERSION {
            return Err(Error::corrupt(
                what,
                format!("format version {version}, expected {STREAMS_FORMAT_VERSION}"),
            ));
        }
        if bytes[6] != 32 || bytes[7] as u32 != COARSE_BITS {
            return Err(Error::corrupt(
                what,
                format!(
                    "word/precision bits {}/{}, expected 32/{COARSE_BITS}",
                    bytes[6], bytes[7]
                ),
            ));
        }
        let n = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
        let mut rest = &bytes[HEADER_BYTES..];
        if n == 0 || n > rest.len() / 16 {
            return Err(Error::corrupt(
                what,
                format!("{n} streams cannot fit in {} bytes", rest.len()),
            ));
        }
        let mut streams = Vec::with_capacity(n);
        for i in 0..n {
            let (s, used) = Stream::read_bytes(rest, i)?;
            streams.push(s);
            rest = &rest[used..];
        }
        if !rest.is_empty() {
            return Err(Error::corrupt(
                what,
                format!("{} trailing bytes after the last stream", rest.len()),
            ));
        }
        Ok(Streams { streams })
    }

    /// Runs `f(stream, block)` for every stream in parallel, block `i` of `n` on stream `i`.
    fn run_blocks<F>(&mut self, n: usize, f: F) -> Result<()>
    where
        F: Fn(&mut Stream, Range<usize>) -> Result<()> + Sync,
    {
        let parts = self.streams.len();
        if parts == 1 {
            return f(&mut self.streams[0], 0..n);
        }
        self.streams
            .par_iter_mut()
            .enumerate()
            .try_for_each(|(i, s)| f(s, block_range(n, parts, i)))
    }

    /// Like [`Streams::run_blocks`], also handing each stream its block of `out`.
    fn run_blocks_out<F>(&mut self, out: &mut [u64], unit: usize, f: F) -> Result<()>
    where
        F: Fn(&mut Stream, Range<usize>, &mut [u64]) -> Result<()> + Sync,
    {
        let parts = self.streams.len();
        let n = out.len() / unit;
        if parts == 1 {
            return f(&mut self.streams[0], 0..n, out);
        }
        let mut chunks = Vec::with_capacity(parts);
        let mut rest = out;
        for i in 0..parts {
            let len = block_range(n, parts, i).len() * unit;
            let (head, tail) = rest.split_at_mut(len);
            chunks.push(head);
            rest = tail;
        }
        self.streams
            .par_iter_mut()
            .zip(chunks.into_par_iter())
            .enumerate()
            .try_for_each(|(i, (s, chunk))| f(s, block_range(n, parts, i), chunk))
    }

    /// Encodes bins `syms[i]` of `N(means[i], stds[i]^2)` discretized on `g`.
    ///
    /// Every bin of the grid is encodable, whatever the mean (even off the grid) and std
    /// (smaller than a bin or wider than the grid).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if lengths differ, a symbol is not a bin of `g`, a mean is
    /// not finite or a std is not positive and finite.
    pub fn encode_gaussian(
        &mut self,
        g: &Grid,
        syms: &[u64],
        means: &[f64],
        stds: &[f64],
    ) -> Result<()> {
        check_len("means", means.len(), syms.len())?;
        check_len("stds", stds.len(), syms.len())?;
        let bins = g.num_bins();
        let valid = |s: u64, m: f64, d: f64| (s < bins) & m.is_finite() & d.is_finite() & (d > 0.0);
        // Branch-free passes first (they vectorize, also without 64-bit vector compares: as
        // bins <= 2^52, `s < bins` exactly when the top bit of `(s - bins) & !s` is set); the
        // culprit is searched only on failure.
        let syms_valid = syms
            .iter()
            .fold(u64::MAX, |ok, &s| ok & s.wrapping_sub(bins) & !s)
            >> 63
            == 1;
        let params_valid = means.iter().zip(stds).fold(true, |ok, (&m, &d)| {
            ok & m.is_finite() & d.is_finite() & (d > 0.0)
        });
        let all_valid = syms_valid & params_valid;
        let bad = if all_valid {
            None
        } else {
            syms.iter()
                .zip(means)
                .zip(stds)
                .position(|((&s, &m), &d)| !valid(s, m, d))
        };
        if let Some(i) = bad {
            if syms[i] >= bins {
                return Err(Error::invalid(format!(
                    "symbol {} at index {i} is not a bin of a grid with {bins} bins",
                    syms[i]
                )));
            }
            check_params(means[i], stds[i], i)?;
        }
        self.run_blocks(syms.len(), |stream, r| {
            let items = syms[r.clone()].iter().zip(&means[r.clone()]).zip(&stds[r]);
            // Runs of equal stds (common: a fixed noise scale) share the std's part of the model.
            let mut scale: Option<Scale> = None;
            for ((&s, &m), &d) in items.rev() {
                let sc = match scale {
                    Some(sc) if sc.is_for(d) => sc,
                    _ => *scale.insert(Scale::new(g, d)),
                };
                TwoLevel::with_scale(g, m, &sc).encode(stream, s)?;
            }
            Ok(())
        })
    }

    /// Decodes `out.len()` bins of `N(means[i], stds[i]^2)` discretized on `g`; the mirror of
    /// [`Streams::encode_gaussian`].
    ///
    /// # Errors
    /// As for encoding, plus [`Error::Corrupt`] if a stream without initial bits runs out.
    pub fn decode_gaussian(
        &mut self,
        g: &Grid,
        means: &[f64],
        stds: &[f64],
        out: &mut [u64],
    ) -> Result<()> {
        check_len("means", means.len(), out.len())?;
        check_len("stds", stds.len(), out.len())?;
        for (i, (&m, &s)) in means.iter().zip(stds).enumerate() {
            check_params(m, s, i)?;
        }
        self.run_blocks_out(out, 1, |stream, r, out| {
            for (o, i) in out.iter_mut().zip(r) {
                *o = TwoLevel::new(g, means[i], stds[i]).decode(stream)?;
            }
            Ok(())
        })
    }

    /// Encodes bins of the standard normal prior `N(0, 1)` discretized on `g`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a symbol is not a bin of `g`.
    pub fn encode_std_normal(&mut self, g: &Grid, syms: &[u64]) -> Result<()> {
        check_symbols(g, syms)?;
        let model = TwoLevel::new(g, 0.0, 1.0);
        self.run_blocks(syms.len(), |stream, r| {
            for i in r.rev() {
                model.encode(stream, syms[i])?;
            }
            Ok(())
        })
    }

    /// Decodes bins of the standard normal prior on `g`; the mirror of
    /// [`Streams::encode_std_normal`].
    ///
    /// # Errors
    /// [`Error::Corrupt`] if a stream without initial bits runs out.
    pub fn decode_std_normal(&mut self, g: &Grid, out: &mut [u64]) -> Result<()> {
        let model = TwoLevel::new(g, 0.0, 1.0);
        self.run_blocks_out(out, 1, |stream, _, out| {
            for o in out.iter_mut() {
                *o = model.decode(stream)?;
            }
            Ok(())
        })
    }

    /// Encodes symbols uniformly distributed in `[0, n)`, any `n >= 1`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n == 0` or a symbol is `>= n`.
    pub fn encode_uniform(&mut self, n: u64, syms: &[u64]) -> Result<()> {
        if let Some(i) = syms.iter().position(|&s| s >= n) {
            return Err(Error::invalid(format!(
                "uniform symbol {} at index {i} is outside [0, {n})",
                syms[i]
            )));
        }
        self.run_blocks(syms.len(), |stream, r| {
            for i in r.rev() {
                stream.push_uniform(n, syms[i]);
            }
            Ok(())
        })
    }

    /// Decodes symbols uniformly distributed in `[0, n)`; the mirror of
    /// [`Streams::encode_uniform`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n == 0`; [`Error::Corrupt`] if a stream runs out.
    pub fn decode_uniform(&mut self, n: u64, out: &mut [u64]) -> Result<()> {
        if n == 0 {
            return Err(Error::invalid("uniform alphabet size must be at least 1"));
        }
        self.run_blocks_out(out, 1, |stream, _, out| {
            for o in out.iter_mut() {
                *o = stream.pop_uniform(n)?;
            }
            Ok(())
        })
    }

    /// Encodes `syms.len() / ar.c` blocks of the autoregressive Gaussian `ar` on `g`.
    ///
    /// `base` holds the unconditional means of every element. The blocks are the parallel
    /// unit (split over the streams as described in the module docs); within a block the
    /// elements are encoded from `c - 1` down to 0. With a single block everything is coded
    /// on stream 0.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the lengths are not a multiple of `ar.c` or differ, `ar`
    /// is malformed, a symbol is not a bin of `g`, or a mean is not finite.
    pub fn encode_ar(
        &mut self,
        g: &Grid,
        ar: &ArGaussian,
        base: &[f64],
        syms: &[u64],
    ) -> Result<()> {
        ar.check()?;
        let c = ar.c;
        check_len("AR base means", base.len(), syms.len())?;
        if !syms.len().is_multiple_of(c) {
            return Err(Error::invalid(format!(
                "{} AR symbols is not a multiple of the block size {c}",
                syms.len()
            )));
        }
        check_symbols(g, syms)?;
        if let Some(i) = base.iter().position(|b| !b.is_finite()) {
            return Err(Error::invalid(format!("AR base mean {i} is not finite")));
        }

        // All conditional means first, so that no stream is touched if one is not finite.
        let mut means = vec![0.0; syms.len()];
        means
            .par_chunks_mut(c)
            .enumerate()
            .try_for_each(|(b, m)| -> Result<()> {
                let y: Vec<f64> = syms[b * c..(b + 1) * c]
                    .iter()
                    .map(|&s| g.midpoint(s))
                    .collect();
                let base = &base[b * c..(b + 1) * c];
                for (i, mi) in m.iter_mut().enumerate() {
                    *mi = ar.mean(i, base, &y);
                    check_params(*mi, 1.0, b * c + i)?;
                }
                Ok(())
            })?;

        let scales: Vec<Scale> = ar.std.iter().map(|&d| Scale::new(g, d)).collect();
        self.run_blocks(syms.len() / c, |stream, blocks| {
            for b in blocks.rev() {
                for i in (0..c).rev() {
                    let k = b * c + i;
                    TwoLevel::with_scale(g, means[k], &scales[i]).encode(stream, syms[k])?;
                }
            }
            Ok(())
        })
    }

    /// Decodes `out.len() / ar.c` blocks of the autoregressive Gaussian `ar` on `g`; the
    /// mirror of [`Streams::encode_ar`].
    ///
    /// # Errors
    /// As for encoding, plus [`Error::Corrupt`] if a stream without initial bits runs out.
    pub fn decode_ar(
        &mut self,
        g: &Grid,
        ar: &ArGaussian,
        base: &[f64],
        out: &mut [u64],
    ) -> Result<()> {
        ar.check()?;
        let c = ar.c;
        check_len("AR base means", base.len(), out.len())?;
        if !out.len().is_multiple_of(c) {
            return Err(Error::invalid(format!(
                "{} AR symbols is not a multiple of the block size {c}",
                out.len()
            )));
        }
        if let Some(i) = base.iter().position(|b| !b.is_finite()) {
            return Err(Error::invalid(format!("AR base mean {i} is not finite")));
        }
        self.run_blocks_out(out, c, |stream, blocks, out| {
            let mut y = vec![0.0; c];
            for (b, block_out) in blocks.zip(out.chunks_exact_mut(c)) {
                let base = &base[b * c..(b + 1) * c];
                for i in 0..c {
                    let mean = ar.mean(i, base, &y);
                    check_params(mean, 1.0, b * c + i)?;
                    let s = TwoLevel::new(g, mean, ar.std[i]).decode(stream)?;
                    block_out[i] = s;
                    y[i] = g.midpoint(s);
                }
            }
            Ok(())
        })
    }
}

fn check_len(name: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(Error::invalid(format!(
            "{name} has {got} entries, expected {want}"
        )));
    }
    Ok(())
}

fn check_symbols(g: &Grid, syms: &[u64]) -> Result<()> {
    let n = g.num_bins();
    if let Some(i) = syms.iter().position(|&s| s >= n) {
        return Err(Error::invalid(format!(
            "symbol {} at index {i} is not a bin of a grid with {n} bins",
            syms[i]
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_partition_the_items() {
        for n in [0usize, 1, 5, 16, 17, 1000] {
            for parts in [1usize, 2, 3, 16] {
                let mut next = 0;
                for i in 0..parts {
                    let r = block_range(n, parts, i);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
    }
}

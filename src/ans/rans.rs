//! One rANS stream with stack semantics, as bits-back coding needs it.
//!
//! A [`Stream`] is a 64-bit state plus a stack of 32-bit words. Symbols are coded with
//! frequencies out of a total of `2^P`, `1 <= P <= 32`; the state is kept in `[2^32, 2^64)`,
//! so that each coding step moves at most one word. Encoding pushes, decoding pops the symbol
//! pushed last: decoding is the exact inverse of encoding and vice versa, whatever the order
//! in which the two are mixed.
//!
//! # Initial bits
//!
//! Bits-back coding decodes from a stream before anything was encoded on it. A stream made by
//! [`Stream::new`] therefore lies on top of an endless supply of *initial bits*: its state is
//! drawn from a pseudo-random generator seeded by a `u64`, and whenever a decode needs a word
//! below the bottom of the stack, the next 32-bit word of that generator is used and counted
//! ([`Stream::initial_bits_used`]). A stream read from bytes ([`Stream::from_parts`], or the
//! containers in [`crate::ans::streams`]) has no generator: running out of words there means
//! the stream is truncated or corrupt, and is reported as [`Error::Corrupt`].
//!
//! # Length
//!
//! [`Stream::len_bits`] is `32 * words + bit length of the state - 32 * initial words used`.
//! It changes by the codelength of each step, and a decode followed by the matching encode
//! (or the other way round) returns it to exactly its value before, initial bits included.

use crate::error::{Error, Result};

/// Bits per word moved between the state and the stack.
pub const WORD_BITS: u32 = 32;

/// Largest supported probability precision `P` (frequencies are out of `2^P`).
pub const MAX_PRECISION: u32 = 32;

/// Lower end of the normalized state interval `[2^32, 2^64)`.
const STATE_LOWER: u64 = 1 << 32;

/// Uniform alphabets up to `2^UNIFORM_DIRECT_BITS` symbols are coded in one step; larger ones
/// are split into a high part of at most that many values and a low part.
const UNIFORM_DIRECT_BITS: u32 = 14;
/// Precision of the uniform steps that are not powers of two. It leaves 6 bits between the
/// state's lower bound and the total, which keeps the rANS rounding loss near 1e-5 bits, and
/// every value gets at least 2^12 slots, so the quantization loss is negligible.
const UNIFORM_PRECISION: u32 = 26;

/// SplitMix64: a small, fast and fully specified pseudo-random generator for initial bits.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Generator seeded by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// Next 64 pseudo-random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// One rANS stream: a state in `[2^32, 2^64)` and a stack of 32-bit words.
///
/// See the [module documentation](self) for the coding rules, initial bits and length.
#[derive(Debug, Clone)]
pub struct Stream {
    /// Always in `[2^32, 2^64)` between coding steps.
    state: u64,
    /// The stack; the last element is the top.
    words: Vec<u32>,
    /// Source of initial bits below the bottom of the stack (encoder side only).
    initial: Option<SplitMix64>,
    /// Number of words drawn from `initial` so far.
    initial_words_used: u64,
}

impl Stream {
    /// A fresh stream whose state and initial bits come from a generator seeded by `seed`.
    pub fn new(seed: u64) -> Stream {
        let mut rng = SplitMix64::new(seed);
        let state = rng.next_u64() | (1 << 63);
        Stream {
            state,
            words: Vec::new(),
            initial: Some(rng),
            initial_words_used: 0,
        }
    }

    /// A stream with the given state and words (bottom of the stack first) and no source of
    /// initial bits, as read back by a decoder.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if `state` is below `2^32` (no encoder leaves such a state).
    pub fn from_parts(state: u64, words: Vec<u32>) -> Result<Stream> {
        if state < STATE_LOWER {
            return Err(Error::corrupt(
                "rANS stream",
                format!("state {state:#x} is below 2^32"),
            ));
        }
        Ok(Stream {
            state,
            words,
            initial: None,
            initial_words_used: 0,
        })
    }

    /// The state (always in `[2^32, 2^64)`).
    pub fn state(&self) -> u64 {
        self.state
    }

    /// The stack of words, bottom first.
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// Length in bits: words on the stack plus the bit length of the state, minus the initial
    /// bits drawn so far. May be negative after decoding more than was ever encoded.
    pub fn len_bits(&self) -> i64 {
        let state_bits = 64 - self.state.leading_zeros() as i64;
        32 * self.words.len() as i64 + state_bits - 32 * self.initial_words_used as i64
    }

    /// [`Stream::len_bits`] with the state counted as `log2(state)` instead of its bit length.
    ///
    /// For reporting codelengths of short sequences only: it uses the platform's logarithm and
    /// never decides any bit.
    pub fn len_bits_fractional(&self) -> f64 {
        let words = self.words.len() as f64 - self.initial_words_used as f64;
        32.0 * words + (self.state as f64).log2()
    }

    /// Number of initial bits drawn from the generator so far (0 for a stream read back by a
    /// decoder). They are the bits a bits-back encoder borrowed beyond what the stream held.
    pub fn initial_bits_used(&self) -> u64 {
        32 * self.initial_words_used
    }

    /// Whether the stream has a source of initial bits (true for [`Stream::new`]).
    pub fn has_initial_bits(&self) -> bool {
        self.initial.is_some()
    }

    /// Encodes the symbol occupying slots `[start, start + freq)` out of `2^precision`.
    ///
    /// Callers guarantee `1 <= precision <= 32`, `freq >= 1` and `start + freq <= 2^precision`.
    #[inline(always)]
    pub(crate) fn push(&mut self, start: u64, freq: u64, precision: u32) {
        debug_assert!((1..=MAX_PRECISION).contains(&precision));
        debug_assert!(freq >= 1 && start + freq <= 1u64 << precision);
        if (self.state >> (64 - precision)) >= freq {
            self.words.push(self.state as u32);
            self.state >>= WORD_BITS;
        }
        self.state = ((self.state / freq) << precision) + (self.state % freq) + start;
    }

    /// Encodes `bits` raw bits `value` (a uniform symbol in `[0, 2^bits)`, `1 <= bits <= 32`).
    #[inline(always)]
    pub(crate) fn push_bits(&mut self, value: u64, bits: u32) {
        debug_assert!((1..=MAX_PRECISION).contains(&bits) && value >> bits == 0);
        if (self.state >> (64 - bits)) != 0 {
            self.words.push(self.state as u32);
            self.state >>= WORD_BITS;
        }
        self.state = (self.state << bits) | value;
    }

    /// The slot (in `[0, 2^precision)`) that the next decode at this precision falls into.
    #[inline(always)]
    pub(crate) fn peek(&self, precision: u32) -> u64 {
        self.state & ((1u64 << precision) - 1)
    }

    /// Removes the symbol occupying `[start, start + freq)`, which must contain
    /// [`Stream::peek`]`(precision)`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if a word is needed and the stack is empty on a stream without
    /// initial bits.
    #[inline(always)]
    pub(crate) fn pop(&mut self, start: u64, freq: u64, precision: u32) -> Result<()> {
        let slot = self.peek(precision);
        debug_assert!(start <= slot && slot - start < freq);
        self.state = freq * (self.state >> precision) + (slot - start);
        if self.state < STATE_LOWER {
            let word = self.pull_word()?;
            self.state = (self.state << WORD_BITS) | word as u64;
        }
        Ok(())
    }

    /// Takes the top word of the stack, or an initial word when the stack is empty.
    #[cold]
    fn pull_word_slow(&mut self) -> Result<u32> {
        match &mut self.initial {
            Some(rng) => {
                self.initial_words_used += 1;
                Ok((rng.next_u64() >> 32) as u32)
            }
            None => Err(Error::corrupt(
                "rANS stream",
                "ran out of words while decoding (truncated or corrupt stream)",
            )),
        }
    }

    #[inline(always)]
    fn pull_word(&mut self) -> Result<u32> {
        match self.words.pop() {
            Some(w) => Ok(w),
            None => self.pull_word_slow(),
        }
    }

    /// Encodes `sym` uniformly distributed in `[0, n)`.
    ///
    /// Alphabets that are powers of two up to `2^32` cost exactly `log2 n` bits; others cost
    /// about 1e-5 bits more than `log2 n`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n == 0` or `sym >= n`.
    pub fn encode_uniform(&mut self, n: u64, sym: u64) -> Result<()> {
        if sym >= n {
            return Err(Error::invalid(format!(
                "uniform symbol {sym} is outside [0, {n})"
            )));
        }
        self.push_uniform(n, sym);
        Ok(())
    }

    /// Decodes a symbol uniformly distributed in `[0, n)`; inverse of
    /// [`Stream::encode_uniform`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n == 0`; [`Error::Corrupt`] if the stream runs out.
    pub fn decode_uniform(&mut self, n: u64) -> Result<u64> {
        if n == 0 {
            return Err(Error::invalid("uniform alphabet size must be at least 1"));
        }
        self.pop_uniform(n)
    }

    /// Pushes `sym < n` (callers guarantee it).
    #[inline(always)]
    pub(crate) fn push_uniform(&mut self, n: u64, sym: u64) {
        debug_assert!(sym < n);
        if n.is_power_of_two() && n <= 1 << 32 {
            let bits = n.trailing_zeros();
            if bits > 0 {
                self.push_bits(sym, bits);
            }
            return;
        }
        self.push_uniform_split(n, sym);
    }

    /// [`Stream::push_uniform`] for alphabets that are not powers of two up to 2^32.
    #[inline(never)]
    fn push_uniform_split(&mut self, n: u64, sym: u64) {
        let k = uniform_split_bits(n);
        let q = sym >> k;
        let r = sym & ((1u64 << k) - 1);
        if k > 0 {
            // Low part first, so that the decoder sees the high part first.
            let last = (n - 1) >> k;
            let count = if q == last {
                n - (last << k)
            } else {
                1u64 << k
            };
            self.push_uniform(count, r);
        }
        let start = uniform_start(n, k, q);
        let end = uniform_start(n, k, q + 1);
        self.push(start, end - start, UNIFORM_PRECISION);
    }

    /// Pops a symbol in `[0, n)`, `n >= 1`.
    #[inline(always)]
    pub(crate) fn pop_uniform(&mut self, n: u64) -> Result<u64> {
        debug_assert!(n >= 1);
        if n.is_power_of_two() && n <= 1 << 32 {
            let bits = n.trailing_zeros();
            if bits == 0 {
                return Ok(0);
            }
            let slot = self.peek(bits);
            self.pop(slot, 1, bits)?;
            return Ok(slot);
        }
        self.pop_uniform_split(n)
    }

    /// [`Stream::pop_uniform`] for alphabets that are not powers of two up to 2^32.
    #[inline(never)]
    fn pop_uniform_split(&mut self, n: u64) -> Result<u64> {
        let k = uniform_split_bits(n);
        let slot = self.peek(UNIFORM_PRECISION);
        let q = (((slot as u128 + 1) * n as u128 - 1) >> (k + UNIFORM_PRECISION)) as u64;
        let start = uniform_start(n, k, q);
        let end = uniform_start(n, k, q + 1);
        self.pop(start, end - start, UNIFORM_PRECISION)?;
        if k == 0 {
            return Ok(q);
        }
        let last = (n - 1) >> k;
        let count = if q == last {
            n - (last << k)
        } else {
            1u64 << k
        };
        let r = self.pop_uniform(count)?;
        Ok((q << k) | r)
    }

    /// Appends the stream (state, word count, words; little endian) to `out`.
    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.state.to_le_bytes());
        out.extend_from_slice(&(self.words.len() as u64).to_le_bytes());
        out.reserve(4 * self.words.len());
        for w in &self.words {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }

    /// Reads a stream written by [`Stream::write_bytes`] from the front of `bytes`, returning
    /// it and the number of bytes consumed.
    pub(crate) fn read_bytes(bytes: &[u8], index: usize) -> Result<(Stream, usize)> {
        let what = || format!("rANS stream {index}");
        if bytes.len() < 16 {
            return Err(Error::corrupt(what(), "truncated header"));
        }
        let state = u64::from_le_bytes(bytes[0..8].try_into().expect("8 bytes"));
        let count = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
        let avail = (bytes.len() - 16) / 4;
        if count > avail as u64 {
            return Err(Error::corrupt(
                what(),
                format!("header says {count} words but only {avail} follow"),
            ));
        }
        let count = count as usize;
        let words = bytes[16..16 + 4 * count]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let stream = Stream::from_parts(state, words)
            .map_err(|_| Error::corrupt(what(), format!("state {state:#x} is below 2^32")))?;
        Ok((stream, 16 + 4 * count))
    }
}

/// How many low bits of a uniform symbol in `[0, n)` are split off and coded separately, so
/// that the high part has at most `2^UNIFORM_DIRECT_BITS` values.
#[inline(always)]
fn uniform_split_bits(n: u64) -> u32 {
    if n <= 1 << UNIFORM_DIRECT_BITS {
        0
    } else {
        (64 - (n - 1).leading_zeros()) - UNIFORM_DIRECT_BITS
    }
}

/// Cumulative slot (out of `2^P`, P the uniform precision) where high part `q` starts:
/// `min(floor(q 2^(k+P) / n), 2^P)`.
#[inline(always)]
fn uniform_start(n: u64, k: u32, q: u64) -> u64 {
    let v = ((q as u128) << (k + UNIFORM_PRECISION)) / n as u128;
    v.min(1u128 << UNIFORM_PRECISION) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_round_trip_various_sizes() {
        let mut s = Stream::new(7);
        let start_len = s.len_bits();
        let sizes: Vec<u64> = vec![
            1,
            2,
            3,
            255,
            1 << 20,
            (1 << 20) + 1,
            1 << 32,
            (1 << 32) + 7,
            (1 << 40) + 1,
            (1 << 48) - 3,
            u64::MAX,
        ];
        let syms: Vec<u64> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (n / 3).wrapping_mul(i as u64 + 1) % n)
            .collect();
        for (&n, &x) in sizes.iter().zip(&syms) {
            s.encode_uniform(n, x).unwrap();
        }
        for (&n, &x) in sizes.iter().zip(&syms).rev() {
            assert_eq!(s.decode_uniform(n).unwrap(), x, "n = {n}");
        }
        assert_eq!(s.len_bits(), start_len);
        assert!(s.words().is_empty());
    }

    #[test]
    fn decoding_without_initial_bits_fails_cleanly() {
        let mut s = Stream::from_parts(1 << 32, Vec::new()).unwrap();
        assert!(s.decode_uniform(1 << 32).is_err());
        assert!(Stream::from_parts(5, Vec::new()).is_err());
    }
}

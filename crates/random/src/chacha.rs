//! A faster ChaCha8 with the same output as `rand_chacha::ChaCha8Rng`.
//!
//! `rand_chacha` computes its four-block buffer through `ppv-lite86`, which has no wasm SIMD backend:
//! in wasm it cost about 22 ns per `u64` (profiled on `percolab generate`). [`FastChaCha8`] computes the
//! same four blocks with the block index in the SIMD lanes (one `v128` per state word, `simd128` on
//! wasm, plain arrays elsewhere) and hands the words out exactly as `rand_core`'s `BlockRng` does, so
//! every draw (`next_u32`, `next_u64`, `fill_bytes`, in any mix) equals `ChaCha8Rng`'s for the same key,
//! stream and position. [`Keystream`] gives random access to the same words, for work split into pieces.

use core::convert::Infallible;
use rand::TryRng;
use rand_chacha::ChaCha8Rng;

/// Words per ChaCha block, and per refill (four blocks, as `rand_chacha` buffers).
const BLOCK_WORDS: usize = 16;
pub(crate) const BUFFER_WORDS: usize = 4 * BLOCK_WORDS;
/// ChaCha8: four double rounds.
const DOUBLE_ROUNDS: usize = 4;
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;
    pub type V = v128;
    #[inline(always)]
    pub fn splat(x: u32) -> V {
        u32x4_splat(x)
    }
    #[inline(always)]
    pub fn from(a: [u32; 4]) -> V {
        u32x4(a[0], a[1], a[2], a[3])
    }
    #[inline(always)]
    pub fn add(a: V, b: V) -> V {
        u32x4_add(a, b)
    }
    #[inline(always)]
    pub fn xor(a: V, b: V) -> V {
        v128_xor(a, b)
    }
    #[inline(always)]
    pub fn rotl16(a: V) -> V {
        i8x16_shuffle::<2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13>(a, a)
    }
    #[inline(always)]
    pub fn rotl8(a: V) -> V {
        i8x16_shuffle::<3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14>(a, a)
    }
    #[inline(always)]
    pub fn rotl12(a: V) -> V {
        v128_or(u32x4_shl(a, 12), u32x4_shr(a, 20))
    }
    #[inline(always)]
    pub fn rotl7(a: V) -> V {
        v128_or(u32x4_shl(a, 7), u32x4_shr(a, 25))
    }
    /// Lane `j` of `v[i]` to lane `i` of the result's `j`.
    #[inline(always)]
    pub fn transpose(v: [V; 4]) -> [V; 4] {
        let (low01, high01) = (i32x4_shuffle::<0, 4, 1, 5>(v[0], v[1]), i32x4_shuffle::<2, 6, 3, 7>(v[0], v[1]));
        let (low23, high23) = (i32x4_shuffle::<0, 4, 1, 5>(v[2], v[3]), i32x4_shuffle::<2, 6, 3, 7>(v[2], v[3]));
        [
            i64x2_shuffle::<0, 2>(low01, low23),
            i64x2_shuffle::<1, 3>(low01, low23),
            i64x2_shuffle::<0, 2>(high01, high23),
            i64x2_shuffle::<1, 3>(high01, high23),
        ]
    }
    #[inline(always)]
    pub fn store(out: &mut [u32; 4], v: V) {
        // SAFETY: `out` is four writable `u32`s, 16 bytes; `v128_store` takes any alignment.
        unsafe { v128_store(out.as_mut_ptr().cast::<V>(), v) }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    pub type V = [u32; 4];
    #[inline(always)]
    pub fn splat(x: u32) -> V {
        [x; 4]
    }
    #[inline(always)]
    pub fn from(a: [u32; 4]) -> V {
        a
    }
    #[inline(always)]
    fn map2(a: V, b: V, f: impl Fn(u32, u32) -> u32) -> V {
        [f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])]
    }
    #[inline(always)]
    pub fn add(a: V, b: V) -> V {
        map2(a, b, u32::wrapping_add)
    }
    #[inline(always)]
    pub fn xor(a: V, b: V) -> V {
        map2(a, b, |x, y| x ^ y)
    }
    #[inline(always)]
    pub fn rotl16(a: V) -> V {
        a.map(|x| x.rotate_left(16))
    }
    #[inline(always)]
    pub fn rotl8(a: V) -> V {
        a.map(|x| x.rotate_left(8))
    }
    #[inline(always)]
    pub fn rotl12(a: V) -> V {
        a.map(|x| x.rotate_left(12))
    }
    #[inline(always)]
    pub fn rotl7(a: V) -> V {
        a.map(|x| x.rotate_left(7))
    }
    /// Lane `j` of `v[i]` to lane `i` of the result's `j`.
    #[inline(always)]
    pub fn transpose(v: [V; 4]) -> [V; 4] {
        core::array::from_fn(|j| core::array::from_fn(|i| v[i][j]))
    }
    #[inline(always)]
    pub fn store(out: &mut [u32; 4], v: V) {
        *out = v;
    }
}

use lanes::V;

#[inline(always)]
fn quarter(x: &mut [V; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = lanes::add(x[a], x[b]);
    x[d] = lanes::rotl16(lanes::xor(x[d], x[a]));
    x[c] = lanes::add(x[c], x[d]);
    x[b] = lanes::rotl12(lanes::xor(x[b], x[c]));
    x[a] = lanes::add(x[a], x[b]);
    x[d] = lanes::rotl8(lanes::xor(x[d], x[a]));
    x[c] = lanes::add(x[c], x[d]);
    x[b] = lanes::rotl7(lanes::xor(x[b], x[c]));
}

/// The ChaCha8 key and stream of one `(seed, purpose, index)`: any four consecutive blocks on demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keystream {
    key: [u32; 8],
    stream: u64,
}

impl Keystream {
    /// The key and stream of `rng` (its position is not part of it).
    pub fn of(rng: &ChaCha8Rng) -> Keystream {
        let seed = rng.get_seed();
        let key = core::array::from_fn(|i| u32::from_le_bytes([seed[4 * i], seed[4 * i + 1], seed[4 * i + 2], seed[4 * i + 3]]));
        Keystream { key, stream: rng.get_stream() }
    }

    /// The same key on the stream id with its top bit set, which no [`crate::Purpose`] tag has: a stream
    /// no other consumer draws from, for the draws that finish another stream's work (normals' slow path).
    pub(crate) fn companion(&self) -> Keystream {
        Keystream { key: self.key, stream: self.stream ^ (1 << 63) }
    }

    /// Writes blocks `block .. block + 4` (64 words) into `out`, word `w` of block `block + b` at
    /// `out[16 b + w]`: the words `ChaCha8Rng` yields from word position `16 * block` on.
    #[inline]
    pub fn four_blocks(&self, block: u64, out: &mut [u32; BUFFER_WORDS]) {
        let counters: [u64; 4] = core::array::from_fn(|lane| block.wrapping_add(lane as u64));
        let input: [V; 16] = [
            lanes::splat(SIGMA[0]),
            lanes::splat(SIGMA[1]),
            lanes::splat(SIGMA[2]),
            lanes::splat(SIGMA[3]),
            lanes::splat(self.key[0]),
            lanes::splat(self.key[1]),
            lanes::splat(self.key[2]),
            lanes::splat(self.key[3]),
            lanes::splat(self.key[4]),
            lanes::splat(self.key[5]),
            lanes::splat(self.key[6]),
            lanes::splat(self.key[7]),
            lanes::from(counters.map(|c| c as u32)),
            lanes::from(counters.map(|c| (c >> 32) as u32)),
            lanes::splat(self.stream as u32),
            lanes::splat((self.stream >> 32) as u32),
        ];
        let mut x = input;
        for _ in 0..DOUBLE_ROUNDS {
            quarter(&mut x, 0, 4, 8, 12);
            quarter(&mut x, 1, 5, 9, 13);
            quarter(&mut x, 2, 6, 10, 14);
            quarter(&mut x, 3, 7, 11, 15);
            quarter(&mut x, 0, 5, 10, 15);
            quarter(&mut x, 1, 6, 11, 12);
            quarter(&mut x, 2, 7, 8, 13);
            quarter(&mut x, 3, 4, 9, 14);
        }
        // Lane `b` of state word `w` is word `w` of block `b`: four words of the four blocks at a time,
        // transposed and stored whole (extracting the 64 lanes one by one was about a sixth of the refill).
        for group in 0..4 {
            let words: [V; 4] = core::array::from_fn(|k| lanes::add(x[4 * group + k], input[4 * group + k]));
            for (block, v) in lanes::transpose(words).into_iter().enumerate() {
                let at = block * BLOCK_WORDS + 4 * group;
                lanes::store((&mut out[at..at + 4]).try_into().expect("four words"), v);
            }
        }
    }
}

/// `ChaCha8Rng` with a SIMD block function: the same words, in the same order, for any mix of draws.
#[derive(Clone, Debug)]
pub struct FastChaCha8 {
    keystream: Keystream,
    /// Block number of `buffer[0]`.
    block: u64,
    buffer: [u32; BUFFER_WORDS],
    /// Next unread word of `buffer` (`BUFFER_WORDS`: none left).
    index: usize,
}

impl FastChaCha8 {
    /// Continues `rng` from where it stands: the draws that `rng` would make next.
    pub fn from_rng(rng: &ChaCha8Rng) -> FastChaCha8 {
        FastChaCha8::at_word(Keystream::of(rng), rng.get_word_pos() as u64)
    }

    /// The keystream from word `word` on (as `ChaCha8Rng::set_word_pos(word)`).
    pub fn at_word(keystream: Keystream, word: u64) -> FastChaCha8 {
        let mut rng = FastChaCha8 { keystream, block: word / BLOCK_WORDS as u64, buffer: [0; BUFFER_WORDS], index: BUFFER_WORDS };
        rng.refill_at(rng.block);
        rng.index = (word % BLOCK_WORDS as u64) as usize;
        rng
    }

    /// Word position of the next draw (as `ChaCha8Rng::get_word_pos`).
    #[inline]
    pub fn word_pos(&self) -> u64 {
        self.block * BLOCK_WORDS as u64 + self.index as u64
    }

    // Out of line: the draws stay small enough to inline, so a caller's loop keeps the index in a register.
    #[inline(never)]
    fn refill_at(&mut self, block: u64) {
        self.block = block;
        self.keystream.four_blocks(block, &mut self.buffer);
        self.index = 0;
    }

    #[inline]
    fn refill(&mut self) {
        self.refill_at(self.block.wrapping_add(4));
    }

    /// The buffered words, the next unread one's index, and the word position of `buffer[0]`; an empty
    /// buffer is refilled first (as the next draw would).
    #[inline(always)]
    pub(crate) fn buffered(&mut self) -> (&[u32; BUFFER_WORDS], usize, u64) {
        if self.index >= BUFFER_WORDS {
            self.refill();
        }
        (&self.buffer, self.index, self.block * BLOCK_WORDS as u64)
    }

    /// Marks the buffered words before `index` drawn.
    #[inline(always)]
    pub(crate) fn set_index(&mut self, index: usize) {
        self.index = index;
    }
}

impl TryRng for FastChaCha8 {
    type Error = Infallible;

    #[inline(always)]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        if self.index >= BUFFER_WORDS {
            self.refill();
        }
        let value = self.buffer[self.index];
        self.index += 1;
        Ok(value)
    }

    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        if self.index + 1 < BUFFER_WORDS {
            let lo = self.buffer[self.index];
            let hi = self.buffer[self.index + 1];
            self.index += 2;
            return Ok((u64::from(hi) << 32) | u64::from(lo));
        }
        let lo = self.try_next_u32()?;
        let hi = self.try_next_u32()?;
        Ok((u64::from(hi) << 32) | u64::from(lo))
    }

    /// Whole words, little-endian; the unused bytes of a last partial word are dropped (as `BlockRng`).
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        // Whole words straight from the buffer; a last partial word takes one word (as `BlockRng` does).
        let whole = dst.len() / 4 * 4;
        let mut at = 0;
        while at < whole {
            if self.index >= BUFFER_WORDS {
                self.refill();
            }
            let words = ((whole - at) / 4).min(BUFFER_WORDS - self.index);
            copy_words_le(&self.buffer[self.index..self.index + words], &mut dst[at..at + 4 * words]);
            self.index += words;
            at += 4 * words;
        }
        let tail = &mut dst[whole..];
        if !tail.is_empty() {
            let word = self.try_next_u32()?.to_le_bytes();
            tail.copy_from_slice(&word[..tail.len()]);
        }
        Ok(())
    }
}

/// `src` as little-endian bytes into `dst` (`4 * src.len()` bytes): one copy where words are stored so
/// already (word by word, the exact sampler's picks spent a quarter of their time here in wasm).
#[inline]
fn copy_words_le(src: &[u32], dst: &mut [u8]) {
    if cfg!(target_endian = "little") {
        // SAFETY: `u32` has no padding and any byte is a valid `u8`; the view covers `src` exactly.
        let bytes = unsafe { core::slice::from_raw_parts(src.as_ptr().cast::<u8>(), 4 * src.len()) };
        dst.copy_from_slice(bytes);
    } else {
        for (chunk, word) in dst.chunks_exact_mut(4).zip(src) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
    }
}

/// The generator for `(seed, purpose, index)`: the numbers of [`crate::stream`], faster.
pub fn fast_stream(seed: u64, purpose: crate::Purpose, index: u64) -> FastChaCha8 {
    FastChaCha8::from_rng(&crate::stream(seed, purpose, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{stream, Purpose};
    use rand::{Rng, RngExt};

    #[test]
    fn same_words_as_chacha8rng_for_every_kind_of_draw() {
        for (seed, purpose, index) in [(0u64, Purpose::Embedding, 0u64), (7, Purpose::Cluster, 3), (u64::MAX, Purpose::Split, crate::MAX_INDEX)] {
            let mut slow = stream(seed, purpose, index);
            let mut fast = fast_stream(seed, purpose, index);
            // Odd word counts put a u64 across the four-block buffer's edge.
            for step in 0..3000u32 {
                match step % 7 {
                    0 => assert_eq!(fast.next_u32(), slow.next_u32()),
                    3 => {
                        let (mut a, mut b) = ([0u8; 13], [0u8; 13]);
                        fast.fill_bytes(&mut a);
                        slow.fill_bytes(&mut b);
                        assert_eq!(a, b);
                    }
                    5 => {
                        // Up to 700 bytes: across one or more four-block buffers, whole words or not.
                        let len = 1 + (step as usize * 37) % 700;
                        let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
                        fast.fill_bytes(&mut a);
                        slow.fill_bytes(&mut b);
                        assert_eq!(a, b, "{len} bytes");
                    }
                    _ => assert_eq!(fast.next_u64(), slow.next_u64()),
                }
                assert_eq!(fast.word_pos(), slow.get_word_pos() as u64);
            }
            let x: Vec<f64> = (0..100).map(|_| fast.random()).collect();
            let y: Vec<f64> = (0..100).map(|_| slow.random()).collect();
            assert_eq!(x, y);
        }
    }

    #[test]
    fn continues_from_any_position_and_across_the_block_counter_word() {
        let mut slow = stream(3, Purpose::Embedding, 9);
        for word in [0u128, 1, 15, 16, 63, 64, 1001, (1u128 << 36) - 5] {
            slow.set_word_pos(word);
            let mut fast = FastChaCha8::from_rng(&slow);
            for _ in 0..200 {
                assert_eq!(fast.next_u64(), slow.next_u64(), "from word {word}");
            }
        }
    }
}

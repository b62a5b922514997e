use crate::{Lattice, Tree};
use rand::Rng;
use rand_distr::{Distribution, Hypergeometric};
use std::collections::HashMap;

/// Below this many bond slots a block range is filled by rejection into a bitset; above it, the range
/// is split in two with one hypergeometric draw. Keeps memory O(chunk) whatever `n * (z-1)` is.
pub(crate) const CHUNK_SLOTS: u64 = 1 << 16;

/// A critical cluster conditioned on exactly `n` sites, in breadth-first order.
pub fn sample_exact<R: Rng + ?Sized>(rng: &mut R, lattice: Lattice, n: usize) -> Tree {
    let mut offspring = conditioned_offspring(rng, n, lattice.branches());
    let start = cycle_lemma_rotation(&offspring);
    offspring.rotate_left(start);
    Tree::from_breadth_first_offspring(offspring, n)
}

/// `n` i.i.d. `Bin(m, 1/m)` counts conditioned on summing to `n - 1`.
///
/// Conditioned on the sum, the vector is multivariate hypergeometric: `n - 1` of the `n * m` bond slots
/// chosen uniformly without replacement, `xi_i` the number chosen in block `i` (the `p^k (1-p)^(nm-k)`
/// factor is the same for every vector with the same sum).
pub fn conditioned_offspring<R: Rng + ?Sized>(rng: &mut R, n: usize, m: u32) -> Vec<u32> {
    let mut out = vec![0u32; n];
    distribute(rng, &mut out, m as u64, n as u64 - 1, CHUNK_SLOTS, &mut Scratch::default());
    out
}

/// What [`distribute`] reuses from call to call: a chunk's bitset of picks, and the hypergeometric laws of
/// splits with few picks. `rand_distr` sets such a law up (its inverse-transform case) in time linear in
/// the slots, which made a site cost milliseconds at coordination 10^6; the splits at one depth share a
/// handful of parameters, so each law is set up once. The same laws, so the same draws.
#[derive(Default)]
pub(crate) struct Scratch {
    pub bits: Vec<u64>,
    pub splits: HashMap<(u64, u64, u64), Hypergeometric>,
}

/// Splits with at most this many picks, or this many slots not picked, have their laws kept (otherwise
/// the set-up is constant-time). The second case is coordination 2 (`z - 1 = 1` slot per site, all but
/// one picked), where a fresh law per split took 80% of the sampler's time.
const KEPT_SPLIT_PICKS: u64 = 64;

/// Storage of one offspring count; narrower types hold the same draws in less memory.
pub(crate) trait Count: Copy {
    fn add(&mut self, by: u32);
}

macro_rules! count {
    ($($t:ty),*) => {$(impl Count for $t {
        #[inline]
        fn add(&mut self, by: u32) {
            *self += by as $t;
        }
    })*};
}
count!(u8, u16, u32);

/// Chooses `k` of the `out.len() * m` slots uniformly and adds the per-block counts to `out`.
pub(crate) fn distribute<R: Rng + ?Sized, C: Count>(
    rng: &mut R,
    out: &mut [C],
    m: u64,
    k: u64,
    chunk: u64,
    scratch: &mut Scratch,
) {
    debug_assert!(k <= out.len() as u64 * m);
    let mut splits = Splits::new(out.len(), k);
    while let Some(leaf) = splits.next_leaf(rng, m, chunk, &mut scratch.splits) {
        if leaf.picks > 0 {
            choose_in_chunk(rng, &mut out[leaf.start..leaf.start + leaf.len], m, leaf.picks, &mut scratch.bits);
        }
    }
}

/// Sites `start .. start + len`, holding `picks` of the chosen slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub len: usize,
    pub picks: u64,
}

/// The sampler's splits, made depth first, left half before right: each span is halved by one
/// hypergeometric draw until it is a leaf, a span small enough to choose in (at most `chunk` slots, or
/// one site) or one with no picks. Between two leaves the spans still pending and the generator are all
/// of the sampler's state, so a clone of both resumes it there.
#[derive(Clone, Debug, Default)]
pub(crate) struct Splits {
    /// Spans still to visit, the next one last.
    pending: Vec<Span>,
}

impl Splits {
    pub(crate) fn new(sites: usize, picks: u64) -> Splits {
        Splits { pending: vec![Span { start: 0, len: sites, picks }] }
    }

    /// The next leaf in site order, drawing the splits on the way to it. A span with no picks takes no
    /// draws; it is handed out at most a chunk's sites at a time, so that a reader's buffer stays small.
    pub(crate) fn next_leaf<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        m: u64,
        chunk: u64,
        laws: &mut HashMap<(u64, u64, u64), Hypergeometric>,
    ) -> Option<Span> {
        while let Some(span) = self.pending.pop() {
            let slots = span.len as u64 * m;
            if span.picks == 0 {
                let most = (chunk / m).max(1) as usize;
                if span.len > most {
                    self.pending.push(Span { start: span.start + most, len: span.len - most, picks: 0 });
                    return Some(Span { len: most, ..span });
                }
                return Some(span);
            }
            if slots <= chunk || span.len == 1 {
                return Some(span);
            }
            let left_blocks = span.len / 2;
            let left_slots = left_blocks as u64 * m;
            let law = |slots, k, left_slots| Hypergeometric::new(slots, k, left_slots).expect("hypergeometric parameters are in range by construction");
            let k = span.picks;
            let k_left = if k.min(slots - k) <= KEPT_SPLIT_PICKS {
                laws.entry((slots, k, left_slots)).or_insert_with(|| law(slots, k, left_slots)).sample(rng)
            } else {
                law(slots, k, left_slots).sample(rng)
            };
            self.pending.push(Span { start: span.start + left_blocks, len: span.len - left_blocks, picks: k - k_left });
            self.pending.push(Span { start: span.start, len: left_blocks, picks: k_left });
        }
        None
    }
}

/// Uniform `k`-subset of a small slot range by rejection into a bitset. When `k` exceeds half the slots
/// it picks the complement instead, so the expected number of draws stays below `2 ln 2 * k`.
pub(crate) fn choose_in_chunk<R: Rng + ?Sized, C: Count>(rng: &mut R, out: &mut [C], m: u64, k: u64, scratch: &mut Vec<u64>) {
    let slots = out.len() as u64 * m;
    let complement = 2 * k > slots;
    let picks = if complement { slots - k } else { k };
    scratch.clear();
    scratch.resize(slots.div_ceil(64) as usize, 0);
    let mut picked = 0;
    let mut words = Words::default();
    while picked < picks {
        // Every pick left takes at least one more word: never draws past what `below` alone would.
        if words.at == words.len {
            words.refill(rng, picks - picked);
        }
        // The batch's words one pick each, with no call in the loop (around one, V8 kept the loop's
        // values on the stack); a word that needs `below`'s second draw (about 2^-48 of them) ends the run.
        let (end, mut at, mut second) = (words.len.min(64), words.at, None);
        while at < end {
            let draw = below_from(words.batch[at], slots);
            at += 1;
            match draw {
                Ok(slot) => take_slot(scratch, slot, &mut picked),
                Err(partial) => {
                    second = Some(partial);
                    break;
                }
            }
        }
        words.at = at;
        if let Some(partial) = second {
            let slot = partial.finish(words.next(rng, picks - picked), slots);
            take_slot(scratch, slot, &mut picked);
        }
    }
    add_block_counts(scratch, m, complement, out);
}

/// Marks `slot` chosen, a pick more, unless it already was.
#[inline(always)]
fn take_slot(bits: &mut [u64], slot: u64, picked: &mut u64) {
    let (word, bit) = ((slot / 64) as usize, 1u64 << (slot % 64));
    if bits[word] & bit == 0 {
        bits[word] |= bit;
        *picked += 1;
    }
}

/// Adds to block `i` of `out` the set bits of `words` in slots `i m .. (i + 1) m` (the unset ones if
/// `complement`): the rank (set bits below) at each block's end minus the rank at its start, the ranks
/// taken in one pass over the words.
fn add_block_counts<C: Count>(words: &[u64], m: u64, complement: bool, out: &mut [C]) {
    if m < 64 {
        // A block's slots lie in at most two words: its bits gathered into one word, each block apart
        // from the others (no running rank, so no chain of dependent steps; z = 32 counts 2x faster).
        let mask = (1u64 << m) - 1;
        for (block, count) in out.iter_mut().enumerate() {
            let start = block as u64 * m;
            let (word, shift) = ((start / 64) as usize, start % 64);
            let next = words.get(word + 1).copied().unwrap_or(0);
            // `next << (64 - shift)` in two steps, so that `shift = 0` takes nothing from it.
            let chosen = (((words[word] >> shift) | ((next << 1) << (63 - shift))) & mask).count_ones();
            count.add(if complement { m as u32 - chosen } else { chosen });
        }
        return;
    }
    let (mut word, mut below_word, mut rank_at_start) = (0usize, 0u64, 0u64);
    for (block, count) in out.iter_mut().enumerate() {
        let end = (block as u64 + 1) * m;
        let end_word = (end / 64) as usize;
        while word < end_word {
            below_word += u64::from(words[word].count_ones());
            word += 1;
        }
        let partial = end % 64;
        let rank = below_word + if partial == 0 { 0 } else { u64::from((words[end_word] & ((1u64 << partial) - 1)).count_ones()) };
        let chosen = (rank - rank_at_start) as u32;
        rank_at_start = rank;
        count.add(if complement { m as u32 - chosen } else { chosen });
    }
}

/// `u64` draws taken from the generator in batches (`fill_bytes`, the same words as `next_u64` calls one
/// by one), so a pick costs no call into it.
struct Words {
    batch: [u64; 64],
    at: usize,
    len: usize,
}

impl Default for Words {
    fn default() -> Words {
        Words { batch: [0; 64], at: 0, len: 0 }
    }
}

impl Words {
    /// The next draw; a new batch holds at most `at_least` draws, which the caller will surely take.
    #[inline]
    fn next<R: Rng + ?Sized>(&mut self, rng: &mut R, at_least: u64) -> u64 {
        if self.at == self.len {
            self.refill(rng, at_least);
        }
        self.at += 1;
        self.batch[self.at - 1]
    }

    /// A new batch of at most `at_least` draws (at least one), which the caller will surely take.
    #[inline(never)]
    fn refill<R: Rng + ?Sized>(&mut self, rng: &mut R, at_least: u64) {
        let len = at_least.clamp(1, 64) as usize;
        // The bytes land in the batch's own memory; `from_le` puts them in order (nothing to do on
        // little-endian targets, wasm among them).
        // SAFETY: `u64` has no padding and every bit pattern is valid; the view covers `len` words.
        let bytes = unsafe { core::slice::from_raw_parts_mut(self.batch.as_mut_ptr().cast::<u8>(), 8 * len) };
        rng.fill_bytes(bytes);
        for word in &mut self.batch[..len] {
            *word = u64::from_le(*word);
        }
        (self.at, self.len) = (0, len);
    }
}

/// `rng.random_range(0..n)` for `n > 0`, `draw` giving `rng.next_u64()`: rand 0.10's single-sample method
/// (the same draws, the same value), with its 64 x 64 -> 128-bit product made of 32-bit halves. Wasm has
/// no such multiply, and a `u128` one is a call to compiler-rt's general `__multi3`: a tenth of the exact
/// sampler's time.
#[cfg(test)]
fn below(mut draw: impl FnMut() -> u64, n: u64) -> u64 {
    match below_from(draw(), n) {
        Ok(value) => value,
        Err(partial) => partial.finish(draw(), n),
    }
}

/// [`below`]'s value from its first draw, or (about `n / 2^64` of the time) what it needs a second for.
#[inline(always)]
fn below_from(draw: u64, n: u64) -> Result<u64, Partial> {
    let (result, lo) = widening_mul(draw, n);
    if lo > n.wrapping_neg() {
        return Err(Partial { result, lo });
    }
    Ok(result)
}

/// A [`below`] draw waiting for its second word.
struct Partial {
    result: u64,
    lo: u64,
}

impl Partial {
    fn finish(self, draw: u64, n: u64) -> u64 {
        let (hi, _) = widening_mul(draw, n);
        self.result + u64::from(self.lo.checked_add(hi).is_none())
    }
}

/// The high and low halves of `a * b`.
#[inline]
fn widening_mul(a: u64, b: u64) -> (u64, u64) {
    const LOW: u64 = 0xffff_ffff;
    if b <= LOW {
        // Two products suffice (the sampler's ranges are below 2^32: a chunk's slots, or one block's).
        let (p0, p1) = ((a & LOW) * b, (a >> 32) * b);
        let middle = (p0 >> 32) + (p1 & LOW);
        return ((p1 >> 32) + (middle >> 32), (p0 & LOW) | (middle << 32));
    }
    let (a0, a1, b0, b1) = (a & LOW, a >> 32, b & LOW, b >> 32);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let middle = (p00 >> 32) + (p01 & LOW) + (p10 & LOW);
    (p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32), (p00 & LOW) | (middle << 32))
}

/// Index at which to start reading `offspring` so that it is a valid breadth-first offspring sequence.
///
/// The walk `S_k = sum_{i<=k} (xi_i - 1)` ends at -1; of the `n` rotations exactly one keeps it `>= 0`
/// until the last step: the one starting right after the first index where `S` reaches its minimum.
pub fn cycle_lemma_rotation(offspring: &[u32]) -> usize {
    rotation(offspring.iter().copied())
}

pub(crate) fn rotation(offspring: impl ExactSizeIterator<Item = u32>) -> usize {
    let n = offspring.len();
    let mut walk: i64 = 0;
    let mut min = i64::MAX;
    let mut argmin = 0;
    for (i, xi) in offspring.enumerate() {
        walk += xi as i64 - 1;
        if walk < min {
            min = walk;
            argmin = i + 1;
        }
    }
    assert_eq!(walk, -1, "offspring counts must sum to n - 1");
    argmin % n
}

#[cfg(test)]
pub(crate) fn conditioned_offspring_with_chunk<R: Rng + ?Sized>(rng: &mut R, n: usize, m: u32, chunk: u64) -> Vec<u32> {
    let mut out = vec![0u32; n];
    distribute(rng, &mut out, m as u64, n as u64 - 1, chunk, &mut Scratch::default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use percolab_random::{stream, Purpose, RngExt};

    /// `distribute` as it was before split laws were kept: each law set up afresh.
    fn distribute_afresh<R: Rng + ?Sized>(rng: &mut R, out: &mut [u32], m: u64, k: u64, chunk: u64, bits: &mut Vec<u64>) {
        let slots = out.len() as u64 * m;
        if k == 0 {
            return;
        }
        if slots <= chunk || out.len() == 1 {
            choose_in_chunk(rng, out, m, k, bits);
            return;
        }
        let left_blocks = out.len() / 2;
        let k_left = Hypergeometric::new(slots, k, left_blocks as u64 * m).unwrap().sample(rng);
        let (left, right) = out.split_at_mut(left_blocks);
        distribute_afresh(rng, left, m, k_left, chunk, bits);
        distribute_afresh(rng, right, m, k - k_left, chunk, bits);
    }

    #[test]
    fn kept_split_laws_draw_what_fresh_ones_draw() {
        // Small chunks force deep splits with few picks (the kept laws), also for blocks wider than a chunk.
        for (n, m, chunk, seed) in [(5000usize, 3u64, 64u64, 1u64), (3000, 31, 1 << 10, 2), (400, 70_000, 1 << 16, 3), (50, 1_000_000, 1 << 16, 4), (20_000, 1, 16, 5)] {
            let (mut a, mut b) = (stream(seed, Purpose::Cluster, 0), stream(seed, Purpose::Cluster, 0));
            let mut kept = vec![0u32; n];
            distribute(&mut a, &mut kept, m, n as u64 - 1, chunk, &mut Scratch::default());
            let mut fresh = vec![0u32; n];
            distribute_afresh(&mut b, &mut fresh, m, n as u64 - 1, chunk, &mut Vec::new());
            assert_eq!(kept, fresh, "n {n}, m {m}, chunk {chunk}");
            assert_eq!(a.next_u64(), b.next_u64(), "the same draws taken, n {n}, m {m}");
        }
    }

    #[test]
    fn block_counts_are_the_set_bits_of_each_block() {
        let mut rng = stream(13, Purpose::Cluster, 0);
        for m in [1u64, 2, 3, 31, 63, 64, 65, 100, 1000] {
            for blocks in [1usize, 2, 7, 64, 333] {
                let slots = m * blocks as u64;
                let words: Vec<u64> = (0..slots.div_ceil(64)).map(|_| rng.next_u64() & rng.next_u64()).collect();
                let bit = |s: u64| (words[(s / 64) as usize] >> (s % 64)) & 1 == 1;
                for complement in [false, true] {
                    let mut out = vec![5u32; blocks];
                    add_block_counts(&words, m, complement, &mut out);
                    let want: Vec<u32> = (0..blocks as u64).map(|b| 5 + (b * m..(b + 1) * m).filter(|&s| bit(s) != complement).count() as u32).collect();
                    assert_eq!(out, want, "m {m}, blocks {blocks}, complement {complement}");
                }
            }
        }
    }

    #[test]
    fn below_draws_what_random_range_draws() {
        // Small ranges, powers of two and their neighbours, ranges near 2^64 (where the second draw and
        // the carry happen often), from the same stream positions.
        let mut ranges: Vec<u64> = vec![1, 2, 3, 5, 7, 64, 1000, 1 << 16, u32::MAX as u64, 1 << 32, (1 << 32) + 1, u64::MAX, u64::MAX - 1, (1 << 63) + 1, 3 << 62];
        ranges.extend((1..64).flat_map(|b| [(1u64 << b) - 1, 1u64 << b, (1u64 << b) + 1]));
        for (i, &n) in ranges.iter().enumerate() {
            let mut ours = stream(11, Purpose::Cluster, i as u64);
            let mut theirs = ours.clone();
            for _ in 0..2000 {
                assert_eq!(below(|| ours.next_u64(), n), theirs.random_range(0..n), "n = {n}");
            }
            assert_eq!(ours.get_word_pos(), theirs.get_word_pos(), "n = {n}: the same draws");
        }
        let mut rng = stream(12, Purpose::Cluster, 0);
        for i in 0..200_000 {
            let (a, b) = (rng.next_u64(), rng.next_u64());
            // Half the factors below 2^32 (the two-product path), some at its edge.
            let b = match i % 4 { 0 => b, 1 => b >> 32, 2 => b >> (32 + i % 32), _ => u64::from(u32::MAX) - (b & 3) };
            let wide = u128::from(a) * u128::from(b);
            assert_eq!(widening_mul(a, b), ((wide >> 64) as u64, wide as u64), "{a} * {b}");
        }
    }
}

#[cfg(test)]
mod pinned {
    use percolab_random::{fast_stream, Purpose};

    #[test]
    fn the_data_versions_offspring_counts() {
        // FNV-1a of the counts' bytes for one seed at z = 32 and z = 3 (the sampler's every path: splits,
        // leaves, complements): a change to how they are drawn changes the data and must bump the version.
        let digest = |z: u32, n: usize| {
            let counts = crate::exact_offspring(&mut fast_stream(1, Purpose::Cluster, 0), crate::Lattice::new(z).unwrap(), n);
            counts.iter().flat_map(|c| c.to_le_bytes()).fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
        };
        assert_eq!(digest(32, 1_000_000), 1_491_992_600, "z = 32");
        assert_eq!(digest(3, 300_000), 3_363_060_198, "z = 3");
    }
}

//! The exact sampler's offspring sequence drawn as it is read, in memory that does not grow with `n`.
//!
//! The cycle lemma needs the whole sequence to know where the rotated sequence starts, so it is drawn
//! twice: once to find the rotation, keeping only where the sampler stood before the leaf that holds
//! it, and again, leaf by leaf, as a reader takes the counts: from that leaf to the end, then from the
//! start up to the rotation. The same draws as [`crate::exact_offspring`], so the same counts.

use crate::exact::{choose_in_chunk, Scratch, Span, Splits, CHUNK_SLOTS};
use crate::Lattice;
use rand::Rng;

/// The counts of [`crate::exact_offspring`] for the same generator, lattice and `n`, one at a time, in
/// O(chunk + log n) memory (a leaf's counts, a chunk's bitset, the pending splits) for any `n`, at the
/// price of drawing the sequence twice.
pub struct OffspringStream<R> {
    m: u64,
    n: usize,
    chunk: u64,
    /// The generator as given: draws the sites before the rotation, last.
    origin: R,
    rng: R,
    splits: Splits,
    scratch: Scratch,
    /// The current leaf's counts; `counts[at]` is next.
    counts: Vec<u32>,
    at: usize,
    /// Counts not yet read.
    left: usize,
}

/// Where the sampler stood before drawing `leaf`'s slots.
#[derive(Clone)]
struct Mark<R> {
    rng: R,
    splits: Splits,
    leaf: Span,
}

impl<R: Rng + Clone> OffspringStream<R> {
    /// Draws the sequence once to find its rotation (the serial part, as long as one full draw).
    pub fn new(rng: R, lattice: Lattice, n: usize) -> OffspringStream<R> {
        OffspringStream::with_chunk(rng, lattice.branches() as u64, n, CHUNK_SLOTS)
    }

    pub(crate) fn with_chunk(rng: R, m: u64, n: usize, chunk: u64) -> OffspringStream<R> {
        assert!(n >= 1, "a cluster has at least one site");
        let mut stream = OffspringStream {
            m,
            n,
            chunk,
            rng: rng.clone(),
            origin: rng,
            splits: Splits::new(n, n as u64 - 1),
            scratch: Scratch::default(),
            counts: Vec::new(),
            at: 0,
            left: n,
        };
        // The walk S_k = sum_{i<=k} (xi_i - 1) ends at -1; the rotation starts right after the first
        // index where it reaches its minimum (see `exact::rotation`).
        let start = Mark { rng: stream.rng.clone(), splits: stream.splits.clone(), leaf: Span { start: 0, len: 0, picks: 0 } };
        let (mut before, mut best) = (start.clone(), start);
        let (mut walk, mut min, mut after_min) = (0i64, i64::MAX, 0usize);
        while let Some(leaf) = stream.splits.next_leaf(&mut stream.rng, m, chunk, &mut stream.scratch.splits) {
            before.rng.clone_from(&stream.rng);
            before.splits.clone_from(&stream.splits);
            before.leaf = leaf;
            stream.draw(leaf);
            let mut lower = false;
            for (i, &c) in stream.counts.iter().enumerate() {
                walk += i64::from(c) - 1;
                if walk < min {
                    (min, after_min, lower) = (walk, leaf.start + i + 1, true);
                }
            }
            if lower {
                std::mem::swap(&mut before, &mut best);
            }
        }
        assert_eq!(walk, -1, "offspring counts must sum to n - 1");
        let rotation = after_min % n;
        if rotation == 0 {
            stream.restart();
        } else {
            (stream.rng, stream.splits) = (best.rng, best.splits);
            stream.draw(best.leaf);
            let mut skip = rotation - best.leaf.start;
            loop {
                let here = skip.min(stream.counts.len() - stream.at);
                (stream.at, skip) = (stream.at + here, skip - here);
                if skip == 0 {
                    break;
                }
                let leaf = stream.splits.next_leaf(&mut stream.rng, m, chunk, &mut stream.scratch.splits).expect("the rotation lies before the sequence's end");
                stream.draw(leaf);
            }
        }
        stream
    }

    /// Sites in the sequence.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Back to the sampler's first leaf, with nothing of it drawn.
    fn restart(&mut self) {
        self.rng.clone_from(&self.origin);
        self.splits = Splits::new(self.n, self.n as u64 - 1);
        self.counts.clear();
        self.at = 0;
    }

    /// The counts of `leaf`, from the generator where it stands.
    fn draw(&mut self, leaf: Span) {
        self.counts.clear();
        self.counts.resize(leaf.len, 0);
        if leaf.picks > 0 {
            choose_in_chunk(&mut self.rng, &mut self.counts, self.m, leaf.picks, &mut self.scratch.bits);
        }
        self.at = 0;
    }

    #[cold]
    fn next_leaf(&mut self) {
        let leaf = match self.splits.next_leaf(&mut self.rng, self.m, self.chunk, &mut self.scratch.splits) {
            Some(leaf) => leaf,
            None => {
                // Past the sequence's end: the sites before the rotation.
                self.restart();
                self.splits.next_leaf(&mut self.rng, self.m, self.chunk, &mut self.scratch.splits).expect("a sequence has a first leaf")
            }
        };
        self.draw(leaf);
    }
}

impl<R: Rng + Clone> Iterator for OffspringStream<R> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.left == 0 {
            return None;
        }
        if self.at == self.counts.len() {
            self.next_leaf();
        }
        self.left -= 1;
        self.at += 1;
        Some(self.counts[self.at - 1])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<R: Rng + Clone> ExactSizeIterator for OffspringStream<R> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::conditioned_offspring_with_chunk;
    use crate::exact_offspring;
    use percolab_random::{fast_stream, Purpose};

    fn rotated(offspring: Vec<u32>) -> Vec<u32> {
        let mut offspring = offspring;
        let start = crate::cycle_lemma_rotation(&offspring);
        offspring.rotate_left(start);
        offspring
    }

    #[test]
    fn streams_the_stored_sequence() {
        // z = 2 (a path: every span full), 3, 32, 1000 and 70_000 (one site per leaf); n across one
        // and many leaves.
        for (z, sizes) in [(2u32, &[1usize, 2, 3, 70_000, 200_000][..]), (3, &[5, 100_000]), (32, &[1, 2, 100, 10_000_000]), (1000, &[50_000]), (70_000, &[300])] {
            let lattice = Lattice::new(z).unwrap();
            for (seed, &n) in sizes.iter().enumerate() {
                let stored = exact_offspring(&mut fast_stream(seed as u64, Purpose::Cluster, 3), lattice, n);
                let streamed = OffspringStream::new(fast_stream(seed as u64, Purpose::Cluster, 3), lattice, n);
                assert_eq!(streamed.len(), n);
                assert!(streamed.eq(stored.iter()), "z={z} n={n}");
            }
        }
    }

    #[test]
    fn every_rotation_point_resumes_where_the_stored_sequence_starts() {
        // Small chunks make many leaves, so the rotation falls in the first, the last and middle leaves,
        // at their starts and ends, and at site 0 (no rotation); zero spans longer than a chunk are split.
        let (mut leaves_hit, mut at_zero) = (std::collections::HashSet::new(), 0);
        for seed in 0..400u64 {
            let (m, n, chunk) = ([1u64, 2, 5, 30][seed as usize % 4], 40 + (seed as usize * 37) % 900, [8u64, 16, 64][seed as usize % 3]);
            let rng = fast_stream(seed, Purpose::Cluster, 9);
            let stored = rotated(conditioned_offspring_with_chunk(&mut rng.clone(), n, m as u32, chunk));
            let start = crate::cycle_lemma_rotation(&conditioned_offspring_with_chunk(&mut rng.clone(), n, m as u32, chunk));
            at_zero += usize::from(start == 0);
            leaves_hit.insert(start * 8 / n);
            let streamed: Vec<u32> = OffspringStream::with_chunk(rng, m, n, chunk).collect();
            assert_eq!(streamed, stored, "seed {seed}, m {m}, n {n}, chunk {chunk}");
        }
        assert_eq!(leaves_hit.len(), 8, "rotations spread over the sequence");
        assert!(at_zero > 0, "some sequence needs no rotation");
    }
}

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

// Coordination 2 (one slot per site) is a path: n - 1 sites with a child and one without, which every
// rotation moves to the end, whatever the draws. Its search then draws nothing (for billions of sites,
// the splits' hypergeometric laws alone took seconds to set up), and its leaves are `1, 1, ..., 0`.

/// Where the sampler stood before drawing `leaf`'s slots.
#[derive(Clone)]
struct Mark<R> {
    rng: R,
    splits: Splits,
    leaf: Span,
}

/// The first of [`OffspringStream`]'s two draws, in steps ([`RotationSearch::advance`]), so that a caller
/// can report progress or stop between them: for billions of sites it takes tens of seconds.
pub struct RotationSearch<R> {
    stream: OffspringStream<R>,
    /// Where the sampler stood before the current leaf, and before the leaf of the walk's minimum so far.
    before: Mark<R>,
    best: Mark<R>,
    /// The walk `S_k = sum_{i<=k} (xi_i - 1)` at the last site drawn, its minimum and the site after
    /// the first index where it reached it (the rotation: see `exact::rotation`).
    walk: i64,
    min: i64,
    after_min: usize,
    drawn: usize,
    done: bool,
}

impl<R: Rng + Clone> RotationSearch<R> {
    pub fn new(rng: R, lattice: Lattice, n: usize) -> RotationSearch<R> {
        RotationSearch::with_chunk(rng, lattice.branches() as u64, n, CHUNK_SLOTS)
    }

    pub(crate) fn with_chunk(rng: R, m: u64, n: usize, chunk: u64) -> RotationSearch<R> {
        assert!(n >= 1, "a cluster has at least one site");
        let stream = OffspringStream {
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
        let start = Mark { rng: stream.rng.clone(), splits: stream.splits.clone(), leaf: Span { start: 0, len: 0, picks: 0 } };
        if m == 1 {
            return RotationSearch { stream, before: start.clone(), best: start, walk: -1, min: -1, after_min: 0, drawn: n, done: true };
        }
        RotationSearch { stream, before: start.clone(), best: start, walk: 0, min: i64::MAX, after_min: 0, drawn: 0, done: false }
    }

    /// Draws leaves until `sites` more sites are drawn (a leaf more at most) or the sequence ends; true
    /// once it has ended.
    pub fn advance(&mut self, sites: usize) -> bool {
        let target = self.drawn.saturating_add(sites);
        let s = &mut self.stream;
        while !self.done && self.drawn < target {
            let leaf = s.splits.next_leaf(&mut s.rng, s.m, s.chunk, &mut s.scratch.splits).expect("a leaf for every site not yet drawn");
            self.before.rng.clone_from(&s.rng);
            self.before.splits.clone_from(&s.splits);
            self.before.leaf = leaf;
            s.draw(leaf);
            let mut lower = false;
            for (i, &c) in s.counts.iter().enumerate() {
                self.walk += i64::from(c) - 1;
                if self.walk < self.min {
                    (self.min, self.after_min, lower) = (self.walk, leaf.start + i + 1, true);
                }
            }
            if lower {
                std::mem::swap(&mut self.before, &mut self.best);
            }
            self.drawn += leaf.len;
            // The leaves cover the sites once each, in order: the last site drawn ends the sequence.
            self.done = self.drawn == s.n;
        }
        self.done
    }

    /// Sites drawn so far.
    pub fn drawn(&self) -> usize {
        self.drawn
    }

    /// The counts from the rotation on, once [`RotationSearch::advance`] has returned true.
    pub fn finish(self) -> OffspringStream<R> {
        assert!(self.done, "the search has not reached the sequence's end");
        assert_eq!(self.walk, -1, "offspring counts must sum to n - 1");
        let (mut stream, best) = (self.stream, self.best);
        let rotation = self.after_min % stream.n;
        if stream.m == 1 {
            stream.counts.clear();
            stream.at = 0;
        } else if rotation == 0 {
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
                let leaf = stream.splits.next_leaf(&mut stream.rng, stream.m, stream.chunk, &mut stream.scratch.splits).expect("the rotation lies before the sequence's end");
                stream.draw(leaf);
            }
        }
        stream
    }
}

impl<R: Rng + Clone> OffspringStream<R> {
    /// Draws the sequence once to find its rotation (the serial part, as long as one full draw; in steps:
    /// [`RotationSearch`]).
    pub fn new(rng: R, lattice: Lattice, n: usize) -> OffspringStream<R> {
        let mut search = RotationSearch::new(rng, lattice, n);
        search.advance(usize::MAX);
        search.finish()
    }

    #[cfg(test)]
    pub(crate) fn with_chunk(rng: R, m: u64, n: usize, chunk: u64) -> OffspringStream<R> {
        let mut search = RotationSearch::with_chunk(rng, m, n, chunk);
        search.advance(usize::MAX);
        search.finish()
    }

    /// The next counts, at most `most`, from the current leaf: as many as that many `next` calls give,
    /// or fewer (at least one while any are left), so that a reader loops over a slice with no call.
    pub fn next_counts(&mut self, most: usize) -> &[u32] {
        if self.left == 0 || most == 0 {
            return &[];
        }
        if self.at == self.counts.len() {
            self.next_leaf();
        }
        let take = most.min(self.counts.len() - self.at).min(self.left);
        (self.at, self.left) = (self.at + take, self.left - take);
        &self.counts[self.at - take..self.at]
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
        if self.m == 1 {
            // A path (see above): ones, then a zero for the last site.
            let len = self.left.min((self.chunk as usize).max(1));
            self.counts.clear();
            self.counts.resize(len, 1);
            if len == self.left {
                self.counts[len - 1] = 0;
            }
            self.at = 0;
            return;
        }
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

    #[test]
    fn counts_read_in_slices_are_the_counts_read_one_by_one() {
        // Slices of every length up to past a leaf (small chunks: many leaves), across the rotation's wrap.
        let lattice = Lattice::new(5).unwrap();
        let whole: Vec<u32> = OffspringStream::with_chunk(fast_stream(4, Purpose::Cluster, 0), 4, 5000, 64).collect();
        for most in [1usize, 2, 7, 15, 16, 17, 100, 10_000] {
            let mut stream = OffspringStream::with_chunk(fast_stream(4, Purpose::Cluster, 0), 4, 5000, 64);
            let mut read = Vec::new();
            loop {
                let slice = stream.next_counts(most);
                if slice.is_empty() {
                    break;
                }
                assert!(slice.len() <= most);
                read.extend_from_slice(slice);
            }
            assert_eq!(read, whole, "slices of at most {most}");
            assert_eq!(stream.next(), None);
        }
        let mut stream = OffspringStream::new(fast_stream(4, Purpose::Cluster, 0), lattice, 10);
        assert!(stream.next_counts(0).is_empty());
        assert_eq!(stream.count(), 10, "asking for none takes none");
    }

    #[test]
    fn a_search_in_steps_finds_what_one_search_finds() {
        let lattice = Lattice::new(32).unwrap();
        let whole: Vec<u32> = OffspringStream::new(fast_stream(2, Purpose::Cluster, 0), lattice, 300_000).collect();
        for step in [1usize, 999, 2114, 100_000] {
            let mut search = RotationSearch::new(fast_stream(2, Purpose::Cluster, 0), lattice, 300_000);
            let mut last = 0;
            while !search.advance(step) {
                assert!(search.drawn() >= last + step && search.drawn() < 300_000, "step {step}: {} drawn", search.drawn());
                last = search.drawn();
            }
            assert_eq!(search.drawn(), 300_000);
            assert!(search.finish().eq(whole.iter().copied()), "steps of {step}");
        }
        let unfinished = std::panic::catch_unwind(|| RotationSearch::new(fast_stream(2, Purpose::Cluster, 0), lattice, 300_000).finish());
        assert!(unfinished.is_err(), "an unfinished search gives no stream");
    }
}

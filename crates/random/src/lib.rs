//! Seeded random streams.
//!
//! Every random draw in percolab comes from a ChaCha8 generator (`rand_chacha`). The 64-bit user seed is
//! expanded to the 256-bit ChaCha key by `SeedableRng::seed_from_u64` (a PCG32 expansion, fixed by
//! `rand_core`), and each consumer gets its own 64-bit ChaCha *stream id* built from a [`Purpose`] tag
//! and an index. Streams of one key are independent by construction (ChaCha's stream id is part of its
//! input block), so adding a consumer never shifts the numbers another one sees, and a worker can rebuild
//! any stream from `(seed, purpose, index)` alone.

mod chacha;
mod normals;
mod team;

pub use chacha::{fast_stream, FastChaCha8, Keystream};
pub use normals::{Normals, Prefetch, PIECE_NORMALS};
pub use team::{with_team, OpenPhase, Team};
pub use rand::{Rng, RngExt, SeedableRng};
pub use rand_chacha::ChaCha8Rng;

/// Which numbers a seed gives: raised whenever a stream's values change for the same seed. Version 1
/// (up to commit 5bc322e) drew the depth-first walker's normals as `rand_distr::StandardNormal`, 64
/// bits each; version 2 decodes one ChaCha8 word per normal ([`Normals`]). Written into the record of
/// `percolab generate`.
pub const DATA_VERSION: u32 = 2;

/// What a stream is used for; the tag occupies the top 16 bits of the ChaCha stream id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Purpose {
    /// Offspring counts / growth of a percolation cluster.
    Cluster = 1,
    /// Random steps of an embedder.
    Embedding = 2,
    /// Parameters of a teacher function.
    Teacher = 3,
    /// Train/test splits and subsets.
    Split = 4,
    /// Bootstrap resampling and centre subsampling of the estimators.
    Bootstrap = 5,
    /// Cluster sizes of a population (cluster-number law).
    Population = 6,
    /// Synthetic manifold controls: their points and their random orthogonal frames.
    Manifold = 7,
    /// The random slices of a teacher's non-linearity score.
    Score = 8,
    /// Initial weights of a neural-network student.
    StudentInit = 9,
    /// Minibatch order of a student's training.
    Minibatch = 10,
    /// The toy model of superposition: its Hadamard rows and its sparse feature draws.
    Superposition = 11,
    /// Manifold capacity: each draw's Gaussian vector and dichotomy, the random projection, subsamples.
    Capacity = 12,
}

impl Purpose {
    pub fn from_tag(tag: u16) -> Option<Purpose> {
        match tag {
            1 => Some(Purpose::Cluster),
            2 => Some(Purpose::Embedding),
            3 => Some(Purpose::Teacher),
            4 => Some(Purpose::Split),
            5 => Some(Purpose::Bootstrap),
            6 => Some(Purpose::Population),
            7 => Some(Purpose::Manifold),
            8 => Some(Purpose::Score),
            9 => Some(Purpose::StudentInit),
            10 => Some(Purpose::Minibatch),
            11 => Some(Purpose::Superposition),
            12 => Some(Purpose::Capacity),
            _ => None,
        }
    }
}

/// Largest index a stream can carry (48 bits).
pub const MAX_INDEX: u64 = (1 << 48) - 1;

/// The generator for `(seed, purpose, index)`.
pub fn stream(seed: u64, purpose: Purpose, index: u64) -> ChaCha8Rng {
    assert!(index <= MAX_INDEX, "stream index {index} exceeds 48 bits");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((purpose as u64) << 48) | index);
    rng
}

/// A uniform random permutation of `0..n` (Fisher–Yates, driven by `rng`).
pub fn permutation<R: Rng + ?Sized>(rng: &mut R, n: usize) -> Vec<u32> {
    assert!(n <= u32::MAX as usize, "permutation of {n} elements exceeds u32 indices");
    let mut p: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_triple_same_numbers() {
        let a: Vec<u64> = (0..8).map({ let mut r = stream(7, Purpose::Cluster, 3); move |_| r.next_u64() }).collect();
        let b: Vec<u64> = (0..8).map({ let mut r = stream(7, Purpose::Cluster, 3); move |_| r.next_u64() }).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn streams_differ_by_seed_purpose_and_index() {
        let first = |s, p, i| stream(s, p, i).next_u64();
        let base = first(7, Purpose::Cluster, 3);
        assert_ne!(base, first(8, Purpose::Cluster, 3));
        assert_ne!(base, first(7, Purpose::Embedding, 3));
        assert_ne!(base, first(7, Purpose::Cluster, 4));
    }

    #[test]
    fn permutation_is_a_permutation_and_uniform_on_small_n() {
        let mut rng = stream(1, Purpose::Split, 0);
        let mut counts = [[0u32; 4]; 4];
        let reps = 40_000;
        for _ in 0..reps {
            let p = permutation(&mut rng, 4);
            let mut seen = [false; 4];
            for (pos, &v) in p.iter().enumerate() {
                assert!(!seen[v as usize]);
                seen[v as usize] = true;
                counts[pos][v as usize] += 1;
            }
        }
        // Each (position, value) has probability 1/4: binomial sd = sqrt(reps * 3/16) ~ 87; allow 5 sd.
        let expected = reps as f64 / 4.0;
        let sd = (reps as f64 * 3.0 / 16.0).sqrt();
        for row in counts {
            for c in row {
                assert!((c as f64 - expected).abs() < 5.0 * sd, "count {c} vs {expected}");
            }
        }
    }
}

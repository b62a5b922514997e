//! The neighbour table: for each point, its distances to its `k` nearest *other* points.

use crate::{check_points, EstimatorError};
use percolab_neighbors::BruteForce;

/// Row-major `[n, k]` Euclidean distances, each row sorted ascending. Row `i` excludes point `i`
/// itself (by index); a duplicate of `i` at another index appears at distance 0.
#[derive(Clone, Debug, PartialEq)]
pub struct NeighborTable {
    k: usize,
    distances: Vec<f64>,
}

impl NeighborTable {
    /// Wraps precomputed distances (e.g. from another index), checking they are finite, >= 0 and
    /// sorted within each row.
    pub fn from_distances(k: usize, distances: Vec<f64>) -> Result<Self, EstimatorError> {
        if k == 0 {
            return Err(EstimatorError::InvalidOption { name: "k", value: 0.0, expected: "at least 1" });
        }
        if distances.len() % k != 0 {
            return Err(EstimatorError::RaggedTable { len: distances.len(), k });
        }
        for (row, r) in distances.chunks_exact(k).enumerate() {
            let bad = (0..k).find(|&c| !(r[c].is_finite() && r[c] >= 0.0 && (c == 0 || r[c] >= r[c - 1])));
            if let Some(col) = bad {
                return Err(EstimatorError::InvalidTable { row, col, value: r[col] });
            }
        }
        Ok(NeighborTable { k, distances })
    }

    /// As [`from_distances`](Self::from_distances), from squared distances (what k-NN indexes return).
    pub fn from_squared_distances(k: usize, mut squared: Vec<f64>) -> Result<Self, EstimatorError> {
        #[cfg(feature = "threads")]
        {
            use rayon::prelude::*;
            squared.par_iter_mut().with_min_len(1 << 14).for_each(|s| *s = s.sqrt());
        }
        #[cfg(not(feature = "threads"))]
        squared.iter_mut().for_each(|s| *s = s.sqrt());
        Self::from_distances(k, squared)
    }

    pub fn k(&self) -> usize {
        self.k
    }

    pub fn num_points(&self) -> usize {
        self.distances.len() / self.k
    }

    /// Distances of point `i` to its k nearest other points, nearest first.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.distances[i * self.k..][..self.k]
    }

    pub fn rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.distances.chunks_exact(self.k)
    }

    pub fn distances(&self) -> &[f64] {
        &self.distances
    }
}

/// Queries per brute-force call: bounds the (k+1)-wide scratch result.
const CHUNK: usize = 2048;

/// The exact neighbour table of `points` (row-major `[n, d]`, `n >= k + 1`) by brute force:
/// searches `k + 1` neighbours and drops the query's own index. Ties are broken by lower index, so
/// with more than `k` duplicates of lower index the point itself can miss its own list; then the
/// last entry (also at distance 0) is dropped instead.
pub fn neighbor_table(points: &[f32], d: usize, k: usize) -> Result<NeighborTable, EstimatorError> {
    let n = check_points(points, d)?;
    if k == 0 {
        return Err(EstimatorError::InvalidOption { name: "k", value: 0.0, expected: "at least 1" });
    }
    if n < k + 1 {
        return Err(EstimatorError::TooFewPoints { estimator: "the neighbour table", n, needed: k + 1 });
    }
    let index = BruteForce::new(points, d)?;
    let mut distances = Vec::with_capacity(n * k);
    for (c, block) in points.chunks(CHUNK * d).enumerate() {
        let nb = index.search(block, k + 1)?;
        for (q, (idx, sq)) in nb.indices.chunks_exact(k + 1).zip(nb.squared_distances.chunks_exact(k + 1)).enumerate() {
            let own = (c * CHUNK + q) as u32;
            let skip = idx.iter().position(|&j| j == own).unwrap_or(k);
            distances.extend(sq.iter().enumerate().filter(|&(j, _)| j != skip).map(|(_, s)| s.sqrt()));
        }
    }
    Ok(NeighborTable { k, distances })
}

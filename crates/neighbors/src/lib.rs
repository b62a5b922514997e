//! Exact k-nearest-neighbour search by brute force, and uniform k-NN regression.
//!
//! Points are f32, row-major `[n, d]`. Results are *exact*: identical to a float64 reference that sums
//! `((q_j as f64) - (x_j as f64))^2` over `j = 0..d` in order and sorts by `(that value, index)`.
//! Distances are first computed in f32 (SIMD on wasm32 with `simd128`); a rigorous error bound then
//! selects every point that could belong to the exact top k, and only those are recomputed in f64.

use std::collections::BinaryHeap;
use std::fmt;

/// Queries scored together per pass over the training points (each row is reused from cache).
const BLOCK: usize = 4;

#[derive(Clone, Debug, PartialEq)]
pub enum NeighborsError {
    ZeroDimension,
    NoPoints,
    RaggedPoints { len: usize, d: usize },
    NonFinitePoint { row: usize, col: usize, value: f32 },
    RaggedQueries { len: usize, d: usize },
    NonFiniteQuery { row: usize, col: usize, value: f32 },
    KIsZero,
    KTooLarge { k: usize, n: usize },
    TargetCount { targets: usize, n: usize },
    NonFiniteTarget { index: usize, value: f32 },
}

impl fmt::Display for NeighborsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use NeighborsError::*;
        match self {
            ZeroDimension => write!(f, "dimension must be at least 1"),
            NoPoints => write!(f, "there are no training points"),
            RaggedPoints { len, d } => {
                write!(f, "training data has {len} values, not a multiple of dimension {d}")
            }
            NonFinitePoint { row, col, value } => {
                write!(f, "training point {row}, coordinate {col} is {value}; values must be finite")
            }
            RaggedQueries { len, d } => {
                write!(f, "queries have {len} values, not a multiple of dimension {d}")
            }
            NonFiniteQuery { row, col, value } => {
                write!(f, "query {row}, coordinate {col} is {value}; values must be finite")
            }
            KIsZero => write!(f, "k must be at least 1"),
            KTooLarge { k, n } => write!(f, "k = {k} exceeds the number of training points ({n})"),
            TargetCount { targets, n } => write!(f, "got {targets} targets for {n} training points"),
            NonFiniteTarget { index, value } => {
                write!(f, "target {index} is {value}; targets must be finite")
            }
        }
    }
}

impl std::error::Error for NeighborsError {}

/// The k nearest training points of each query, row-major `[queries, k]`, nearest first
/// (ties: lower index first).
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbors {
    pub k: usize,
    pub indices: Vec<u32>,
    /// Exact f64 squared distances, as the reference computes them.
    pub squared_distances: Vec<f64>,
}

impl Neighbors {
    pub fn num_queries(&self) -> usize {
        self.indices.len() / self.k
    }

    /// Euclidean distances, rounded to f32 for export.
    pub fn distances(&self) -> Vec<f32> {
        self.squared_distances.iter().map(|&s| s.sqrt() as f32).collect()
    }
}

/// Exact brute-force k-NN index over a copy of the points.
#[derive(Clone, Debug)]
pub struct BruteForce {
    n: usize,
    d: usize,
    /// Row stride: `d` rounded up to a multiple of 4. The zero padding adds nothing to any distance
    /// and lets the SIMD kernel run whole f32x4 lanes.
    stride: usize,
    points: Vec<f32>,
    /// `1/(1 - 2(d+4)u) = (1+g)/(1-g)` for `g = gamma_{d+4}`; see `search`.
    ratio: f64,
    /// Absolute slack for underflow: `d * 2^-124`.
    tiny: f64,
}

impl BruteForce {
    /// Indexes `points` (row-major `[n, d]`, `n >= 1`, all finite).
    pub fn new(points: &[f32], d: usize) -> Result<Self, NeighborsError> {
        if d == 0 {
            return Err(NeighborsError::ZeroDimension);
        }
        if points.len() % d != 0 {
            return Err(NeighborsError::RaggedPoints { len: points.len(), d });
        }
        if points.is_empty() {
            return Err(NeighborsError::NoPoints);
        }
        if let Some((row, col, value)) = first_non_finite(points, d) {
            return Err(NeighborsError::NonFinitePoint { row, col, value });
        }
        let n = points.len() / d;
        assert!(n <= u32::MAX as usize, "{n} training points exceed u32 indices");
        let stride = d.next_multiple_of(4);
        let mut padded = vec![0f32; n * stride];
        for (dst, src) in padded.chunks_exact_mut(stride).zip(points.chunks_exact(d)) {
            dst[..d].copy_from_slice(src);
        }
        let nu = (d + 4) as f64 * f64::powi(2.0, -24);
        let ratio = if nu < 0.5 { 1.0 / (1.0 - 2.0 * nu) } else { f64::INFINITY };
        Ok(BruteForce { n, d, stride, points: padded, ratio, tiny: d as f64 * f64::powi(2.0, -124) })
    }

    pub fn num_points(&self) -> usize {
        self.n
    }

    pub fn dim(&self) -> usize {
        self.d
    }

    /// Training point `i` (unpadded).
    pub fn point(&self, i: usize) -> &[f32] {
        &self.points[i * self.stride..][..self.d]
    }

    /// The `k` nearest training points of every query (row-major `[q, d]`), `1 <= k <= n`.
    pub fn search(&self, queries: &[f32], k: usize) -> Result<Neighbors, NeighborsError> {
        let (n, d, s) = (self.n, self.d, self.stride);
        if k == 0 {
            return Err(NeighborsError::KIsZero);
        }
        if k > n {
            return Err(NeighborsError::KTooLarge { k, n });
        }
        if queries.len() % d != 0 {
            return Err(NeighborsError::RaggedQueries { len: queries.len(), d });
        }
        if let Some((row, col, value)) = first_non_finite(queries, d) {
            return Err(NeighborsError::NonFiniteQuery { row, col, value });
        }
        let nq = queries.len() / d;
        let (indices, squared_distances) = (Vec::with_capacity(nq * k), Vec::with_capacity(nq * k));
        let mut out = Neighbors { k, indices, squared_distances };
        let mut padded = vec![0f32; BLOCK * s];
        let mut scratch = vec![0f32; BLOCK * n];
        let mut heap = BinaryHeap::with_capacity(k);
        let mut cands: Vec<(f64, u32)> = Vec::new();
        let order = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        for block in queries.chunks(BLOCK * d) {
            let m = block.len() / d;
            for (dst, src) in padded.chunks_exact_mut(s).zip(block.chunks_exact(d)) {
                dst[..d].copy_from_slice(src);
            }
            for (i, x) in self.points.chunks_exact(s).enumerate() {
                for (b, q) in padded.chunks_exact(s).take(m).enumerate() {
                    scratch[b * n + i] = sq_dist_f32(q, x);
                }
            }
            for (q, dist) in padded.chunks_exact(s).zip(scratch.chunks_exact(n)).take(m) {
                // Bound: each term (q_j - x_j)^2 takes <= 3 roundings and passes <= d-1 inexact additions
                // (adding padding zeros is exact), in any order, so f32 = s(1 +- gamma_{d+2}) + d*2^-149.
                // Two more u absorb the f64 reference's own error and this f64 arithmetic: gamma_{d+4}.
                // The k f32-nearest points have exact distance <= (K + tiny)/(1-g), so every exact top-k
                // point has f32 distance <= (K + tiny)(1+g)/(1-g) + tiny. Overflowed (inf) f32 values
                // count as f32::MAX: an intermediate above MAX implies the true sum is too.
                let th = (kth_smallest(dist, k, &mut heap) as f64 + self.tiny) * self.ratio + self.tiny;
                cands.clear();
                cands.extend(dist.iter().enumerate().filter(|&(_, &v)| v.min(f32::MAX) as f64 <= th).map(
                    |(i, _)| (sq_dist_f64(&q[..d], &self.points[i * s..][..d]), i as u32),
                ));
                cands.select_nth_unstable_by(k - 1, order);
                cands[..k].sort_unstable_by(order);
                out.indices.extend(cands[..k].iter().map(|c| c.1));
                out.squared_distances.extend(cands[..k].iter().map(|c| c.0));
            }
        }
        Ok(out)
    }
}

/// Uniform k-NN regression: the mean target of the k nearest training points.
#[derive(Clone, Debug)]
pub struct KnnRegressor {
    index: BruteForce,
    targets: Vec<f32>,
}

impl KnnRegressor {
    pub fn new(points: &[f32], d: usize, targets: &[f32]) -> Result<Self, NeighborsError> {
        Self::from_index(BruteForce::new(points, d)?, targets)
    }

    /// One finite target per training point of `index`.
    pub fn from_index(index: BruteForce, targets: &[f32]) -> Result<Self, NeighborsError> {
        if targets.len() != index.n {
            return Err(NeighborsError::TargetCount { targets: targets.len(), n: index.n });
        }
        if let Some((index, _, value)) = first_non_finite(targets, 1) {
            return Err(NeighborsError::NonFiniteTarget { index, value });
        }
        Ok(KnnRegressor { index, targets: targets.to_vec() })
    }

    pub fn index(&self) -> &BruteForce {
        &self.index
    }

    /// One prediction per query: the f64 mean of the k neighbours' targets (summed nearest first).
    pub fn predict(&self, queries: &[f32], k: usize) -> Result<Vec<f64>, NeighborsError> {
        let nb = self.index.search(queries, k)?;
        let mean = |row: &[u32]| row.iter().map(|&i| self.targets[i as usize] as f64).sum::<f64>() / k as f64;
        Ok(nb.indices.chunks_exact(k).map(mean).collect())
    }
}

/// `(row, col, value)` of the first non-finite value.
fn first_non_finite(values: &[f32], d: usize) -> Option<(usize, usize, f32)> {
    values.iter().position(|v| !v.is_finite()).map(|p| (p / d, p % d, values[p]))
}

/// The k-th smallest of `dist` (non-negative, so the bit patterns order like the values).
fn kth_smallest(dist: &[f32], k: usize, heap: &mut BinaryHeap<u32>) -> f32 {
    heap.clear();
    for &v in dist {
        let b = v.to_bits();
        if heap.len() < k {
            heap.push(b);
        } else if let Some(mut top) = heap.peek_mut().filter(|t| b < **t) {
            *top = b;
        }
    }
    f32::from_bits(*heap.peek().expect("k >= 1"))
}

/// The reference: f64 differences, squared, summed in coordinate order.
fn sq_dist_f64(q: &[f32], x: &[f32]) -> f64 {
    q.iter().zip(x).fold(0.0, |acc, (&a, &b)| {
        let t = a as f64 - b as f64;
        acc + t * t
    })
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn sq_dist_f32(q: &[f32], x: &[f32]) -> f32 {
    q.iter().zip(x).map(|(&a, &b)| (a - b) * (a - b)).fold(0.0, |acc, t| acc + t)
}

/// f32x4 kernel over padded rows (length a multiple of 4), two accumulators to hide add latency.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn sq_dist_f32(q: &[f32], x: &[f32]) -> f32 {
    use core::arch::wasm32::*;
    assert!(q.len() == x.len() && q.len() % 4 == 0, "rows must be padded alike");
    let term = |i: usize| {
        // SAFETY: i + 4 <= len for both slices; v128_load has no alignment requirement.
        let (a, b) = unsafe { (v128_load(q.as_ptr().add(i).cast()), v128_load(x.as_ptr().add(i).cast())) };
        let t = f32x4_sub(a, b);
        f32x4_mul(t, t)
    };
    let (mut a, mut b) = (f32x4_splat(0.0), f32x4_splat(0.0));
    let mut i = 0;
    while i + 8 <= q.len() {
        a = f32x4_add(a, term(i));
        b = f32x4_add(b, term(i + 4));
        i += 8;
    }
    if i < q.len() {
        a = f32x4_add(a, term(i));
    }
    let v = f32x4_add(a, b);
    let (v0, v1) = (f32x4_extract_lane::<0>(v), f32x4_extract_lane::<1>(v));
    (v0 + v1) + (f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v))
}

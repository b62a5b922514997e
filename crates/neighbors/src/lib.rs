//! Exact k-nearest-neighbour search (a kd-tree, and brute force as the reference) and k-NN regression.
//!
//! Points are f32, row-major `[n, d]`. Results are *exact*: identical to a float64 reference that sums
//! `((q_j as f64) - (x_j as f64))^2` over `j = 0..d` in order and sorts by `(that value, index)`.
//! Distances are first computed in f32 (SIMD on wasm32 with `simd128`); a rigorous error bound then
//! selects every point that could belong to the exact top k, and only those are recomputed in f64.
//!
//! With the `threads` feature, batches of queries run on rayon's pool; results are identical.

use std::collections::BinaryHeap;
use std::fmt;
use std::ops::Range;

mod blocked;
mod kdtree;
mod local;
mod quantized;
pub use kdtree::{KdTree, Strategy, DEFAULT_LEAF_SIZE};
pub use local::{Local, Tangent, RANK_TOLERANCE};

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
    /// `search_self` needs `k` points other than the query point itself.
    KTooLargeSelf { k: usize, others: usize },
    LeafSizeIsZero,
    TargetCount { targets: usize, n: usize },
    NonFiniteTarget { index: usize, value: f32 },
    /// A local-linear fit with a fixed tangent dimension of 0.
    TangentDimensionZero,
    /// A local-linear fit of `m + 1` coefficients needs at least `m + 1` neighbours.
    KTooSmallForTangent { k: usize, m: usize },
    TangentCutoff { cutoff: f64 },
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
            KTooLargeSelf { k, others } => {
                write!(f, "k = {k} exceeds the number of other training points ({others})")
            }
            LeafSizeIsZero => write!(f, "leaf size must be at least 1"),
            TargetCount { targets, n } => write!(f, "got {targets} targets for {n} training points"),
            NonFiniteTarget { index, value } => {
                write!(f, "target {index} is {value}; targets must be finite")
            }
            TangentDimensionZero => write!(f, "the tangent dimension must be at least 1"),
            KTooSmallForTangent { k, m } => write!(
                f,
                "k = {k} is too small for a local-linear fit in tangent dimension {m}: it has {} coefficients, so k must be at least {}",
                m + 1,
                m + 1
            ),
            TangentCutoff { cutoff } => write!(f, "the tangent eigenvalue cutoff is {cutoff}; it must lie strictly between 0 and 1"),
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

/// Exact brute-force k-NN index over a copy of the points: the reference, and the fastest choice for
/// tiny `n`.
#[derive(Clone, Debug)]
pub struct BruteForce {
    n: usize,
    d: usize,
    /// Row stride: `d` rounded up to a multiple of 4. The zero padding adds nothing to any distance
    /// and lets the SIMD kernel run whole f32x4 lanes.
    stride: usize,
    points: Vec<f32>,
    bound: Rounding,
}

impl BruteForce {
    /// Indexes `points` (row-major `[n, d]`, `n >= 1`, all finite).
    pub fn new(points: &[f32], d: usize) -> Result<Self, NeighborsError> {
        let n = check_points(points, d)?;
        let stride = d.next_multiple_of(4);
        let mut padded = vec![0f32; n * stride];
        for (dst, src) in padded.chunks_exact_mut(stride).zip(points.chunks_exact(d)) {
            dst[..d].copy_from_slice(src);
        }
        Ok(BruteForce { n, d, stride, points: padded, bound: Rounding::new(d) })
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
        let nq = check_queries(queries, d, k, n)?;
        let mut out = Neighbors::zeroed(nq, k);
        for_each_chunk(
            nq,
            |rows| {
                let mut part = Neighbors::zeroed(rows.len(), k);
                let mut padded = vec![0f32; BLOCK * s];
                let mut scratch = vec![0f32; BLOCK * n];
                let mut heap = BinaryHeap::with_capacity(k);
                let mut cands: Vec<(f64, u32)> = Vec::new();
                let (mut ri, mut rd) = (part.indices.chunks_exact_mut(k), part.squared_distances.chunks_exact_mut(k));
                for block in queries[rows.start * d..rows.end * d].chunks(BLOCK * d) {
                    let m = block.len() / d;
                    for (dst, src) in padded.chunks_exact_mut(s).zip(block.chunks_exact(d)) {
                        dst[..d].copy_from_slice(src);
                    }
                    for (i, x) in self.points.chunks_exact(s).enumerate() {
                        for (b, q) in padded.chunks_exact(s).take(m).enumerate() {
                            scratch[b * n + i] = sq_dist_f32(q, x, s);
                        }
                    }
                    for (q, dist) in padded.chunks_exact(s).zip(scratch.chunks_exact(n)).take(m) {
                        let th = self.bound.threshold(kth_smallest(dist, k, &mut heap));
                        cands.clear();
                        cands.extend(dist.iter().enumerate().filter(|&(_, &v)| v.min(f32::MAX) as f64 <= th).map(
                            |(i, _)| (sq_dist_f64(&q[..d], &self.points[i * s..][..d]), i as u32),
                        ));
                        top_k(&mut cands, k, ri.next().unwrap(), rd.next().unwrap());
                    }
                }
                part
            },
            |rows, part| out.put(rows, &part),
        );
        Ok(out)
    }
}

/// The rigorous f32 error bound shared by the indexes.
///
/// Each term `(q_j - x_j)^2` takes <= 3 roundings and passes <= d-1 inexact additions (adding padding
/// or masked zeros is exact), in any order, so the f32 sum is `s(1 +- gamma_{d+2}) + d*2^-149` for the
/// exact sum `s`. Two more `u` absorb the f64 reference's own error and the f64 arithmetic here:
/// `g = gamma_{d+4}`, `ratio = (1+g)/(1-g) = 1/(1-2(d+4)u)`.
#[derive(Clone, Copy, Debug)]
struct Rounding {
    ratio: f64,
    /// Absolute slack for underflow: `d * 2^-124`.
    tiny: f64,
}

impl Rounding {
    fn new(d: usize) -> Self {
        let nu = (d + 4) as f64 * f64::powi(2.0, -24);
        let ratio = if nu < 0.5 { 1.0 / (1.0 - 2.0 * nu) } else { f64::INFINITY };
        Rounding { ratio, tiny: d as f64 * f64::powi(2.0, -124) }
    }

    /// If the k-th smallest f32 distance is `kth`, every exact top-k point has an f32 distance `<=` this:
    /// the k f32-nearest points have exact distance `<= (kth + tiny)/(1-g)`, so an exact top-k point has
    /// f32 distance `<= (kth + tiny)(1+g)/(1-g) + tiny`. Overflowed (inf) f32 distances count as
    /// `f32::MAX`: an intermediate above MAX implies the true sum is too.
    fn threshold(&self, kth: f32) -> f64 {
        (kth as f64 + self.tiny) * self.ratio + self.tiny
    }

    /// A point whose exact squared distance exceeds this has an f32 distance above `threshold`:
    /// f32 >= s(1-g) - tiny > th needs s > (th + tiny)/(1-g), and `ratio >= 1/(1-g)`.
    fn exact_bound(&self, threshold: f64) -> f64 {
        (threshold + self.tiny) * self.ratio
    }

    /// A box whose f32 distance `f` (per coordinate the gap to the box, rounded, squared and summed like a
    /// point distance) exceeds this lies farther than `prune` (exact squared distance): `f <= s(1+g) + tiny`
    /// gives `s >= (f - tiny)/(1+g) > prune ratio/(1+g) = prune/(1-g)`, which absorbs this f64 rounding.
    fn box_threshold(&self, prune: f64) -> f64 {
        prune * self.ratio + self.tiny
    }
}

/// Queries handled per task (and per `threads` work item).
const CHUNK: usize = 256;

/// Runs `work` on consecutive ranges of `0..count` and hands each result to `sink`: in order, or with
/// the `threads` feature concurrently on rayon's pool (the range-wise `par_chunks` of the same work).
/// A range's result never depends on the schedule, so both give identical output.
fn for_each_chunk<T: Send>(
    count: usize,
    work: impl Fn(Range<usize>) -> T + Sync,
    sink: impl FnMut(Range<usize>, T) + Send,
) {
    let range = |c: usize| c * CHUNK..((c + 1) * CHUNK).min(count);
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        let sink = std::sync::Mutex::new(sink);
        (0..count.div_ceil(CHUNK)).into_par_iter().for_each(|c| {
            let out = work(range(c));
            (*sink.lock().expect("no panics while holding the lock"))(range(c), out);
        });
    }
    #[cfg(not(feature = "threads"))]
    {
        let mut sink = sink;
        (0..count.div_ceil(CHUNK)).for_each(|c| sink(range(c), work(range(c))));
    }
}

impl Neighbors {
    fn zeroed(rows: usize, k: usize) -> Self {
        Neighbors { k, indices: vec![0; rows * k], squared_distances: vec![0.0; rows * k] }
    }

    /// Copies row `r` of `part` into row `to[r]` of `self`.
    fn scatter(&mut self, to: impl Iterator<Item = usize>, part: &Neighbors) {
        let k = self.k;
        for (r, i) in to.enumerate() {
            self.indices[i * k..][..k].copy_from_slice(&part.indices[r * k..][..k]);
            self.squared_distances[i * k..][..k].copy_from_slice(&part.squared_distances[r * k..][..k]);
        }
    }

    /// Copies row `from[j]` of `part` into row `to[j]` of `self`.
    fn scatter_from(&mut self, to: &[usize], part: &Neighbors, from: &[usize]) {
        let k = self.k;
        for (&i, &r) in to.iter().zip(from) {
            self.indices[i * k..][..k].copy_from_slice(&part.indices[r * k..][..k]);
            self.squared_distances[i * k..][..k].copy_from_slice(&part.squared_distances[r * k..][..k]);
        }
    }

    /// Copies `part`'s rows into rows `rows` of `self`.
    fn put(&mut self, rows: Range<usize>, part: &Neighbors) {
        let k = self.k;
        self.indices[rows.start * k..rows.end * k].copy_from_slice(&part.indices);
        self.squared_distances[rows.start * k..rows.end * k].copy_from_slice(&part.squared_distances);
    }
}

/// Writes the k smallest `(f64 distance, index)` of `cands` (which must hold every exact top-k point),
/// nearest first, ties to the lower index.
fn top_k(cands: &mut [(f64, u32)], k: usize, indices: &mut [u32], dists: &mut [f64]) {
    let order = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    cands.select_nth_unstable_by(k - 1, order);
    cands[..k].sort_unstable_by(order);
    for ((c, i), s) in cands[..k].iter().zip(indices).zip(dists) {
        (*i, *s) = (c.1, c.0);
    }
}

/// How `KnnRegressor` averages the neighbours' targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Weighting {
    /// The plain mean of the k targets.
    #[default]
    Uniform,
    /// Weights `1/distance` (Euclidean, f64). If some neighbours are at distance exactly 0, the prediction
    /// is the mean of just their targets (the limit of the weights; scikit-learn's `weights="distance"`
    /// does the same).
    InverseDistance,
}

/// k-NN regression over a kd-tree: the (weighted) mean target of the k nearest training points.
#[derive(Clone, Debug)]
pub struct KnnRegressor {
    index: KdTree,
    targets: Vec<f32>,
}

impl KnnRegressor {
    pub fn new(points: &[f32], d: usize, targets: &[f32]) -> Result<Self, NeighborsError> {
        Self::from_index(KdTree::new(points, d)?, targets)
    }

    /// One finite target per training point of `index`.
    pub fn from_index(index: KdTree, targets: &[f32]) -> Result<Self, NeighborsError> {
        if targets.len() != index.num_points() {
            return Err(NeighborsError::TargetCount { targets: targets.len(), n: index.num_points() });
        }
        if let Some((index, _, value)) = first_non_finite(targets, 1) {
            return Err(NeighborsError::NonFiniteTarget { index, value });
        }
        Ok(KnnRegressor { index, targets: targets.to_vec() })
    }

    pub fn index(&self) -> &KdTree {
        &self.index
    }

    /// One prediction per query: the f64 mean of the k neighbours' targets (summed nearest first).
    pub fn predict(&self, queries: &[f32], k: usize) -> Result<Vec<f64>, NeighborsError> {
        self.predict_with(queries, k, Weighting::Uniform)
    }

    /// One prediction per query with the given weighting; sums run nearest first, in f64.
    pub fn predict_with(&self, queries: &[f32], k: usize, weighting: Weighting) -> Result<Vec<f64>, NeighborsError> {
        let nb = self.index.search(queries, k)?;
        let target = |i: &u32| self.targets[*i as usize] as f64;
        let rows = nb.indices.chunks_exact(k).zip(nb.squared_distances.chunks_exact(k));
        Ok(rows
            .map(|(idx, sq)| {
                // Rows are sorted, so zero distances come first.
                let zeros = sq.iter().take_while(|&&s| s == 0.0).count();
                match weighting {
                    Weighting::Uniform => idx.iter().map(target).sum::<f64>() / k as f64,
                    Weighting::InverseDistance if zeros > 0 => {
                        idx[..zeros].iter().map(target).sum::<f64>() / zeros as f64
                    }
                    Weighting::InverseDistance => {
                        let (mut num, mut den) = (0.0, 0.0);
                        for (i, s) in idx.iter().zip(sq) {
                            let w = 1.0 / s.sqrt();
                            (num, den) = (num + w * target(i), den + w);
                        }
                        num / den
                    }
                }
            })
            .collect())
    }
}

/// Validates training points; returns `n`.
fn check_points(points: &[f32], d: usize) -> Result<usize, NeighborsError> {
    let n = check_shape(points, d)?;
    if let Some((row, col, value)) = first_non_finite(points, d) {
        return Err(NeighborsError::NonFinitePoint { row, col, value });
    }
    Ok(n)
}

/// [`check_points`] without the values: the number of rows of a non-empty `[n, d]` matrix.
fn check_shape(points: &[f32], d: usize) -> Result<usize, NeighborsError> {
    if d == 0 {
        return Err(NeighborsError::ZeroDimension);
    }
    if points.len() % d != 0 {
        return Err(NeighborsError::RaggedPoints { len: points.len(), d });
    }
    if points.is_empty() {
        return Err(NeighborsError::NoPoints);
    }
    let n = points.len() / d;
    assert!(n <= u32::MAX as usize, "{n} training points exceed u32 indices");
    Ok(n)
}

/// Validates `k` and the queries; returns the number of queries.
fn check_queries(queries: &[f32], d: usize, k: usize, n: usize) -> Result<usize, NeighborsError> {
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
    Ok(queries.len() / d)
}

/// Whether every value is finite: no early exit, so it compiles to a vector loop (a float32 is finite
/// unless its exponent is all ones, and then adding one to the exponent carries into the sign bit).
fn all_finite(values: &[f32]) -> bool {
    values.iter().fold(0u32, |acc, v| acc | ((v.to_bits() & 0x7f80_0000) + 0x0080_0000)) & 0x8000_0000 == 0
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

/// Four values of `x` from `i` on; past the end of `x` (only in its last row) zeros, so a SIMD load never
/// reads beyond it. The masked lanes ignore them anyway.
#[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn lanes(x: &[f32], i: usize) -> [f32; 4] {
    match x.get(i..i + 4) {
        Some(v) => v.try_into().expect("four values"),
        None => {
            let mut v = [0f32; 4];
            v[..x.len() - i].copy_from_slice(&x[i..]);
            v
        }
    }
}

/// f32 squared distance over the first `d` coordinates. `q` is zero-padded to a multiple of 4; `x` holds
/// at least `d` values (whatever follows is ignored). Portable fallback.
#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
fn sq_dist_f32(q: &[f32], x: &[f32], d: usize) -> f32 {
    q[..d].iter().zip(&x[..d]).map(|(&a, &b)| (a - b) * (a - b)).fold(0.0, |acc, t| acc + t)
}

/// The kernel below, with wasm's f32x4 operations spelled as SSE2 (baseline on x86_64): natively
/// measured timings then stand for the wasm SIMD path.
#[cfg(target_arch = "x86_64")]
fn sq_dist_f32(q: &[f32], x: &[f32], d: usize) -> f32 {
    use core::arch::x86_64::*;
    let len = q.len();
    assert!(len % 4 == 0 && x.len() >= d && d <= len && len < d + 4, "q is padded, x holds a row");
    // SAFETY (whole block): SSE2 is part of x86_64; `diff` loads i..i+4 <= d <= both lengths (in the
    // tail only when x holds them), `tail` reads x through `lanes`;
    // unaligned.
    unsafe {
        let diff = |i: usize| _mm_sub_ps(_mm_loadu_ps(q.as_ptr().add(i)), _mm_loadu_ps(x.as_ptr().add(i)));
        // The last vector may run past the end of `x` (its last row): load it through `lanes` then.
        let tail = |i: usize| _mm_sub_ps(_mm_loadu_ps(q.as_ptr().add(i)), _mm_loadu_ps(lanes(x, i).as_ptr()));
        let (mut a, mut b) = (_mm_setzero_ps(), _mm_setzero_ps());
        let mut i = 0;
        while i + 8 <= d {
            let (s, t) = (diff(i), diff(i + 4));
            a = _mm_add_ps(a, _mm_mul_ps(s, s));
            b = _mm_add_ps(b, _mm_mul_ps(t, t));
            i += 8;
        }
        while i < d {
            // Lanes j >= d hold whatever follows the row: zero them (x is finite, so q - x is too).
            let keep = _mm_castsi128_ps(_mm_cmplt_epi32(_mm_setr_epi32(0, 1, 2, 3), _mm_set1_epi32((d - i) as i32)));
            let s = _mm_and_ps(if i + 4 <= x.len() { diff(i) } else { tail(i) }, keep);
            a = _mm_add_ps(a, _mm_mul_ps(s, s));
            i += 4;
        }
        let mut v = [0f32; 4];
        _mm_storeu_ps(v.as_mut_ptr(), _mm_add_ps(a, b));
        (v[0] + v[1]) + (v[2] + v[3])
    }
}
/// f32x4 kernel, two accumulators to hide add latency. `q` is zero-padded to a multiple of 4; `x` holds
/// at least `d` values. Lanes at and past `d` are masked to exact zeros, so rows need no padding.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn sq_dist_f32(q: &[f32], x: &[f32], d: usize) -> f32 {
    use core::arch::wasm32::*;
    let len = q.len();
    assert!(len % 4 == 0 && x.len() >= d && d <= len && len < d + 4, "q is padded, x holds a row");
    // SAFETY: i + 4 <= d <= both lengths; v128_load has no alignment requirement.
    let diff = |i: usize| unsafe { f32x4_sub(v128_load(q.as_ptr().add(i).cast()), v128_load(x.as_ptr().add(i).cast())) };
    // The last vector may run past the end of `x` (its last row): load it through `lanes` then.
    let tail = |i: usize| {
        // SAFETY: i + 4 <= len = q.len(); `lanes` stays inside x.
        let (a, b) = unsafe { (v128_load(q.as_ptr().add(i).cast()), v128_load(lanes(x, i).as_ptr().cast())) };
        f32x4_sub(a, b)
    };
    let (mut a, mut b) = (f32x4_splat(0.0), f32x4_splat(0.0));
    let mut i = 0;
    while i + 8 <= d {
        let (s, t) = (diff(i), diff(i + 4));
        a = f32x4_add(a, f32x4_mul(s, s));
        b = f32x4_add(b, f32x4_mul(t, t));
        i += 8;
    }
    while i < d {
        // Lanes j >= d hold whatever follows the row: zero them (x is finite, so q - x is too).
        let keep = i32x4_lt(i32x4(0, 1, 2, 3), i32x4_splat((d - i) as i32));
        let s = v128_and(if i + 4 <= x.len() { diff(i) } else { tail(i) }, keep);
        a = f32x4_add(a, f32x4_mul(s, s));
        i += 4;
    }
    let v = f32x4_add(a, b);
    let (v0, v1) = (f32x4_extract_lane::<0>(v), f32x4_extract_lane::<1>(v));
    (v0 + v1) + (f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v))
}

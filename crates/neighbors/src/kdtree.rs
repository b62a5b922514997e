//! Exact k-NN with a kd-tree: midpoint splits of each node's tight bounding box along its widest
//! dimension, rows stored in leaf order, f32 SIMD leaf scans, and the f64 re-ranking of `BruteForce`.
//!
//! Memory (n points, d dimensions; raw data = 4nd bytes):
//! - rows in leaf order, unpadded (the SIMD kernel masks the tail lanes), plus 3 trailing floats so the
//!   last row's final f32x4 load stays in bounds: 4nd + 12 bytes;
//! - the leaf-order -> original index map: 4n bytes (= raw/d);
//! - nodes, 16 bytes each. A split leaves at least 1/8 of a node's points on either side (ties aside),
//!   so leaves hold >= leaf_size/8 points unless they are all duplicates, and there are
//!   < 2 * 8n/leaf_size nodes: at the default leaf size 32 at most 8n bytes, typically ~1.3n.
//!
//! In total at most raw * (1 + 1/d + 2/d) (+1.3/d typically), e.g. <= 1.30x at d = 10 (1.23x typically),
//! <= 1.10x at d = 32. Building also holds two bounding boxes (2d floats each) per level of recursion.

use std::collections::BinaryHeap;
use std::ops::Range;

use crate::{check_points, check_queries, for_each_chunk, sq_dist_f32, sq_dist_f64, top_k, Neighbors, NeighborsError, Rounding};

/// Rows per leaf, chosen by measurement (see `examples/bench.rs`).
pub const DEFAULT_LEAF_SIZE: usize = 32;

pub static SCANNED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static FALLBACKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const SAMPLE: usize = 64;
/// `dim` of a leaf node.
const LEAF: u32 = u32::MAX;

/// Rounding of the f64 box distance: it is updated at most once per tree level with non-negative
/// increments, so its relative error is below (4 depth + 3) 2^-53, far below this for any depth < 2^28.
const BOX_SLACK: f64 = 1.0 + 1.0 / (1u64 << 22) as f64;

/// 16 bytes. Inner node: split dimension `dim`, `link` = its right child (the left child is the next
/// node), `lo`/`hi` = f32 bits of the left child's maximum and the right child's minimum along `dim`.
/// Leaf: `dim == LEAF`, rows `link..lo`.
#[derive(Clone, Copy, Debug)]
struct Node {
    dim: u32,
    link: u32,
    lo: u32,
    hi: u32,
}

/// Exact k-NN index: a kd-tree over a reordered copy of the points. Same results as [`crate::BruteForce`].
#[derive(Clone, Debug)]
pub struct KdTree {
    n: usize,
    d: usize,
    /// Rows in leaf order, then 3 zeros.
    data: Vec<f32>,
    /// Original index of each stored row.
    perm: Vec<u32>,
    nodes: Vec<Node>,
    bound: Rounding,
}

impl KdTree {
    /// Indexes `points` (row-major `[n, d]`, `n >= 1`, all finite) with the default leaf size.
    pub fn new(points: &[f32], d: usize) -> Result<Self, NeighborsError> {
        Self::with_leaf_size(points, d, DEFAULT_LEAF_SIZE)
    }

    /// Indexes `points` with at most `leaf_size` rows per leaf (more only for exact duplicates).
    pub fn with_leaf_size(points: &[f32], d: usize, leaf_size: usize) -> Result<Self, NeighborsError> {
        let n = check_points(points, d)?;
        if leaf_size == 0 {
            return Err(NeighborsError::LeafSizeIsZero);
        }
        let mut data = Vec::with_capacity(n * d + 3);
        data.extend_from_slice(points);
        let mut bbox = empty_box(d);
        points.chunks_exact(d).for_each(|row| extend(&mut bbox, row));
        let mut b = Builder { d, leaf_size, data, perm: (0..n as u32).collect(), nodes: Vec::new() };
        b.build(0, n, &bbox);
        b.data.extend([0.0; 3]);
        b.nodes.shrink_to_fit();
        Ok(KdTree { n, d, data: b.data, perm: b.perm, nodes: b.nodes, bound: Rounding::new(d) })
    }

    pub fn num_points(&self) -> usize {
        self.n
    }

    pub fn dim(&self) -> usize {
        self.d
    }

    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes held by the index (its rows, index map and nodes).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.data.capacity() * 4
            + self.perm.capacity() * 4
            + self.nodes.capacity() * std::mem::size_of::<Node>()
    }

    /// The `k` nearest training points of every query (row-major `[q, d]`), `1 <= k <= n`; identical to
    /// [`crate::BruteForce::search`].
    pub fn search(&self, queries: &[f32], k: usize) -> Result<Neighbors, NeighborsError> {
        let d = self.d;
        let nq = check_queries(queries, d, k, self.n)?;
        let mut out = Neighbors::zeroed(nq, k);
        for_each_chunk(
            nq,
            |rows| {
                let mut s = Search::new(self, k);
                let mut part = Neighbors::zeroed(rows.len(), k);
                for (r, q) in queries[rows.start * d..rows.end * d].chunks_exact(d).enumerate() {
                    s.run(q, usize::MAX, &mut part.indices[r * k..][..k], &mut part.squared_distances[r * k..][..k]);
                }
                part
            },
            |rows, part| out.put(rows, &part),
        );
        Ok(out)
    }

    /// For every training point (row `i` of the result = point `i`), its `k` nearest *other* training
    /// points: its own index is excluded, exact duplicates at other indices are not. `1 <= k <= n - 1`.
    pub fn search_self(&self, k: usize) -> Result<Neighbors, NeighborsError> {
        if k == 0 {
            return Err(NeighborsError::KIsZero);
        }
        if k >= self.n {
            return Err(NeighborsError::KTooLargeSelf { k, others: self.n - 1 });
        }
        let mut out = Neighbors::zeroed(self.n, k);
        // Walk the stored rows in leaf order (neighbouring queries share their tree paths and leaves).
        for_each_chunk(
            self.n,
            |rows| {
                let mut s = Search::new(self, k);
                let mut part = Neighbors::zeroed(rows.len(), k);
                for (r, p) in rows.enumerate() {
                    let q = &self.data[p * self.d..][..self.d];
                    s.run(q, p, &mut part.indices[r * k..][..k], &mut part.squared_distances[r * k..][..k]);
                }
                part
            },
            |rows, part| {
                for (r, p) in rows.enumerate() {
                    let i = self.perm[p] as usize;
                    out.indices[i * k..][..k].copy_from_slice(&part.indices[r * k..][..k]);
                    out.squared_distances[i * k..][..k].copy_from_slice(&part.squared_distances[r * k..][..k]);
                }
            },
        );
        Ok(out)
    }

    fn row(&self, p: usize) -> &[f32] {
        &self.data[p * self.d..]
    }
}

/// `[min_0..min_{d-1}, max_0..max_{d-1}]` of nothing.
fn empty_box(d: usize) -> Vec<f32> {
    let mut b = vec![f32::INFINITY; 2 * d];
    b[d..].fill(f32::NEG_INFINITY);
    b
}

fn extend(bbox: &mut [f32], row: &[f32]) {
    let (lo, hi) = bbox.split_at_mut(row.len());
    // Selects rather than f32::min/max: no NaN to handle, so they compile to plain vector min/max.
    for ((l, h), &x) in lo.iter_mut().zip(hi.iter_mut()).zip(row) {
        *l = if x < *l { x } else { *l };
        *h = if x > *h { x } else { *h };
    }
}

struct Builder {
    d: usize,
    leaf_size: usize,
    data: Vec<f32>,
    perm: Vec<u32>,
    nodes: Vec<Node>,
}

impl Builder {
    /// Builds the subtree of rows `lo..hi` with tight bounding box `bbox`, in preorder.
    fn build(&mut self, lo: usize, hi: usize, bbox: &[f32]) {
        let d = self.d;
        let me = self.nodes.len();
        let (mut dim, mut spread) = (0, 0f32);
        for j in 0..d {
            let s = bbox[d + j] - bbox[j];
            if s > spread {
                (dim, spread) = (j, s);
            }
        }
        if hi - lo <= self.leaf_size || spread == 0.0 {
            self.nodes.push(Node { dim: LEAF, link: lo as u32, lo: hi as u32, hi: 0 });
            return;
        }
        let (min, max) = (bbox[dim], bbox[d + dim]);
        // Midpoint of the tight box, computed without overflow; min < split <= max keeps both sides
        // non-empty.
        let mut split = 0.5 * min + 0.5 * max;
        if split <= min || split > max {
            split = max;
        }
        // A strided sample predicts a lopsided midpoint split; then aim for its quartile instead, which
        // usually saves the exact fallback's second pass below.
        let size = hi - lo;
        let m = size.min(SAMPLE);
        let mut sample: Vec<f32> = (0..m).map(|i| self.data[(lo + i * size / m) * d + dim]).collect();
        let below = sample.iter().filter(|&&v| v < split).count();
        if below * 6 < m || (m - below) * 6 < m {
            let rank = if below * 6 < m { m / 4 } else { m - m / 4 };
            let (_, &mut v, _) = sample.select_nth_unstable_by(rank, f32::total_cmp);
            if v > min {
                split = v;
            }
        }
        let (mut lbox, mut rbox) = (empty_box(d), empty_box(d));
        let mut mid = self.partition(lo, hi, dim, split, &mut lbox, &mut rbox);
        // Keep >= 1/8 on each side so the depth stays O(log n): else split at that quantile.
        let least = (hi - lo) / 8;
        if mid - lo < least || hi - mid < least {
            FALLBACKS.fetch_add(hi - lo, std::sync::atomic::Ordering::Relaxed);
            let mut vals: Vec<f32> = (lo..hi).map(|r| self.data[r * d + dim]).collect();
            let rank = if mid - lo < least { least } else { hi - lo - least };
            let (_, &mut v, _) = vals.select_nth_unstable_by(rank, f32::total_cmp);
            if v > min {
                (lbox, rbox) = (empty_box(d), empty_box(d));
                mid = self.partition(lo, hi, dim, v, &mut lbox, &mut rbox);
            }
        }
        self.nodes.push(Node { dim: dim as u32, link: 0, lo: lbox[d + dim].to_bits(), hi: rbox[dim].to_bits() });
        self.build(lo, mid, &lbox);
        self.nodes[me].link = self.nodes.len() as u32;
        self.build(mid, hi, &rbox);
    }

    /// Moves rows with `x[dim] < split` before the others (Hoare style, each row examined once) and
    /// records both sides' bounding boxes. Returns the first row of the right side.
    fn partition(&mut self, lo: usize, hi: usize, dim: usize, split: f32, lbox: &mut [f32], rbox: &mut [f32]) -> usize {
        let d = self.d;
        let (mut i, mut j) = (lo, hi);
        loop {
            while i < j && self.data[i * d + dim] < split {
                extend(lbox, &self.data[i * d..][..d]);
                i += 1;
            }
            while i < j && self.data[(j - 1) * d + dim] >= split {
                extend(rbox, &self.data[(j - 1) * d..][..d]);
                j -= 1;
            }
            if i == j {
                return i;
            }
            // Row i belongs right and row j-1 left: swap them.
            let (a, b) = self.data.split_at_mut((j - 1) * d);
            a[i * d..][..d].swap_with_slice(&mut b[..d]);
            self.perm.swap(i, j - 1);
            extend(lbox, &self.data[i * d..][..d]);
            extend(rbox, &self.data[(j - 1) * d..][..d]);
            (i, j) = (i + 1, j - 1);
        }
    }
}

/// One query's search state (reused across the queries of a chunk).
struct Search<'t> {
    tree: &'t KdTree,
    k: usize,
    /// The query, zero-padded to a multiple of 4.
    q: Vec<f32>,
    /// Stored row to ignore (`search_self`), or `usize::MAX`.
    skip: usize,
    /// f32 bits of the k smallest f32 distances seen (a max-heap).
    heap: BinaryHeap<u32>,
    /// Keep rows with f32 distance `<= keep` (the rounding threshold of the current k-th distance).
    keep: f32,
    /// Skip subtrees whose box lies farther (exact squared distance, f64) than this.
    prune: f64,
    /// `(f32 distance, row)` of every row seen with distance `<= keep` at the time.
    cands: Vec<(f32, u32)>,
    /// Compact `cands` when it grows past this.
    limit: usize,
    exact: Vec<(f64, u32)>,
    /// Per dimension, the distance from the query to the current box (0 inside).
    off: Vec<f64>,
}

impl<'t> Search<'t> {
    fn new(tree: &'t KdTree, k: usize) -> Self {
        let d = tree.d;
        Search {
            tree,
            k,
            q: vec![0.0; d.next_multiple_of(4)],
            skip: usize::MAX,
            heap: BinaryHeap::with_capacity(k + 1),
            keep: f32::INFINITY,
            prune: f64::INFINITY,
            cands: Vec::new(),
            limit: 0,
            exact: Vec::new(),
            off: vec![0.0; d],
        }
    }

    /// Finds the k nearest rows of `q` (other than row `skip`) and writes them, ranked exactly.
    fn run(&mut self, q: &[f32], skip: usize, indices: &mut [u32], dists: &mut [f64]) {
        let d = self.tree.d;
        self.q[..d].copy_from_slice(q);
        self.skip = skip;
        self.heap.clear();
        self.cands.clear();
        self.off.fill(0.0);
        (self.keep, self.prune, self.limit) = (f32::INFINITY, f64::INFINITY, 4 * self.k + 64);
        self.visit(0, 0.0);
        let (keep, tree) = (self.keep, self.tree);
        self.exact.clear();
        self.exact.extend(self.cands.iter().filter(|c| c.0 <= keep).map(|&(_, p)| {
            (sq_dist_f64(q, &tree.row(p as usize)[..d]), tree.perm[p as usize])
        }));
        top_k(&mut self.exact, self.k, indices, dists);
    }

    /// Depth first, nearer child first; `rd` is a lower bound on the squared distance to the node's box.
    fn visit(&mut self, node: usize, rd: f64) {
        let nd = self.tree.nodes[node];
        if nd.dim == LEAF {
            return self.scan(nd.link as usize..nd.lo as usize);
        }
        let j = nd.dim as usize;
        let (qj, old) = (self.q[j] as f64, self.off[j]);
        // Each child's box is the node's box cut at its own extent along j.
        let left = old.max(qj - f32::from_bits(nd.lo) as f64);
        let right = old.max(f32::from_bits(nd.hi) as f64 - qj);
        let step = |to: f64| if to == old { rd } else { rd + (to * to - old * old) };
        let (near, far) = if left <= right {
            ((node + 1, left), (nd.link as usize, right))
        } else {
            ((nd.link as usize, right), (node + 1, left))
        };
        for (child, to) in [near, far] {
            let r = step(to);
            if r <= self.prune {
                self.off[j] = to;
                self.visit(child, r);
            }
        }
        self.off[j] = old;
    }

    fn scan(&mut self, rows: Range<usize>) {
        SCANNED.fetch_add(rows.len(), std::sync::atomic::Ordering::Relaxed);
        let (tree, d) = (self.tree, self.tree.d);
        let len = self.q.len();
        for p in rows {
            let f = sq_dist_f32(&self.q, &tree.data[p * d..][..len], d);
            if f > self.keep || p == self.skip {
                continue;
            }
            self.cands.push((f, p as u32));
            if self.heap.len() < self.k {
                self.heap.push(f.to_bits());
                if self.heap.len() == self.k {
                    self.tighten();
                }
            } else if f.to_bits() < *self.heap.peek().expect("k >= 1") {
                *self.heap.peek_mut().expect("k >= 1") = f.to_bits();
                self.tighten();
            }
        }
        if self.cands.len() > self.limit {
            let keep = self.keep;
            self.cands.retain(|c| c.0 <= keep);
            self.limit = self.limit.max(2 * self.cands.len());
        }
    }

    /// The k-th distance dropped: shrink the keep threshold and the pruning radius.
    fn tighten(&mut self) {
        let th = self.tree.bound.threshold(f32::from_bits(*self.heap.peek().expect("k >= 1")));
        // Largest f32 <= th; overflowed (inf) distances count as f32::MAX, as in `BruteForce`.
        self.keep = if th >= f32::MAX as f64 {
            f32::INFINITY
        } else {
            let t = th as f32;
            if t as f64 > th { f32::from_bits(t.to_bits() - 1) } else { t }
        };
        self.prune = self.tree.bound.exact_bound(th) * BOX_SLACK;
    }
}

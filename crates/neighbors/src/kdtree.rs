//! Exact k-NN with a kd-tree: midpoint splits of each node's bounding box along its widest dimension
//! (the tight box, or from 8192 rows that of a sample of the rows), rows stored in leaf order, f32 SIMD
//! leaf scans, and the f64 re-ranking of `BruteForce`.
//!
//! Memory (n points, d dimensions; raw data = 4nd bytes):
//! - rows in leaf order, unpadded (the SIMD kernel masks the lanes past `d`): 4nd bytes;
//! - the leaf-order -> original index map: 4n bytes (= raw/d);
//! - nodes, 16 bytes each. A split leaves at least 1/8 of a node's rows on either side, so (for leaf
//!   sizes >= 8) every leaf holds >= leaf_size/8 rows, there are < 16n/leaf_size nodes, and at the
//!   default leaf size 16 they take < 16n bytes (measured: ~3.2n).
//!
//! In total at most raw * (1 + 5/d) (+ a fixed 100 bytes): <= 1.50x at d = 10, <= 1.16x at d = 32, <= 1.04x at
//! d = 128 (measured 1.18x, 1.056x, 1.014x). For small d the index map alone is raw/d. Building temporarily adds two bounding boxes (2d floats each) per recursion level, a
//! sample of 64 floats and, when a split is rebalanced, one float per row of that node.
//!
//! The scans of every row (for data no tree can prune) add, on their first use, a copy of the rows on a
//! 16-bit grid (2 d bytes + 4 per row: about raw/2) and the f32 scan's squared norms (4 bytes per row).
//!
//! `search_self` also holds, for the duration of the call, every node's tight bounding box (2 x `d`
//! rounded up to 4 floats per node, ~0.2n nodes at the default leaf size: about 0.4x raw at d = 32).
//! It prunes a node whose box lies beyond the query's current k-th distance: on cluster data at d = 32,
//! k = 20 that cut the rows scanned per query 5x (2175 -> 433 at N = 10^4; profiled natively), within 4%
//! of what the walk scans when given the final k-th distance from the start: what is left is the cost per
//! row and per node, not the pruning. Measured per query at N = 10^4 (the MLE bench's points): 185 node
//! visits, each with a 32-float box test, 382 rows, 54 heap offers, 20 f64 re-ranks (the f32 margin had
//! already settled the set). So `search_self` answers by leaf groups ([`grouped`]): the node tests are
//! shared by up to 16 queries and the rows are scanned as SIMD tiles: in wasm, one thread, 0.149 ->
//! 0.088 s at 10^4 and 1.69 -> 1.22 s at 10^5, the same results (`examples/wasm_self.mjs`,
//! bench/results/neighbors-self-before.json and neighbors-self.json).

use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::OnceLock;

use crate::blocked::{self, Norms};
use crate::quantized::{self, Quantized};
use crate::{BLOCK, all_finite, check_points, check_queries, check_shape, first_non_finite, for_each_chunk, sq_dist_f32, sq_dist_f64, top_k, Neighbors, NeighborsError, Rounding};

mod grouped;

/// Rows per leaf, chosen by measurement in wasm (16 beat 8 and 32 on cluster data at d = 10, 32, 128).
pub const DEFAULT_LEAF_SIZE: usize = 16;

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
    /// Rows in leaf order.
    data: Vec<f32>,
    /// Original index of each stored row.
    perm: Vec<u32>,
    nodes: Vec<Node>,
    /// The tight box of all rows, `[lo; d]` then `[hi; d]`: the quantized grid's range.
    bbox: Vec<f32>,
    bound: Rounding,
    /// Squared row norms for the blocked scan, computed on its first use (`None`: not usable here).
    norms: OnceLock<Option<Norms>>,
    /// The rows on a 16-bit grid for the quantized scan, built on its first use (`None`: not usable).
    quantized: OnceLock<Option<Quantized>>,
}

/// How a search answers its queries; every choice gives the same (exact) result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Per chunk of queries, the tree while it prunes, else the quantized scan of every row.
    #[default]
    Auto,
    /// The tree for every query (in `search_self`, by groups of rows of one leaf).
    Tree,
    /// The f32 blocked scan of every row for every query.
    Blocked,
    /// The scan of every row on the 16-bit grid (the blocked scan's fallback), for every query.
    Quantized,
}

/// The blocked scan's cost per row and query, in units of the tree's cost per row it scans (measured in
/// wasm on uniform data at d = 32, N = 10^5: 6 ns against 115 ns, the tree's share including its
/// descent and bookkeeping): a tree query that would scan more than this share of the rows is cheaper
/// in a blocked scan.
const BLOCKED_ROW_COST: f64 = 0.06;

/// The same for `search_self`, whose walk prunes by node boxes and answers by leaf groups: measured in
/// wasm on cluster data at d = 32, N = 10^4 (blocked scan 3.1 ns per row and query, the grouped walk
/// ~23 ns per row the per-query walk would scan). Uniform data still go to the blocked scan (d = 32,
/// N = 10^4: 0.31 s with Auto before and after, bench/results/neighbors-self*.json).
const SELF_BLOCKED_ROW_COST: f64 = 0.15;

/// Queries of a chunk that probe the tree first (see [`KdTree::answer`]).
const PROBES: usize = 8;

impl KdTree {
    /// Indexes `points` (row-major `[n, d]`, `n >= 1`, all finite) with the default leaf size.
    pub fn new(points: &[f32], d: usize) -> Result<Self, NeighborsError> {
        Self::with_leaf_size(points, d, DEFAULT_LEAF_SIZE)
    }

    /// Indexes `points` with at most `leaf_size` rows per leaf (more only for exact duplicates).
    pub fn with_leaf_size(points: &[f32], d: usize, leaf_size: usize) -> Result<Self, NeighborsError> {
        check_points(points, d)?;
        Self::from_vec(points.to_vec(), d, leaf_size)
    }

    /// Like [`KdTree::with_leaf_size`], but reorders `points` in place and keeps them: no second copy of
    /// the data (for the largest inputs).
    pub fn from_vec(mut points: Vec<f32>, d: usize, leaf_size: usize) -> Result<Self, NeighborsError> {
        let n = check_shape(&points, d)?;
        if leaf_size == 0 {
            return Err(NeighborsError::LeafSizeIsZero);
        }
        let Some(bbox) = bounds(&points, d) else {
            let (row, col, value) = first_non_finite(&points, d).expect("a value that is not finite");
            return Err(NeighborsError::NonFinitePoint { row, col, value });
        };
        let mut perm: Vec<u32> = (0..n as u32).collect();
        let mut nodes = Vec::new();
        let mut boxes = bbox.clone();
        Builder { d, leaf_size }.build(&mut points, &mut perm, 0, 0, &mut boxes, &mut nodes, 0);
        nodes.shrink_to_fit();
        Ok(KdTree { n, d, data: points, perm, nodes, bbox, bound: Rounding::new(d), norms: OnceLock::new(), quantized: OnceLock::new() })
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
            + self.bbox.capacity() * 4
            + self.norms.get().and_then(|n| n.as_ref()).map_or(0, Norms::bytes)
            + self.quantized.get().and_then(|q| q.as_ref()).map_or(0, Quantized::bytes)
    }

    fn quantized(&self) -> Option<&Quantized> {
        self.quantized.get_or_init(|| Quantized::new(&self.data, self.d, &self.bbox)).as_ref()
    }

    fn norms(&self) -> Option<&Norms> {
        self.norms.get_or_init(|| Norms::new(&self.data, self.d)).as_ref()
    }

    /// The `k` nearest training points of every query (row-major `[q, d]`), `1 <= k <= n`; identical to
    /// [`crate::BruteForce::search`].
    pub fn search(&self, queries: &[f32], k: usize) -> Result<Neighbors, NeighborsError> {
        self.search_with(queries, k, Strategy::Auto)
    }

    /// [`KdTree::search`] with the strategy chosen by the caller (same results).
    pub fn search_with(&self, queries: &[f32], k: usize, strategy: Strategy) -> Result<Neighbors, NeighborsError> {
        let d = self.d;
        let nq = check_queries(queries, d, k, self.n)?;
        // Visit the queries in the order of the leaves they fall in: consecutive queries then share
        // much of their paths and leaves in cache.
        let mut order: Vec<(u32, u32)> = queries.chunks_exact(d).enumerate().map(|(i, q)| (self.leaf_of(q), i as u32)).collect();
        order.sort_unstable();
        let first: Vec<_> = order.iter().take(PROBES).map(|&(_, i)| (&queries[i as usize * d..][..d], usize::MAX)).collect();
        let strategy = self.scan_ahead(k, &first, strategy);
        let mut out = Neighbors::zeroed(nq, k);
        for_each_chunk(
            nq,
            |rows| {
                let jobs: Vec<_> = order[rows].iter().map(|&(_, i)| (&queries[i as usize * d..][..d], usize::MAX)).collect();
                self.answer(k, &jobs, strategy, None)
            },
            |rows, part| out.scatter(rows.map(|r| order[r].1 as usize), &part),
        );
        Ok(out)
    }

    /// Before the chunks run, with `Auto`: probes the tree with the first queries as the first chunk
    /// will. If the chunk will scan, builds the quantized scan's grids now, on the whole pool (inside a
    /// chunk the other threads would wait for them, idle: 10^6 rows at d = 32 take about 0.6 s on one
    /// thread in wasm). If every probe exhausted its budget, no tree will do here: returns `Quantized`,
    /// so that the chunks skip their own probes (each a tree search of up to `BLOCKED_ROW_COST n` rows).
    /// Else returns `strategy`.
    fn scan_ahead(&self, k: usize, first: &[(&[f32], usize)], strategy: Strategy) -> Strategy {
        let exhausted = match strategy {
            Strategy::Auto if first.len() == PROBES => {
                let mut search = Search::new(self, k);
                first.iter().filter(|&&(q, skip)| !search.probe(q, skip, self.probe_budget())).count()
            }
            Strategy::Quantized => PROBES,
            _ => 0,
        };
        if 2 * exhausted > PROBES {
            self.quantized();
        }
        if exhausted == PROBES { Strategy::Quantized } else { strategy }
    }

    /// Rows a probing tree search may scan before a blocked scan would have been cheaper.
    fn probe_budget(&self) -> usize {
        ((self.n as f64 * BLOCKED_ROW_COST) as usize).max(64)
    }

    /// The leaf (node index) whose box side of every split `q` lies on, nearer side on gaps.
    fn leaf_of(&self, q: &[f32]) -> u32 {
        let mut node = 0;
        loop {
            let nd = self.nodes[node];
            if nd.dim == LEAF {
                return node as u32;
            }
            let qj = q[nd.dim as usize];
            let (l, r) = (qj - f32::from_bits(nd.lo), f32::from_bits(nd.hi) - qj);
            node = if l <= r { node + 1 } else { nd.link as usize };
        }
    }

    /// A stored row near `job`'s query: the first of its leaf (or the excluded row itself).
    fn near_row(&self, job: (&[f32], usize)) -> usize {
        match job {
            (_, skip) if skip != usize::MAX => skip,
            (q, _) => self.nodes[self.leaf_of(q) as usize].link as usize,
        }
    }

    /// For every training point (row `i` of the result = point `i`), its `k` nearest *other* training
    /// points: its own index is excluded, exact duplicates at other indices are not. `1 <= k <= n - 1`.
    pub fn search_self(&self, k: usize) -> Result<Neighbors, NeighborsError> {
        self.search_self_with(k, Strategy::Auto)
    }

    /// [`KdTree::search_self`] with the strategy chosen by the caller (same results).
    pub fn search_self_with(&self, k: usize, strategy: Strategy) -> Result<Neighbors, NeighborsError> {
        if k == 0 {
            return Err(NeighborsError::KIsZero);
        }
        if k >= self.n {
            return Err(NeighborsError::KTooLargeSelf { k, others: self.n - 1 });
        }
        let mut out = Neighbors::zeroed(self.n, k);
        // Every row is a query here, so computing the nodes' tight boxes pays for itself.
        let boxes = self.node_boxes();
        let leaves = self.leaf_starts();
        // Walk the stored rows in leaf order (neighbouring queries share their tree paths and leaves).
        for_each_chunk(
            self.n,
            |rows| match strategy {
                Strategy::Blocked => self.answer(k, &rows.map(|p| (&self.row(p)[..self.d], p)).collect::<Vec<_>>(), strategy, Some(&boxes)),
                _ => self.answer_self(k, rows, strategy, &leaves, &boxes),
            },
            |rows, part| out.scatter(rows.map(|p| self.perm[p] as usize), &part),
        );
        Ok(out)
    }

    /// `(first stored row, node)` of every leaf, in row order.
    fn leaf_starts(&self) -> Vec<(u32, u32)> {
        self.nodes.iter().enumerate().filter(|(_, nd)| nd.dim == LEAF).map(|(i, nd)| (nd.link, i as u32)).collect()
    }

    /// `search_self` of stored rows `rows` by leaf groups ([`grouped`]). With `Auto`, the first `PROBES`
    /// rows first probe the per-query walk with a budget of rows, as in [`KdTree::answer`]: if most of
    /// them exhaust it, the whole chunk goes to the blocked scan instead.
    fn answer_self(&self, k: usize, rows: Range<usize>, strategy: Strategy, leaves: &[(u32, u32)], boxes: &[f32]) -> Neighbors {
        let first = rows.start;
        let mut part = Neighbors::zeroed(rows.len(), k);
        let probes = if strategy == Strategy::Auto { first..(first + PROBES).min(rows.end) } else { first..first };
        let mut waiting = Vec::new();
        let mut search = Search::new(self, k);
        search.boxes = Some(boxes);
        for p in probes.clone() {
            let q = &self.row(p)[..self.d];
            let r = p - first;
            if search.probe(q, p, ((self.n as f64 * SELF_BLOCKED_ROW_COST) as usize).max(64)) {
                search.finish(q, &mut part.indices[r * k..][..k], &mut part.squared_distances[r * k..][..k]);
            } else {
                waiting.push(r);
            }
        }
        if 2 * waiting.len() > probes.len() {
            waiting.extend(probes.len()..rows.len());
            let jobs: Vec<_> = waiting.iter().map(|&r| (&self.row(first + r)[..self.d], first + r)).collect();
            let found = self.answer(k, &jobs, Strategy::Blocked, Some(boxes));
            part.scatter(waiting.into_iter(), &found);
            return part;
        }
        let leaf_at = |p: usize| leaves.partition_point(|&(start, _)| start as usize <= p) - 1;
        let mut group = grouped::Grouped::new(self, k, boxes);
        for r in waiting {
            group.answer(leaves[leaf_at(first + r)].1 as usize, first + r..first + r + 1, &mut part, first);
        }
        // Groups: up to GROUP consecutive rows of one leaf.
        let mut p = probes.end;
        while p < rows.end {
            let at = leaf_at(p);
            let leaf_end = leaves.get(at + 1).map_or(self.n, |&(start, _)| start as usize);
            let end = leaf_end.min(p + grouped::GROUP).min(rows.end);
            group.answer(leaves[at].1 as usize, p..end, &mut part, first);
            p = end;
        }
        part
    }

    /// Answers a chunk of `(query, stored row to exclude)`, in order. With `Auto`, the first `PROBES`
    /// queries run on the tree with a budget of rows (beyond it a blocked scan is cheaper): if most of
    /// them exhaust it, the data fill too many dimensions to prune and the whole chunk goes to the blocked
    /// scan (which pays per panel of 8 queries, so it is chosen per chunk, not per query); else the tree
    /// answers every query.
    fn answer(&self, k: usize, jobs: &[(&[f32], usize)], strategy: Strategy, boxes: Option<&[f32]>) -> Neighbors {
        let mut part = Neighbors::zeroed(jobs.len(), k);
        let mut search = Search::new(self, k);
        search.boxes = boxes;
        let mut waiting: Vec<usize> = Vec::new();
        let mut r = 0;
        let mut run = |r: usize, budget: usize, part: &mut Neighbors| {
            let (q, skip) = jobs[r];
            let done = search.probe(q, skip, budget);
            if done {
                search.finish(q, &mut part.indices[r * k..][..k], &mut part.squared_distances[r * k..][..k]);
            }
            done
        };
        if strategy == Strategy::Auto {
            while r < jobs.len().min(PROBES) {
                if !run(r, self.probe_budget(), &mut part) {
                    waiting.push(r);
                }
                r += 1;
            }
        }
        if strategy == Strategy::Tree || (strategy == Strategy::Auto && 2 * waiting.len() <= r) {
            for r in waiting.drain(..).chain(r..jobs.len()) {
                run(r, usize::MAX, &mut part);
            }
            return part;
        }
        waiting.extend(r..jobs.len());
        if waiting.is_empty() {
            return part;
        }
        let pending: Vec<_> = waiting.iter().map(|&i| jobs[i]).collect();
        let mut found = Neighbors::zeroed(pending.len(), k);
        // The quantized scan first (the fastest, unless the f32 one is asked for), then the f32 blocked
        // scan for the queries it leaves, then full scans.
        let mut left: Vec<usize> = match self.quantized().filter(|_| strategy != Strategy::Blocked) {
            Some(quant) => quantized::answer(quant, &self.data, &self.perm, k, &pending, &mut found, 0, self.near_row(pending[pending.len() / 2])),
            None => (0..pending.len()).collect(),
        };
        if let (false, Some(norms)) = (left.is_empty(), self.norms()) {
            let again: Vec<_> = left.iter().map(|&i| pending[i]).collect();
            let mut part = Neighbors::zeroed(again.len(), k);
            let still = blocked::answer(&self.data, self.d, &self.perm, norms, k, &again, &mut part, 0);
            let done: Vec<usize> = (0..again.len()).filter(|j| !still.contains(j)).collect();
            found.scatter_from(&done.iter().map(|&j| left[j]).collect::<Vec<_>>(), &part, &done);
            left = still.iter().map(|&j| left[j]).collect();
        }
        self.scan_all(k, &left.iter().map(|&i| pending[i]).collect::<Vec<_>>(), &mut found, &left);
        part.scatter(waiting.into_iter(), &found);
        part
    }

    /// Full scans of every row for `jobs`, `BLOCK` queries per pass so they share each row's memory
    /// traffic; job `j`'s answer goes to row `rows[j]` of `out`. For what the blocked scan cannot take.
    fn scan_all(&self, k: usize, jobs: &[(&[f32], usize)], out: &mut Neighbors, rows: &[usize]) {
        let mut searches: Vec<Search> = (0..BLOCK).map(|_| Search::new(self, k)).collect();
        for (block, at) in jobs.chunks(BLOCK).zip(rows.chunks(BLOCK)) {
            for (s, &(q, skip)) in searches.iter_mut().zip(block) {
                s.start(q, skip);
            }
            for p in 0..self.n {
                let x = &self.data[p * self.d..];
                for s in &mut searches[..block.len()] {
                    s.offer(sq_dist_f32(&s.q, x, self.d), p);
                }
            }
            for ((s, &(q, _)), &row) in searches.iter_mut().zip(block).zip(at) {
                s.finish(q, &mut out.indices[row * k..][..k], &mut out.squared_distances[row * k..][..k]);
            }
        }
    }

    fn row(&self, p: usize) -> &[f32] {
        &self.data[p * self.d..]
    }

    /// Per node, the tight box of its rows: `[min; stride]` then `[max; stride]`, with `stride` = `d`
    /// rounded up to 4 and zeros past `d` (where the padded query is zero too).
    fn node_boxes(&self) -> Vec<f32> {
        let (d, stride) = (self.d, self.d.next_multiple_of(4));
        let mut boxes = vec![0f32; self.nodes.len() * 2 * stride];
        // Children follow their parent, so in reverse order both are done before it.
        for i in (0..self.nodes.len()).rev() {
            let nd = self.nodes[i];
            let mut bbox = empty_box(d);
            if nd.dim == LEAF {
                extend_rows(&mut bbox, &self.data[nd.link as usize * d..nd.lo as usize * d], d);
            } else {
                for child in [i + 1, nd.link as usize] {
                    let c = &boxes[2 * stride * child..];
                    extend(&mut bbox, &c[..d]);
                    extend(&mut bbox, &c[stride..][..d]);
                }
            }
            let me = &mut boxes[2 * stride * i..];
            me[..d].copy_from_slice(&bbox[..d]);
            me[stride..][..d].copy_from_slice(&bbox[d..]);
        }
        boxes
    }

    /// The stored row of each original point (the inverse of the leaf-order map).
    pub(crate) fn stored_rows(&self) -> Vec<u32> {
        let mut rows = vec![0u32; self.n];
        self.perm.iter().enumerate().for_each(|(p, &i)| rows[i as usize] = p as u32);
        rows
    }

    /// The rows in leaf order, row-major `[n, d]`.
    pub(crate) fn stored_data(&self) -> &[f32] {
        &self.data
    }
}

/// `[min_0..min_{d-1}, max_0..max_{d-1}]` of nothing.
fn empty_box(d: usize) -> Vec<f32> {
    let mut b = vec![0.0; 2 * d];
    reset_box(&mut b);
    b
}

/// Makes `bbox` (`2 d` values) the box of nothing.
fn reset_box(bbox: &mut [f32]) {
    let (lo, hi) = bbox.split_at_mut(bbox.len() / 2);
    lo.fill(f32::INFINITY);
    hi.fill(f32::NEG_INFINITY);
}

/// The tight box of the rows of `points`, or `None` if a value is not finite: one pass over the data in
/// pieces that stay in cache between the box and the check, with the `threads` feature on rayon's pool.
/// The pieces' boxes are merged in row order by the same selects, so the box is the sequential one bit
/// for bit (also which of -0 and +0 it keeps).
fn bounds(points: &[f32], d: usize) -> Option<Vec<f32>> {
    let piece_rows = (BOUNDS_PIECE / d).max(1);
    let piece = |values: &[f32]| {
        let mut bbox = empty_box(d);
        extend_rows(&mut bbox, values, d);
        all_finite(values).then_some(bbox)
    };
    let merge = |a: Option<Vec<f32>>, b: Option<Vec<f32>>| {
        let (mut a, b) = (a?, b?);
        let (lo, hi) = a.split_at_mut(d);
        for j in 0..d {
            lo[j] = if b[j] < lo[j] { b[j] } else { lo[j] };
            hi[j] = if b[d + j] > hi[j] { b[d + j] } else { hi[j] };
        }
        Some(a)
    };
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        points.par_chunks(piece_rows * d).map(piece).reduce(|| Some(empty_box(d)), merge)
    }
    #[cfg(not(feature = "threads"))]
    points.chunks(piece_rows * d).map(piece).fold(Some(empty_box(d)), merge)
}

/// Values per piece of [`bounds`] (256 KiB).
const BOUNDS_PIECE: usize = 1 << 16;

fn extend(bbox: &mut [f32], row: &[f32]) {
    let (lo, hi) = bbox.split_at_mut(row.len());
    // Selects rather than f32::min/max: no NaN to handle, so they compile to plain vector min/max.
    for ((l, h), &x) in lo.iter_mut().zip(hi.iter_mut()).zip(row) {
        *l = if x < *l { x } else { *l };
        *h = if x > *h { x } else { *h };
    }
}

/// Subtrees at least this large are built concurrently with the `threads` feature (small enough that the
/// 10^4-point builds of the estimators use both threads).
#[cfg(feature = "threads")]
const PAR_ROWS: usize = 1 << 12;

/// Parameters of a build.
#[derive(Clone, Copy)]
struct Builder {
    d: usize,
    leaf_size: usize,
}

impl Builder {
    /// Builds the subtree of `data`/`perm` (stored rows `first..`, box `boxes[at..at + 2d]`: see [`child_box`])
    /// and appends its nodes to `nodes` in preorder. Node links count from `base`, the position of
    /// `nodes[0]` in the final array. `boxes` is a stack: each node puts its children's boxes on top and
    /// takes them off when done, so the build allocates nothing per node.
    #[allow(clippy::too_many_arguments)]
    fn build(self, data: &mut [f32], perm: &mut [u32], first: usize, at: usize, boxes: &mut Vec<f32>, nodes: &mut Vec<Node>, base: usize) {
        let (d, rows) = (self.d, perm.len());
        let me = nodes.len();
        let (mut dim, mut spread) = widest(&boxes[at..at + 2 * d]);
        if rows > self.leaf_size && spread == 0.0 && rows >= SAMPLED_ROWS {
            // A sampled box of equal rows: the others may differ, so make it tight.
            let bbox = &mut boxes[at..at + 2 * d];
            reset_box(bbox);
            extend_rows(bbox, data, d);
            (dim, spread) = widest(bbox);
        }
        if rows <= self.leaf_size || spread == 0.0 {
            nodes.push(Node { dim: LEAF, link: first as u32, lo: (first + rows) as u32, hi: 0 });
            return;
        }
        let (min, max) = (boxes[at + dim], boxes[at + d + dim]);
        // Midpoint of the box, computed without overflow. The box's extremes are values of rows (it is
        // tight, or that of a sample of the rows), so min < split <= max keeps both sides non-empty.
        let mut split = 0.5 * min + 0.5 * max;
        if split <= min || split > max {
            split = max;
        }
        // A strided sample predicts a lopsided midpoint split; then aim for its quartile instead, which
        // usually saves the exact fallback's second pass below.
        let m = rows.min(SAMPLE);
        let mut sample = [0f32; SAMPLE];
        let sample = &mut sample[..m];
        sample.iter_mut().enumerate().for_each(|(i, v)| *v = data[strided(i, m, rows) * d + dim]);
        let below = sample.iter().filter(|&&v| v < split).count();
        if below * 6 < m || (m - below) * 6 < m {
            let rank = if below * 6 < m { m / 4 } else { m - m / 4 };
            let (_, &mut v, _) = sample.select_nth_unstable_by(rank, f32::total_cmp);
            if v > min {
                split = v;
            }
        }
        let (mut mid, mut lmax, mut rmin) = partition(data, perm, d, |x| x < split, dim);
        // Keep >= 1/8 on each side so the depth stays O(log n) and leaves hold >= leaf_size/8 rows: else
        // split at that rank. Rows tied with the rank's value may go either way (lmax <= rmin still
        // holds), so this balance survives any number of ties.
        let least = rows / 8;
        if mid < least || rows - mid < least {
            let mut vals: Vec<f32> = data.chunks_exact(d).map(|r| r[dim]).collect();
            mid = if mid < least { least } else { rows - least };
            let (_, &mut v, _) = vals.select_nth_unstable_by(mid, f32::total_cmp);
            let (below, ..) = partition(data, perm, d, |x| x < v, dim);
            partition(&mut data[below * d..], &mut perm[below..], d, |x| x <= v, dim);
            lmax = data[..mid * d].chunks_exact(d).fold(f32::NEG_INFINITY, |a, r| if r[dim] > a { r[dim] } else { a });
            rmin = data[mid * d..].chunks_exact(d).fold(f32::INFINITY, |a, r| if r[dim] < a { r[dim] } else { a });
        }
        nodes.push(Node { dim: dim as u32, link: 0, lo: lmax.to_bits(), hi: rmin.to_bits() });
        // The children's boxes, on top of the stack.
        let top = boxes.len();
        boxes.resize(top + 4 * d, 0.0);
        let (lbox, rbox) = boxes[top..].split_at_mut(2 * d);
        child_box(lbox, &data[..mid * d], d);
        child_box(rbox, &data[mid * d..], d);
        let (ldata, rdata) = data.split_at_mut(mid * d);
        let (lperm, rperm) = perm.split_at_mut(mid);
        #[cfg(feature = "threads")]
        if rows >= PAR_ROWS {
            // Each side into its own node list (links counted from where it will land) with its own box
            // stack, then appended: the same preorder array as the sequential build.
            let (lstack, rstack) = (lbox.to_vec(), rbox.to_vec());
            let (left, right) = rayon::join(
                move || {
                    let (mut v, mut stack) = (Vec::new(), lstack);
                    self.build(ldata, lperm, first, 0, &mut stack, &mut v, base + me + 1);
                    v
                },
                move || {
                    let (mut v, mut stack) = (Vec::new(), rstack);
                    self.build(rdata, rperm, first + mid, 0, &mut stack, &mut v, 0);
                    v
                },
            );
            boxes.truncate(top);
            nodes.extend(left);
            let at = base + nodes.len();
            nodes[me].link = at as u32;
            nodes.extend(right.into_iter().map(|nd| if nd.dim == LEAF { nd } else { Node { link: nd.link + at as u32, ..nd } }));
            return;
        }
        self.build(ldata, lperm, first, top, boxes, nodes, base);
        nodes[me].link = (base + nodes.len()) as u32;
        self.build(rdata, rperm, first + mid, top + 2 * d, boxes, nodes, base);
        boxes.truncate(top);
    }
}

/// Moves rows with `left(x[dim])` before the others (Hoare style, each row examined once). Returns the
/// number of rows on the left, the largest `x[dim]` among them and the smallest among the others.
fn partition(data: &mut [f32], perm: &mut [u32], d: usize, left: impl Fn(f32) -> bool, dim: usize) -> (usize, f32, f32) {
    let (mut i, mut j) = (0, perm.len());
    let (mut lmax, mut rmin) = (f32::NEG_INFINITY, f32::INFINITY);
    loop {
        let mut x = 0.0;
        while i < j {
            x = data[i * d + dim];
            if !left(x) {
                break;
            }
            lmax = if x > lmax { x } else { lmax };
            i += 1;
        }
        let mut y = 0.0;
        while i < j {
            y = data[(j - 1) * d + dim];
            if left(y) {
                break;
            }
            rmin = if y < rmin { y } else { rmin };
            j -= 1;
        }
        if i == j {
            return (i, lmax, rmin);
        }
        // Row i (value x) belongs right and row j-1 (value y) left: swap them.
        lmax = if y > lmax { y } else { lmax };
        rmin = if x < rmin { x } else { rmin };
        let (a, b) = data.split_at_mut((j - 1) * d);
        a[i * d..][..d].swap_with_slice(&mut b[..d]);
        perm.swap(i, j - 1);
        (i, j) = (i + 1, j - 1);
    }
}

/// Rows at and above which a node's box is that of a sample of its rows: it only chooses the split
/// dimension and the midpoint (the node's bounds come from the partition itself), and making it tight
/// costs a pass over the rows at every level.
const SAMPLED_ROWS: usize = 1 << 13;
/// Rows in such a sample.
const BOX_SAMPLE: usize = 256;

/// The box of a child's rows: tight below [`SAMPLED_ROWS`], else that of a strided sample.
fn child_box(bbox: &mut [f32], rows: &[f32], d: usize) {
    reset_box(bbox);
    let n = rows.len() / d;
    if n < SAMPLED_ROWS {
        extend_rows(bbox, rows, d);
    } else {
        (0..BOX_SAMPLE).for_each(|i| extend(bbox, &rows[strided(i, BOX_SAMPLE, n) * d..][..d]));
    }
}

/// Item `i` of `count` spread evenly over `0..len`: `i len / count`, in 64 bits (in wasm32 `i len` overflows
/// `usize` from 2^32 / 256 rows).
fn strided(i: usize, count: usize, len: usize) -> usize {
    (i as u64 * len as u64 / count as u64) as usize
}

/// The dimension of `bbox` (`2 d` values) with the largest extent, and that extent.
fn widest(bbox: &[f32]) -> (usize, f32) {
    let d = bbox.len() / 2;
    let (mut dim, mut spread) = (0, 0f32);
    for j in 0..d {
        let s = bbox[d + j] - bbox[j];
        if s > spread {
            (dim, spread) = (j, s);
        }
    }
    (dim, spread)
}

/// Extends `bbox` over every row of `rows` (row-major, `d` values each): a block of coordinates at a time,
/// whose minima and maxima stay in registers across the rows (box-wide selects per row kept the box in
/// memory, a store and two loads per coordinate and row).
fn extend_rows(bbox: &mut [f32], rows: &[f32], d: usize) {
    let (lo, hi) = bbox.split_at_mut(d);
    let mut j = 0;
    while j + 16 <= d {
        extend_block::<16>(&mut lo[j..], &mut hi[j..], rows, d, j);
        j += 16;
    }
    if j + 8 <= d {
        extend_block::<8>(&mut lo[j..], &mut hi[j..], rows, d, j);
        j += 8;
    }
    if j + 4 <= d {
        extend_block::<4>(&mut lo[j..], &mut hi[j..], rows, d, j);
        j += 4;
    }
    for c in j..d {
        extend_block::<1>(&mut lo[c..], &mut hi[c..], rows, d, c);
    }
}

/// Coordinates `at..at + W` of [`extend_rows`] (`lo`, `hi` start at coordinate `at`).
#[inline(always)]
fn extend_block<const W: usize>(lo: &mut [f32], hi: &mut [f32], rows: &[f32], d: usize, at: usize) {
    let mut l: [f32; W] = lo[..W].try_into().expect("W minima");
    let mut h: [f32; W] = hi[..W].try_into().expect("W maxima");
    for row in rows.chunks_exact(d) {
        let x: &[f32; W] = row[at..at + W].try_into().expect("W coordinates");
        for t in 0..W {
            l[t] = if x[t] < l[t] { x[t] } else { l[t] };
            h[t] = if x[t] > h[t] { x[t] } else { h[t] };
        }
    }
    lo[..W].copy_from_slice(&l);
    hi[..W].copy_from_slice(&h);
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
    /// Skip nodes whose f32 box distance exceeds this (`prune` in f32 box-distance terms).
    box_prune: f64,
    /// `(f32 distance, row)` of every row seen with distance `<= keep` at the time.
    cands: Vec<(f32, u32)>,
    /// Compact `cands` when it grows past this.
    limit: usize,
    exact: Vec<(f64, u32)>,
    /// Per dimension, the distance from the query to the current box (0 inside).
    off: Vec<f64>,
    /// Rows scanned for this query.
    scanned: usize,
    /// Stop descending once more rows than this were scanned (the query is then unanswered).
    budget: usize,
    /// The nodes' tight boxes ([`KdTree::node_boxes`]): a node whose box lies beyond `prune` is skipped.
    boxes: Option<&'t [f32]>,
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
            box_prune: f64::INFINITY,
            cands: Vec::new(),
            limit: 0,
            exact: Vec::new(),
            off: vec![0.0; d],
            scanned: 0,
            budget: usize::MAX,
            boxes: None,
        }
    }

    /// Resets the state for query `q`, excluding stored row `skip` (`usize::MAX`: none).
    fn start(&mut self, q: &[f32], skip: usize) {
        self.q[..q.len()].copy_from_slice(q);
        self.skip = skip;
        self.heap.clear();
        self.cands.clear();
        self.off.fill(0.0);
        (self.keep, self.prune, self.box_prune) = (f32::INFINITY, f64::INFINITY, f64::INFINITY);
        (self.limit, self.scanned, self.budget) = (4 * self.k + 64, 0, usize::MAX);
    }

    /// Walks the tree for `q` (excluding stored row `skip`) until it has scanned more than `budget` rows;
    /// whether it finished within them (then `finish` writes the answer).
    fn probe(&mut self, q: &[f32], skip: usize, budget: usize) -> bool {
        self.start(q, skip);
        self.budget = budget;
        self.visit(0, 0.0);
        self.scanned <= budget
    }

    /// Ranks the candidates exactly (the reference's f64 distance, then the original index) and writes
    /// the k nearest.
    fn finish(&mut self, q: &[f32], indices: &mut [u32], dists: &mut [f64]) {
        let (keep, tree) = (self.keep, self.tree);
        self.exact.clear();
        self.exact.extend(self.cands.iter().filter(|c| c.0 <= keep).map(|&(_, p)| {
            (sq_dist_f64(q, &tree.row(p as usize)[..tree.d]), tree.perm[p as usize])
        }));
        top_k(&mut self.exact, self.k, indices, dists);
    }

    /// Depth first, nearer child first; `rd` is a lower bound on the squared distance to the node's box.
    fn visit(&mut self, node: usize, rd: f64) {
        if self.scanned > self.budget {
            return;
        }
        let nd = self.tree.nodes[node];
        if let Some(boxes) = self.boxes {
            let stride = self.q.len();
            if box_dist_f32(&self.q, &boxes[2 * stride * node..][..2 * stride]) as f64 > self.box_prune {
                return;
            }
        }
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
        let (tree, d) = (self.tree, self.tree.d);
        self.scanned += rows.len();
        for p in rows {
            self.offer(sq_dist_f32(&self.q, &tree.data[p * d..], d), p);
        }
    }

    /// Row `p` is at f32 distance `f`.
    #[inline]
    fn offer(&mut self, f: f32, p: usize) {
        if f > self.keep || p == self.skip {
            return;
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
        self.box_prune = self.tree.bound.box_threshold(self.prune);
    }
}

/// f32 squared distance from the padded query `q` to the box `[min; q.len()]` then `[max; q.len()]`:
/// per coordinate the gap to the box (0 inside), squared and summed in any order. Portable version.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn box_dist_f32(q: &[f32], bbox: &[f32]) -> f32 {
    let (lo, hi) = bbox.split_at(q.len());
    // Eight lanes: two independent f32x4 chains hide the add latency (as in the row kernel).
    let mut acc = [0f32; 8];
    let add = |acc: &mut [f32], q: &[f32], lo: &[f32], hi: &[f32]| {
        for (((a, &q), &lo), &hi) in acc.iter_mut().zip(q).zip(lo).zip(hi) {
            // Selects, not f32::max: no NaN here, and they vectorize.
            let (below, above) = (lo - q, q - hi);
            let gap = if below > above { below } else { above };
            let gap = if gap > 0.0 { gap } else { 0.0 };
            *a += gap * gap;
        }
    };
    let (qs, los, his) = (q.chunks_exact(8), lo.chunks_exact(8), hi.chunks_exact(8));
    let (qr, lr, hr) = (qs.remainder(), los.remainder(), his.remainder());
    for ((q, lo), hi) in qs.zip(los).zip(his) {
        add(&mut acc, q, lo, hi);
    }
    add(&mut acc[..qr.len()], qr, lr, hr);
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// The wasm32 + simd128 kernel of the same sum (LLVM's auto-vectorized loops were 2x slower there).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn box_dist_f32(q: &[f32], bbox: &[f32]) -> f32 {
    use core::arch::wasm32::*;
    let len = q.len();
    assert!(len % 4 == 0 && bbox.len() == 2 * len, "q is padded, the box holds min and max");
    let (lo, hi) = bbox.split_at(len);
    // SAFETY: i + 4 <= len = the length of q, lo and hi; v128_load has no alignment requirement.
    let load = |v: &[f32], i: usize| unsafe { v128_load(v.as_ptr().add(i).cast()) };
    let zero = f32x4_splat(0.0);
    let sq_gap = |i: usize| {
        let x = load(q, i);
        // pmax is a plain select (no NaN here); the gap is 0 inside the box.
        let gap = f32x4_pmax(f32x4_pmax(f32x4_sub(load(lo, i), x), f32x4_sub(x, load(hi, i))), zero);
        f32x4_mul(gap, gap)
    };
    let (mut a, mut b) = (zero, zero);
    let mut i = 0;
    while i + 8 <= len {
        a = f32x4_add(a, sq_gap(i));
        b = f32x4_add(b, sq_gap(i + 4));
        i += 8;
    }
    if i < len {
        a = f32x4_add(a, sq_gap(i));
    }
    let v = f32x4_add(a, b);
    (f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v)) + (f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sampled_box_of_equal_rows_is_made_tight() {
        // Two children of 20 000 rows (boxes sampled): the left one's sample sees only copies of (0, 5),
        // but three of its rows differ. They must still be split off, not left in one leaf of 20 000.
        let (n, odd) = (40_000, [7usize, 9_001, 15_555]);
        let mut points = Vec::with_capacity(2 * n);
        for i in 0..n {
            let x = if i < n / 2 { 0.0 } else { 1e6 };
            let y = if odd.contains(&i) { 5.0 + i as f32 } else { 5.0 };
            points.extend([x, y]);
        }
        let tree = KdTree::from_vec(points.clone(), 2, DEFAULT_LEAF_SIZE).unwrap();
        let stored = tree.stored_rows();
        for i in odd {
            let p = stored[i];
            let leaf = tree.nodes.iter().find(|nd| nd.dim == LEAF && nd.link <= p && p < nd.lo).expect("a leaf holds every row");
            assert!(leaf.lo - leaf.link <= DEFAULT_LEAF_SIZE as u32, "row {i} in a leaf of {} rows", leaf.lo - leaf.link);
            let found = tree.search(&points[2 * i..2 * i + 2], 1).unwrap();
            assert_eq!((found.indices[0], found.squared_distances[0]), (i as u32, 0.0));
        }
    }

    #[test]
    fn bounds_over_many_pieces_equal_one_pass_and_find_any_non_finite_value() {
        // 3 x 70 000 values: four pieces, the last one short. Zeros of both signs tie with each other: the
        // box keeps the first of each, as one pass in row order does.
        let (d, n) = (3, 70_000);
        let mut points: Vec<f32> = (0..n * d).map(|i| ((i * 7919) % 10_007) as f32 - 5_000.0).collect();
        for (i, v) in points.iter_mut().enumerate() {
            if i % d == 2 {
                *v = if (i / d) % 2 == 0 { 0.0 } else { -0.0 };
            }
        }
        let mut want = empty_box(d);
        points.chunks_exact(d).for_each(|row| extend(&mut want, row));
        let got = bounds(&points, d).expect("finite");
        assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        assert_eq!((got[2].to_bits(), got[d + 2].to_bits()), (0.0f32.to_bits(), 0.0f32.to_bits()));
        for at in [0, BOUNDS_PIECE - 1, BOUNDS_PIECE, 2 * BOUNDS_PIECE + 5, n * d - 1] {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                let mut poisoned = points.clone();
                poisoned[at] = bad;
                assert!(bounds(&poisoned, d).is_none(), "{bad} at {at}");
                let err = KdTree::from_vec(poisoned, d, 16).unwrap_err();
                let named = matches!(err, NeighborsError::NonFinitePoint { row, col, value } if (row, col) == (at / d, at % d) && value.to_bits() == bad.to_bits());
                assert!(named, "{err:?}");
            }
        }
    }
}

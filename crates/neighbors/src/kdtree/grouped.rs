//! `search_self` by groups: up to [`GROUP`] consecutive rows of one leaf share one walk of the tree,
//! pruned by the distance between the group's box and each node's box, and every leaf it reaches is
//! scanned as a tile (each of its rows against all the group's queries, the queries packed
//! coordinate-major in SIMD lanes). Per query this replaces ~190 node visits, each with its own box
//! test, by ~1/10 of a shared one, and the per-row call and reduction by one lane of a tile.
//!
//! Exact for the same reasons as the per-query walk: every tile distance is an f32 sum of rounded
//! squared differences (any order, so [`Rounding`](crate::Rounding) bounds it), each query keeps its own
//! heap, threshold and candidates (the [`Search`] state), and the final f64 re-rank decides. A node is
//! skipped only when its box lies beyond every query of the group: the f32 box-to-box distance (per
//! coordinate the gap between the boxes, rounded, squared, summed) is computed like a point's box
//! distance, the exact box-to-box distance is at most any group point's exact distance to the box, so
//! `box_threshold`'s argument holds for the group as for one query.

use std::ops::Range;

use super::{KdTree, Search, LEAF};
use crate::Neighbors;

/// Queries per group: four f32x4 lanes (and the default leaf size).
pub(super) const GROUP: usize = 16;

/// The walk and tile state of one group, reused across the groups of a chunk.
pub(super) struct Grouped<'t> {
    tree: &'t KdTree,
    boxes: &'t [f32],
    /// `d` rounded up to 4: the layout of `boxes` and of `gbox`.
    stride: usize,
    searches: Vec<Search<'t>>,
    /// Coordinate `j` of query `l` at `j * GROUP + l`; zeros in unused lanes.
    packed: Vec<f32>,
    /// Per lane, the keep threshold of its query (-inf for unused lanes: nothing passes).
    keep: [f32; GROUP],
    /// Per lane, the largest f32 `<=` its query's `box_prune` (-inf for unused lanes): a leaf whose f32
    /// box distance exceeds it is skipped for that query.
    reach: [f32; GROUP],
    /// The group's tight box, `[min; stride]` then `[max; stride]`, zeros past `d`.
    gbox: Vec<f32>,
    m: usize,
    /// The leaf the group's rows belong to (scanned first).
    own: usize,
    /// Skip nodes whose f32 box-to-box distance exceeds this: the largest `box_prune` of the group.
    bound: f64,
}

impl<'t> Grouped<'t> {
    pub(super) fn new(tree: &'t KdTree, k: usize, boxes: &'t [f32]) -> Self {
        let stride = tree.d.next_multiple_of(4);
        Grouped {
            tree,
            boxes,
            stride,
            searches: (0..GROUP).map(|_| Search::new(tree, k)).collect(),
            packed: vec![0.0; tree.d * GROUP],
            keep: [f32::NEG_INFINITY; GROUP],
            reach: [f32::NEG_INFINITY; GROUP],
            gbox: vec![0.0; 2 * stride],
            m: 0,
            own: 0,
            bound: f64::INFINITY,
        }
    }

    /// Answers stored rows `rows` (at most `GROUP`, all in leaf node `leaf`) into rows `rows - first` of
    /// `part`.
    pub(super) fn answer(&mut self, leaf: usize, rows: Range<usize>, part: &mut Neighbors, first: usize) {
        let (tree, d, k) = (self.tree, self.tree.d, part.k);
        debug_assert!(rows.len() <= GROUP && !rows.is_empty());
        self.m = rows.len();
        self.own = leaf;
        self.packed.fill(0.0);
        self.keep = [f32::NEG_INFINITY; GROUP];
        self.reach = [f32::NEG_INFINITY; GROUP];
        let mut bbox = super::empty_box(d);
        for (l, p) in rows.clone().enumerate() {
            let q = &tree.row(p)[..d];
            self.searches[l].start(q, p);
            self.keep[l] = f32::INFINITY;
            self.reach[l] = f32::INFINITY;
            q.iter().enumerate().for_each(|(j, &v)| self.packed[j * GROUP + l] = v);
            super::extend(&mut bbox, q);
        }
        self.gbox.fill(0.0);
        self.gbox[..d].copy_from_slice(&bbox[..d]);
        self.gbox[self.stride..][..d].copy_from_slice(&bbox[d..]);
        self.bound = f64::INFINITY;
        let nd = tree.nodes[leaf];
        self.scan(nd.link as usize..nd.lo as usize, (1 << self.m) - 1);
        let root = self.box_gap(0);
        self.visit(0, root);
        for (l, p) in rows.enumerate() {
            let r = p - first;
            self.searches[l].finish(&tree.row(p)[..d], &mut part.indices[r * k..][..k], &mut part.squared_distances[r * k..][..k]);
        }
    }

    /// f32 box-to-box distance between the group and node `node`.
    fn box_gap(&self, node: usize) -> f32 {
        box_gap_f32(&self.gbox, &self.boxes[2 * self.stride * node..][..2 * self.stride])
    }

    /// Nearer child first; `gap` is the node's box-to-box distance.
    fn visit(&mut self, node: usize, gap: f32) {
        if gap as f64 > self.bound {
            return;
        }
        let nd = self.tree.nodes[node];
        if nd.dim == LEAF {
            if node != self.own {
                // Only the queries whose own pruning radius reaches the leaf's box.
                let bbox = &self.boxes[2 * self.stride * node..][..2 * self.stride];
                let active = tile::box_hits(&self.packed, self.m.div_ceil(4), bbox, self.tree.d, &self.reach);
                if active != 0 {
                    self.scan(nd.link as usize..nd.lo as usize, active);
                }
            }
            return;
        }
        let (left, right) = (node + 1, nd.link as usize);
        let (gl, gr) = (self.box_gap(left), self.box_gap(right));
        if gl <= gr {
            self.visit(left, gl);
            self.visit(right, gr);
        } else {
            self.visit(right, gr);
            self.visit(left, gl);
        }
    }

    /// Every row of `rows` against every query of the group.
    /// Offers only to the queries in the bit mask `active`.
    fn scan(&mut self, rows: Range<usize>, active: u32) {
        let (tree, d) = (self.tree, self.tree.d);
        // Lanes up to the last active query.
        let lanes = (32 - active.leading_zeros() as usize).div_ceil(4);
        for p in rows {
            let x = &tree.data[p * d..][..d];
            let (dist, hits) = tile::distances(&self.packed, lanes, x, &self.keep);
            let mut hits = hits & active;
            while hits != 0 {
                let l = hits.trailing_zeros() as usize;
                hits &= hits - 1;
                let s = &mut self.searches[l];
                s.offer(dist[l], p);
                self.keep[l] = s.keep;
                self.reach[l] = f32_at_most(s.box_prune);
            }
        }
        self.bound = self.searches[..self.m].iter().map(|s| s.box_prune).fold(f64::NEG_INFINITY, f64::max);
    }
}

/// The largest f32 `<= x` (`x >= 0`; infinity stays infinity).
fn f32_at_most(x: f64) -> f32 {
    let t = x as f32;
    if t as f64 > x { t.next_down() } else { t }
}

/// f32 squared distance between two boxes (`[min; stride]` then `[max; stride]`, zeros past `d` in both):
/// per coordinate the gap between them (0 where they overlap), squared and summed. Portable version.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn box_gap_f32(a: &[f32], b: &[f32]) -> f32 {
    let len = a.len() / 2;
    let (alo, ahi) = a.split_at(len);
    let (blo, bhi) = b.split_at(len);
    let mut acc = [0f32; 4];
    for j in 0..len {
        // Selects, not f32::max: no NaN here.
        let (below, above) = (blo[j] - ahi[j], alo[j] - bhi[j]);
        let gap = if below > above { below } else { above };
        let gap = if gap > 0.0 { gap } else { 0.0 };
        acc[j % 4] += gap * gap;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn box_gap_f32(a: &[f32], b: &[f32]) -> f32 {
    use core::arch::wasm32::*;
    let len = a.len() / 2;
    assert!(len % 4 == 0 && b.len() == 2 * len, "both boxes padded to the same stride");
    // SAFETY: i + 4 <= len and len + i + 4 <= 2 len = both lengths; v128_load needs no alignment.
    let load = |v: &[f32], i: usize| unsafe { v128_load(v.as_ptr().add(i).cast()) };
    let zero = f32x4_splat(0.0);
    let mut acc = zero;
    let mut i = 0;
    while i < len {
        let below = f32x4_sub(load(b, i), load(a, len + i));
        let above = f32x4_sub(load(a, i), load(b, len + i));
        let gap = f32x4_pmax(f32x4_pmax(below, above), zero);
        acc = f32x4_add(acc, f32x4_mul(gap, gap));
        i += 4;
    }
    (f32x4_extract_lane::<0>(acc) + f32x4_extract_lane::<1>(acc)) + (f32x4_extract_lane::<2>(acc) + f32x4_extract_lane::<3>(acc))
}

/// The tile kernel: one row `x` against the group's packed queries.
mod tile {
    use super::GROUP;

    /// f32 squared distances of `x` to the queries in the first `4 * lanes` lanes (each summed over
    /// `j = 0..d` in order), and the bit mask of the lanes whose distance is `<= keep`.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    #[inline(always)]
    pub(super) fn distances(packed: &[f32], lanes: usize, x: &[f32], keep: &[f32; GROUP]) -> ([f32; GROUP], u32) {
        let mut acc = [0f32; GROUP];
        let used = 4 * lanes;
        for (j, &v) in x.iter().enumerate() {
            let q = &packed[j * GROUP..][..GROUP];
            for (a, &c) in acc[..used].iter_mut().zip(&q[..used]) {
                let t = c - v;
                *a += t * t;
            }
        }
        let hits = (0..used).filter(|&l| acc[l] <= keep[l]).fold(0u32, |m, l| m | 1 << l);
        (acc, hits)
    }

    /// The bit mask of the lanes (of the first `4 * lanes`) whose query's f32 distance to the box
    /// `[min; stride]` then `[max; stride]` is `<= reach`: per coordinate the gap to the box (0 inside),
    /// squared and summed in order, as `box_dist_f32` does for one query.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    pub(super) fn box_hits(packed: &[f32], lanes: usize, bbox: &[f32], d: usize, reach: &[f32; GROUP]) -> u32 {
        let stride = bbox.len() / 2;
        let used = 4 * lanes;
        let mut acc = [0f32; GROUP];
        for j in 0..d {
            let (lo, hi) = (bbox[j], bbox[stride + j]);
            for (a, &q) in acc[..used].iter_mut().zip(&packed[j * GROUP..][..used]) {
                let (below, above) = (lo - q, q - hi);
                let gap = if below > above { below } else { above };
                let gap = if gap > 0.0 { gap } else { 0.0 };
                *a += gap * gap;
            }
        }
        (0..used).filter(|&l| acc[l] <= reach[l]).fold(0u32, |m, l| m | 1 << l)
    }

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    pub(super) fn box_hits(packed: &[f32], lanes: usize, bbox: &[f32], d: usize, reach: &[f32; GROUP]) -> u32 {
        match lanes {
            1 => box_simd::<1>(packed, bbox, d, reach),
            2 => box_simd::<2>(packed, bbox, d, reach),
            3 => box_simd::<3>(packed, bbox, d, reach),
            _ => box_simd::<4>(packed, bbox, d, reach),
        }
    }

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    #[inline(always)]
    fn box_simd<const L: usize>(packed: &[f32], bbox: &[f32], d: usize, reach: &[f32; GROUP]) -> u32 {
        use core::arch::wasm32::*;
        let stride = bbox.len() / 2;
        assert!(packed.len() >= d * GROUP && d <= stride && L <= GROUP / 4);
        let zero = f32x4_splat(0.0);
        let mut acc = [zero; L];
        let (q, b) = (packed.as_ptr(), bbox.as_ptr());
        for j in 0..d {
            // SAFETY: j < d <= stride: both box loads inside `bbox`; j * GROUP + 4 L <= packed.len().
            unsafe {
                let (lo, hi) = (v128_load32_splat(b.add(j).cast()), v128_load32_splat(b.add(stride + j).cast()));
                for (g, a) in acc.iter_mut().enumerate() {
                    let x = v128_load(q.add(j * GROUP + 4 * g).cast());
                    // pmax is a plain select (no NaN here); the gap is 0 inside the box.
                    let gap = f32x4_pmax(f32x4_pmax(f32x4_sub(lo, x), f32x4_sub(x, hi)), zero);
                    *a = f32x4_add(*a, f32x4_mul(gap, gap));
                }
            }
        }
        let mut hits = 0u32;
        for (g, a) in acc.iter().enumerate() {
            // SAFETY: 4 g + 4 <= GROUP floats.
            let t = unsafe { v128_load(reach.as_ptr().add(4 * g).cast()) };
            hits |= (i32x4_bitmask(f32x4_le(*a, t)) as u32) << (4 * g);
        }
        hits
    }

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    #[inline(always)]
    pub(super) fn distances(packed: &[f32], lanes: usize, x: &[f32], keep: &[f32; GROUP]) -> ([f32; GROUP], u32) {
        match lanes {
            1 => simd::<1>(packed, x, keep),
            2 => simd::<2>(packed, x, keep),
            3 => simd::<3>(packed, x, keep),
            _ => simd::<4>(packed, x, keep),
        }
    }

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    #[inline(always)]
    fn simd<const L: usize>(packed: &[f32], x: &[f32], keep: &[f32; GROUP]) -> ([f32; GROUP], u32) {
        use core::arch::wasm32::*;
        let d = x.len();
        assert!(packed.len() >= d * GROUP && L <= GROUP / 4);
        let mut acc = [f32x4_splat(0.0); L];
        let (q, xp) = (packed.as_ptr(), x.as_ptr());
        for j in 0..d {
            // SAFETY: j < d = x.len(); j * GROUP + 4 * L <= d * GROUP <= packed.len() (asserted).
            unsafe {
                let v = v128_load32_splat(xp.add(j).cast());
                for (g, a) in acc.iter_mut().enumerate() {
                    let t = f32x4_sub(v128_load(q.add(j * GROUP + 4 * g).cast()), v);
                    *a = f32x4_add(*a, f32x4_mul(t, t));
                }
            }
        }
        let mut out = [0f32; GROUP];
        let mut hits = 0u32;
        for (g, a) in acc.iter().enumerate() {
            // SAFETY: 4 g + 4 <= GROUP floats in both arrays.
            unsafe {
                v128_store(out.as_mut_ptr().add(4 * g).cast(), *a);
                let t = v128_load(keep.as_ptr().add(4 * g).cast());
                hits |= (i32x4_bitmask(f32x4_le(*a, t)) as u32) << (4 * g);
            }
        }
        (out, hits)
    }
}

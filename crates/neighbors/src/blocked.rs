//! Blocked brute force for data no tree can prune: `|x|^2 - 2 x.q` for a register tile of 4 rows x 8
//! queries at a time (a GEMM micro-kernel on f32x4 lanes, the queries packed coordinate-major), with the
//! candidate test fused into the tile's epilogue, then the same exact f64 re-ranking as every index.
//!
//! Why it stays exact: per pair the f32 key `fl(A_x + D)` (`A_x` = `|x|^2` rounded to f32, `D` = the f32
//! dot product of `x` and `-2q`, any summation order) is within `E = g (|x|^2 + |q|^2) + tiny` of
//! `s - |q|^2`, `s` the exact squared distance, with `g = gamma_{d+4}` and `tiny = (d+2) 2^-148`:
//! - `|A_x - |x|^2| <= (u + 2^-40)|x|^2 + 2^-150` (f64 sum of exact squares, `d <= 4096`, then one rounding);
//! - `|D + 2 x.q| <= gamma_d 2|x||q| + d 2^-149 <= gamma_d (|x|^2 + |q|^2) + d 2^-149`;
//! - the final addition adds `u |A_x + D| <= u (2 + 2^-23 + gamma_d)(|x|^2 + |q|^2) + tiny`;
//!
//! and the sum is below `(gamma_d + 4u)(|x|^2 + |q|^2) <= gamma_{d+4}(...)`. So with `K` the k-th
//! smallest key, the k smallest keys have `s <= K + |q|^2 + E`, hence the exact k-th distance too, and a
//! point of the exact top k (ties included) has key `<= K + 2E`. `E` uses the largest `|x|^2` of the data.
//! Keys stay finite while `|x|^2, |q|^2 < 2^120`; beyond that (or `d > 4096`) the caller scans otherwise.

use std::collections::BinaryHeap;

use crate::{sq_dist_f64, top_k, Neighbors};

/// Queries per panel (two f32x4 lanes) and rows per register tile.
const PANEL: usize = 8;
const TILE: usize = 4;
/// Rows per cache block: about 128 KiB of rows, reused by every panel of a chunk.
const BLOCK_BYTES: usize = 1 << 17;
/// A query whose candidate list outgrows this (the margin is too wide for the data, e.g. points far
/// from the origin) leaves the blocked scan and is answered by the caller's other path instead.
pub(crate) const MAX_CANDIDATES: usize = 1 << 14;
/// Largest `|x|^2` and `|q|^2` for which every key is finite.
const MAX_NORM: f64 = 1.329_227_995_784_916e36; // 2^120
const MAX_DIM: usize = 4096;

/// The squared norms of the stored rows, for the keys.
#[derive(Clone, Debug)]
pub(crate) struct Norms {
    /// `|x|^2` per stored row, the f64 sum rounded to f32.
    rounded: Vec<f32>,
    /// The largest `|x|^2` (f64 sum).
    max: f64,
}

impl Norms {
    /// `None` when the blocked scan cannot be used on these rows (too many dimensions, or norms too large).
    pub(crate) fn new(data: &[f32], d: usize) -> Option<Norms> {
        if d > MAX_DIM {
            return None;
        }
        let mut max = 0f64;
        let rounded = data
            .chunks_exact(d)
            .map(|x| {
                let s = sq_norm(x);
                max = max.max(s);
                s as f32
            })
            .collect();
        (max < MAX_NORM).then_some(Norms { rounded, max })
    }

    pub(crate) fn bytes(&self) -> usize {
        self.rounded.capacity() * 4
    }
}

fn sq_norm(x: &[f32]) -> f64 {
    x.iter().fold(0.0, |acc, &v| acc + v as f64 * v as f64)
}

/// Twice the per-pair key error `E` for a query of squared norm `q_norm` against rows of largest squared
/// norm `x_max`, with slack for the f64 arithmetic of the threshold (see the module docs).
fn margin(d: usize, q_norm: f64, x_max: f64) -> f64 {
    let nu = (d + 4) as f64 * f64::powi(2.0, -24);
    let gamma = nu / (1.0 - nu);
    let tiny = (d + 2) as f64 * f64::powi(2.0, -148);
    2.0 * (gamma * (x_max + q_norm) * (1.0 + f64::powi(2.0, -20)) + tiny)
}

/// f32 keys in the order of their values, as unsigned integers (for the heap).
fn ordered(f: f32) -> u32 {
    let b = f.to_bits();
    if b >> 31 == 1 { !b } else { b | 0x8000_0000 }
}

fn unordered(o: u32) -> f32 {
    f32::from_bits(if o >> 31 == 1 { o & 0x7fff_ffff } else { !o })
}

/// One query's k smallest keys (in the heap's order `H`) and every row seen with a key (`C`) at or
/// below its threshold at the time: the selection state of the scans of every row.
pub(crate) struct Candidates<H, C> {
    heap: BinaryHeap<H>,
    list: Vec<(C, u32)>,
    /// Compact `list` when it grows past this.
    limit: usize,
}

impl<H: Ord + Copy, C: PartialOrd + Copy> Candidates<H, C> {
    pub(crate) fn new(k: usize) -> Self {
        Candidates { heap: BinaryHeap::with_capacity(k + 1), list: Vec::new(), limit: 4 * k + 64 }
    }

    /// Records stored row `p` with key `key` (`order`: the same key in the heap's order); returns whether
    /// the k-th smallest key changed (or became known).
    pub(crate) fn push(&mut self, key: C, order: H, p: usize, k: usize) -> bool {
        self.list.push((key, p as u32));
        if self.heap.len() < k {
            self.heap.push(order);
            self.heap.len() == k
        } else if order < *self.heap.peek().expect("k >= 1") {
            *self.heap.peek_mut().expect("k >= 1") = order;
            true
        } else {
            false
        }
    }

    /// The k-th smallest key (or the largest, with fewer than k seen).
    pub(crate) fn kth(&self) -> H {
        *self.heap.peek().expect("k >= 1")
    }

    /// Once the list outgrows its limit, drops the rows whose key exceeds `keep`; returns false when
    /// more than `MAX_CANDIDATES` remain then (the bound is too loose for this scan).
    pub(crate) fn compact(&mut self, keep: C) -> bool {
        if self.list.len() <= self.limit {
            return true;
        }
        self.list.retain(|c| c.0 <= keep);
        self.limit = self.limit.max(2 * self.list.len());
        self.list.len() <= MAX_CANDIDATES
    }

    /// The stored rows with key `<= keep`.
    pub(crate) fn within(&self, keep: C) -> impl Iterator<Item = usize> + '_ {
        self.list.iter().filter(move |c| c.0 <= keep).map(|c| c.1 as usize)
    }
}

/// One query's selection state.
struct Select {
    /// `ordered` keys in the heap, f32 keys in the list.
    cands: Candidates<u32, f32>,
    keep: f32,
    margin: f64,
    skip: usize,
    /// Left the blocked scan (too many candidates).
    dropped: bool,
}

impl Select {
    /// Offers stored row `p` with key `key`; returns the new keep threshold.
    fn offer(&mut self, key: f32, p: usize, k: usize) -> f32 {
        if p == self.skip || key > self.keep {
            return self.keep;
        }
        if self.cands.push(key, ordered(key), p, k) {
            self.tighten();
        }
        if !self.cands.compact(self.keep) {
            self.dropped = true;
            self.keep = f32::NEG_INFINITY;
        }
        self.keep
    }

    fn tighten(&mut self) {
        let th = unordered(self.cands.kth()) as f64 + self.margin;
        // The largest f32 <= th.
        self.keep = if th >= f32::MAX as f64 {
            f32::INFINITY
        } else {
            let t = th as f32;
            if t as f64 > th { t.next_down() } else { t }
        };
    }
}

/// Answers `jobs` (query, stored row to exclude or `usize::MAX`) by a blocked scan of `data` (rows in
/// stored order, `perm` their original indices), writing rows of `part` from `first` on in job order.
/// Returns the positions (in `jobs`) of queries it could not answer (too many candidates), for the caller.
#[allow(clippy::too_many_arguments)]
pub(crate) fn answer(
    data: &[f32],
    d: usize,
    perm: &[u32],
    norms: &Norms,
    k: usize,
    jobs: &[(&[f32], usize)],
    part: &mut Neighbors,
    first: usize,
) -> Vec<usize> {
    let n = perm.len();
    let panels = jobs.len().div_ceil(PANEL);
    // Panel p, coordinate j, lane l: -2 q_{8p+l}[j] (exact), zeros past the last query.
    let mut packed = vec![0f32; panels * d * PANEL];
    // Keep thresholds; -inf for the padding lanes (no key passes).
    let mut keep = vec![f32::NEG_INFINITY; panels * PANEL];
    let mut sel: Vec<Select> = Vec::with_capacity(jobs.len());
    let mut rejected = Vec::new();
    for (i, &(q, skip)) in jobs.iter().enumerate() {
        let (p, l) = (i / PANEL, i % PANEL);
        for (j, &v) in q.iter().enumerate() {
            packed[(p * d + j) * PANEL + l] = -2.0 * v;
        }
        let q_norm = sq_norm(q);
        let usable = q_norm < MAX_NORM;
        keep[i] = if usable { f32::INFINITY } else { f32::NEG_INFINITY };
        if !usable {
            rejected.push(i);
        }
        sel.push(Select {
            cands: Candidates::new(k),
            keep: keep[i],
            margin: margin(d, q_norm, norms.max),
            skip,
            dropped: !usable,
        });
    }
    let rows_per_block = (BLOCK_BYTES / (4 * d)).next_multiple_of(TILE).max(TILE);
    let mut start = 0;
    while start < n {
        let end = (start + rows_per_block).min(n);
        for p in 0..panels {
            let panel = &packed[p * d * PANEL..][..d * PANEL];
            let mut r = start;
            while r + TILE <= end {
                tile::<TILE>(data, d, &norms.rounded, r, panel, p, &mut keep, &mut sel, k);
                r += TILE;
            }
            while r < end {
                tile::<1>(data, d, &norms.rounded, r, panel, p, &mut keep, &mut sel, k);
                r += 1;
            }
        }
        start = end;
    }
    let mut exact: Vec<(f64, u32)> = Vec::new();
    for (i, (s, &(q, _))) in sel.iter().zip(jobs).enumerate() {
        if s.dropped {
            if !rejected.contains(&i) {
                rejected.push(i);
            }
            continue;
        }
        exact.clear();
        exact.extend(s.cands.within(s.keep).map(|p| (sq_dist_f64(q, &data[p * d..][..d]), perm[p])));
        let row = first + i;
        top_k(&mut exact, k, &mut part.indices[row * k..][..k], &mut part.squared_distances[row * k..][..k]);
    }
    rejected.sort_unstable();
    rejected
}

/// Rows `r..r + R` against panel `p`: the keys of `R x 8` pairs, and every key at or below its query's
/// threshold offered to that query.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile<const R: usize>(
    data: &[f32],
    d: usize,
    norms: &[f32],
    r: usize,
    panel: &[f32],
    p: usize,
    keep: &mut [f32],
    sel: &mut [Select],
    k: usize,
) {
    let rows = &data[r * d..(r + R) * d];
    let keys = lanes::keys::<R>(rows, d, &norms[r..r + R], panel, &keep[p * PANEL..][..PANEL]);
    if let Some(keys) = keys {
        for (t, row) in keys.iter().enumerate() {
            for (l, &key) in row.iter().enumerate() {
                let i = p * PANEL + l;
                if key <= keep[i] {
                    keep[i] = sel[i].offer(key, r + t, k);
                }
            }
        }
    }
}

/// The micro-kernel: `Some(keys)` (row-major `[R, 8]`) when any key is at or below its lane's threshold.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    #[inline(always)]
    pub(super) fn keys<const R: usize>(rows: &[f32], d: usize, norms: &[f32], panel: &[f32], keep: &[f32]) -> Option<[[f32; 8]; R]> {
        assert!(rows.len() == R * d && panel.len() == 8 * d && norms.len() == R && keep.len() == 8);
        let mut acc = [[f32x4_splat(0.0); 2]; R];
        let (x, b) = (rows.as_ptr(), panel.as_ptr());
        for j in 0..d {
            // SAFETY: j < d, r < R: inside `rows` and `panel` (asserted above); unaligned loads are fine.
            unsafe {
                let (b0, b1) = (v128_load(b.add(8 * j).cast()), v128_load(b.add(8 * j + 4).cast()));
                for (r, a) in acc.iter_mut().enumerate() {
                    let v = v128_load32_splat(x.add(r * d + j).cast());
                    a[0] = f32x4_add(a[0], f32x4_mul(v, b0));
                    a[1] = f32x4_add(a[1], f32x4_mul(v, b1));
                }
            }
        }
        // SAFETY: `keep` holds 8 values.
        let (t0, t1) = unsafe { (v128_load(keep.as_ptr().cast()), v128_load(keep.as_ptr().add(4).cast())) };
        let mut hit = f32x4_splat(0.0);
        for (a, &n) in acc.iter_mut().zip(norms) {
            let v = f32x4_splat(n);
            a[0] = f32x4_add(v, a[0]);
            a[1] = f32x4_add(v, a[1]);
            hit = v128_or(hit, v128_or(f32x4_le(a[0], t0), f32x4_le(a[1], t1)));
        }
        if !v128_any_true(hit) {
            return None;
        }
        let mut out = [[0f32; 8]; R];
        for (o, a) in out.iter_mut().zip(&acc) {
            // SAFETY: 8 floats.
            unsafe {
                v128_store(o.as_mut_ptr().cast(), a[0]);
                v128_store(o.as_mut_ptr().add(4).cast(), a[1]);
            }
        }
        Some(out)
    }
}

/// The same kernel on scalars (natively, for the tests): the bound holds for any summation order.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    #[inline(always)]
    pub(super) fn keys<const R: usize>(rows: &[f32], d: usize, norms: &[f32], panel: &[f32], keep: &[f32]) -> Option<[[f32; 8]; R]> {
        let mut acc = [[0f32; 8]; R];
        for (j, b) in panel.chunks_exact(8).enumerate() {
            for (r, a) in acc.iter_mut().enumerate() {
                let v = rows[r * d + j];
                for (a, &b) in a.iter_mut().zip(b) {
                    *a += v * b;
                }
            }
        }
        let mut hit = false;
        for (a, &n) in acc.iter_mut().zip(norms) {
            for (a, &t) in a.iter_mut().zip(keep) {
                *a += n;
                hit |= *a <= t;
            }
        }
        hit.then_some(acc)
    }
}

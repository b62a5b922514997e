//! Brute force on 16-bit integer coordinates: twice the multiply-adds per SIMD instruction of the f32
//! kernel (`i32x4.dot_i16x8_s` does 8), exact integer dot products, and a rigorous bound from the
//! triangle inequality; the candidates are then re-ranked exactly in f64 like everywhere else.
//!
//! Each row is stored as `x~ = round((x - c) / delta)` (integers in `[-A, A]`), standing for the point
//! `x^ = c + delta x~` (real arithmetic), with `eps_x >= |x - x^|` computed per row with rounding slack.
//! A query gets `q~` and `eps_q` the same way (clamped to `[-A, A]`: a far query only loosens its own
//! bound). The centre cancels: `|x^ - q^| = delta |x~ - q~|`, and `|x~ - q~|^2 = key + |q~|^2` with the
//! integer `key = |x~|^2 - 2 x~.q~`, exact in i32 while `dp A^2 <= 2^29` (`dp` = `d` rounded up to even).
//! So `delta sqrt(key + |q~|^2) -+ (eps_x + eps_q)` bound the exact distance `|x - q|` from both sides.
//! With `K` the k-th smallest key seen, k rows lie within `U = delta sqrt(K + |q~|^2) + eps + eps_q`
//! (`eps` = the largest `eps_x`), hence the exact k-th distance too; a row of the exact top k (ties
//! included) has `delta sqrt(key + |q~|^2) - eps - eps_q <= U`, i.e.
//! `key + |q~|^2 <= (sqrt(K + |q~|^2) + 2 (eps + eps_q) / delta)^2`: every such row is kept.

use std::sync::OnceLock;

use crate::blocked::Candidates;

use crate::{sq_dist_f64, top_k, Neighbors};

/// Queries per panel (two i32x4 lanes) and rows per register tile.
const PANEL: usize = 8;
const TILE: usize = 4;
/// Rows per cache block: about 128 KiB of rows, reused by every panel of a chunk.
const BLOCK_BYTES: usize = 1 << 17;
/// Relative slack of the f64 arithmetic below (each quantity is a handful of roundings off).
const SLACK: f64 = 1.0 + 1.0 / (1u64 << 40) as f64;

/// The rows on the integer grid.
#[derive(Clone, Debug)]
pub(crate) struct Quantized {
    d: usize,
    /// `d` rounded up to even: coordinates go in pairs (the padding is zero in rows and queries).
    dp: usize,
    center: Vec<f64>,
    delta: f64,
    amp: i32,
    /// Row-major `[n, dp]`.
    rows: Vec<i16>,
    /// `|x~|^2` per row.
    norms: Vec<i32>,
    /// `|x~_{<m}|^2` per row for each gate prefix `m < dp` (`gate_prefixes`), on first use: every
    /// chunk of queries gates on them, and recomputing them per chunk took about 2% of a scan.
    prefix_norms: [OnceLock<Vec<i32>>; 2],
    /// The largest `eps_x`.
    eps: f64,
}

impl Quantized {
    /// `None` for constant data (any scan is as good) or ranges beyond f64 comfort. `bbox` is the rows'
    /// tight box, `[lo; d]` then `[hi; d]` (the kd-tree's, computed when it was built).
    pub(crate) fn new(data: &[f32], d: usize, bbox: &[f32]) -> Option<Quantized> {
        let dp = d.next_multiple_of(2);
        let amp = ((1u64 << 29) as f64 / dp as f64).sqrt().floor().min(i16::MAX as f64) as i32;
        let (lo, hi) = bbox.split_at(d);
        let center: Vec<f64> = lo.iter().zip(hi).map(|(&l, &h)| 0.5 * (l as f64 + h as f64)).collect();
        let half = lo.iter().zip(hi).map(|(&l, &h)| 0.5 * (h as f64 - l as f64)).fold(0.0, f64::max);
        if half == 0.0 || !half.is_finite() || half > 1e300 {
            return None;
        }
        // A hair above half / A, so that rounding keeps every row inside [-A, A].
        let delta = half / amp as f64 * (1.0 + 1e-9);
        let grid = Grid::new(&center, delta, amp);
        let (mut rows, mut norms) = (vec![0i16; data.len() / d * dp], vec![0i32; data.len() / d]);
        // The rows in blocks, on the pool where there is one (the largest `eps_x` is the same in any order).
        const BLOCK_ROWS: usize = 4096;
        let block = |(x, (out, norms)): (&[f32], (&mut [i16], &mut [i32]))| {
            let mut eps = 0f64;
            for ((x, out), norm) in x.chunks_exact(d).zip(out.chunks_exact_mut(dp)).zip(norms) {
                let e;
                (*norm, e) = grid.quantize(x, out);
                eps = eps.max(e);
            }
            eps
        };
        #[cfg(feature = "threads")]
        let eps = {
            use rayon::prelude::*;
            data.par_chunks(BLOCK_ROWS * d).zip(rows.par_chunks_mut(BLOCK_ROWS * dp).zip(norms.par_chunks_mut(BLOCK_ROWS))).map(block).reduce(|| 0.0, f64::max)
        };
        #[cfg(not(feature = "threads"))]
        let eps = data.chunks(BLOCK_ROWS * d).zip(rows.chunks_mut(BLOCK_ROWS * dp).zip(norms.chunks_mut(BLOCK_ROWS))).map(block).fold(0.0, f64::max);
        Some(Quantized { d, dp, center, delta, amp, rows, norms, prefix_norms: Default::default(), eps })
    }

    /// `|x~_{<m}|^2` per row, for `m` one of `gate_prefixes(dp)`.
    fn prefix_norms(&self, m: usize) -> &[i32] {
        if m == self.dp {
            return &self.norms;
        }
        let at = gate_prefixes(self.dp).iter().position(|&p| p == m).expect("m is a gate prefix");
        self.prefix_norms[at].get_or_init(|| self.rows.chunks_exact(self.dp).map(|x| x[..m].iter().map(|&t| t as i32 * t as i32).sum()).collect())
    }

    fn grid(&self) -> Grid<'_> {
        Grid::new(&self.center, self.delta, self.amp)
    }

    pub(crate) fn bytes(&self) -> usize {
        let prefixes: usize = self.prefix_norms.iter().filter_map(|p| p.get()).map(|p| p.capacity() * 4).sum();
        self.rows.capacity() * 2 + self.norms.capacity() * 4 + prefixes + self.center.capacity() * 8
    }
}

/// The integer grid: `x~ = t` stands for `c + delta t`.
struct Grid<'a> {
    center: &'a [f64],
    delta: f64,
    /// `1 / delta`, rounded: `t` need only be near `(x - c) / delta`, since `eps_x` is measured from the
    /// `t` chosen. (A multiply, wasm's native round-to-even, selects and four running sums instead of a
    /// divide, a rounding call, `clamp`/`max` and one chain, with the rows in blocks on the pool: the
    /// first search of 10^5 uniform rows at d = 32, which quantizes them, 46 -> 27 ms on one thread and
    /// 46 -> 17-21 ms on two; the second 3.3 ms either way.)
    inv: f64,
    amp: i32,
}

impl<'a> Grid<'a> {
    fn new(center: &'a [f64], delta: f64, amp: i32) -> Grid<'a> {
        Grid { center, delta, inv: 1.0 / delta, amp }
    }

    /// Writes `x~` into `out` (`dp` values, zero padding); returns `|x~|^2` and `eps_x`.
    fn quantize(&self, x: &[f32], out: &mut [i16]) -> (i32, f64) {
        let (amp, delta) = (self.amp as f64, self.delta);
        // Four coordinates at a time into four running sums each, so that no chain of dependent additions
        // sets the pace. `|t| <= A <= 2^15`, so every `t^2` and their sum (at most 2^29) are exact in f64.
        let (mut norm, mut err, mut far) = ([0f64; 4], [0f64; 4], [0f64; 4]);
        let mut one = |lane: usize, o: &mut i16, v: f32, c: f64| {
            let off = v as f64 - c;
            let r = (off * self.inv).round_ties_even();
            // Selects, not `clamp` and `max`: the data are finite (checked on input).
            let t = if r < -amp { -amp } else if r > amp { amp } else { r };
            *o = t as i16;
            norm[lane] += t * t;
            let e = off - delta * t;
            err[lane] += e * e;
            let a = off.abs();
            if a > far[lane] {
                far[lane] = a;
            }
        };
        let d = x.len();
        let whole = d - d % 4;
        for ((o, v), c) in out[..whole].chunks_exact_mut(4).zip(x[..whole].chunks_exact(4)).zip(self.center.chunks_exact(4)) {
            for lane in 0..4 {
                one(lane, &mut o[lane], v[lane], c[lane]);
            }
        }
        for (lane, ((o, &v), &c)) in out[whole..d].iter_mut().zip(&x[whole..]).zip(&self.center[whole..]).enumerate() {
            one(lane, o, v, c);
        }
        let norm = (norm[0] + norm[1]) + (norm[2] + norm[3]);
        let err = (err[0] + err[1]) + (err[2] + err[3]);
        let far = far.into_iter().fold(0.0, |m, a| if a > m { a } else { m });
        // Per coordinate, `off` and `delta t` are within 2^-52 relative of the reals and the subtraction adds
        // one rounding: |e_real - e| <= 2^-50 (|off| + amp delta); then the triangle inequality over d terms.
        let slack = (d as f64).sqrt() * f64::powi(2.0, -50) * (far + amp * delta) * 2.0;
        (norm as i32, (err.sqrt() + slack) * SLACK)
    }
}

/// One query's selection state.
struct Select {
    cands: Candidates<i32, i32>,
    keep: i32,
    /// `|q~|^2`.
    qq: i64,
    /// `|q~_{>=m}|^2` for the current prefix `m`: the gate on prefix keys is `keep + rest` (see
    /// [`answer`]).
    rest: i64,
    /// `2 (eps + eps_q) / delta`.
    eta: f64,
    k: usize,
    skip: usize,
    dropped: bool,
}

impl Select {
    fn offer(&mut self, key: i32, p: usize) {
        if p == self.skip || key > self.keep {
            return;
        }
        if self.cands.push(key, key, p, self.k) {
            self.tighten();
        }
        if !self.cands.compact(self.keep) {
            self.dropped = true;
            self.keep = i32::MIN;
        }
    }

    /// `keep = floor((sqrt(K + |q~|^2) + eta)^2) - |q~|^2`, rounded up in f64 (see the module docs).
    fn tighten(&mut self) {
        let kth = self.cands.kth() as i64;
        let r = ((kth + self.qq) as f64).sqrt() * SLACK + self.eta;
        let bound = (r * r * SLACK).floor() - self.qq as f64;
        self.keep = bound.min(i32::MAX as f64) as i32;
    }

    fn gate(&self) -> i32 {
        if self.keep == i32::MIN { i32::MIN } else { (self.keep as i64 + self.rest).min(i32::MAX as i64) as i32 }
    }
}

/// The prefixes the scan may gate on: all but the last quarter or eighth of the coordinates, or none
/// (`dp`); below 16 coordinates none. (Measured on uniform data in wasm, d = 32 and 128: the best single
/// gate was one of these, 5-10% faster at k = 1 and 2-3% at k = 10; earlier ones cost more than they
/// saved, and two gates in a row more than one.)
fn gate_prefixes(dp: usize) -> Vec<usize> {
    if dp < 16 { vec![dp] } else { vec![dp - (dp / 4).next_multiple_of(2), dp - (dp / 8).next_multiple_of(2), dp] }
}

/// A gate's own cost, in coordinates of the tile kernel: a tile costs `m + GATE_COST` when it stops at
/// gate `m`, `dp + GATE_COST` when it passes, and `dp` with no gate.
const GATE_COST: f64 = 2.0;
/// Blocks that try each gate (alternately, after the first block) before the cheapest is kept.
const TRIALS: usize = 2;

/// Answers `jobs` (query, stored row to exclude or `usize::MAX`) by a scan of the quantized rows
/// (`data` the f32 rows in stored order for the re-rank, `perm` their original indices), from the block
/// of row `start_row` on (near the queries, so their bounds tighten early), writing rows of `part` from
/// `first` on in job order. Returns the positions (in `jobs`) of queries it could not answer.
///
/// Each tile (`TILE` rows, 8 queries) first runs over the first `m` coordinates and stops there when no
/// pair passes its gate. As the prefix's squared distance on the grid never exceeds the full one, a row
/// of the exact top k has `key_m + |q~_{<m}|^2 <= key + |q~|^2 <= keep + |q~|^2`: the gate is
/// `keep + |q~_{>=m}|^2` on `key_m = |x~_{<m}|^2 - 2 x~_{<m}.q~_{<m}`, all exact integers.
#[allow(clippy::too_many_arguments)]
pub(crate) fn answer(
    quant: &Quantized,
    data: &[f32],
    perm: &[u32],
    k: usize,
    jobs: &[(&[f32], usize)],
    part: &mut Neighbors,
    first: usize,
    start_row: usize,
) -> Vec<usize> {
    let (d, dp, n) = (quant.d, quant.dp, perm.len());
    let panels = jobs.len().div_ceil(PANEL);
    // Panel p, coordinate pair t: lanes (2l, 2l + 1) hold q~ of query 8p + l at 2t, 2t + 1 (4 queries
    // per i16x8); zeros past the last query.
    let mut packed = vec![0i16; panels * dp * PANEL];
    // The same, query-major.
    let mut queries = vec![0i16; jobs.len() * dp];
    // Per lane: the gate on prefix keys and the threshold on full keys; MIN for the padding lanes.
    let mut gates = vec![i32::MIN; panels * PANEL];
    let mut keep = vec![i32::MIN; panels * PANEL];
    let mut sel: Vec<Select> = Vec::with_capacity(jobs.len());
    let grid = quant.grid();
    for (i, (&(query, skip), q)) in jobs.iter().zip(queries.chunks_exact_mut(dp)).enumerate() {
        let (norm, eps_q) = grid.quantize(query, q);
        let (p, l) = (i / PANEL, i % PANEL);
        for t in 0..dp / 2 {
            let at = (p * dp / 2 + t) * 2 * PANEL + 2 * l;
            packed[at..at + 2].copy_from_slice(&q[2 * t..2 * t + 2]);
        }
        (gates[i], keep[i]) = (i32::MAX, i32::MAX);
        sel.push(Select {
            cands: Candidates::new(k),
            keep: i32::MAX,
            qq: norm as i64,
            rest: 0,
            eta: 2.0 * (quant.eps + eps_q) / quant.delta * SLACK,
            k,
            skip,
            dropped: false,
        });
    }
    let arms = gate_prefixes(dp);
    let set_prefix = |m: usize, sel: &mut [Select], gates: &mut [i32]| {
        for (i, (s, q)) in sel.iter_mut().zip(queries.chunks_exact(dp)).enumerate() {
            s.rest = q[m..].iter().map(|&v| v as i64 * v as i64).sum();
            gates[i] = s.gate();
        }
    };
    // The first block runs on the last gate (its bounds come from its own rows, so it is not judged),
    // then each gate in turn for `TRIALS` blocks each, then the one of least measured cost per tile.
    let gated = arms.len() - 1;
    let mut cost = vec![0f64; arms.len()];
    cost[gated] = dp as f64 * TRIALS as f64;
    let mut arm = gated.saturating_sub(1);
    let mut m = arms[arm];
    set_prefix(m, &mut sel, &mut gates);
    let rows_per_block = (BLOCK_BYTES / (2 * dp)).next_multiple_of(TILE).max(TILE);
    let blocks = n.div_ceil(rows_per_block);
    let first_block = start_row.min(n - 1) / rows_per_block;
    for b in 0..blocks {
        let start = (first_block + b) % blocks * rows_per_block;
        let end = (start + rows_per_block).min(n);
        let trial = (1..=gated * TRIALS).contains(&b);
        let next = if trial {
            (b - 1) % gated
        } else if b == gated * TRIALS + 1 {
            (0..arms.len()).min_by(|&a, &c| cost[a].total_cmp(&cost[c])).expect("one arm at least")
        } else {
            arm
        };
        if next != arm {
            (arm, m) = (next, arms[next]);
            set_prefix(m, &mut sel, &mut gates);
        }
        let scan = Scan { quant, m, prefix_norms: quant.prefix_norms(m), passed: std::cell::Cell::new(0) };
        for p in 0..panels {
            let panel = &packed[p * dp * PANEL..][..dp * PANEL];
            let mut r = start;
            while r + TILE <= end {
                scan.tile::<TILE>(r, panel, p, &mut gates, &mut keep, &mut sel);
                r += TILE;
            }
            while r < end {
                scan.tile::<1>(r, panel, p, &mut gates, &mut keep, &mut sel);
                r += 1;
            }
        }
        if trial {
            let tiles = (panels * (end - start).div_ceil(TILE)) as f64;
            cost[arm] += m as f64 + GATE_COST + scan.passed.get() as f64 / tiles * (dp - m) as f64;
        }
    }
    let mut rejected = Vec::new();
    let mut exact: Vec<(f64, u32)> = Vec::new();
    for (i, (s, &(q, _))) in sel.iter().zip(jobs).enumerate() {
        if s.dropped {
            rejected.push(i);
            continue;
        }
        exact.clear();
        exact.extend(s.cands.within(s.keep).map(|p| (sq_dist_f64(q, &data[p * d..][..d]), perm[p])));
        let row = first + i;
        top_k(&mut exact, k, &mut part.indices[row * k..][..k], &mut part.squared_distances[row * k..][..k]);
    }
    rejected
}

/// What the tiles of one block share.
struct Scan<'a> {
    quant: &'a Quantized,
    /// Prefix length of the gate.
    m: usize,
    /// `|x~_{<m}|^2` of every row.
    prefix_norms: &'a [i32],
    /// Tiles that passed the gate.
    passed: std::cell::Cell<usize>,
}

impl Scan<'_> {
    /// Rows `r..r + R` against panel `p`: the keys of `R x 8` pairs, each one at or below its query's
    /// threshold offered to it. The tile stops after the prefix when no pair passes its gate.
    #[inline(always)]
    fn tile<const R: usize>(&self, r: usize, panel: &[i16], p: usize, gates: &mut [i32], keep: &mut [i32], sel: &mut [Select]) {
        let quant = self.quant;
        let dp = quant.dp;
        let rows = &quant.rows[r * dp..(r + R) * dp];
        let prefix = &self.prefix_norms[r..r + R];
        let (g, kp) = (&gates[p * PANEL..][..PANEL], &keep[p * PANEL..][..PANEL]);
        let (found, passed) = lanes::keys::<R>(rows, dp, panel, self.m, prefix, g, &quant.norms[r..r + R], kp);
        self.passed.set(self.passed.get() + passed as usize);
        let Some((keys, mut mask)) = found else {
            return;
        };
        while mask != 0 {
            let bit = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let (t, l) = (bit / PANEL, bit % PANEL);
            let i = p * PANEL + l;
            if keys[t][l] <= keep[i] {
                sel[i].offer(keys[t][l], r + t);
                (keep[i], gates[i]) = (sel[i].keep, sel[i].gate());
            }
        }
    }
}

/// A tile's keys (row-major `[R, 8]`) and the mask of those to offer, if any.
type Found<const R: usize> = Option<([[i32; 8]; R], u64)>;

/// The micro-kernel: the keys `|x~|^2 - 2 x~.q~` of `R` rows and 8 queries (`panel`), and the mask
/// (bit `8t + l`) of those at or below `keep[l]`; `None` when none is, or already when after the first
/// `m` coordinates no prefix key `prefix[t] - 2 x~_{<m}.q~_{<m}` is at or below its gate. Every value
/// stays within i32: `|x~.q~| <= dp A^2 <= 2^29`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) fn keys<const R: usize>(
        rows: &[i16],
        dp: usize,
        panel: &[i16],
        m: usize,
        prefix: &[i32],
        gates: &[i32],
        norms: &[i32],
        keep: &[i32],
    ) -> (super::Found<R>, bool) {
        assert!(rows.len() == R * dp && panel.len() == 8 * dp && m % 2 == 0 && m <= dp && dp % 2 == 0);
        assert!(prefix.len() == R && norms.len() == R && gates.len() == 8 && keep.len() == 8);
        let mut acc = [[i32x4_splat(0); 2]; R];
        let (x, b) = (rows.as_ptr(), panel.as_ptr());
        let run = |acc: &mut [[v128; 2]; R], from: usize, to: usize| {
            for t in from..to {
                // SAFETY: 2t + 2 <= dp and r < R: inside `rows`; 16t + 16 <= 8 dp: inside `panel`
                // (asserted above); unaligned loads are fine.
                unsafe {
                    let (b0, b1) = (v128_load(b.add(16 * t).cast()), v128_load(b.add(16 * t + 8).cast()));
                    for (r, a) in acc.iter_mut().enumerate() {
                        let v = v128_load32_splat(x.add(r * dp + 2 * t).cast());
                        a[0] = i32x4_add(a[0], i32x4_dot_i16x8(v, b0));
                        a[1] = i32x4_add(a[1], i32x4_dot_i16x8(v, b1));
                    }
                }
            }
        };
        // Bit `8t + l` of the pairs whose key (from `norms`) is at or below `th`.
        let passing = |acc: &[[v128; 2]; R], norms: &[i32], th: &[i32]| {
            // SAFETY: `th` holds 8 values.
            let (t0, t1) = unsafe { (v128_load(th.as_ptr().cast()), v128_load(th.as_ptr().add(4).cast())) };
            let mut mask = 0u64;
            for (r, (a, &n)) in acc.iter().zip(norms).enumerate() {
                let v = i32x4_splat(n);
                let lo = i32x4_bitmask(i32x4_le(i32x4_sub(v, i32x4_shl(a[0], 1)), t0)) as u64;
                let hi = i32x4_bitmask(i32x4_le(i32x4_sub(v, i32x4_shl(a[1], 1)), t1)) as u64;
                mask |= (lo | hi << 4) << (8 * r);
            }
            mask
        };
        run(&mut acc, 0, m / 2);
        if m < dp {
            if passing(&acc, prefix, gates) == 0 {
                return (None, false);
            }
            run(&mut acc, m / 2, dp / 2);
        }
        let mask = passing(&acc, norms, keep);
        if mask == 0 {
            return (None, m < dp);
        }
        let mut out = [[0i32; 8]; R];
        for ((o, a), &n) in out.iter_mut().zip(&acc).zip(norms) {
            let v = i32x4_splat(n);
            // SAFETY: 8 i32.
            unsafe {
                v128_store(o.as_mut_ptr().cast(), i32x4_sub(v, i32x4_shl(a[0], 1)));
                v128_store(o.as_mut_ptr().add(4).cast(), i32x4_sub(v, i32x4_shl(a[1], 1)));
            }
        }
        (Some((out, mask)), m < dp)
    }
}

/// The same kernel on scalars (natively, for the tests); integer sums are exact in any order.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) fn keys<const R: usize>(
        rows: &[i16],
        dp: usize,
        panel: &[i16],
        m: usize,
        prefix: &[i32],
        gates: &[i32],
        norms: &[i32],
        keep: &[i32],
    ) -> (super::Found<R>, bool) {
        let mut acc = [[0i32; 8]; R];
        let run = |acc: &mut [[i32; 8]; R], from: usize, to: usize| {
            for (t, b) in panel.chunks_exact(16).enumerate().take(to).skip(from) {
                for (r, a) in acc.iter_mut().enumerate() {
                    let (x0, x1) = (rows[r * dp + 2 * t] as i32, rows[r * dp + 2 * t + 1] as i32);
                    for (l, a) in a.iter_mut().enumerate() {
                        *a += x0 * b[2 * l] as i32 + x1 * b[2 * l + 1] as i32;
                    }
                }
            }
        };
        let passing = |acc: &[[i32; 8]; R], norms: &[i32], th: &[i32]| {
            let mut mask = 0u64;
            for (r, (a, &n)) in acc.iter().zip(norms).enumerate() {
                for (l, (&a, &t)) in a.iter().zip(th).enumerate() {
                    if n - 2 * a <= t {
                        mask |= 1u64 << (8 * r + l);
                    }
                }
            }
            mask
        };
        run(&mut acc, 0, m / 2);
        if m < dp {
            if passing(&acc, prefix, gates) == 0 {
                return (None, false);
            }
            run(&mut acc, m / 2, dp / 2);
        }
        let mask = passing(&acc, norms, keep);
        for (a, &n) in acc.iter_mut().zip(norms) {
            a.iter_mut().for_each(|a| *a = n - 2 * *a);
        }
        ((mask != 0).then_some((acc, mask)), m < dp)
    }
}

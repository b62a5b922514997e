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
    /// The rows again on a coarse grid, two to an i16 (see [`Coarse`]), where `dp` allows it.
    coarse: Option<Coarse>,
}

/// The rows again on a coarse grid (`2 amp + 1` steps per coordinate, `amp <= 7`), rows `2j` and
/// `2j + 1` packed in one i16 as `t + FIELD t'`: one `i32x4.dot_i16x8_s` then multiplies 16 pairs of
/// coordinates instead of 8. Against a panel of `-q~`, started from `base`, a tile's accumulator holds
/// `F + FIELD F'` exactly in i32, with `F = h - x~.q~ - offset` for the first row (`h = floor(|x~|^2 / 2)`)
/// and `F'` the same for the second, both in `[-FIELD / 2, FIELD / 2)` (see [`coarse_amp`]). A pair
/// passes when `F <= G`, `G = floor(g / 2) - offset` for the query's coarse gate `g` on keys
/// `|x~|^2 - 2 x~.q~` (which `2h - 2 x~.q~` never exceeds): `F <= G` is `F << 20 <= G << 20` for the
/// first row and `F' <= G` is `acc <= FIELD G + FIELD / 2 - 1` for the second, one comparison each.
/// The grid's bound is loose (`eps` about a fifth of a step times `sqrt(d)`), so it only filters: a
/// pair it lets through gets its key on the fine grid, a pair it stops is provably not in the top k
/// (see [`Select::tighten`]).
#[derive(Clone, Debug)]
struct Coarse {
    delta: f64,
    amp: i32,
    offset: i32,
    /// Row-major `[n / 2, dp]`: the packed rows (an odd last row is left to the fine grid).
    pairs: Vec<i16>,
    /// Per pair, `h - offset + FIELD (h' - offset)`.
    base: Vec<i32>,
    /// The largest `eps_x` on this grid.
    eps: f64,
}

const FIELD_BITS: u32 = 12;
const FIELD: i32 = 1 << FIELD_BITS;

/// The coarse grid's `amp` and `offset` for `dp` coordinates, if one of at least 13 steps fits: `F`
/// lies in `[-dp amp^2 / 2, 2 dp amp^2] - offset` (`|x~ - q~|^2 <= dp (2 amp)^2`, `|q~|^2 <= dp amp^2`),
/// which must fit the field; `amp <= 7` keeps `t + FIELD t'` within i16.
fn coarse_amp(dp: usize) -> Option<(i32, i32)> {
    let fits = |amp: i32| {
        let sq = dp as i64 * (amp * amp) as i64;
        let offset = 3 * sq / 4;
        let (lo, hi) = (-sq / 2 - offset, 2 * sq - offset);
        (lo >= -(FIELD as i64) / 2 && hi < FIELD as i64 / 2).then_some((amp, offset as i32))
    };
    (6..=7).rev().find_map(fits)
}

/// The largest value `block` returns over blocks of 2048 units, on the pool where there is one (a
/// maximum is the same in any order): a unit is `width` floats of `data` in, `out_width` i16 of `out` and
/// one i32 of `per_unit` out.
fn largest_over_blocks(
    (data, width): (&[f32], usize),
    (out, out_width): (&mut [i16], usize),
    per_unit: &mut [i32],
    block: impl Fn(&[f32], &mut [i16], &mut [i32]) -> f64 + Sync + Send,
) -> f64 {
    const UNITS: usize = 2048;
    let run = |(x, (out, per)): (&[f32], (&mut [i16], &mut [i32]))| block(x, out, per);
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        data.par_chunks(UNITS * width).zip(out.par_chunks_mut(UNITS * out_width).zip(per_unit.par_chunks_mut(UNITS))).map(run).reduce(|| 0.0, f64::max)
    }
    #[cfg(not(feature = "threads"))]
    data.chunks(UNITS * width).zip(out.chunks_mut(UNITS * out_width).zip(per_unit.chunks_mut(UNITS))).map(run).fold(0.0, f64::max)
}

/// Writes rows `a`, `b` (coarse grid integers, with `|a|^2`, `|b|^2`) packed into `out`; returns their
/// `base`.
fn pack_pair((a, na): (&[i16], i32), (b, nb): (&[i16], i32), offset: i32, out: &mut [i16]) -> i32 {
    for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
        *o = a + (FIELD as i16) * b;
    }
    (na / 2 - offset) + FIELD * (nb / 2 - offset)
}

impl Coarse {
    /// Quantizes the data itself (not the fine grid's integers), so that `eps` is measured from the data.
    fn new(data: &[f32], d: usize, dp: usize, center: &[f64], half: f64) -> Option<Coarse> {
        let (amp, offset) = coarse_amp(dp)?;
        let delta = half / amp as f64 * (1.0 + 1e-9);
        let grid = Grid::new(center, delta, amp);
        let n2 = data.len() / d / 2;
        let (mut pairs, mut base) = (vec![0i16; n2 * dp], vec![0i32; n2]);
        let eps = largest_over_blocks((&data[..n2 * 2 * d], 2 * d), (&mut pairs, dp), &mut base, |x, out, base| {
            let (mut eps, mut a, mut b) = (0f64, vec![0i16; dp], vec![0i16; dp]);
            for ((x, out), base) in x.chunks_exact(2 * d).zip(out.chunks_exact_mut(dp)).zip(base) {
                let ((na, ea), (nb, eb)) = (grid.quantize(&x[..d], &mut a), grid.quantize(&x[d..], &mut b));
                eps = eps.max(ea).max(eb);
                *base = pack_pair((&a, na), (&b, nb), offset, out);
            }
            eps
        });
        Some(Coarse { delta, amp, offset, pairs, base, eps })
    }

    /// The rows the packed pairs cover.
    fn rows(&self) -> usize {
        2 * self.base.len()
    }

    /// A query lane's two thresholds (first row, second row) for the coarse gate `g` (see above).
    fn thresholds(&self, g: i32) -> (i32, i32) {
        let t = ((g >> 1) as i64 - self.offset as i64).clamp(-(FIELD as i64) / 2, FIELD as i64 / 2 - 1) as i32;
        (t << (32 - FIELD_BITS), t * FIELD + FIELD / 2 - 1)
    }
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
        let eps = largest_over_blocks((data, d), (&mut rows, dp), &mut norms, |x, out, norms| {
            let mut eps = 0f64;
            for ((x, out), norm) in x.chunks_exact(d).zip(out.chunks_exact_mut(dp)).zip(norms) {
                let e;
                (*norm, e) = grid.quantize(x, out);
                eps = eps.max(e);
            }
            eps
        });
        let coarse = if data.len() >= 2 * d { Coarse::new(data, d, dp, &center, half) } else { None };
        Some(Quantized { d, dp, center, delta, amp, rows, norms, prefix_norms: Default::default(), eps, coarse })
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
        let coarse = self.coarse.as_ref().map_or(0, |c| c.pairs.capacity() * 2 + c.base.capacity() * 4);
        self.rows.capacity() * 2 + self.norms.capacity() * 4 + prefixes + self.center.capacity() * 8 + coarse
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
        // Adding 1.5 2^52 rounds a value below 2^51 in magnitude to an integer, ties to even, which the
        // low bits of the sum then hold in two's complement: no rounding instruction and no checked
        // conversion to an integer (which wasm's `as` needs, and V8 spends several instructions on).
        const ROUND: f64 = 6_755_399_441_055_744.0;
        let mut one = |lane: usize, o: &mut i16, v: f32, c: f64| {
            let off = v as f64 - c;
            let y = off * self.inv;
            // Clamped first (rounding commutes with clamping to integers). Selects, not `clamp`: the data
            // are finite (checked on input).
            let y = if y < -amp { -amp } else if y > amp { amp } else { y };
            let sum = y + ROUND;
            let t = sum - ROUND;
            *o = sum.to_bits() as i16;
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
    /// `delta`, `eps + eps_q`.
    fine: (f64, f64),
    /// The gate on coarse keys `|x~|^2 - 2 x~.q~` (coarse grid): MAX until k rows are seen, MIN once
    /// dropped. Unused without a coarse grid.
    gate4: i32,
    /// `|q~|^2` on the coarse grid.
    qq4: i64,
    /// `delta`, `eps + eps_q` on the coarse grid, where there is one.
    coarse: Option<(f64, f64)>,
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
            (self.keep, self.gate4) = (i32::MIN, i32::MIN);
        }
    }

    /// `keep = floor((sqrt(K + |q~|^2) + eta)^2) - |q~|^2` with `eta = 2 (eps + eps_q) / delta`, rounded
    /// up in f64 (see the module docs).
    /// The k-th exact distance is at most `U = delta sqrt(K + |q~|^2) + eps + eps_q`, and a row within
    /// `U` is within `U + eps' + eps_q'` of the query on the coarse grid (primes for that grid): hence
    /// `gate4`, the same rule there, `floor(((U + eps' + eps_q') / delta')^2) - |q~'|^2` rounded up.
    fn tighten(&mut self) {
        let kth = self.cands.kth() as i64;
        let root = ((kth + self.qq) as f64).sqrt() * SLACK;
        let (delta, margin) = self.fine;
        let r = root + 2.0 * margin / delta * SLACK;
        let bound = (r * r * SLACK).floor() - self.qq as f64;
        self.keep = bound.min(i32::MAX as f64) as i32;
        if let Some((delta4, margin4)) = self.coarse {
            let u = (delta * root * SLACK + margin) * SLACK;
            let r4 = (u + margin4) / delta4 * SLACK * SLACK;
            self.gate4 = ((r4 * r4 * SLACK).floor() - self.qq4 as f64).min(i32::MAX as f64) as i32;
        }
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
/// Blocks that try each arm (after the first block, which is not judged: its bounds come from its own
/// rows) before the cheapest is kept.
const TRIALS: usize = 2;

/// The scan's choice of arm, block by block, by cost per tile in coordinates of the tile kernel: the
/// coarse filter first where there is one, then the gates in turn, `TRIALS` blocks each, leaving out an
/// arm that cannot beat the cheapest measured so far (a gate at `m` costs at least `m + GATE_COST`);
/// then the arm of least measured cost. No gate costs `dp`, known without trying.
struct Choice {
    /// Per arm: its least possible cost, measured cost summed, blocks measured.
    floor: Vec<f64>,
    spent: Vec<(f64, usize)>,
    /// Trials to come, in order.
    queue: std::collections::VecDeque<usize>,
    first: usize,
}

impl Choice {
    fn new(arms: &[usize], filter: Option<usize>) -> Choice {
        let gated = arms.len() - 1;
        let mut floor: Vec<f64> = arms.iter().map(|&m| m as f64 + GATE_COST).collect();
        floor[gated] = arms[gated] as f64;
        let mut spent = vec![(0.0, 0); arms.len()];
        spent[gated] = (arms[gated] as f64, 1);
        if filter.is_some() {
            floor.push(0.0);
            spent.push((0.0, 0));
        }
        let mut queue: std::collections::VecDeque<usize> = filter.into_iter().flat_map(|f| [f; TRIALS]).collect();
        for _ in 0..TRIALS {
            queue.extend(0..gated);
        }
        Choice { floor, spent, queue, first: filter.unwrap_or(gated.saturating_sub(1)) }
    }

    fn first(&self) -> usize {
        self.first
    }

    fn mean(&self, arm: usize) -> f64 {
        let (sum, blocks) = self.spent[arm];
        if blocks == 0 { f64::INFINITY } else { sum / blocks as f64 }
    }

    /// The least measured mean cost and its arm.
    fn best(&self) -> usize {
        (0..self.spent.len()).min_by(|&a, &c| self.mean(a).total_cmp(&self.mean(c))).expect("one arm at least")
    }

    /// The next arm to try, if any is left that could win.
    fn trial(&mut self) -> Option<usize> {
        let best = self.mean(self.best());
        while let Some(arm) = self.queue.pop_front() {
            if self.floor[arm] < best {
                return Some(arm);
            }
        }
        None
    }

    fn measured(&mut self, arm: usize, cost: f64) {
        let (sum, blocks) = self.spent[arm];
        self.spent[arm] = (sum + cost, blocks + 1);
    }
}

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
    // The same on the coarse grid, where there is one.
    let coarse = quant.coarse.as_ref();
    let grid4 = coarse.map(|c| Grid::new(&quant.center, c.delta, c.amp));
    // Panels of `-q~` on the coarse grid; per lane the two thresholds of its gate (none passes the
    // padding lanes').
    let mut packed4 = vec![0i16; if coarse.is_some() { panels * dp * PANEL } else { 0 }];
    let none = coarse.map_or((0, 0), |c| c.thresholds(i32::MIN));
    let (mut low4, mut high4) = (vec![none.0; panels * PANEL], vec![none.1; panels * PANEL]);
    let mut q4 = vec![0i16; dp];
    let pack = |packed: &mut [i16], i: usize, q: &[i16]| {
        let (p, l) = (i / PANEL, i % PANEL);
        for t in 0..dp / 2 {
            let at = (p * dp / 2 + t) * 2 * PANEL + 2 * l;
            packed[at..at + 2].copy_from_slice(&q[2 * t..2 * t + 2]);
        }
    };
    for (i, (&(query, skip), q)) in jobs.iter().zip(queries.chunks_exact_mut(dp)).enumerate() {
        let (norm, eps_q) = grid.quantize(query, q);
        pack(&mut packed, i, q);
        (gates[i], keep[i]) = (i32::MAX, i32::MAX);
        let (mut qq4, mut on4) = (0, None);
        if let (Some(c), Some(grid4)) = (coarse, &grid4) {
            let (norm4, eps_q4) = grid4.quantize(query, &mut q4);
            q4.iter_mut().for_each(|v| *v = -*v);
            pack(&mut packed4, i, &q4);
            (low4[i], high4[i]) = c.thresholds(i32::MAX);
            (qq4, on4) = (norm4 as i64, Some((c.delta, c.eps + eps_q4)));
        }
        sel.push(Select {
            cands: Candidates::new(k),
            keep: i32::MAX,
            qq: norm as i64,
            rest: 0,
            fine: (quant.delta, quant.eps + eps_q),
            gate4: i32::MAX,
            qq4,
            coarse: on4,
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
    // Arms: each gate prefix, no gate (the last), and the coarse grid's filter where there is one.
    let filter = coarse.map(|_| arms.len());
    let prefix = |arm: usize| if Some(arm) == filter { dp } else { arms[arm] };
    let mut choice = Choice::new(&arms, filter);
    let mut arm = choice.first();
    let mut m = prefix(arm);
    set_prefix(m, &mut sel, &mut gates);
    // Blocks start on a pair of tiles (the coarse grid's rows come in pairs).
    let rows_per_block = (BLOCK_BYTES / (2 * dp)).next_multiple_of(2 * TILE).max(2 * TILE);
    let blocks = n.div_ceil(rows_per_block);
    let first_block = start_row.min(n - 1) / rows_per_block;
    let lanes = |p: usize| p * PANEL..(p + 1) * PANEL;
    for b in 0..blocks {
        let start = (first_block + b) % blocks * rows_per_block;
        let end = (start + rows_per_block).min(n);
        let trial = if b == 0 { None } else { choice.trial() };
        let next = if b == 0 { arm } else { trial.unwrap_or_else(|| choice.best()) };
        if next != arm {
            (arm, m) = (next, prefix(next));
            set_prefix(m, &mut sel, &mut gates);
        }
        let scan = Scan { quant, m, prefix_norms: quant.prefix_norms(m), passed: Default::default(), spent: Default::default() };
        let filtered = Some(arm) == filter;
        if filtered {
            // The pairs the filter lets through read their fine rows at random: bring the block's into the
            // cache in one sequential pass first (a load per cache line).
            let lines = quant.rows[start * dp..end * dp].iter().step_by(32).fold(0, |a, &v| a ^ v);
            std::hint::black_box(lines);
        }
        for p in 0..panels {
            let (panel, mut r) = (&packed[p * dp * PANEL..][..dp * PANEL], start);
            let queried = p * PANEL..((p + 1) * PANEL).min(jobs.len());
            let mut at = Lanes {
                gates: &mut gates[lanes(p)],
                keep: &mut keep[lanes(p)],
                low4: &mut low4[lanes(p)],
                high4: &mut high4[lanes(p)],
                coarse,
                sel: &mut sel[queried.clone()],
                queries: &queries[queried.start * dp..queried.end * dp],
            };
            if let (true, Some(c)) = (filtered, coarse) {
                let panel4 = &packed4[p * dp * PANEL..][..dp * PANEL];
                while r + 2 * TILE <= end.min(c.rows()) {
                    scan.coarse_tile(c, r, panel4, panel, &mut at);
                    r += 2 * TILE;
                }
            }
            while r + TILE <= end {
                scan.tile::<TILE>(r, panel, &mut at);
                r += TILE;
            }
            while r < end {
                scan.tile::<1>(r, panel, &mut at);
                r += 1;
            }
        }
        if trial.is_some() {
            let tiles = (panels * (end - start).div_ceil(TILE)) as f64;
            let passed = scan.passed.get() as f64;
            choice.measured(arm, if filtered {
                (dp as f64 + COARSE_TILE_COST) / 2.0 + scan.spent.get() / tiles
            } else {
                m as f64 + GATE_COST + passed / tiles * (dp - m) as f64
            });
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

/// A coarse tile (`2 TILE` rows, 8 queries) costs about what a fine one does over `dp` coordinates, plus
/// this many for taking its fields apart; each pair it lets through costs about this many more (its fine
/// key alone). In coordinates of the fine tile, like [`GATE_COST`].
const COARSE_TILE_COST: f64 = 4.0;
const COARSE_PASS_COST: f64 = 4.0;

/// What the tiles of one block share.
struct Scan<'a> {
    quant: &'a Quantized,
    /// Prefix length of the gate.
    m: usize,
    /// `|x~_{<m}|^2` of every row.
    prefix_norms: &'a [i32],
    /// Tiles that passed the gate.
    passed: std::cell::Cell<usize>,
    /// What the fine keys of pairs the coarse filter let through cost, in coordinates of the fine tile.
    spent: std::cell::Cell<f64>,
}

/// One panel's 8 lanes: their thresholds and the queries behind them (fewer in the last panel, whose
/// padding lanes let nothing through).
struct Lanes<'a> {
    gates: &'a mut [i32],
    keep: &'a mut [i32],
    /// The coarse gate's thresholds (see [`Coarse`]).
    low4: &'a mut [i32],
    high4: &'a mut [i32],
    coarse: Option<&'a Coarse>,
    sel: &'a mut [Select],
    /// Their queries on the fine grid, query-major.
    queries: &'a [i16],
}

impl Lanes<'_> {
    /// Offers stored row `r` with fine key `key` to lane `l`'s query and takes its new thresholds.
    fn offer(&mut self, l: usize, key: i32, r: usize) {
        if key <= self.keep[l] {
            let s = &mut self.sel[l];
            s.offer(key, r);
            (self.keep[l], self.gates[l]) = (s.keep, s.gate());
            if let Some(c) = self.coarse {
                (self.low4[l], self.high4[l]) = c.thresholds(s.gate4);
            }
        }
    }
}

impl Scan<'_> {
    /// Rows `r..r + R` against a panel: the keys of `R x 8` pairs, each one at or below its query's
    /// threshold offered to it. The tile stops after the prefix when no pair passes its gate.
    #[inline(always)]
    fn tile<const R: usize>(&self, r: usize, panel: &[i16], at: &mut Lanes) {
        let quant = self.quant;
        let dp = quant.dp;
        let rows = &quant.rows[r * dp..(r + R) * dp];
        let prefix = &self.prefix_norms[r..r + R];
        let (found, passed) = lanes::keys::<R>(rows, dp, panel, self.m, prefix, at.gates, &quant.norms[r..r + R], at.keep);
        self.passed.set(self.passed.get() + passed as usize);
        let Some((keys, mut mask)) = found else {
            return;
        };
        while mask != 0 {
            let bit = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let (t, l) = (bit / PANEL, bit % PANEL);
            at.offer(l, keys[t][l], r + t);
        }
    }

    /// Rows `r..r + 2 TILE` (`r` even) against a panel on the coarse grid (`panel4`; `panel` on the fine
    /// one); each pair within its coarse gate gets its fine key, which is offered like the fine tiles'
    /// keys, one by one, or by the fine tile when many pairs of its rows passed (the filter does not
    /// suit the data, or not yet: bounds are loose in the first rows). Adds the fine keys' cost to `spent`.
    #[inline(always)]
    fn coarse_tile(&self, c: &Coarse, r: usize, panel4: &[i16], panel: &[i16], at: &mut Lanes) {
        let quant = self.quant;
        let dp = quant.dp;
        let pairs = &c.pairs[r / 2 * dp..(r / 2 + TILE) * dp];
        let mask = lanes::coarse::<TILE>(pairs, dp, panel4, &c.base[r / 2..r / 2 + TILE], at.low4, at.high4);
        if mask == 0 {
            return;
        }
        for (half, first) in [r, r + TILE].into_iter().enumerate() {
            let mut bits = mask >> (TILE * PANEL * half) & ((1 << (TILE * PANEL)) - 1);
            let one_by_one = bits.count_ones() as f64 * COARSE_PASS_COST;
            if one_by_one > dp as f64 {
                self.spent.set(self.spent.get() + dp as f64);
                self.tile::<TILE>(first, panel, at);
                continue;
            }
            self.spent.set(self.spent.get() + one_by_one);
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let (row, l) = (first + bit / PANEL, bit % PANEL);
                let q = &at.queries[l * dp..][..dp];
                let key = quant.norms[row] - 2 * lanes::dot(&quant.rows[row * dp..][..dp], q);
                at.offer(l, key, row);
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

    /// The register tile's inner loop: for each coordinate pair `t` in `pairs`, `R` rows (`dp` i16 each)
    /// against the panel's 8 queries (16 i16 per pair), into the accumulators (queries 0-3 and 4-7).
    #[inline(always)]
    fn steps<const R: usize>(acc: &mut [[v128; 2]; R], rows: &[i16], dp: usize, panel: &[i16], pairs: core::ops::Range<usize>) {
        assert!(rows.len() == R * dp && panel.len() == 8 * dp && 2 * pairs.end <= dp);
        let (x, b) = (rows.as_ptr(), panel.as_ptr());
        for t in pairs {
            // SAFETY: 2t + 2 <= dp and r < R: inside `rows`; 16t + 16 <= 8 dp: inside `panel` (asserted
            // above); unaligned loads are fine.
            unsafe {
                let (b0, b1) = (v128_load(b.add(16 * t).cast()), v128_load(b.add(16 * t + 8).cast()));
                for (r, a) in acc.iter_mut().enumerate() {
                    let v = v128_load32_splat(x.add(r * dp + 2 * t).cast());
                    a[0] = i32x4_add(a[0], i32x4_dot_i16x8(v, b0));
                    a[1] = i32x4_add(a[1], i32x4_dot_i16x8(v, b1));
                }
            }
        }
    }

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
        let run = |acc: &mut [[v128; 2]; R], from: usize, to: usize| steps(acc, rows, dp, panel, from..to);
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

    /// The coarse micro-kernel: `P` packed row pairs (rows `2j`, `2j + 1`) against 8 queries (a panel of
    /// `-q~`), from `base`; the mask (bit `8 row + l`) of the pairs within lane `l`'s thresholds `low`
    /// (first rows), `high` (second rows). See [`super::Coarse`].
    #[inline(always)]
    pub(super) fn coarse<const P: usize>(pairs: &[i16], dp: usize, panel: &[i16], base: &[i32], low: &[i32], high: &[i32]) -> u64 {
        use super::FIELD_BITS;
        assert!(pairs.len() == P * dp && panel.len() == 8 * dp && base.len() == P && low.len() == 8 && high.len() == 8);
        assert!(dp % 2 == 0);
        let mut acc = [[i32x4_splat(0); 2]; P];
        for (a, &b) in acc.iter_mut().zip(base) {
            *a = [i32x4_splat(b); 2];
        }
        steps(&mut acc, pairs, dp, panel, 0..dp / 2);
        // SAFETY: `low` and `high` hold 8 values.
        let (lo, hi) = unsafe {
            let (l, h) = (low.as_ptr(), high.as_ptr());
            ([v128_load(l.cast()), v128_load(l.add(4).cast())], [v128_load(h.cast()), v128_load(h.add(4).cast())])
        };
        // Whether any pair passes: the least of the tile's values per lane against the thresholds.
        let mut none = i32x4_splat(-1);
        for h in 0..2 {
            let (mut first, mut second) = (i32x4_shl(acc[0][h], 32 - FIELD_BITS), acc[0][h]);
            for a in &acc[1..] {
                first = i32x4_min(first, i32x4_shl(a[h], 32 - FIELD_BITS));
                second = i32x4_min(second, a[h]);
            }
            none = v128_and(none, v128_and(i32x4_gt(first, lo[h]), i32x4_gt(second, hi[h])));
        }
        if i32x4_all_true(none) {
            return 0;
        }
        // Bits of the pairs that fail, then flipped.
        let mut fail = 0u64;
        for (j, a) in acc.iter().enumerate() {
            for h in 0..2 {
                let first = i32x4_bitmask(i32x4_gt(i32x4_shl(a[h], 32 - FIELD_BITS), lo[h])) as u64;
                let second = i32x4_bitmask(i32x4_gt(a[h], hi[h])) as u64;
                fail |= (first | second << 8) << (16 * j + 4 * h);
            }
        }
        !fail & (u64::MAX >> (64 - 16 * P))
    }

    /// `x.q` of one row and one query (`dp` values each).
    #[inline(always)]
    pub(super) fn dot(x: &[i16], q: &[i16]) -> i32 {
        assert!(x.len() == q.len());
        let whole = x.len() / 8 * 8;
        let mut acc = i32x4_splat(0);
        for c in (0..whole).step_by(8) {
            // SAFETY: c + 8 <= len of both.
            unsafe {
                acc = i32x4_add(acc, i32x4_dot_i16x8(v128_load(x.as_ptr().add(c).cast()), v128_load(q.as_ptr().add(c).cast())));
            }
        }
        let tail: i32 = x[whole..].iter().zip(&q[whole..]).map(|(&a, &b)| a as i32 * b as i32).sum();
        (i32x4_extract_lane::<0>(acc) + i32x4_extract_lane::<1>(acc)) + (i32x4_extract_lane::<2>(acc) + i32x4_extract_lane::<3>(acc)) + tail
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
    /// The coarse kernel with the same packed arithmetic.
    pub(super) fn coarse<const P: usize>(pairs: &[i16], dp: usize, panel: &[i16], base: &[i32], low: &[i32], high: &[i32]) -> u64 {
        use super::FIELD_BITS;
        let mut mask = 0u64;
        for j in 0..P {
            for l in 0..8 {
                let a: i32 = base[j] + (0..dp).map(|c| pairs[j * dp + c] as i32 * panel[c / 2 * 16 + 2 * l + c % 2] as i32).sum::<i32>();
                if a << (32 - FIELD_BITS) <= low[l] {
                    mask |= 1 << (16 * j + l);
                }
                if a <= high[l] {
                    mask |= 1 << (16 * j + 8 + l);
                }
            }
        }
        mask
    }

    pub(super) fn dot(x: &[i16], q: &[i16]) -> i32 {
        x.iter().zip(q).map(|(&a, &b)| a as i32 * b as i32).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use percolab_random::{stream, Purpose, RngExt};

    #[test]
    fn the_coarse_grid_fits_its_fields() {
        // amp 7 up to 32 coordinates, 6 up to 44, none beyond; at every size the extreme `F` fit.
        for dp in (2..=64).step_by(2) {
            let got = coarse_amp(dp);
            let want = if dp <= 32 { Some(7) } else if dp <= 44 { Some(6) } else { None };
            assert_eq!(got.map(|g| g.0), want, "dp = {dp}");
            if let Some((amp, offset)) = got {
                let sq = dp as i32 * amp * amp;
                assert!(-sq / 2 - offset >= -FIELD / 2 && 2 * sq - offset < FIELD / 2, "dp = {dp}");
            }
        }
    }

    #[test]
    fn coarse_tiles_pass_exactly_the_pairs_within_their_gate() {
        // Rows and queries at random and at the grid's corners (the fields' extremes), gates at random,
        // around each pair's own key, and at the ends: a pair passes iff 2 floor(|x|^2 / 2) - 2 x.q <= g.
        let mut rng = stream(11, Purpose::Split, 0);
        for dp in [2usize, 6, 16, 32, 38, 44] {
            let (amp, offset) = coarse_amp(dp).unwrap();
            let c = Coarse { delta: 1.0, amp, offset, pairs: Vec::new(), base: Vec::new(), eps: 0.0 };
            for round in 0..40 {
                let pick = |rng: &mut percolab_random::ChaCha8Rng| -> i16 {
                    match round % 4 {
                        0 => rng.random_range(-amp..=amp) as i16,
                        1 => if rng.random::<bool>() { amp as i16 } else { -amp as i16 },
                        2 => amp as i16,
                        _ => -amp as i16,
                    }
                };
                let rows: Vec<Vec<i16>> = (0..2 * TILE).map(|_| (0..dp).map(|_| pick(&mut rng)).collect()).collect();
                let queries: Vec<Vec<i16>> = (0..PANEL).map(|l| (0..dp).map(|_| if l % 2 == 0 { pick(&mut rng) } else { -pick(&mut rng) }).collect()).collect();
                let mut pairs = vec![0i16; TILE * dp];
                let norm = |x: &[i16]| x.iter().map(|&t| t as i32 * t as i32).sum::<i32>();
                let base: Vec<i32> = (0..TILE).map(|j| pack_pair((&rows[2 * j], norm(&rows[2 * j])), (&rows[2 * j + 1], norm(&rows[2 * j + 1])), offset, &mut pairs[j * dp..][..dp])).collect();
                let mut panel = vec![0i16; PANEL * dp];
                for (l, q) in queries.iter().enumerate() {
                    for (c, &v) in q.iter().enumerate() {
                        panel[c / 2 * 16 + 2 * l + c % 2] = -v;
                    }
                }
                let key = |t: usize, l: usize| {
                    let (x, q) = (&rows[t], &queries[l]);
                    let n: i32 = x.iter().map(|&v| v as i32 * v as i32).sum();
                    2 * (n / 2) - 2 * x.iter().zip(q).map(|(&a, &b)| a as i32 * b as i32).sum::<i32>()
                };
                let gate = |rng: &mut percolab_random::ChaCha8Rng, l: usize| match l {
                    0 => i32::MAX,
                    1 => i32::MIN,
                    2 => key(rng.random_range(0..2 * TILE), l),
                    3 => key(rng.random_range(0..2 * TILE), l) - 1,
                    _ => rng.random_range(-20_000..20_000),
                };
                let gates: Vec<i32> = (0..PANEL).map(|l| gate(&mut rng, l)).collect();
                let (low, high): (Vec<i32>, Vec<i32>) = gates.iter().map(|&g| c.thresholds(g)).unzip();
                let mask = lanes::coarse::<TILE>(&pairs, dp, &panel, &base, &low, &high);
                for t in 0..2 * TILE {
                    for l in 0..PANEL {
                        let (got, want) = (mask >> (8 * t + l) & 1 == 1, key(t, l) <= gates[l]);
                        assert_eq!(got, want, "dp = {dp}, round {round}, row {t}, lane {l}: key {} gate {}", key(t, l), gates[l]);
                    }
                }
            }
        }
    }
}

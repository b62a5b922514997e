//! The forward-engineered weights: `W_in` is `m` rows of the `n x n` Sylvester Hadamard matrix
//! `H_ij = (-1)^popcount(i & j)`, `W_out = W_in^T / m`, so `W = W_out W_in = H^T P^T P H / m` for the
//! row selection `P`. Applying `W` is two fast Walsh–Hadamard transforms and a mask.

use percolab_random::{stream, Purpose, RngExt};

use crate::{streams, Shape};

/// The rows kept and the resulting operator `W = W_in^T W_in / m`.
#[derive(Clone, Debug)]
pub struct Hadamard {
    pub n: usize,
    pub m: usize,
    /// Kept rows of `H`, ascending.
    pub rows: Vec<usize>,
    /// 1 on kept rows, 0 elsewhere.
    mask: Vec<f64>,
}

/// `H_ij` of the Sylvester Hadamard matrix.
#[inline]
pub fn entry(i: usize, j: usize) -> f64 {
    if (i & j).count_ones() % 2 == 0 {
        1.0
    } else {
        -1.0
    }
}

/// In place, `v <- H v` (unnormalised; `v.len()` a power of two).
pub fn fwht(v: &mut [f64]) {
    let n = v.len();
    debug_assert!(n.is_power_of_two());
    let mut h = 1;
    while h < n {
        for block in v.chunks_exact_mut(2 * h) {
            let (lo, hi) = block.split_at_mut(h);
            for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                let (x, y) = (*a, *b);
                *a = x + y;
                *b = x - y;
            }
        }
        h *= 2;
    }
}

impl Hadamard {
    /// `m` distinct rows drawn uniformly from rows `1..n` by `(seed, Superposition, ROWS)` (all rows
    /// when `m = n`). The all-ones row 0 is left out as long as `m < n`, so every row of `W` sums to
    /// 0 and the cross-talk has the same mean `-p/2` for every feature.
    pub fn new(shape: Shape, seed: u64) -> Hadamard {
        let Shape { n, m, .. } = shape;
        let mut rows: Vec<usize> = if m == n {
            (0..n).collect()
        } else {
            let mut rng = stream(seed, Purpose::Superposition, streams::ROWS);
            let mut pool: Vec<usize> = (1..n).collect();
            for i in 0..m {
                let j = rng.random_range(i..pool.len());
                pool.swap(i, j);
            }
            pool.truncate(m);
            pool
        };
        rows.sort_unstable();
        let mut mask = vec![0.0; n];
        for &r in &rows {
            mask[r] = 1.0;
        }
        Hadamard { n, m, rows, mask }
    }

    /// `W_in`, row-major `[m, n]`, entries ±1.
    pub fn w_in(&self) -> Vec<f64> {
        self.rows.iter().flat_map(|&r| (0..self.n).map(move |j| entry(r, j))).collect()
    }

    /// `W_ij` depends only on `i XOR j`: `g(d) = (1/m) sum over kept rows k of H_kd = (H mask)_d / m`.
    fn xor_profile(&self) -> Vec<f64> {
        let mut g = self.mask.clone();
        fwht(&mut g);
        g.iter().map(|v| v / self.m as f64).collect()
    }

    /// The top-left `k x k` block of `W`, row-major (`k <= n`).
    pub fn w_block(&self, k: usize) -> Vec<f64> {
        let g = self.xor_profile();
        let k = k.min(self.n);
        (0..k).flat_map(|i| (0..k).map(move |j| (i, j))).map(|(i, j)| g[i ^ j]).collect()
    }

    /// `out <- W x` for one row of `n` features.
    pub fn apply(&self, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(x);
        fwht(out);
        for (v, &keep) in out.iter_mut().zip(&self.mask) {
            *v *= keep;
        }
        fwht(out);
        let scale = 1.0 / self.m as f64;
        for v in out.iter_mut() {
            *v *= scale;
        }
    }
}

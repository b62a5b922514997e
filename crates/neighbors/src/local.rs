//! Local-linear k-NN regression: for each query, an affine fit on its k nearest training points in their
//! local tangent space, evaluated at the query.
//!
//! For a query `q` with neighbours `x_1..x_k` (targets `y_i`, weights `w_i`):
//! 1. centre the neighbours on their weighted mean `mu` (and the targets on theirs, `ybar`);
//! 2. local PCA: the eigen-decomposition of the weighted scatter `sum_i w_i (x_i - mu)(x_i - mu)^T`, through
//!    the `k x k` Gram matrix when `k < d` (the same non-zero spectrum, far smaller in high `d`);
//! 3. keep `m` leading principal axes `v_1..v_m` (a fixed tangent dimension, or those whose eigenvalue
//!    passes a relative cutoff); the neighbours' coordinates `u_ij = v_j . (x_i - mu)` are then
//!    uncorrelated under the weights, so the weighted least-squares affine model `ybar + sum_j b_j u_j`
//!    has the decoupled slopes `b_j = sum_i w_i u_ij (y_i - ybar) / sum_i w_i u_ij^2`;
//! 4. predict at the query's coordinates `v_j . (q - mu)` (its offset from the tangent plane is ignored).
//!
//! All arithmetic is f64, per query, in a fixed order: the result does not depend on the thread count.
//! An affine target on a flat neighbourhood is reproduced to rounding for any `k >= m + 1`; a smooth
//! target has error O(r^2) at neighbourhood radius r, so the squared error falls as N^(-4/D).

use crate::{for_each_chunk, KnnRegressor, NeighborsError, Weighting};

/// Eigenvalues at or below this fraction of the largest are numerically zero: directions the neighbours do
/// not span (duplicates, fewer distinct points than dimensions, a flat set's rounding noise). Such a
/// direction is never used, even with a fixed tangent dimension.
pub const RANK_TOLERANCE: f64 = 1e-10;

/// How a local-linear fit chooses its tangent dimension `m`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tangent {
    /// The `m` leading principal axes (fewer where the neighbours span fewer: see [`RANK_TOLERANCE`]).
    Fixed(usize),
    /// Every principal axis whose eigenvalue exceeds this fraction (in `(0, 1)`) of the largest, at most
    /// `k - 2` of them (so the `m + 1` coefficients leave the fit a residual degree of freedom).
    Cutoff(f64),
}

/// How `KnnRegressor` turns the k neighbours into a prediction.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Local {
    /// The (weighted) mean of the k targets: [`KnnRegressor::predict_with`].
    #[default]
    Constant,
    /// An affine fit in the neighbours' tangent space, evaluated at the query.
    Linear(Tangent),
}

impl KnnRegressor {
    /// One prediction per query: the local-constant mean ([`KnnRegressor::predict_with`], bit for bit) or the
    /// local-linear fit described in the module docs, with the neighbours weighted as `weighting` says. With
    /// `InverseDistance` weights, a query with neighbours at distance 0 predicts their mean target (the
    /// limit of the weights), as the local-constant model does.
    ///
    /// Errors: those of the search (`k` of 0 or above the training points, bad queries), and for
    /// `Linear(Fixed(m))` `m = 0` or `k < m + 1`, for `Linear(Cutoff(c))` a cutoff outside `(0, 1)`.
    pub fn predict_local(&self, queries: &[f32], k: usize, weighting: Weighting, local: Local) -> Result<Vec<f64>, NeighborsError> {
        let tangent = match local {
            Local::Constant => return self.predict_with(queries, k, weighting),
            Local::Linear(t) => t,
        };
        match tangent {
            Tangent::Fixed(0) => return Err(NeighborsError::TangentDimensionZero),
            Tangent::Fixed(m) if k < m + 1 => return Err(NeighborsError::KTooSmallForTangent { k, m }),
            Tangent::Cutoff(c) if !(c > 0.0 && c < 1.0) => return Err(NeighborsError::TangentCutoff { cutoff: c }),
            _ => {}
        }
        let nb = self.index.search(queries, k)?;
        let d = self.index.dim();
        let (rows, data) = (self.index.stored_rows(), self.index.stored_data());
        let nq = nb.num_queries();
        let mut out = vec![0f64; nq];
        for_each_chunk(
            nq,
            |range| {
                let mut fit = Fit::new(k, d);
                range
                    .map(|r| {
                        let idx = &nb.indices[r * k..][..k];
                        let sq = &nb.squared_distances[r * k..][..k];
                        for (slot, &i) in idx.iter().enumerate() {
                            let row = rows[i as usize] as usize;
                            fit.x[slot * d..][..d].iter_mut().zip(&data[row * d..][..d]).for_each(|(a, &b)| *a = b as f64);
                            fit.y[slot] = self.targets[i as usize] as f64;
                        }
                        fit.predict(&queries[r * d..][..d], sq, weighting, tangent)
                    })
                    .collect::<Vec<f64>>()
            },
            |range, part| out[range].copy_from_slice(&part),
        );
        Ok(out)
    }
}

/// Scratch space for one query's fit (reused across a chunk of queries).
struct Fit {
    k: usize,
    d: usize,
    /// Neighbours `[k, d]`, then centred on their weighted mean.
    x: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
    mu: Vec<f64>,
    /// The nearest neighbour, the origin of the coordinates.
    origin: Vec<f64>,
    /// The symmetric matrix being diagonalised (`p x p`, `p = min(k, d)`) and its eigenvectors (columns).
    a: Vec<f64>,
    v: Vec<f64>,
    /// One principal axis in R^d.
    axis: Vec<f64>,
}

impl Fit {
    fn new(k: usize, d: usize) -> Self {
        let p = k.min(d);
        Fit { k, d, x: vec![0.0; k * d], y: vec![0.0; k], w: vec![0.0; k], mu: vec![0.0; d], origin: vec![0.0; d], a: vec![0.0; p * p], v: vec![0.0; p * p], axis: vec![0.0; d] }
    }

    /// The local-linear prediction at `q`, from the neighbours in `x`/`y` and their squared distances `sq`
    /// (ascending).
    fn predict(&mut self, q: &[f32], sq: &[f64], weighting: Weighting, tangent: Tangent) -> f64 {
        let (k, d) = (self.k, self.d);
        match weighting {
            Weighting::Uniform => self.w.fill(1.0),
            Weighting::InverseDistance => {
                let zeros = sq.iter().take_while(|&&s| s == 0.0).count();
                if zeros > 0 {
                    return self.y[..zeros].iter().sum::<f64>() / zeros as f64;
                }
                self.w.iter_mut().zip(sq).for_each(|(w, s)| *w = 1.0 / s.sqrt());
            }
        }
        let total: f64 = self.w.iter().sum();
        // Coordinates relative to the nearest neighbour first: differences of f32 values are exact in f64,
        // so duplicates give exact zeros (no rounding noise for the PCA to mistake for a direction).
        self.origin.copy_from_slice(&self.x[..d]);
        for i in 0..k {
            for j in 0..d {
                self.x[i * d + j] -= self.origin[j];
            }
        }
        // Weighted means, summed nearest first.
        self.mu.fill(0.0);
        let mut ybar = 0.0;
        for i in 0..k {
            let w = self.w[i];
            self.mu.iter_mut().zip(&self.x[i * d..][..d]).for_each(|(m, &x)| *m += w * x);
            ybar += w * self.y[i];
        }
        self.mu.iter_mut().for_each(|m| *m /= total);
        ybar /= total;
        for i in 0..k {
            self.x[i * d..][..d].iter_mut().zip(&self.mu).for_each(|(x, &m)| *x -= m);
        }
        // The weighted scatter (d x d) or the Gram matrix of the weighted rows (k x k), whichever is smaller.
        let gram = k < d;
        let p = k.min(d);
        for r in 0..p {
            for c in 0..=r {
                let s = if gram {
                    let (xr, xc) = (&self.x[r * d..][..d], &self.x[c * d..][..d]);
                    (self.w[r] * self.w[c]).sqrt() * dot(xr, xc)
                } else {
                    (0..k).map(|i| self.w[i] * self.x[i * d + r] * self.x[i * d + c]).sum()
                };
                self.a[r * p + c] = s;
                self.a[c * p + r] = s;
            }
        }
        jacobi(&mut self.a, &mut self.v, p);
        let mut order: Vec<usize> = (0..p).collect();
        order.sort_by(|&i, &j| self.a[j * p + j].total_cmp(&self.a[i * p + i]).then(i.cmp(&j)));
        let eig = |j: usize| self.a[order[j] * p + order[j]];
        let top = eig(0);
        let rank = (0..p).take_while(|&j| top > 0.0 && eig(j) > RANK_TOLERANCE * top).count();
        let m = match tangent {
            Tangent::Fixed(m) => m.min(rank),
            Tangent::Cutoff(c) => (0..rank).take_while(|&j| eig(j) > c * top).count().min(k.saturating_sub(2)),
        };
        let mut prediction = ybar;
        for &col in &order[..m] {
            // The principal axis in R^d: the eigenvector itself, or (Gram) X^T W^(1/2) e, normalised.
            if gram {
                self.axis.fill(0.0);
                for i in 0..k {
                    let e = self.v[i * p + col] * self.w[i].sqrt();
                    self.axis.iter_mut().zip(&self.x[i * d..][..d]).for_each(|(a, &x)| *a += e * x);
                }
                let norm = dot(&self.axis, &self.axis).sqrt();
                self.axis.iter_mut().for_each(|a| *a /= norm);
            } else {
                (0..d).for_each(|j| self.axis[j] = self.v[j * p + col]);
            }
            let (mut num, mut den) = (0.0, 0.0);
            for i in 0..k {
                let u = dot(&self.x[i * d..][..d], &self.axis);
                num += self.w[i] * u * (self.y[i] - ybar);
                den += self.w[i] * u * u;
            }
            let uq: f64 = (0..d).map(|j| ((q[j] as f64 - self.origin[j]) - self.mu[j]) * self.axis[j]).sum();
            prediction += num / den * uq;
        }
        prediction
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Cyclic Jacobi eigen-decomposition of the symmetric `p x p` matrix `a` (row-major): on return its diagonal
/// holds the eigenvalues and the columns of `v` the orthonormal eigenvectors. Sweeps until the off-diagonal
/// mass is below 1e-30 of the total (quadratic convergence: a handful of sweeps), at most 64.
pub(crate) fn jacobi(a: &mut [f64], v: &mut [f64], p: usize) {
    v.fill(0.0);
    (0..p).for_each(|i| v[i * p + i] = 1.0);
    let total: f64 = a.iter().map(|x| x * x).sum();
    for _ in 0..64 {
        let off: f64 = (0..p).flat_map(|r| (0..p).filter(move |&c| c != r).map(move |c| (r, c))).map(|(r, c)| a[r * p + c] * a[r * p + c]).sum();
        if off <= 1e-30 * total {
            return;
        }
        for r in 0..p {
            for c in r + 1..p {
                let arc = a[r * p + c];
                if arc == 0.0 {
                    continue;
                }
                let theta = (a[c * p + c] - a[r * p + r]) / (2.0 * arc);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta.is_finite() { t } else { 0.0 };
                let cs = 1.0 / (t * t + 1.0).sqrt();
                let sn = t * cs;
                // A <- J^T A J with the rotation in the (r, c) plane; V <- V J.
                for i in 0..p {
                    let (air, aic) = (a[i * p + r], a[i * p + c]);
                    a[i * p + r] = cs * air - sn * aic;
                    a[i * p + c] = sn * air + cs * aic;
                }
                for j in 0..p {
                    let (arj, acj) = (a[r * p + j], a[c * p + j]);
                    a[r * p + j] = cs * arj - sn * acj;
                    a[c * p + j] = sn * arj + cs * acj;
                }
                a[r * p + c] = 0.0;
                a[c * p + r] = 0.0;
                for i in 0..p {
                    let (vir, vic) = (v[i * p + r], v[i * p + c]);
                    v[i * p + r] = cs * vir - sn * vic;
                    v[i * p + c] = sn * vir + cs * vic;
                }
            }
        }
    }
}

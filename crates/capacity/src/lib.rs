//! GLUE manifold capacity (Chou, Chung et al. 2024; see `docs/capacity.md`).
//!
//! `P` point clouds in `R^N`. Each draw picks a dichotomy `y` and a Gaussian `t` and solves the anchor
//! problem `min |v - t|^2 / 2` s.t. `y_i <z, v> >= 0` for every point `z` of every manifold `i`. Its dual
//! is an NNLS on the `K x K` Gram matrix (`K` points in all), solved exactly by [`nnls::solve`]; only
//! `u = Z t` enters it, and `u ~ N(0, Z Z^T)` is drawn as `L g` with `L` a Cholesky factor of the Gram
//! matrix, so `N` never enters a draw and rotating or scaling the data changes no output beyond
//! rounding. Anchors are the multiplier-weighted means of each manifold's points; **a manifold whose
//! multipliers are all zero (it takes no part) gets the zero anchor** (the convention that gives Cover's
//! capacity 2 with `D = R = Psi = 1` for points). Everything after the solve is `P x P` algebra on the
//! anchors' weights against the Gram matrix.

pub mod linalg;
pub mod nnls;

use percolab_random::{permutation, stream, Purpose, Rng, MAX_INDEX};
use rand_distr::{Distribution, StandardNormal};

use linalg::{pseudo_inverse_form, semidefinite_cholesky};

/// Stream indices: draw `d` uses index `d`; these sit above every draw index.
const PROJECTION_STREAM: u64 = MAX_INDEX;
const SUBSAMPLE_STREAM_BASE: u64 = 1 << 47;
/// At most this many draws (their stream indices stay below the others').
pub const MAX_DRAWS: usize = 1 << 30;
/// At most this many kept points in all: the Gram matrix and its factor take `16 K^2` bytes.
pub const MAX_POINTS: usize = 8192;

/// How each draw labels the manifolds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dichotomy {
    /// Independent fair ±1 labels.
    Random,
    /// Draw `d` labels manifold `d mod P` +1 and the others -1.
    OneVersusRest,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Gaussian draws (at least 2: the standard errors are jackknife estimates over draws).
    pub draws: usize,
    pub dichotomy: Dichotomy,
    /// Subtract the mean of all (kept) points first.
    pub centre: bool,
    /// Project onto this many Gaussian random directions when `N` is larger (scaled by `1/sqrt(m)`).
    pub max_dimension: Option<usize>,
    /// Keep at most this many points per manifold (a seeded uniform subset).
    pub subsample: Option<usize>,
    pub seed: u64,
    /// Return each draw's labels, `u`, multipliers and quadratic forms (for cross-checks).
    pub keep_draws: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { draws: 200, dichotomy: Dichotomy::Random, centre: true, max_dimension: None, subsample: None, seed: 0, keep_draws: false }
    }
}

/// A mean over draws and its jackknife standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub standard_error: f64,
}

/// One draw, kept when [`Options::keep_draws`] is set.
#[derive(Clone, Debug)]
pub struct Draw {
    /// ±1 per manifold.
    pub labels: Vec<f64>,
    /// `u = Z t`, one entry per kept point (manifold by manifold).
    pub projections: Vec<f64>,
    /// The NNLS solution: one multiplier per kept point.
    pub multipliers: Vec<f64>,
    /// `(S t)^T (S S^T)^+ (S t)`, `|v - t|^2` at the optimum.
    pub a: f64,
    pub b: f64,
    pub c: f64,
    /// `lambda^T G lambda`, which equals `a` when the solve is exact.
    pub objective: f64,
}

#[derive(Clone, Debug)]
pub struct Capacity {
    /// `alpha = P / E[a]`.
    pub capacity: Estimate,
    /// `D = E[b] / P`.
    pub dimension: Estimate,
    /// `R = sqrt(E[c] / E[b - c])`.
    pub radius: Estimate,
    /// `Psi = E[c] / E[a]`.
    pub utility: Estimate,
    /// Mean `|cos|` between the centres `S0` of different manifolds.
    pub centre_alignment: Estimate,
    /// Mean over draws of the mean `|cos|` between the axes `S1` of different manifolds.
    pub axes_alignment: Estimate,
    /// Mean over draws of the mean `|cos|` between one manifold's centre and another's axis.
    pub centre_axes_alignment: Estimate,
    /// Mean fraction of manifolds with a non-zero anchor.
    pub participation: f64,
    /// The distinct ids, ascending: manifold `i` is the points with id `ids[i]`.
    pub ids: Vec<u32>,
    /// Points kept per manifold.
    pub points: Vec<usize>,
    pub ambient_dimension: usize,
    /// The dimension after any random projection.
    pub dimension_used: usize,
    pub draws: usize,
    pub detail: Vec<Draw>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CapacityError {
    Dimension,
    Shape { values: usize, dimension: usize },
    Ids { ids: usize, points: usize },
    NotFinite { index: usize },
    TooFewManifolds { found: usize },
    TooManyPoints { points: usize },
    Draws { draws: usize },
    Subsample,
    MaxDimension,
    Solver(nnls::NnlsError),
}

impl std::fmt::Display for CapacityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CapacityError::Dimension => write!(f, "dimension must be at least 1"),
            CapacityError::Shape { values, dimension } => write!(f, "{values} values do not make rows of dimension {dimension}"),
            CapacityError::Ids { ids, points } => write!(f, "there are {points} points but {ids} cluster ids (one id per point)"),
            CapacityError::NotFinite { index } => write!(f, "value {index} of the points is not finite (NaN or infinity)"),
            CapacityError::TooFewManifolds { found } => write!(f, "capacity needs at least 2 clusters (distinct ids), got {found}"),
            CapacityError::TooManyPoints { points } => write!(f, "{points} points in all, more than {MAX_POINTS} (the Gram matrix grows as the square): keep fewer points per cluster (subsample) or fewer clusters"),
            CapacityError::Draws { draws } => write!(f, "draws must be between 2 and {MAX_DRAWS}, got {draws}"),
            CapacityError::Subsample => write!(f, "the subsample size must be at least 1"),
            CapacityError::MaxDimension => write!(f, "the projection dimension must be at least 1"),
            CapacityError::Solver(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CapacityError {}

fn map_draws<T: Send, F: Fn(usize) -> T + Sync + Send>(n: usize, f: F) -> Vec<T> {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "threads"))]
    (0..n).map(f).collect()
}

/// Dot product with four fixed partial sums (same order everywhere, so the same bits).
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let chunks = x.len() / 4;
    for c in 0..chunks {
        for l in 0..4 {
            s[l] += x[4 * c + l] * y[4 * c + l];
        }
    }
    let mut tail = 0.0;
    for i in 4 * chunks..x.len() {
        tail += x[i] * y[i];
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// The manifolds' kept points, manifold by manifold (after centring and projection).
struct Layout {
    ids: Vec<u32>,
    /// `start[i]..start[i + 1]` are manifold `i`'s rows.
    start: Vec<usize>,
    /// Manifold of each row.
    owner: Vec<usize>,
    rows: Vec<f64>,
    dimension: usize,
}

fn layout(points: &[f64], dimension: usize, ids: &[u32], options: &Options) -> Result<Layout, CapacityError> {
    if dimension == 0 {
        return Err(CapacityError::Dimension);
    }
    if points.len() % dimension != 0 {
        return Err(CapacityError::Shape { values: points.len(), dimension });
    }
    let n = points.len() / dimension;
    if ids.len() != n {
        return Err(CapacityError::Ids { ids: ids.len(), points: n });
    }
    if let Some(index) = points.iter().position(|v| !v.is_finite()) {
        return Err(CapacityError::NotFinite { index });
    }
    if options.draws < 2 || options.draws > MAX_DRAWS {
        return Err(CapacityError::Draws { draws: options.draws });
    }
    if options.subsample == Some(0) {
        return Err(CapacityError::Subsample);
    }
    if options.max_dimension == Some(0) {
        return Err(CapacityError::MaxDimension);
    }
    let mut distinct = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return Err(CapacityError::TooFewManifolds { found: distinct.len() });
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); distinct.len()];
    for (row, id) in ids.iter().enumerate() {
        members[distinct.binary_search(id).expect("every id is in the list")].push(row);
    }
    if let Some(m) = options.subsample {
        for (i, list) in members.iter_mut().enumerate() {
            if list.len() > m {
                let order = permutation(&mut stream(options.seed, Purpose::Capacity, SUBSAMPLE_STREAM_BASE + i as u64), list.len());
                let mut kept: Vec<usize> = order[..m].iter().map(|&p| list[p as usize]).collect();
                kept.sort_unstable();
                *list = kept;
            }
        }
    }
    let kept: usize = members.iter().map(Vec::len).sum();
    if kept > MAX_POINTS {
        return Err(CapacityError::TooManyPoints { points: kept });
    }
    let mut start = vec![0];
    let mut owner = Vec::new();
    let mut rows = Vec::new();
    for (i, list) in members.iter().enumerate() {
        for &r in list {
            rows.extend_from_slice(&points[r * dimension..(r + 1) * dimension]);
            owner.push(i);
        }
        start.push(owner.len());
    }
    let k = owner.len();
    if options.centre {
        let mut mean = vec![0.0; dimension];
        for row in rows.chunks(dimension) {
            mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= k as f64);
        for row in rows.chunks_mut(dimension) {
            row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
        }
    }
    let mut used = dimension;
    if let Some(m) = options.max_dimension.filter(|&m| m < dimension) {
        let mut rng = stream(options.seed, Purpose::Capacity, PROJECTION_STREAM);
        let scale = 1.0 / (m as f64).sqrt();
        // Column-major m x N so that each projected coordinate is one dot product.
        let directions: Vec<f64> = (0..m * dimension).map(|_| { let z: f64 = StandardNormal.sample(&mut rng); z * scale }).collect();
        let projected: Vec<Vec<f64>> = map_draws(k, |r| {
            let row = &rows[r * dimension..(r + 1) * dimension];
            directions.chunks(dimension).map(|d| dot(row, d)).collect()
        });
        rows = projected.concat();
        used = m;
    }
    Ok(Layout { ids: distinct, start, owner, rows, dimension: used })
}

/// What pass 1 keeps of a draw.
struct FirstPass {
    labels: Vec<f64>,
    u: Vec<f64>,
    multipliers: Vec<f64>,
    /// Anchor weights: the multipliers normalised within each manifold (zero for a manifold not taking part).
    weights: Vec<f64>,
    /// `S S^T` (`P x P`) and `S t`.
    sst: Vec<f64>,
    st: Vec<f64>,
    a: f64,
    objective: f64,
    participating: usize,
}

/// `S_w S_v^T` for two weight vectors: `(i, j) -> sum w_i^mu K0[i mu, j nu] v_j^nu`.
fn anchor_products(gram: &[f64], k: usize, start: &[usize], w: &[f64], v: &[f64]) -> Vec<f64> {
    let p = start.len() - 1;
    let mut out = vec![0.0; p * p];
    let mut column = vec![0.0; k];
    for i in 0..p {
        column.iter_mut().for_each(|c| *c = 0.0);
        for mu in start[i]..start[i + 1] {
            if w[mu] != 0.0 {
                column.iter_mut().zip(&gram[mu * k..(mu + 1) * k]).for_each(|(c, g)| *c += w[mu] * g);
            }
        }
        for j in 0..p {
            out[i * p + j] = (start[j]..start[j + 1]).filter(|&nu| v[nu] != 0.0).map(|nu| v[nu] * column[nu]).sum();
        }
    }
    out
}

/// `(i) -> sum_mu w_i^mu u_i^mu`.
fn anchor_dot(start: &[usize], w: &[f64], u: &[f64]) -> Vec<f64> {
    start.windows(2).map(|r| (r[0]..r[1]).map(|mu| w[mu] * u[mu]).sum()).collect()
}

/// Mean `|cos|` between row `i` of one family and row `j != i` of another, from their products and
/// squared norms; pairs with a zero vector are left out (0 when none is left).
fn mean_abs_cosine(products: &[f64], norms_left: &[f64], norms_right: &[f64]) -> f64 {
    let p = norms_left.len();
    let (mut total, mut count) = (0.0, 0usize);
    for i in 0..p {
        for j in 0..p {
            if i != j && norms_left[i] > 0.0 && norms_right[j] > 0.0 {
                total += products[i * p + j].abs() / (norms_left[i] * norms_right[j]).sqrt();
                count += 1;
            }
        }
    }
    if count == 0 { 0.0 } else { total / count as f64 }
}

fn diagonal(m: &[f64], p: usize) -> Vec<f64> {
    (0..p).map(|i| m[i * p + i]).collect()
}

/// Value at the full means and jackknife standard error over draws of a function of column means.
fn jackknife(columns: &[Vec<f64>], f: impl Fn(&[f64]) -> f64) -> Estimate {
    let n = columns[0].len();
    let totals: Vec<f64> = columns.iter().map(|c| c.iter().sum()).collect();
    let means: Vec<f64> = totals.iter().map(|t| t / n as f64).collect();
    let value = f(&means);
    let replicates: Vec<f64> = (0..n).map(|d| {
        let left_out: Vec<f64> = columns.iter().zip(&totals).map(|(c, t)| (t - c[d]) / (n - 1) as f64).collect();
        f(&left_out)
    }).collect();
    Estimate { value, standard_error: spread(&replicates) }
}

/// Jackknife standard error of replicates: `sqrt((n - 1) / n * sum (x - mean)^2)`.
fn spread(replicates: &[f64]) -> f64 {
    let n = replicates.len() as f64;
    let mean = replicates.iter().sum::<f64>() / n;
    ((n - 1.0) / n * replicates.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>()).sqrt()
}

/// Measures capacity on the manifolds given by `ids` (one per point of the row-major `points`).
pub fn measure(points: &[f64], dimension: usize, ids: &[u32], options: &Options) -> Result<Capacity, CapacityError> {
    let Layout { ids: distinct, start, owner, rows, dimension: used } = layout(points, dimension, ids, options)?;
    let (p, k, n) = (distinct.len(), owner.len(), options.draws);
    let upper: Vec<Vec<f64>> = map_draws(k, |i| (i..k).map(|j| dot(&rows[i * used..(i + 1) * used], &rows[j * used..(j + 1) * used])).collect());
    let mut gram = vec![0.0; k * k];
    for (i, row) in upper.iter().enumerate() {
        for (offset, &v) in row.iter().enumerate() {
            gram[i * k + i + offset] = v;
            gram[(i + offset) * k + i] = v;
        }
    }
    drop(upper);
    let factor = semidefinite_cholesky(&gram, k);

    let first: Vec<Result<FirstPass, CapacityError>> = map_draws(n, |d| {
        let mut rng = stream(options.seed, Purpose::Capacity, d as u64);
        let labels: Vec<f64> = match options.dichotomy {
            Dichotomy::Random => (0..p).map(|_| if rng.next_u64() >> 63 == 1 { 1.0 } else { -1.0 }).collect(),
            Dichotomy::OneVersusRest => (0..p).map(|i| if i == d % p { 1.0 } else { -1.0 }).collect(),
        };
        let normals: Vec<f64> = (0..k).map(|_| StandardNormal.sample(&mut rng)).collect();
        let u: Vec<f64> = (0..k).map(|i| dot(&factor[i * k..i * k + i + 1], &normals[..i + 1])).collect();
        let h: Vec<f64> = (0..k).map(|i| labels[owner[i]] * u[i]).collect();
        let signs: Vec<f64> = owner.iter().map(|&i| labels[i]).collect();
        let multipliers = nnls::solve(&gram, &signs, &h).map_err(CapacityError::Solver)?.x;
        let mut weights = multipliers.clone();
        let mut participating = 0;
        for r in start.windows(2) {
            let total: f64 = weights[r[0]..r[1]].iter().sum();
            if total > 0.0 {
                weights[r[0]..r[1]].iter_mut().for_each(|w| *w /= total);
                participating += 1;
            }
        }
        let sst = anchor_products(&gram, k, &start, &weights, &weights);
        let st = anchor_dot(&start, &weights, &u);
        let a = pseudo_inverse_form(&sst, &st, p);
        let signed_multipliers: Vec<f64> = (0..k).map(|i| labels[owner[i]] * multipliers[i]).collect();
        let objective = {
            // |sum_k lambda_k y_k z_k|^2 through the Gram matrix, over the non-zero multipliers only.
            let support: Vec<usize> = (0..k).filter(|&i| multipliers[i] != 0.0).collect();
            support.iter().map(|&i| signed_multipliers[i] * support.iter().map(|&j| gram[i * k + j] * signed_multipliers[j]).sum::<f64>()).sum()
        };
        Ok(FirstPass { labels, u, multipliers, weights, sst, st, a, objective, participating })
    });
    let first: Vec<FirstPass> = first.into_iter().collect::<Result<_, _>>()?;

    // Centres: the mean anchor weights over draws.
    let mut centre = vec![0.0; k];
    for draw in &first {
        centre.iter_mut().zip(&draw.weights).for_each(|(c, w)| *c += w);
    }
    centre.iter_mut().for_each(|c| *c /= n as f64);
    let c00 = anchor_products(&gram, k, &start, &centre, &centre);
    let c00_diagonal = diagonal(&c00, p);

    struct SecondPass {
        b: f64,
        c: f64,
        axes: f64,
        centre_axes: f64,
        /// Centre alignment with this draw left out of the centres.
        centre_left_out: f64,
    }
    let second: Vec<SecondPass> = map_draws(n, |d| {
        let draw = &first[d];
        // x[i][j] = s_i . s0_j
        let x = anchor_products(&gram, k, &start, &draw.weights, &centre);
        let s0t = anchor_dot(&start, &centre, &draw.u);
        let s1t: Vec<f64> = draw.st.iter().zip(&s0t).map(|(a, b)| a - b).collect();
        let s1s1: Vec<f64> = (0..p * p).map(|ij| { let (i, j) = (ij / p, ij % p); draw.sst[ij] - x[ij] - x[j * p + i] + c00[ij] }).collect();
        let s0s1: Vec<f64> = (0..p * p).map(|ij| { let (i, j) = (ij / p, ij % p); x[j * p + i] - c00[ij] }).collect();
        let total: Vec<f64> = c00.iter().zip(&s1s1).map(|(a, b)| a + b).collect();
        let b = pseudo_inverse_form(&s1s1, &s1t, p);
        let c = pseudo_inverse_form(&total, &s1t, p);
        let s1_diagonal = diagonal(&s1s1, p);
        let axes = mean_abs_cosine(&s1s1, &s1_diagonal, &s1_diagonal);
        let centre_axes = mean_abs_cosine(&s0s1, &c00_diagonal, &s1_diagonal);
        let nf = n as f64;
        let left_out: Vec<f64> = (0..p * p).map(|ij| { let (i, j) = (ij / p, ij % p); (nf * nf * c00[ij] - nf * (x[ij] + x[j * p + i]) + draw.sst[ij]) / ((nf - 1.0) * (nf - 1.0)) }).collect();
        let centre_left_out = mean_abs_cosine(&left_out, &diagonal(&left_out, p), &diagonal(&left_out, p));
        SecondPass { b, c, axes, centre_axes, centre_left_out }
    });

    let columns = vec![
        first.iter().map(|f| f.a).collect::<Vec<f64>>(),
        second.iter().map(|s| s.b).collect(),
        second.iter().map(|s| s.c).collect(),
        second.iter().map(|s| s.axes).collect(),
        second.iter().map(|s| s.centre_axes).collect(),
    ];
    let pf = p as f64;
    let capacity = jackknife(&columns, |m| pf / m[0]);
    let dimension_estimate = jackknife(&columns, |m| m[1] / pf);
    let radius = jackknife(&columns, |m| (m[2] / (m[1] - m[2])).sqrt());
    let utility = jackknife(&columns, |m| m[2] / m[0]);
    let axes_alignment = jackknife(&columns, |m| m[3]);
    let centre_axes_alignment = jackknife(&columns, |m| m[4]);
    let centre_alignment = Estimate {
        value: mean_abs_cosine(&c00, &c00_diagonal, &c00_diagonal),
        standard_error: spread(&second.iter().map(|s| s.centre_left_out).collect::<Vec<_>>()),
    };
    let participation = first.iter().map(|f| f.participating as f64 / pf).sum::<f64>() / n as f64;
    let detail = if options.keep_draws {
        first.iter().zip(&second).map(|(f, s)| Draw {
            labels: f.labels.clone(),
            projections: f.u.clone(),
            multipliers: f.multipliers.clone(),
            a: f.a,
            b: s.b,
            c: s.c,
            objective: f.objective,
        }).collect()
    } else {
        Vec::new()
    };
    Ok(Capacity {
        capacity,
        dimension: dimension_estimate,
        radius,
        utility,
        centre_alignment,
        axes_alignment,
        centre_axes_alignment,
        participation,
        ids: distinct,
        points: start.windows(2).map(|r| r[1] - r[0]).collect(),
        ambient_dimension: dimension,
        dimension_used: used,
        draws: n,
        detail,
    })
}

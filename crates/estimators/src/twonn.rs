//! TwoNN (Facco, d'Errico, Rodriguez & Laio, Sci. Rep. 2017).

use crate::stats::{check_bootstrap, interval, resample_weights};
use crate::{rng, Bootstrap, Duplicates, EstimatorError, Interval, NeighborTable};

const TAG: u64 = 1;

/// TwoNN options. `mu_i = r2/r1`, the ratio of the distances to the second and first neighbour.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoNn {
    /// Fraction of the largest `mu` left out of the least-squares fit, in (0, 1). Default 0.1 (as
    /// scikit-dimension). The ML form uses every `mu`.
    pub discard_fraction: f64,
    /// Points with `r1 = 0`. Default [`Duplicates::Error`].
    pub duplicates: Duplicates,
    pub bootstrap: Bootstrap,
    /// Seed of the bootstrap stream. Default 0.
    pub seed: u64,
}

impl Default for TwoNn {
    fn default() -> Self {
        TwoNn { discard_fraction: 0.1, duplicates: Duplicates::Error, bootstrap: Bootstrap::default(), seed: 0 }
    }
}

/// A fitted TwoNN.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoNnFit {
    /// Least squares, exactly scikit-dimension's `TwoNN().dimension_`: with `N` points and the
    /// `m = floor(N (1 - discard_fraction))` smallest `mu` sorted, `F_i = i/N` (i = 1..m), the slope
    /// through the origin of `y = -ln(1 - F_i)` against `x = ln mu_(i)`.
    pub dimension: f64,
    /// Maximum likelihood (Pareto law of `mu`), unbiased form `(N - 1) / sum ln mu` over all `N`
    /// points (no discard; scikit-dimension has no ML form).
    pub dimension_ml: f64,
    /// Bootstrap intervals; points (their `mu`) are resampled with replacement.
    pub interval: Option<Interval>,
    pub interval_ml: Option<Interval>,
    /// The fitted pairs: `x = ln mu` ascending and `y = -ln(1 - i/N)`, length `m` (skdim's `x_`, `y_`).
    pub log_mu: Vec<f64>,
    pub neg_log_survival: Vec<f64>,
    /// Points used (`N`) and left out as duplicates.
    pub n_used: usize,
    pub n_dropped: usize,
}

impl TwoNn {
    /// Fits on the first two columns of `table`.
    pub fn fit(&self, table: &NeighborTable) -> Result<TwoNnFit, EstimatorError> {
        const NAME: &str = "TwoNN";
        check_bootstrap(&self.bootstrap)?;
        let f = self.discard_fraction;
        if !(0.0..1.0).contains(&f) {
            return Err(EstimatorError::InvalidOption { name: "discard_fraction", value: f, expected: "0 < fraction < 1" });
        }
        if table.k() < 2 {
            return Err(EstimatorError::TableTooNarrow { estimator: NAME, k: table.k(), needed: 2 });
        }
        let dups = table.rows().filter(|r| r[0] == 0.0).count();
        if dups > 0 && self.duplicates == Duplicates::Error {
            return Err(EstimatorError::Duplicates { estimator: NAME, count: dups });
        }
        // ln(r2/r1) = ln r2 - ln r1 would differ in the last bits from skdim's log of the ratio.
        let mut x: Vec<f64> = table.rows().filter(|r| r[0] > 0.0).map(|r| libm::log(r[1] / r[0])).collect();
        let n = x.len();
        let m = (n as f64 * (1.0 - f)) as usize;
        if n < 3 || m < 2 {
            return Err(EstimatorError::TooFewPoints { estimator: NAME, n, needed: (libm::ceil(2.0 / (1.0 - f)) as usize).max(3) });
        }
        if m >= n {
            // F_N = 1 would give y = -ln 0.
            return Err(EstimatorError::InvalidOption {
                name: "discard_fraction",
                value: f,
                expected: "a fraction large enough to leave out at least the largest mu",
            });
        }
        x.sort_unstable_by(f64::total_cmp);
        let y: Vec<f64> = (1..=m).map(|i| -libm::log(1.0 - i as f64 / n as f64)).collect();
        // prefix[i] = sum of y over ranks 1..=i, so a run of equal resampled values costs O(1).
        let prefix: Vec<f64> = std::iter::once(0.0).chain(y.iter().scan(0.0, |s, &v| { *s += v; Some(*s) })).collect();
        let ls = |w: Option<&[u32]>| ls_slope(&x, &prefix, m, w);
        let ml = |w: Option<&[u32]>| (n - 1) as f64 / x.iter().enumerate().map(|(i, v)| v * w.map_or(1.0, |w| w[i] as f64)).sum::<f64>();
        let (dimension, dimension_ml) = (ls(None), ml(None));
        if !dimension.is_finite() || !dimension_ml.is_finite() {
            return Err(EstimatorError::Degenerate { estimator: NAME, reason: "r2 = r1 for (nearly) every point, so ln mu = 0" });
        }
        let (mut reps, mut reps_ml, mut w) = (Vec::new(), Vec::new(), Vec::new());
        let mut r = rng(self.seed, TAG, 1);
        for _ in 0..self.bootstrap.replicates {
            resample_weights(&mut r, n, &mut w);
            reps.push(ls(Some(&w)));
            reps_ml.push(ml(Some(&w)));
        }
        let (interval, interval_ml) = (interval(reps, &self.bootstrap), interval(reps_ml, &self.bootstrap));
        x.truncate(m);
        Ok(TwoNnFit { dimension, dimension_ml, interval, interval_ml, log_mu: x, neg_log_survival: y, n_used: n, n_dropped: dups })
    }
}

/// The least-squares slope through the origin for the sample holding `x[i]` (sorted ascending)
/// `w[i]` times: a run of equal values takes consecutive ranks, whose `y` sum comes from `prefix`,
/// so a bootstrap replicate costs O(n) instead of a sort.
fn ls_slope(x: &[f64], prefix: &[f64], m: usize, w: Option<&[u32]>) -> f64 {
    let (mut sxy, mut sxx, mut rank) = (0.0, 0.0, 0usize);
    for (i, &xi) in x.iter().enumerate() {
        let end = (rank + w.map_or(1, |w| w[i] as usize)).min(m);
        sxy += xi * (prefix[end] - prefix[rank]);
        sxx += xi * xi * (end - rank) as f64;
        rank = end;
        if rank == m {
            break;
        }
    }
    sxy / sxx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_slope_equals_refit_of_the_expanded_sample() {
        let x = [0.1, 0.2, 0.2, 0.5, 0.9, 1.3];
        let w = [2u32, 0, 1, 3, 0, 0];
        let (n, m) = (6, 5);
        let y: Vec<f64> = (1..=m).map(|i| -libm::log(1.0 - i as f64 / n as f64)).collect();
        let prefix: Vec<f64> = std::iter::once(0.0).chain(y.iter().scan(0.0, |s, &v| { *s += v; Some(*s) })).collect();
        let expanded: Vec<f64> = x.iter().zip(&w).flat_map(|(&v, &k)| std::iter::repeat_n(v, k as usize)).collect();
        let (sxy, sxx) = expanded.iter().zip(&y).fold((0.0, 0.0), |(a, b), (xi, yi)| (a + xi * yi, b + xi * xi));
        assert!((ls_slope(&x, &prefix, m, Some(&w)) - sxy / sxx).abs() < 1e-12);
    }
}

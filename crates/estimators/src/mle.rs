//! Levina–Bickel maximum-likelihood estimator (NeurIPS 2004) with MacKay & Ghahramani's combination.

use crate::stats::{check_bootstrap, interval, resample_weights};
use crate::{map_rows, rng, Bootstrap, Duplicates, EstimatorError, Interval, NeighborTable};

const TAG: u64 = 2;

/// How the pointwise estimates are combined (scikit-dimension's `comb`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Combine {
    /// `1 / mean(1 / m_k(x))`: averaging the inverses (MacKay & Ghahramani). Default, as skdim.
    #[default]
    Mle,
    Mean,
    Median,
}

/// MLE options.
#[derive(Clone, Debug, PartialEq)]
pub struct Mle {
    /// Neighbours per point (`T_1..T_k`), at least 2. Default 20 (skdim's `n_neighbors`).
    pub k: usize,
    /// Use `k - 2` instead of `k - 1` in the numerator (skdim's `unbiased`). Default false.
    pub unbiased: bool,
    pub combine: Combine,
    /// Points with `T_1 = 0`. Default [`Duplicates::Error`].
    pub duplicates: Duplicates,
    pub bootstrap: Bootstrap,
    /// Seed of the bootstrap stream. Default 0.
    pub seed: u64,
}

impl Default for Mle {
    fn default() -> Self {
        Mle { k: 20, unbiased: false, combine: Combine::Mle, duplicates: Duplicates::Error, bootstrap: Bootstrap::default(), seed: 0 }
    }
}

/// A fitted MLE.
#[derive(Clone, Debug, PartialEq)]
pub struct MleFit {
    /// The combined estimate (skdim's `dimension_` with `comb`).
    pub dimension: f64,
    /// Bootstrap interval; the pointwise estimates are resampled with replacement (this ignores
    /// their correlation between neighbouring points, so it is somewhat too narrow).
    pub interval: Option<Interval>,
    /// `m_k(x) = (k-1) / sum_{j<k} ln(T_k/T_j)` per point (skdim's `dimension_pw_`); `+inf` when all
    /// `k` distances are equal, NaN for points dropped as duplicates.
    pub pointwise: Vec<f64>,
    pub n_used: usize,
    pub n_dropped: usize,
}

impl Mle {
    /// Fits on the first `k` columns of `table`.
    pub fn fit(&self, table: &NeighborTable) -> Result<MleFit, EstimatorError> {
        const NAME: &str = "MLE";
        check_bootstrap(&self.bootstrap)?;
        let k = self.k;
        if k < 2 || (self.unbiased && k < 3) {
            return Err(EstimatorError::InvalidOption { name: "k", value: k as f64, expected: "k >= 2 (k >= 3 when unbiased)" });
        }
        if table.k() < k {
            return Err(EstimatorError::TableTooNarrow { estimator: NAME, k: table.k(), needed: k });
        }
        let dups = table.rows().filter(|r| r[0] == 0.0).count();
        if dups > 0 && self.duplicates == Duplicates::Error {
            return Err(EstimatorError::Duplicates { estimator: NAME, count: dups });
        }
        let kfac = if self.unbiased { k - 2 } else { k - 1 } as f64;
        // Per point, S = sum_{j<k} ln(T_k/T_j); m = kfac / S. Kept as S so the default combination
        // (mean of 1/m = mean of S / kfac) never divides by a zero S.
        let sums: Vec<f64> = map_rows(table, |r| if r[0] > 0.0 { r[..k - 1].iter().map(|&t| libm::log(r[k - 1] / t)).sum() } else { f64::NAN });
        let pointwise: Vec<f64> = sums.iter().map(|&s| kfac / s).collect();
        let kept: Vec<f64> = match self.combine {
            Combine::Mle => sums.iter().filter(|s| !s.is_nan()).copied().collect(),
            _ => pointwise.iter().filter(|m| !m.is_nan()).copied().collect(),
        };
        let n = kept.len();
        if n == 0 {
            return Err(EstimatorError::TooFewPoints { estimator: NAME, n, needed: 1 });
        }
        let mut sorted = kept.clone();
        if self.combine == Combine::Median {
            sorted.sort_unstable_by(f64::total_cmp);
        }
        let combine = |w: Option<&[u32]>| match self.combine {
            Combine::Mle => kfac * n as f64 / kept.iter().enumerate().map(|(i, s)| s * w.map_or(1.0, |w| w[i] as f64)).sum::<f64>(),
            Combine::Mean => kept.iter().enumerate().map(|(i, m)| m * w.map_or(1.0, |w| w[i] as f64)).sum::<f64>() / n as f64,
            Combine::Median => weighted_median(&sorted, w),
        };
        let dimension = combine(None);
        if !dimension.is_finite() {
            return Err(EstimatorError::Degenerate { estimator: NAME, reason: "all k neighbour distances are equal for the points that decide the estimate" });
        }
        let (mut reps, mut w) = (Vec::new(), Vec::new());
        let mut r = rng(self.seed, TAG, 1);
        for _ in 0..self.bootstrap.replicates {
            resample_weights(&mut r, n, &mut w);
            reps.push(combine(Some(&w)));
        }
        Ok(MleFit { dimension, interval: interval(reps, &self.bootstrap), pointwise, n_used: n, n_dropped: dups })
    }
}

/// numpy's median of the sample holding `sorted[i]` `w[i]` times (each once without weights).
fn weighted_median(sorted: &[f64], w: Option<&[u32]>) -> f64 {
    let n = sorted.len();
    let Some(w) = w else {
        return 0.5 * (sorted[(n - 1) / 2] + sorted[n / 2]);
    };
    let at = |target: usize| {
        let mut seen = 0;
        for (i, &c) in w.iter().enumerate() {
            seen += c as usize;
            if seen > target {
                return sorted[i];
            }
        }
        sorted[n - 1]
    };
    0.5 * (at((n - 1) / 2) + at(n / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_median_equals_median_of_the_expanded_sample() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        for w in [[1u32, 1, 1, 1, 1], [0, 2, 0, 0, 3], [5, 0, 0, 0, 0], [0, 1, 1, 2, 1], [2, 0, 1, 0, 2]] {
            let mut e: Vec<f64> = sorted.iter().zip(&w).flat_map(|(&v, &k)| std::iter::repeat_n(v, k as usize)).collect();
            e.sort_unstable_by(f64::total_cmp);
            let want = 0.5 * (e[(e.len() - 1) / 2] + e[e.len() / 2]);
            assert_eq!(weighted_median(&sorted, Some(&w)), want, "{w:?}");
        }
        assert_eq!(weighted_median(&[1.0, 2.0, 4.0, 8.0], None), 3.0);
    }
}

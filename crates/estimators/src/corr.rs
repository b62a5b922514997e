//! Correlation dimension (Grassberger & Procaccia 1983): scikit-dimension's two-radius `CorrInt` and
//! the full correlation integral with local slopes.

use crate::geometry::{auto_scales, ball_counts, thresholds};
use crate::stats::{blocks, check_bootstrap, centres, fit_indices, interval, local_slopes, resample_weights, resolve_scales, slope};
use crate::{check_points, rng, Bootstrap, EstimatorError, Interval, NeighborTable, Scales};

/// scikit-dimension's `CorrInt`: `r1`, `r2` = median distances to the `k1`-th and `k2`-th
/// neighbour, `C(r)` = fraction of ordered pairs closer than `r` (strictly, as skdim),
/// `d = ln(C(r2)/C(r1)) / ln(r2/r1)`.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrInt {
    /// Default 10.
    pub k1: usize,
    /// Default 20.
    pub k2: usize,
    /// Count pairs from at most this many centres (a seeded uniform subsample); `None` counts all
    /// `n^2` pairs, exactly skdim. Default `None`.
    pub max_centres: Option<usize>,
    /// Centres are resampled (in up to 1000 blocks of consecutive centres); `r1`, `r2` stay fixed.
    pub bootstrap: Bootstrap,
    /// Seed of the subsample and bootstrap streams. Default 0.
    pub seed: u64,
}

impl Default for CorrInt {
    fn default() -> Self {
        CorrInt { k1: 10, k2: 20, max_centres: None, bootstrap: Bootstrap::default(), seed: 0 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CorrIntFit {
    pub dimension: f64,
    pub interval: Option<Interval>,
    pub r1: f64,
    pub r2: f64,
    /// `C(r1)`, `C(r2)`: pair counts over `centres * n` (skdim divides by `n^2`).
    pub c1: f64,
    pub c2: f64,
    pub centres: usize,
}

impl CorrInt {
    /// `table` must be the neighbour table of `points` with at least `k2` columns.
    pub fn fit(&self, points: &[f32], d: usize, table: &NeighborTable) -> Result<CorrIntFit, EstimatorError> {
        const NAME: &str = "CorrInt";
        check_bootstrap(&self.bootstrap)?;
        let n = check_points(points, d)?;
        let (k1, k2) = (self.k1, self.k2);
        if k1 == 0 || k2 <= k1 {
            return Err(EstimatorError::InvalidOption { name: "k2", value: k2 as f64, expected: "1 <= k1 < k2" });
        }
        if table.k() < k2 {
            return Err(EstimatorError::TableTooNarrow { estimator: NAME, k: table.k(), needed: k2 });
        }
        if table.num_points() != n {
            return Err(EstimatorError::TableRows { rows: table.num_points(), n });
        }
        let median = |col: usize| {
            let mut v: Vec<f64> = table.rows().map(|r| r[col]).collect();
            v.sort_unstable_by(f64::total_cmp);
            0.5 * (v[(n - 1) / 2] + v[n / 2])
        };
        let (r1, r2) = (median(k1 - 1), median(k2 - 1));
        if r1 <= 0.0 {
            return Err(EstimatorError::Degenerate { estimator: NAME, reason: "r1 = 0: most points have k1 duplicates" });
        }
        if r2 == r1 {
            return Err(EstimatorError::Degenerate { estimator: NAME, reason: "r1 = r2, so ln(r2/r1) = 0; raise k2" });
        }
        let cs = centres(n, self.max_centres, &mut rng(self.seed, 3, 0))?;
        let counts = ball_counts(points, d, &cs, &thresholds(&[r1, r2], true));
        // Pair counts per bootstrap block of centres.
        let bl = blocks(cs.len());
        let sums: Vec<[f64; 2]> = bl
            .iter()
            .map(|b| counts[2 * b.start..2 * b.end].chunks_exact(2).fold([0.0, 0.0], |s, c| [s[0] + c[0] as f64, s[1] + c[1] as f64]))
            .collect();
        let est = |w: &[u32]| {
            let (s1, s2) = sums.iter().zip(w).fold((0.0, 0.0), |(a, b), (s, &k)| (a + k as f64 * s[0], b + k as f64 * s[1]));
            (libm::log(s2 / s1) / libm::log(r2 / r1), s1, s2)
        };
        let (dimension, s1, s2) = est(&vec![1; bl.len()]);
        if s1 == 0.0 {
            return Err(EstimatorError::EmptyScale { scale: r1 });
        }
        let (mut reps, mut w) = (Vec::new(), Vec::new());
        let mut r = rng(self.seed, 3, 1);
        for _ in 0..self.bootstrap.replicates {
            resample_weights(&mut r, bl.len(), &mut w);
            reps.push(est(&w).0);
        }
        let norm = cs.len() as f64 * n as f64;
        Ok(CorrIntFit { dimension, interval: interval(reps, &self.bootstrap), r1, r2, c1: s1 / norm, c2: s2 / norm, centres: cs.len() })
    }
}

/// The correlation integral `C(r)` = fraction of (centre, other point) pairs at distance `<= r`,
/// its local slopes, and the correlation dimension `D_2` = slope of `ln C` against `ln r`.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrelationIntegral {
    /// Default `Auto { count: 20, lower_neighbor: 1, upper_fraction: 0.1 }`: nearest-neighbour scale to
    /// 10% of the diameter.
    pub radii: Scales,
    /// Radii `[low, high]` used in the fit; `None` (default) fits all.
    pub fit_range: Option<(f64, f64)>,
    /// Pairs are counted from at most this many centres (seeded uniform subsample); `None` uses all
    /// `n` (O(n^2) time, O(n) memory). Default `Some(1000)`.
    pub max_centres: Option<usize>,
    /// Centres are resampled (in up to 1000 blocks of consecutive centres).
    pub bootstrap: Bootstrap,
    /// Seed of the subsample and bootstrap streams. Default 0.
    pub seed: u64,
}

impl Default for CorrelationIntegral {
    fn default() -> Self {
        CorrelationIntegral {
            radii: Scales::Auto { count: 20, lower_neighbor: 1, upper_fraction: 0.1 },
            fit_range: None,
            max_centres: Some(1000),
            bootstrap: Bootstrap::default(),
            seed: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CorrelationIntegralFit {
    /// Slope of `ln C(r)` on `ln r` over the fit range.
    pub dimension: f64,
    pub interval: Option<Interval>,
    pub radii: Vec<f64>,
    /// `C(r)` at every radius.
    pub correlation: Vec<f64>,
    /// `d ln C / d ln r` between consecutive radii, at their geometric midpoints `slope_radii`
    /// (NaN where `C = 0`).
    pub slope_radii: Vec<f64>,
    pub local_slopes: Vec<f64>,
    pub centres: usize,
}

impl CorrelationIntegral {
    pub fn fit(&self, points: &[f32], d: usize) -> Result<CorrelationIntegralFit, EstimatorError> {
        check_bootstrap(&self.bootstrap)?;
        let n = check_points(points, d)?;
        if n < 2 {
            return Err(EstimatorError::TooFewPoints { estimator: "the correlation integral", n, needed: 2 });
        }
        let cs = centres(n, self.max_centres, &mut rng(self.seed, 4, 0))?;
        let radii = resolve_scales(&self.radii, |k| auto_scales(points, d, &cs, k))?;
        let fit = fit_indices(&radii, self.fit_range)?;
        let nr = radii.len();
        let counts = ball_counts(points, d, &cs, &thresholds(&radii, false));
        // Pair counts per bootstrap block of centres, row-major [blocks, radii].
        let bl = blocks(cs.len());
        let mut sums = vec![0.0; bl.len() * nr];
        for (b, out) in bl.iter().zip(sums.chunks_exact_mut(nr)) {
            for row in counts[b.start * nr..b.end * nr].chunks_exact(nr) {
                out.iter_mut().zip(row).for_each(|(o, &c)| *o += c as f64);
            }
        }
        let curve = |w: &[u32]| {
            let mut c = vec![0.0; nr];
            let mut centres = 0.0;
            for ((row, &k), b) in sums.chunks_exact(nr).zip(w).zip(&bl) {
                c.iter_mut().zip(row).for_each(|(a, &s)| *a += k as f64 * s);
                centres += (k as usize * b.len()) as f64;
            }
            c.iter_mut().for_each(|a| *a /= centres * (n - 1) as f64);
            c
        };
        let x: Vec<f64> = fit.iter().map(|&i| libm::log(radii[i])).collect();
        let dim = |c: &[f64]| slope(&x, &fit.iter().map(|&i| libm::log(c[i])).collect::<Vec<_>>());
        let correlation = curve(&vec![1; bl.len()]);
        if let Some(&i) = fit.iter().find(|&&i| correlation[i] == 0.0) {
            return Err(EstimatorError::EmptyScale { scale: radii[i] });
        }
        let dimension = dim(&correlation);
        let (mut reps, mut w) = (Vec::new(), Vec::new());
        let mut r = rng(self.seed, 4, 1);
        for _ in 0..self.bootstrap.replicates {
            resample_weights(&mut r, bl.len(), &mut w);
            reps.push(dim(&curve(&w)));
        }
        let (slope_radii, local_slopes) = local_slopes(&radii, &correlation);
        Ok(CorrelationIntegralFit {
            dimension,
            interval: interval(reps, &self.bootstrap),
            radii,
            correlation,
            slope_radii,
            local_slopes,
            centres: cs.len(),
        })
    }
}

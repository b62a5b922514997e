//! Small numerical helpers shared by the estimators.

use crate::{Bootstrap, EstimatorError, Interval, Scales};
use percolab_random::{ChaCha8Rng, RngExt};

/// Percentile `p` (0..=100) of sorted values, interpolating linearly between order statistics
/// (numpy's default "linear" method).
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let (lo, frac) = (libm::floor(pos) as usize, pos - libm::floor(pos));
    if lo + 1 < sorted.len() {
        sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
    } else {
        sorted[lo]
    }
}

pub(crate) fn check_bootstrap(b: &Bootstrap) -> Result<(), EstimatorError> {
    let (lo, hi) = b.percentiles;
    if !(0.0..=100.0).contains(&lo) {
        return Err(EstimatorError::InvalidOption { name: "bootstrap.percentiles.0", value: lo, expected: "0 <= low < high <= 100" });
    }
    if !(hi > lo && hi <= 100.0) {
        return Err(EstimatorError::InvalidOption { name: "bootstrap.percentiles.1", value: hi, expected: "0 <= low < high <= 100" });
    }
    Ok(())
}

/// The percentile interval of the finite replicates (None if there are none).
pub(crate) fn interval(mut reps: Vec<f64>, b: &Bootstrap) -> Option<Interval> {
    reps.retain(|v| v.is_finite());
    if reps.is_empty() {
        return None;
    }
    reps.sort_unstable_by(f64::total_cmp);
    Some(Interval { low: percentile(&reps, b.percentiles.0), high: percentile(&reps, b.percentiles.1), replicates: reps.len() })
}

/// Per-column intervals of `reps` (row-major `[replicates, cols]`).
pub(crate) fn intervals(reps: &[f64], cols: usize, b: &Bootstrap) -> Vec<Interval> {
    if reps.is_empty() {
        return Vec::new();
    }
    let nan = Interval { low: f64::NAN, high: f64::NAN, replicates: 0 };
    (0..cols).map(|c| interval(reps.iter().skip(c).step_by(cols).copied().collect(), b).unwrap_or(nan)).collect()
}

/// Multiplicities of a resample of `n` items with replacement (the multinomial weights of one
/// bootstrap replicate), written into `w`.
pub(crate) fn resample_weights(rng: &mut ChaCha8Rng, n: usize, w: &mut Vec<u32>) {
    w.clear();
    w.resize(n, 0);
    for _ in 0..n {
        w[rng.random_range(0..n as u32) as usize] += 1;
    }
}

/// Least-squares slope of `y` on `x` (with intercept).
pub(crate) fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
    }
    sxy / sxx
}

/// `dy/dx` at every grid point: second-order central differences inside (non-uniform spacing),
/// first-order one-sided at the ends (as `numpy.gradient` with `edge_order=1`). NaN for one point.
pub(crate) fn gradient(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n < 2 {
        return vec![f64::NAN; n];
    }
    (0..n)
        .map(|i| {
            if i == 0 {
                (y[1] - y[0]) / (x[1] - x[0])
            } else if i == n - 1 {
                (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2])
            } else {
                let (h0, h1) = (x[i] - x[i - 1], x[i + 1] - x[i]);
                (h0 * h0 * y[i + 1] - h1 * h1 * y[i - 1] + (h1 * h1 - h0 * h0) * y[i]) / (h0 * h1 * (h0 + h1))
            }
        })
        .collect()
}

/// Slopes of `ln y` against `ln x` between consecutive points, at the geometric midpoints.
pub(crate) fn local_slopes(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mids = x.windows(2).map(|w| libm::sqrt(w[0] * w[1])).collect();
    let s = x
        .windows(2)
        .zip(y.windows(2))
        .map(|(a, b)| {
            if b[0] > 0.0 && b[1] > 0.0 {
                (libm::log(b[1]) - libm::log(b[0])) / (libm::log(a[1]) - libm::log(a[0]))
            } else {
                f64::NAN
            }
        })
        .collect();
    (mids, s)
}

/// `count` log-spaced values from `min` to `max` inclusive.
pub(crate) fn log_spaced(min: f64, max: f64, count: usize) -> Vec<f64> {
    let (a, b) = (libm::log(min), libm::log(max));
    (0..count)
        .map(|i| match i {
            0 => min,
            _ if i == count - 1 => max,
            _ => libm::exp(a + (b - a) * i as f64 / (count - 1) as f64),
        })
        .collect()
}

/// Resolves `scales`; `auto(k)` supplies (k-th neighbour scale, diameter) only when needed.
pub(crate) fn resolve_scales(
    scales: &Scales,
    auto: impl FnOnce(usize) -> (f64, f64),
) -> Result<Vec<f64>, EstimatorError> {
    use EstimatorError::InvalidScales;
    let v = match scales {
        Scales::Auto { count, lower_neighbor, upper_fraction } => {
            if *count < 2 || *lower_neighbor == 0 {
                return Err(InvalidScales { reason: "Auto needs count >= 2 and lower_neighbor >= 1" });
            }
            if !(*upper_fraction > 0.0 && upper_fraction.is_finite()) {
                return Err(InvalidScales { reason: "Auto needs a positive upper_fraction" });
            }
            let (nn, diam) = auto(*lower_neighbor);
            if nn.is_nan() || nn <= 0.0 {
                return Err(InvalidScales {
                    reason: "the neighbour scale is 0 (duplicate points); raise lower_neighbor or give LogSpaced or Explicit scales",
                });
            }
            if upper_fraction * diam <= nn || diam.is_nan() || nn.is_infinite() {
                return Err(InvalidScales {
                    reason: "upper_fraction x diameter is not above the neighbour scale (too few points for a scaling \
                             range, or too few neighbours); raise upper_fraction, lower lower_neighbor or give scales",
                });
            }
            log_spaced(nn, upper_fraction * diam, *count)
        }
        Scales::LogSpaced { min, max, count } => {
            if *count < 2 || !(*min > 0.0 && max > min && max.is_finite()) {
                return Err(InvalidScales { reason: "LogSpaced needs 0 < min < max (finite) and count >= 2" });
            }
            log_spaced(*min, *max, *count)
        }
        Scales::Explicit(v) => {
            let ok = v.len() >= 2 && v[0] > 0.0 && v.iter().all(|s| s.is_finite()) && v.windows(2).all(|w| w[1] > w[0]);
            if !ok {
                return Err(InvalidScales { reason: "Explicit needs at least 2 finite, positive, strictly increasing scales" });
            }
            v.clone()
        }
    };
    Ok(v)
}

/// Indices of the scales inside `range` (all when None); at least two.
pub(crate) fn fit_indices(scales: &[f64], range: Option<(f64, f64)>) -> Result<Vec<usize>, EstimatorError> {
    let (low, high) = range.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
    let idx: Vec<usize> = (0..scales.len()).filter(|&i| scales[i] >= low && scales[i] <= high).collect();
    if idx.len() < 2 {
        return Err(EstimatorError::FitRange { low, high, inside: idx.len() });
    }
    Ok(idx)
}

/// Checks a q grid: non-empty, finite, strictly increasing.
pub(crate) fn check_q(q: &[f64]) -> Result<(), EstimatorError> {
    if q.is_empty() {
        return Err(EstimatorError::EmptyQ);
    }
    if let Some(i) = (0..q.len()).find(|&i| !q[i].is_finite() || (i > 0 && q[i] <= q[i - 1])) {
        return Err(EstimatorError::QNotIncreasing { index: i });
    }
    Ok(())
}

/// Up to `max` centre indices: all points in order, or the first `max` of a seeded permutation.
pub(crate) fn centres(n: usize, max: Option<usize>, rng: &mut ChaCha8Rng) -> Result<Vec<u32>, EstimatorError> {
    match max {
        Some(0) => Err(EstimatorError::InvalidOption { name: "max_centres", value: 0.0, expected: "at least 1" }),
        Some(m) if m < n => {
            let mut p = percolab_random::permutation(rng, n);
            p.truncate(m);
            Ok(p)
        }
        _ => Ok((0..n as u32).collect()),
    }
}

/// Bootstrap units for `nc` centres: up to 1000 blocks of consecutive centres (single centres when
/// `nc <= 1000`), so a replicate costs O(blocks), not O(centres). With all points as centres in data
/// order this is a block bootstrap, which also respects correlation along the data order.
pub(crate) fn blocks(nc: usize) -> Vec<std::ops::Range<usize>> {
    let g = nc.min(1000);
    (0..g).map(|i| i * nc / g..(i + 1) * nc / g).collect()
}

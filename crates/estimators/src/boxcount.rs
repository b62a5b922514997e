//! Box counting: `D_0` from the number of occupied boxes, and optionally `tau(q)` from box
//! partition sums `Z(q, eps) = sum_boxes (n_b/n)^q ~ eps^tau(q)` (standard convention, as the sandbox).
//!
//! Boxes are the cells of the grid `floor(x_j / eps + u_j)` anchored at the coordinate origin
//! (`u = 0` for the estimate). Cells are identified exactly in d <= 2 and by a 128-bit hash of the
//! integer coordinates above (a collision among 1e6 boxes has probability ~1e-27). Coordinates beyond
//! ±2^63 boxes saturate.
//!
//! The interval comes from random grid offsets `u_j ~ U[0, 1)`, not from resampling points: a resample
//! holds only ~63% distinct points, which would bias the counts at small boxes downward. It measures
//! the sensitivity to grid placement.

use crate::geometry::auto_scales;
use crate::stats::{check_bootstrap, check_q, fit_indices, interval, intervals, resolve_scales, slope};
use crate::{check_points, rng, Bootstrap, EstimatorError, Interval, Scales};
use percolab_random::RngExt;

const TAG: u64 = 6;

#[derive(Clone, Debug, PartialEq)]
pub struct BoxCounting {
    /// Box side lengths. Default `Auto { count: 12, lower_neighbor: 10, upper_fraction: 0.5 }`: from
    /// the 10th-neighbour scale to half the diameter.
    pub sizes: Scales,
    /// Moments for `tau(q)`, strictly increasing; empty (default) computes only `D_0`.
    pub q: Vec<f64>,
    /// Box sizes `[low, high]` used in the fits; `None` (default) fits all.
    pub fit_range: Option<(f64, f64)>,
    /// Replicates are random grid offsets. Default 32 replicates, 16th–84th percentile.
    pub bootstrap: Bootstrap,
    /// Seed of the offsets. Default 0.
    pub seed: u64,
}

impl Default for BoxCounting {
    fn default() -> Self {
        BoxCounting {
            sizes: Scales::Auto { count: 12, lower_neighbor: 10, upper_fraction: 0.5 },
            q: Vec::new(),
            fit_range: None,
            bootstrap: Bootstrap { replicates: 32, ..Bootstrap::default() },
            seed: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BoxCountingFit {
    /// `D_0`: slope of `ln N(eps)` against `ln(1/eps)`.
    pub dimension: f64,
    pub interval: Option<Interval>,
    pub sizes: Vec<f64>,
    /// Occupied boxes `N(eps)` per size.
    pub counts: Vec<u64>,
    pub q: Vec<f64>,
    /// `tau(q)`: slope of `ln Z(q, eps)` against `ln eps` (at q = 1, 0).
    pub tau: Vec<f64>,
    /// `D_q = tau(q)/(q-1)`; at q = 1, `D_1` = slope of `sum mu ln mu` against `ln eps`.
    pub generalized_dimensions: Vec<f64>,
    pub tau_intervals: Vec<Interval>,
    /// Row-major `[q, sizes]`: `ln Z(q, eps)`; the row of q = 1 holds `sum mu ln mu`.
    pub log_partition: Vec<f64>,
}

impl BoxCounting {
    pub fn fit(&self, points: &[f32], d: usize) -> Result<BoxCountingFit, EstimatorError> {
        check_bootstrap(&self.bootstrap)?;
        if !self.q.is_empty() {
            check_q(&self.q)?;
        }
        let n = check_points(points, d)?;
        if n < 2 {
            return Err(EstimatorError::TooFewPoints { estimator: "box counting", n, needed: 2 });
        }
        let pilot: Vec<u32> = (0..n.min(64) as u32).collect();
        let sizes = resolve_scales(&self.sizes, |k| auto_scales(points, d, &pilot, k))?;
        let fit = fit_indices(&sizes, self.fit_range)?;
        let x: Vec<f64> = fit.iter().map(|&i| libm::log(sizes[i])).collect();
        let (ns, nq) = (sizes.len(), self.q.len());
        let mut keys = Vec::with_capacity(n);
        let mut runs = Vec::new();
        let mut run = |offset: &[f64]| {
            let mut counts = Vec::with_capacity(ns);
            let mut z = vec![0.0; nq * ns];
            for (si, &eps) in sizes.iter().enumerate() {
                keys.clear();
                keys.extend(points.chunks_exact(d).map(|p| cell_key(p, eps, offset)));
                keys.sort_unstable();
                runs.clear();
                let mut start = 0;
                for i in 1..=n {
                    if i == n || keys[i] != keys[start] {
                        runs.push((i - start) as f64 / n as f64);
                        start = i;
                    }
                }
                counts.push(runs.len() as u64);
                for (qi, &q) in self.q.iter().enumerate() {
                    z[qi * ns + si] = if q == 1.0 { runs.iter().map(|&m| m * libm::log(m)).sum() } else { log_sum_pow(&runs, q) };
                }
            }
            let d0 = -slope(&x, &fit.iter().map(|&i| libm::log(counts[i] as f64)).collect::<Vec<_>>());
            let tau: Vec<f64> = (0..nq).map(|qi| slope(&x, &fit.iter().map(|&i| z[qi * ns + i]).collect::<Vec<_>>())).collect();
            (d0, counts, tau, z)
        };
        let (dimension, counts, slopes, log_partition) = run(&vec![0.0; d]);
        let (mut reps, mut reps_tau) = (Vec::new(), Vec::new());
        let mut r = rng(self.seed, TAG, 1);
        for _ in 0..self.bootstrap.replicates {
            let offset: Vec<f64> = (0..d).map(|_| r.random::<f64>()).collect();
            let (d0, _, t, _) = run(&offset);
            reps.push(d0);
            reps_tau.extend(self.q.iter().zip(t).map(|(&q, t)| if q == 1.0 { 0.0 } else { t }));
        }
        let tau = self.q.iter().zip(&slopes).map(|(&q, &t)| if q == 1.0 { 0.0 } else { t }).collect::<Vec<_>>();
        let generalized_dimensions = self.q.iter().zip(&slopes).map(|(&q, &t)| if q == 1.0 { t } else { t / (q - 1.0) }).collect();
        Ok(BoxCountingFit {
            dimension,
            interval: interval(reps, &self.bootstrap),
            sizes,
            counts,
            q: self.q.clone(),
            tau,
            generalized_dimensions,
            tau_intervals: intervals(&reps_tau, nq, &self.bootstrap),
            log_partition,
        })
    }
}

/// `ln sum_b m_b^q`, via log-sum-exp.
fn log_sum_pow(m: &[f64], q: f64) -> f64 {
    let top = m.iter().map(|&v| q * libm::log(v)).fold(f64::NEG_INFINITY, f64::max);
    top + libm::log(m.iter().map(|&v| libm::exp(q * libm::log(v) - top)).sum::<f64>())
}

/// The grid cell of `p`: exact in d <= 2, a 128-bit hash above.
fn cell_key(p: &[f32], eps: f64, offset: &[f64]) -> u128 {
    let cell = |j: usize| libm::floor(p[j] as f64 / eps + offset[j]) as i64 as u64;
    match p.len() {
        1 => cell(0) as u128,
        2 => ((cell(0) as u128) << 64) | cell(1) as u128,
        _ => {
            let (mut a, mut b) = (0x9e37_79b9_7f4a_7c15u64, 0xd1b5_4a32_d192_ed03u64);
            for j in 0..p.len() {
                let c = cell(j);
                a = mix(a ^ c);
                b = mix(b.rotate_left(23) ^ c.wrapping_mul(0xff51_afd7_ed55_8ccd));
            }
            ((a as u128) << 64) | b as u128
        }
    }
}

/// splitmix64's finalizer: a bijection of u64 with good avalanche.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

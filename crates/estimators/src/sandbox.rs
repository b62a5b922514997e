//! Generalized dimensions by the sandbox method (Tél, Fülöp & Vicsek, Physica A 1989).
//!
//! Centres `i` are (a seeded uniform subsample of) the data points, so they are drawn from the
//! measure itself; the bootstrap resamples them (in up to 1000 blocks of consecutive centres). `M_i(r)` = number of points within distance `r` of centre `i`, the centre
//! included (so `M_i >= 1` and every logarithm is finite). With `n` points:
//! - `tau(q)` = slope of `ln < (M_i(r)/n)^(q-1) >_i` against `ln r` (standard convention:
//!   `sum_boxes mu^q ~ r^tau(q)`, `tau(0) = -D_0`, `tau(1) = 0`, `tau(2) = D_2`);
//! - `D_q = tau(q) / (q-1)`; `D_1` = slope of `< ln(M_i(r)/n) >_i` (reported for q = 1 too);
//! - Legendre spectrum `alpha(q) = tau'(q)` by finite differences over the q grid (second order
//!   inside, one-sided at the ends), `f(alpha) = q alpha - tau`.
//!
//! NeuroMFA (Xiao et al., ICLR 2025; `joshuaxiao98/Neuron_MFA_LLM`, `analysis/multifractal.py`) sums
//! `(N_i(r)/N_i)^q` over *all* nodes, i.e. averages `mu^q` over centres, so its `tau_NMFA(q)` is our
//! `tau(q+1)`, its `alpha(q)` our `alpha(q+1)`, and its `alpha_0` (the `alpha` at the maximum of its
//! `f`, reached at its `q = 0`) is our `alpha(1) = D_1`, the information dimension. To reproduce its
//! grid `Q`, fit with `q = Q + 1` and read [`SandboxFit::neuromfa`].

use crate::geometry::{auto_scales, ball_counts, thresholds};
use crate::stats::{blocks, check_bootstrap, check_q, centres, fit_indices, gradient, interval, intervals, resample_weights, resolve_scales, slope};
use crate::{check_points, rng, Bootstrap, EstimatorError, Interval, Scales};

pub(crate) const TAG: u64 = 5;

/// Sandbox options.
#[derive(Clone, Debug, PartialEq)]
pub struct Sandbox {
    /// Strictly increasing moments. Default -3, -2.5, ..., 3 (13 values, q = 1 included).
    pub q: Vec<f64>,
    /// Default `Auto { count: 20, lower_neighbor: 10, upper_fraction: 0.1 }`: from the 10th-neighbour
    /// scale (below ~10 points per ball the centre's own count and Poisson noise flatten the slopes)
    /// to 10% of the diameter.
    pub radii: Scales,
    /// Radii `[low, high]` used in the fits; `None` (default) fits all.
    pub fit_range: Option<(f64, f64)>,
    /// At most this many centres (seeded uniform subsample); `None` uses every point. Default `Some(1000)`.
    pub max_centres: Option<usize>,
    /// Centres are resampled (in up to 1000 blocks of consecutive centres).
    pub bootstrap: Bootstrap,
    /// Seed of the subsample and bootstrap streams. Default 0.
    pub seed: u64,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox {
            q: (-6..=6).map(|i| i as f64 * 0.5).collect(),
            radii: Scales::Auto { count: 20, lower_neighbor: 10, upper_fraction: 0.1 },
            fit_range: None,
            max_centres: Some(1000),
            bootstrap: Bootstrap::default(),
            seed: 0,
        }
    }
}

/// A fitted sandbox analysis (standard convention; see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxFit {
    pub q: Vec<f64>,
    /// `tau(q)` (0 at q = 1).
    pub tau: Vec<f64>,
    /// `D_q = tau(q)/(q-1)`, and `D_1` at q = 1.
    pub generalized_dimensions: Vec<f64>,
    /// `D_1`, the information dimension.
    pub information_dimension: f64,
    /// Legendre spectrum: `alpha = tau'(q)`, `f = q alpha - tau`.
    pub alpha: Vec<f64>,
    pub f_alpha: Vec<f64>,
    /// Per-q bootstrap intervals (empty when the bootstrap is off).
    pub tau_intervals: Vec<Interval>,
    pub dimension_intervals: Vec<Interval>,
    pub information_interval: Option<Interval>,
    pub radii: Vec<f64>,
    /// Row-major `[q, radii]`: `ln <(M/n)^(q-1)>`; the row of q = 1 holds `<ln(M/n)>`.
    pub log_moments: Vec<f64>,
    /// `<ln(M/n)>` at every radius (its slope is `D_1`).
    pub log_mass: Vec<f64>,
    pub centres: usize,
    /// The `n` in `M/n`.
    pub n: usize,
}

/// [`SandboxFit`] in NeuroMFA's convention.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuroMfaView {
    /// NeuroMFA's q: ours minus 1.
    pub q: Vec<f64>,
    /// `tau_NMFA(q - 1) = tau(q)`.
    pub tau: Vec<f64>,
    /// `alpha_0 = D_1`.
    pub alpha_0: f64,
}

impl SandboxFit {
    pub fn neuromfa(&self) -> NeuroMfaView {
        NeuroMfaView { q: self.q.iter().map(|q| q - 1.0).collect(), tau: self.tau.clone(), alpha_0: self.information_dimension }
    }
}

impl Sandbox {
    pub fn fit(&self, points: &[f32], d: usize) -> Result<SandboxFit, EstimatorError> {
        self.check()?;
        let n = check_points(points, d)?;
        if n < 2 {
            return Err(EstimatorError::TooFewPoints { estimator: "the sandbox", n, needed: 2 });
        }
        let cs = centres(n, self.max_centres, &mut rng(self.seed, TAG, 0))?;
        let radii = resolve_scales(&self.radii, |k| auto_scales(points, d, &cs, k))?;
        let counts = ball_counts(points, d, &cs, &thresholds(&radii, false));
        self.analyse(&counts, n, radii)
    }

    pub(crate) fn check(&self) -> Result<(), EstimatorError> {
        check_bootstrap(&self.bootstrap)?;
        check_q(&self.q)
    }

    /// The fit from per-centre cumulative counts of *other* points (row-major `[centres, radii]`).
    pub(crate) fn analyse(&self, counts: &[u32], n: usize, radii: Vec<f64>) -> Result<SandboxFit, EstimatorError> {
        let (nr, nq) = (radii.len(), self.q.len());
        let nc = counts.len() / nr;
        let fit = fit_indices(&radii, self.fit_range)?;
        let x: Vec<f64> = fit.iter().map(|&i| libm::log(radii[i])).collect();
        let fit_slope = |y: &[f64]| slope(&x, &fit.iter().map(|&i| y[i]).collect::<Vec<_>>());
        // a[r][c] = ln(M_c(r)/n), laid out by radius so sums over centres are contiguous.
        let ln_n = libm::log(n as f64);
        let mut a = vec![0.0; nr * nc];
        for (c, row) in counts.chunks_exact(nr).enumerate() {
            for (r, &m) in row.iter().enumerate() {
                a[r * nc + c] = libm::log(m as f64 + 1.0) - ln_n;
            }
        }
        // Everything below works on sums over bootstrap blocks of centres: sum_a[r][g] of a, and for
        // q != 1, sum_e[q][r][g] of exp((q-1) a - s[q][r]) with s the max over centres (log-sum-exp).
        let bl = blocks(nc);
        let (ng, sizes) = (bl.len(), bl.iter().map(|b| b.len() as f64).collect::<Vec<_>>());
        let block_sums = |v: &[f64], out: &mut [f64]| out.iter_mut().zip(&bl).for_each(|(o, b)| *o = v[b.clone()].iter().sum());
        let mut sum_a = vec![0.0; nr * ng];
        for r in 0..nr {
            block_sums(&a[r * nc..][..nc], &mut sum_a[r * ng..][..ng]);
        }
        let (mut s, mut sum_e, mut buf) = (vec![0.0; nq * nr], vec![0.0; nq * nr * ng], vec![0.0; nc]);
        for (qi, &q) in self.q.iter().enumerate().filter(|(_, &q)| q != 1.0) {
            for r in 0..nr {
                let ar = &a[r * nc..][..nc];
                let m = ar.iter().map(|&v| (q - 1.0) * v).fold(f64::NEG_INFINITY, f64::max);
                s[qi * nr + r] = m;
                buf.iter_mut().zip(ar).for_each(|(b, &v)| *b = libm::exp((q - 1.0) * v - m));
                block_sums(&buf, &mut sum_e[(qi * nr + r) * ng..][..ng]);
            }
        }
        // Moments and slopes for block multiplicities w (all 1 for the fit itself).
        let moments = |w: &[u32]| {
            let total: f64 = w.iter().zip(&sizes).map(|(&k, s)| k as f64 * s).sum();
            let dot = |v: &[f64]| v.iter().zip(w).map(|(x, &k)| x * k as f64).sum::<f64>() / total;
            let log_mass: Vec<f64> = (0..nr).map(|r| dot(&sum_a[r * ng..][..ng])).collect();
            let y: Vec<f64> = (0..nq * nr)
                .map(|i| if self.q[i / nr] == 1.0 { log_mass[i % nr] } else { s[i] + libm::log(dot(&sum_e[i * ng..][..ng])) })
                .collect();
            let d1 = fit_slope(&log_mass);
            let tau: Vec<f64> =
                self.q.iter().enumerate().map(|(qi, &q)| if q == 1.0 { 0.0 } else { fit_slope(&y[qi * nr..][..nr]) }).collect();
            let dq = self.q.iter().zip(&tau).map(|(&q, &t)| if q == 1.0 { d1 } else { t / (q - 1.0) }).collect::<Vec<_>>();
            (y, log_mass, tau, dq, d1)
        };
        let (log_moments, log_mass, tau, generalized_dimensions, information_dimension) = moments(&vec![1; ng]);
        let (mut reps_tau, mut reps_dq, mut reps_d1, mut w) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut rg = rng(self.seed, TAG, 1);
        for _ in 0..self.bootstrap.replicates {
            resample_weights(&mut rg, ng, &mut w);
            let (_, _, t, dq, d1) = moments(&w);
            reps_tau.extend(t);
            reps_dq.extend(dq);
            reps_d1.push(d1);
        }
        let alpha = gradient(&self.q, &tau);
        let f_alpha = self.q.iter().zip(&alpha).zip(&tau).map(|((q, a), t)| q * a - t).collect();
        Ok(SandboxFit {
            q: self.q.clone(),
            tau,
            generalized_dimensions,
            information_dimension,
            alpha,
            f_alpha,
            tau_intervals: intervals(&reps_tau, nq, &self.bootstrap),
            dimension_intervals: intervals(&reps_dq, nq, &self.bootstrap),
            information_interval: interval(reps_d1, &self.bootstrap),
            radii,
            log_moments,
            log_mass,
            centres: nc,
            n,
        })
    }
}

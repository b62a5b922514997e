//! Generalized dimensions by the sandbox method (Tél, Fülöp & Vicsek, Physica A 1989).
//!
//! Centres `i` are (a seeded uniform subsample of) the data points, so they are drawn from the
//! measure itself; the bootstrap resamples them (in up to 1000 blocks of consecutive centres).
//! `M_i(r)` = number of *other* points within distance `r` of centre `i` (by default; see
//! [`Sandbox::count_centre`]), so `M_i(r)/(n-1)` is the unbiased sample estimate of the mass
//! `mu(B(x_i, r))` of the ball, exactly as in the correlation integral, which also leaves out self
//! pairs. With `n` points:
//! - `tau(q)` = slope of `ln < (M_i(r)/(n-1))^(q-1) >_i` against `ln r` (standard convention:
//!   `sum_boxes mu^q ~ r^tau(q)`, `tau(0) = -D_0`, `tau(1) = 0`, `tau(2) = D_2`); at q = 2 this is the
//!   slope of `ln C(r)`, so the sandbox `D_2` is the correlation dimension on the same radii;
//! - `D_q = tau(q) / (q-1)`; `D_1` = slope of `< ln(M_i(r)/(n-1)) >_i` (reported for q = 1 too);
//! - Legendre spectrum `alpha(q) = tau'(q)` by finite differences over the q grid (second order
//!   inside, one-sided at the ends), `f(alpha) = q alpha - tau`.
//!
//! For `q <= 1` a ball with no other point makes the moment infinite, so the fit uses only the radii
//! (inside `fit_range`) at which every centre's ball holds at least one other point
//! ([`SandboxFit::fitted`] says which); with the default radii this only trims radii below the
//! nearest-neighbour scale of the sparsest centres.
//!
//! Why the centre is not counted (issue 12, item 6). Counting it (`M_i >= 1`, the lattice-cluster
//! convention, and what this module did before) adds 1 to every count. Where a ball holds few points
//! that flattens `ln M` against `ln r` by a factor of about `M/(M+1)`, and the weight
//! `(M+1)^(q-1)` gives the sparsest balls the most say exactly when `q < 1`: the bias grows as `q`
//! falls, so `D_q` *rose* with `q` (which no measure allows) and the Legendre spectrum went above
//! `D_0`. On 20 000 sites of a critical cluster in R^16 (seed 11, default radii 1.76 ... 3.44, where
//! the median ball holds 10 to ~50 other points) the centre-counting sandbox gave D_-3 = 3.08,
//! D_0 = 3.35, D_2 = 3.44, D_3 = 3.45 and f(alpha) up to 0.46 above D_0, against CorrInt's 3.53 (all pairs);
//! counting only the other points gives D_-3 = 3.81, D_0 = 3.63, D_2 = 3.56, D_3 = 3.54 on the same
//! points, centres and radii, and f <= D_0. Over six such clusters the old convention's D_3 - D_-3
//! averaged +0.49 and its D_2 sat 0.09-0.20 below CorrInt; now D_2 is within 0.05 of CorrInt and no
//! D_q rises above a lower q's 95% bootstrap band (test `sandbox_on_percolation_clusters` in
//! `tests/known_answers.rs`, which keeps the old convention
//! to show the rise). What remains is finite-size scatter of either sign: D_q for q < 0 rests on the
//! few sparsest balls (sites on a chain, whose mass grows like r^2 until branches catch up), so
//! D_-3 ranged 3.57-4.36 over those six clusters with 95% bands +-0.2-0.3. Graphs (weights mode)
//! keep counting the centre, as NeuroMFA does.
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
    /// Radii `[low, high]` used in the fits; `None` (default) fits all (radii with an empty ball are
    /// left out either way; see the module docs).
    pub fit_range: Option<(f64, f64)>,
    /// At most this many centres (seeded uniform subsample); `None` uses every point. Default `Some(1000)`.
    pub max_centres: Option<usize>,
    /// Centres are resampled (in up to 1000 blocks of consecutive centres).
    pub bootstrap: Bootstrap,
    /// Seed of the subsample and bootstrap streams. Default 0.
    pub seed: u64,
    /// Count the centre in its own ball (`M_i >= 1`, masses over `n`): the convention for a lattice
    /// cluster or a network, where the centre is part of the mass around it. Default `false` for
    /// points (`M_i` counts the other points, masses over `n - 1`; see the module docs for why);
    /// weights mode sets it, as NeuroMFA does.
    pub count_centre: bool,
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
            count_centre: false,
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
    /// The smallest and largest radius used in the fits: `fit_range`, less the radii at which some
    /// centre's ball holds no other point.
    pub fitted: (f64, f64),
    /// Row-major `[q, radii]`: `ln <(M/n)^(q-1)>`; the row of q = 1 holds `<ln(M/n)>` (with `n` the
    /// normaliser below; `+inf` for q < 1 and `-inf` for q = 1 at a radius with an empty ball).
    pub log_moments: Vec<f64>,
    /// `<ln(M/n)>` at every radius (its slope is `D_1`).
    pub log_mass: Vec<f64>,
    pub centres: usize,
    /// The `n` in `M/n`: the number of points less one (the other points a ball can hold), or the
    /// number of points (nodes) with [`Sandbox::count_centre`].
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

    /// The fit from per-centre cumulative counts of *other* points (row-major `[centres, radii]`),
    /// `n` points in all.
    pub(crate) fn analyse(&self, counts: &[u32], n: usize, radii: Vec<f64>) -> Result<SandboxFit, EstimatorError> {
        let (nr, nq) = (radii.len(), self.q.len());
        let nc = counts.len() / nr;
        let (extra, norm) = if self.count_centre { (1, n) } else { (0, n - 1) };
        // Radii inside the fit range at which every centre's ball holds a point.
        let requested = fit_indices(&radii, self.fit_range)?;
        let empty = |r: usize| counts.chunks_exact(nr).any(|row| row[r] + extra == 0);
        let fit: Vec<usize> = requested.iter().copied().filter(|&r| !empty(r)).collect();
        if fit.len() < 2 {
            let r = requested.iter().copied().rev().find(|&r| empty(r)).expect("an empty radius");
            return Err(EstimatorError::EmptyScale { scale: radii[r] });
        }
        let fitted = (radii[fit[0]], radii[fit[fit.len() - 1]]);
        let x: Vec<f64> = fit.iter().map(|&i| libm::log(radii[i])).collect();
        let fit_slope = |y: &[f64]| slope(&x, &fit.iter().map(|&i| y[i]).collect::<Vec<_>>());
        // a[r][c] = ln(M_c(r)/norm) (-inf for an empty ball), laid out by radius so sums over centres
        // are contiguous.
        let ln_n = libm::log(norm as f64);
        let mut a = vec![0.0; nr * nc];
        for (c, row) in counts.chunks_exact(nr).enumerate() {
            for (r, &m) in row.iter().enumerate() {
                a[r * nc + c] = libm::log((m + extra) as f64) - ln_n;
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
                // m = +inf: an empty ball at q < 1, the moment is infinite; m = -inf: every ball is
                // empty at q > 1, the moment is 0. Either way the row's y is m itself.
                let w = |v: f64| if m.is_finite() { libm::exp((q - 1.0) * v - m) } else { 1.0 };
                buf.iter_mut().zip(ar).for_each(|(b, &v)| *b = w(v));
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
            fitted,
            log_moments,
            log_mass,
            centres: nc,
            n: norm,
        })
    }
}

//! The Hadamard model on sampled data: `y = ReLU(A (W x + mean))` with `W` from [`Hadamard`] and the
//! two scalars `A`, `mean` fitted to one sample, the loss reported on an independent one.
//!
//! A sample is kept compactly: features that are on keep their `(W x)_i, x_i` pair; features that are
//! off (a fraction `1 - p`) only add `(W x)_i` to a fine histogram holding count, sum and sum of
//! squares per bin, which gives their loss `A^2 sum over (W x)_i > -mean of ((W x)_i + mean)^2` exactly
//! except in the one bin the threshold falls in (an error below `A^2 count width^2`).

use percolab_random::{stream, Purpose};

use crate::closed_form::closed_form;
use crate::hadamard::Hadamard;
use crate::minimize::nelder_mead;
use crate::{sample_features, streams, Shape};

const BINS: usize = 8192;
/// The histogram spans the cross-talk's mean plus or minus this many sds; outside it, two catch-all bins.
const SPAN_SDS: f64 = 12.0;

#[derive(Clone, Copy, Debug, Default)]
struct Bin {
    count: f64,
    sum: f64,
    squares: f64,
}

impl Bin {
    fn add(&mut self, u: f64) {
        self.count += 1.0;
        self.sum += u;
        self.squares += u * u;
    }
}

/// One sample of the Hadamard model's pre-activations `W x` beside the features `x`.
pub struct Sample {
    /// Pairs `(W x)_i, x_i` of the features that are on.
    on: Vec<(f64, f64)>,
    /// Off features' `(W x)_i`: `BINS` bins from `low` of `width`, then below-range and above-range.
    bins: Vec<Bin>,
    low: f64,
    width: f64,
    entries: f64,
}

impl Sample {
    /// `rows` rows of features from `(seed, Superposition, index)`, pushed through `W`.
    pub fn draw(shape: Shape, hadamard: &Hadamard, rows: usize, seed: u64, index: u64) -> Sample {
        let sd = shape.crosstalk_variance().sqrt().max(1e-3);
        let low = shape.crosstalk_mean() - SPAN_SDS * sd;
        let width = 2.0 * SPAN_SDS * sd / BINS as f64;
        let mut sample = Sample { on: Vec::new(), bins: vec![Bin::default(); BINS + 2], low, width, entries: (rows * shape.n) as f64 };
        let mut rng = stream(seed, Purpose::Superposition, index);
        let (mut x, mut u) = (vec![0.0; shape.n], vec![0.0; shape.n]);
        for _ in 0..rows {
            sample_features(&mut rng, shape.p, &mut x);
            hadamard.apply(&x, &mut u);
            for (&xi, &ui) in x.iter().zip(&u) {
                if xi != 0.0 {
                    sample.on.push((ui, xi));
                } else {
                    let b = sample.bin_of(ui);
                    sample.bins[b].add(ui);
                }
            }
        }
        sample
    }

    fn bin_of(&self, u: f64) -> usize {
        let k = ((u - self.low) / self.width).floor();
        if k < 0.0 {
            BINS
        } else if k >= BINS as f64 {
            BINS + 1
        } else {
            k as usize
        }
    }

    /// Mean squared error per feature of `ReLU(a (u + mean))` against `x`.
    pub fn loss(&self, a: f64, mean: f64) -> f64 {
        let on: f64 = self
            .on
            .iter()
            .map(|&(u, x)| {
                let y = (a * (u + mean)).max(0.0);
                (y - x) * (y - x)
            })
            .sum();
        // Off features: each bin whose mean pre-activation is positive counts whole.
        let off: f64 = self
            .bins
            .iter()
            .filter(|b| b.count > 0.0 && a * (b.sum / b.count + mean) > 0.0)
            .map(|b| a * a * (b.squares + 2.0 * mean * b.sum + mean * mean * b.count))
            .sum();
        (on + off) / self.entries
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HadamardFit {
    /// Loss on the held-out sample.
    pub loss: f64,
    /// Loss on the sample the scalars were fitted on.
    pub fit_loss: f64,
    pub a: f64,
    /// The learned `mean` (the closed form's `c` plus `p/2` when `m < n`).
    pub mean: f64,
    /// Rows in each of the two samples.
    pub rows: usize,
}

/// Rows per sample by default: about 2^23 features, at least 256 rows.
pub fn default_rows(n: usize) -> usize {
    ((1usize << 23) / n).max(256)
}

/// Fits `A` and `mean` on `rows` rows from `(seed, Superposition, FIT)`, starting from the closed
/// form's optimum, and measures the loss on `rows` rows from `(seed, Superposition, EVAL)`.
pub fn simulate(shape: Shape, rows: usize, seed: u64) -> HadamardFit {
    let hadamard = Hadamard::new(shape, seed);
    let fit = Sample::draw(shape, &hadamard, rows, seed, streams::FIT);
    let start = closed_form(shape);
    let (v, fit_loss) = nelder_mead(|v| fit.loss(v[0].exp(), v[1]), [start.a.ln(), start.mean], [0.05, 0.02], 1e-15, 1000);
    let (a, mean) = (v[0].exp(), v[1]);
    drop(fit);
    let eval = Sample::draw(shape, &hadamard, rows, seed, streams::EVAL);
    HadamardFit { loss: eval.loss(a, mean), fit_loss, a, mean, rows }
}

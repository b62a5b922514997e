//! The Persian-rug toy model of superposition (Cowsik, Dolev & Infanger 2024, arXiv:2410.12101):
//! `n` sparse features (each 0 with probability `1 - p`, else uniform on [0, 1]) squeezed through `m`
//! hidden units and read back by `y = ReLU(W_out W_in x + b)`, scored by the mean squared error per
//! feature.
//!
//! - [`hadamard`]: the forward-engineered weights (`m` rows of a Sylvester Hadamard matrix, `W_out =
//!   W_in^T / m`), applied in `O(n log n)` per row by the fast Walsh–Hadamard transform.
//! - [`closed_form`]: the loss when the cross-talk is replaced by a Gaussian of the same variance.
//! - [`simulate`]: the Hadamard model on sampled data, its two scalars fitted to the sample.
//! - [`train`]: the full model (`W_in`, `W_out`, `b`) trained by the students crate's Adam.
//!
//! Random numbers come from the project's streams `(seed, Superposition, index)`: index 0 picks the
//! Hadamard rows, the others are data (see [`streams`]); a trained model's initial weights come from
//! `(seed, StudentInit, 0)`.

pub mod closed_form;
pub mod hadamard;
pub mod minimize;
pub mod simulate;
pub mod train;

pub use closed_form::{closed_form, closed_form_ratio, expected_loss, ClosedForm};
pub use hadamard::{fwht, Hadamard};
pub use simulate::{simulate, HadamardFit};
pub use train::{train, TrainOptions, Trained, Trainer};

use percolab_random::{Rng, RngExt};

/// Largest `n` accepted: the simulation and training hold a few arrays of `n * m` floats.
pub const MAX_FEATURES: usize = 1 << 16;

/// Side of the top-left block of `W` that results show (a picture, not the whole matrix).
pub const W_BLOCK: usize = 32;

/// Stream indices under `Purpose::Superposition`.
pub mod streams {
    /// The Hadamard rows kept in `W_in`.
    pub const ROWS: u64 = 0;
    /// The sample the Hadamard model's two scalars are fitted on.
    pub const FIT: u64 = 1;
    /// The held-out sample every reported simulated loss is measured on.
    pub const EVAL: u64 = 2;
    /// Training batch `t` of the trained model uses `TRAIN + t`.
    pub const TRAIN: u64 = 3;
}

#[derive(Clone, Debug, PartialEq)]
pub enum SuperpositionError {
    /// Sizes or probabilities out of range.
    Input(String),
    /// Training stopped producing finite losses.
    Diverged(String),
}

impl core::fmt::Display for SuperpositionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SuperpositionError::Input(m) | SuperpositionError::Diverged(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for SuperpositionError {}

/// `n` features, `m` hidden units, feature probability `p`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub n: usize,
    pub m: usize,
    pub p: f64,
}

impl Shape {
    pub fn new(n: usize, m: usize, p: f64) -> Result<Shape, SuperpositionError> {
        let bad = |m: String| Err(SuperpositionError::Input(m));
        if n < 2 || !n.is_power_of_two() || n > MAX_FEATURES {
            return bad(format!("n must be a power of two from 2 to {MAX_FEATURES} (a Sylvester Hadamard size), got {n}"));
        }
        if m == 0 || !m.is_power_of_two() {
            return bad(format!("m must be a power of two (it picks rows of a Sylvester Hadamard matrix), got {m}"));
        }
        if m > n {
            return bad(format!("m must be at most n = {n}, got {m}"));
        }
        if !(p > 0.0 && p <= 1.0) {
            return bad(format!("p must be in (0, 1], got {p}"));
        }
        Ok(Shape { n, m, p })
    }

    /// `r = m / n`.
    pub fn ratio(&self) -> f64 {
        self.m as f64 / self.n as f64
    }

    /// Variance of one feature: `p/3 - p^2/4`.
    pub fn feature_variance(&self) -> f64 {
        self.p / 3.0 - self.p * self.p / 4.0
    }

    /// Variance of the Hadamard model's cross-talk `(W x)_i - x_i`: `(1/r - 1)(p/3 - p^2/4)`, because
    /// every row of `W` has squared norm `n/m` and unit diagonal.
    pub fn crosstalk_variance(&self) -> f64 {
        (1.0 / self.ratio() - 1.0) * self.feature_variance()
    }

    /// Mean of the cross-talk: `-p/2` when `m < n` (the all-ones row is never kept, so every row of
    /// `W` sums to 0), 0 when `m = n` (`W = I`).
    pub fn crosstalk_mean(&self) -> f64 {
        if self.m < self.n {
            -self.p / 2.0
        } else {
            0.0
        }
    }

    /// Loss of the zero output: `E[x^2] = p/3`.
    pub fn zero_output_loss(&self) -> f64 {
        self.p / 3.0
    }

    /// The optimal linear (affine, rank `m`) model: the features are uncorrelated with equal variance,
    /// so keeping any `m` directions and the mean leaves `(1 - r)(p/3 - p^2/4)`.
    pub fn linear_loss(&self) -> f64 {
        (1.0 - self.ratio()) * self.feature_variance()
    }

    /// The reference code's linear baseline, `(n - m - 1)/n * p/3` (it drops the mean's direction and
    /// ignores the `p^2/4`): kept for comparison with the paper's plots.
    pub fn reference_linear_loss(&self) -> f64 {
        self.n.saturating_sub(self.m + 1) as f64 / self.n as f64 * self.p / 3.0
    }
}

/// Fills `out` with features: each is on with probability `p`, then uniform on [0, 1). The gaps
/// between features that are on are drawn directly (geometric, by inversion with libm's `log`, the same
/// bits natively and in wasm), so a row costs about `2 p n` draws rather than `n`.
pub fn sample_features<R: Rng + ?Sized>(rng: &mut R, p: f64, out: &mut [f64]) {
    out.fill(0.0);
    let log_off = libm::log1p(-p);
    let mut position = 0usize;
    loop {
        // Features skipped before the next one that is on: P(gap >= k) = (1 - p)^k.
        let gap = if p >= 1.0 { 0.0 } else { (libm::log1p(-rng.random::<f64>()) / log_off).floor() };
        if gap >= (out.len() - position) as f64 {
            return;
        }
        position += gap as usize;
        out[position] = rng.random::<f64>();
        position += 1;
    }
}

#[cfg(test)]
mod tests;

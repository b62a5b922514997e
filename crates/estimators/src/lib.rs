//! Intrinsic and generalized (multifractal) dimension estimators.
//!
//! Conventions:
//! - Points are f32, row-major `[n, d]`. Pairwise distances are computed as the neighbour index's
//!   reference does: f64 differences squared and summed in coordinate order, then `sqrt`.
//! - Estimators that only need k-NN distances ([`TwoNn`], [`Mle`], the radii of [`CorrInt`]) take a
//!   [`NeighborTable`], so any exact index can feed them; [`neighbor_table`] builds one by brute force.
//! - Options are plain structs with public fields and a documented `Default` (scikit-learn's keyword
//!   style: `TwoNn { discard_fraction: 0.2, ..Default::default() }`); `fit` returns a separate `*Fit`.
//! - Every fit carries a bootstrap [`Interval`] (default 16th–84th percentile of 200 replicates, the
//!   band the scaling fits use for exponents) plus the arrays needed to plot what was fitted.
//! - Randomness: `stream(seed, Purpose::Bootstrap, (tag << 8) | role)`, with one `tag` per estimator
//!   (TwoNN 1, MLE 2, CorrInt 3, correlation integral 4, sandbox 5 (points and graphs), box counting 6)
//!   and role 0 for the centre subsample, 1 for the bootstrap. Equal seeds reproduce a fit bit for bit.
//! - Float maths goes through `libm` (and IEEE `sqrt`), so native and wasm builds give the same bits.
//! - Memory is O(n k) for a table and O(n + centres x radii) otherwise; nothing is O(n^2) in memory.
//! - Multifractal exponents use the standard `tau(q) = (q-1) D_q`, with `sum_boxes mu^q ~ eps^tau(q)`
//!   (see [`sandbox`] for NeuroMFA's shifted convention).

use std::fmt;

pub mod boxcount;
pub mod corr;
mod geometry;
pub mod graph;
pub mod mle;
pub mod sandbox;
mod stats;
pub mod table;
pub mod twonn;

pub use boxcount::{BoxCounting, BoxCountingFit};
pub use corr::{CorrInt, CorrIntFit, CorrelationIntegral, CorrelationIntegralFit};
pub use graph::{LayerWeights, WeightGraph};
pub use mle::{Combine, Mle, MleFit};
pub use percolab_neighbors::NeighborsError;
pub use sandbox::{NeuroMfaView, Sandbox, SandboxFit};
pub use table::{neighbor_table, NeighborTable};
pub use twonn::{TwoNn, TwoNnFit};

/// What went wrong, phrased so the caller can fix it.
#[derive(Clone, Debug, PartialEq)]
pub enum EstimatorError {
    ZeroDimension,
    RaggedPoints { len: usize, d: usize },
    NonFinitePoint { row: usize, col: usize, value: f32 },
    /// `estimator` needs at least `needed` points (or rows), got `n`.
    TooFewPoints { estimator: &'static str, n: usize, needed: usize },
    /// The neighbour table has `k` columns, `estimator` needs `needed`.
    TableTooNarrow { estimator: &'static str, k: usize, needed: usize },
    /// A neighbour table entry is negative, not finite, or out of order.
    InvalidTable { row: usize, col: usize, value: f64 },
    RaggedTable { len: usize, k: usize },
    /// The neighbour table has `rows` rows for `n` points.
    TableRows { rows: usize, n: usize },
    /// `count` points have another point at distance 0, which makes the estimator infinite.
    Duplicates { estimator: &'static str, count: usize },
    InvalidOption { name: &'static str, value: f64, expected: &'static str },
    EmptyQ,
    QNotIncreasing { index: usize },
    InvalidScales { reason: &'static str },
    /// Fewer than two scales fall inside the fit range.
    FitRange { low: f64, high: f64, inside: usize },
    /// No pair (or box partition) at this scale: its logarithm is undefined.
    EmptyScale { scale: f64 },
    /// The data make the estimator undefined (e.g. all neighbour distances equal).
    Degenerate { estimator: &'static str, reason: &'static str },
    NoLayers,
    WeightShape { layer: usize, len: usize, outputs: usize, inputs: usize },
    LayerMismatch { layer: usize, inputs: usize, previous_outputs: usize },
    NonFiniteWeight { layer: usize, index: usize, value: f32 },
    Neighbors(NeighborsError),
}

impl fmt::Display for EstimatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use EstimatorError::*;
        match self {
            ZeroDimension => write!(f, "dimension must be at least 1"),
            RaggedPoints { len, d } => write!(f, "points have {len} values, not a multiple of dimension {d}"),
            NonFinitePoint { row, col, value } => {
                write!(f, "point {row}, coordinate {col} is {value}; remove or fix non-finite values")
            }
            TooFewPoints { estimator, n, needed } => {
                write!(f, "{estimator} needs at least {needed} points, got {n}; add points or lower k")
            }
            TableTooNarrow { estimator, k, needed } => write!(
                f,
                "{estimator} needs {needed} neighbours per point but the table has {k}; rebuild it with k >= {needed}"
            ),
            InvalidTable { row, col, value } => write!(
                f,
                "neighbour table row {row}, column {col} is {value}; distances must be finite, >= 0 and sorted ascending"
            ),
            TableRows { rows, n } => {
                write!(f, "the neighbour table has {rows} rows but there are {n} points; build it from the same points")
            }
            RaggedTable { len, k } => write!(f, "neighbour table has {len} values, not a multiple of k = {k}"),
            Duplicates { estimator, count } => write!(
                f,
                "{estimator}: {count} points have a duplicate (another point at distance 0), which makes the \
                 estimate infinite; deduplicate the data or set `duplicates: Duplicates::Drop`"
            ),
            InvalidOption { name, value, expected } => write!(f, "option `{name}` = {value}: expected {expected}"),
            EmptyQ => write!(f, "the q grid is empty; give at least one q"),
            QNotIncreasing { index } => {
                write!(f, "q values must be finite and strictly increasing (entry {index} is not)")
            }
            InvalidScales { reason } => write!(f, "invalid scales: {reason}"),
            FitRange { low, high, inside } => write!(
                f,
                "fit range [{low}, {high}] contains {inside} scale(s); widen it or add scales (need at least 2)"
            ),
            EmptyScale { scale } => write!(
                f,
                "no pairs (or no mass) at scale {scale}, so its logarithm is undefined; raise the smallest scale \
                 or narrow the fit range"
            ),
            Degenerate { estimator, reason } => write!(f, "{estimator} is undefined on these data: {reason}"),
            NoLayers => write!(f, "no weight matrices were given; pass at least one layer"),
            WeightShape { layer, len, outputs, inputs } => write!(
                f,
                "layer {layer} has {len} weights but declares {outputs} outputs x {inputs} inputs"
            ),
            LayerMismatch { layer, inputs, previous_outputs } => write!(
                f,
                "layer {layer} takes {inputs} inputs but layer {} has {previous_outputs} outputs",
                layer - 1
            ),
            NonFiniteWeight { layer, index, value } => {
                write!(f, "layer {layer}, weight {index} is {value}; weights must be finite")
            }
            Neighbors(e) => write!(f, "neighbour search: {e}"),
        }
    }
}

impl std::error::Error for EstimatorError {}

impl From<NeighborsError> for EstimatorError {
    fn from(e: NeighborsError) -> Self {
        EstimatorError::Neighbors(e)
    }
}

/// What to do with points whose nearest other point is at distance 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Duplicates {
    /// Fail with [`EstimatorError::Duplicates`] naming how many points are affected (default).
    #[default]
    Error,
    /// Leave those points out of the estimate (they still count as other points' neighbours).
    Drop,
}

/// Percentile bootstrap settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bootstrap {
    /// Number of replicates; 0 disables the interval. Default 200.
    pub replicates: usize,
    /// Lower and upper percentile, in [0, 100]. Default (16, 84): the 1-sigma band of a normal law.
    pub percentiles: (f64, f64),
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap { replicates: 200, percentiles: (16.0, 84.0) }
    }
}

/// A bootstrap percentile interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    /// Replicates that gave a finite value (the others are skipped, e.g. an empty resampled scale).
    pub replicates: usize,
}

/// Scales (radii or box sizes) at which a mass or count is measured.
#[derive(Clone, Debug, PartialEq)]
pub enum Scales {
    /// `count` log-spaced scales from the neighbour scale (median distance from up to 64 centres to
    /// their `lower_neighbor`-th nearest other point) to `upper_fraction` times the diameter (estimated
    /// by a double sweep: the farthest point from point 0, then the distance to the farthest from it;
    /// between half the diameter and the diameter, usually within a few percent of it).
    Auto { count: usize, lower_neighbor: usize, upper_fraction: f64 },
    /// `count` log-spaced scales from `min` to `max` inclusive.
    LogSpaced { min: f64, max: f64, count: usize },
    /// Strictly increasing positive scales.
    Explicit(Vec<f64>),
}

/// Validated `[n, d]` points; returns `n`.
pub(crate) fn check_points(points: &[f32], d: usize) -> Result<usize, EstimatorError> {
    if d == 0 {
        return Err(EstimatorError::ZeroDimension);
    }
    if points.len() % d != 0 {
        return Err(EstimatorError::RaggedPoints { len: points.len(), d });
    }
    if let Some(p) = points.iter().position(|v| !v.is_finite()) {
        return Err(EstimatorError::NonFinitePoint { row: p / d, col: p % d, value: points[p] });
    }
    assert!(points.len() / d <= u32::MAX as usize, "more points than u32 indices");
    Ok(points.len() / d)
}

/// `f` of every row of `table`, in row order (rows run concurrently with the `threads` feature; each
/// result depends on its row alone, so the output is identical).
pub(crate) fn map_rows<T: Send>(table: &NeighborTable, f: impl Fn(&[f64]) -> T + Sync) -> Vec<T> {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        table.distances().par_chunks_exact(table.k()).with_min_len(1024).map(&f).collect()
    }
    #[cfg(not(feature = "threads"))]
    table.rows().map(f).collect()
}

/// The random stream of `role` (0 subsample, 1 bootstrap) for the estimator `tag`.
pub(crate) fn rng(seed: u64, tag: u64, role: u64) -> percolab_random::ChaCha8Rng {
    percolab_random::stream(seed, percolab_random::Purpose::Bootstrap, (tag << 8) | role)
}

#[cfg(test)]
mod tests;

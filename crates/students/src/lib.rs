//! Neural-network students: fully connected networks (any widths; ReLU, tanh or GELU hidden layers, a
//! linear output) trained on mean squared error by minibatch Adam or SGD, on flat buffers.
//!
//! - Parameters are held in PyTorch's `nn.Linear` layout (`weight [out, in]`, then `bias [out]`, layer
//!   after layer), so weights export to PyTorch as they are and parity checks need no reshuffling.
//! - Every matrix product sums in one fixed order with separate multiply and add (`real::Real::gemm`),
//!   and a batch gradient is the in-order sum of fixed 32-row chunk gradients: the result is the same
//!   for the SIMD and scalar kernels and for any thread count.
//! - Random numbers come from the project's streams: initial weights from `(seed, StudentInit, index)`,
//!   minibatch order from `(seed, Minibatch, index)`.
//! - The network is generic over f32 (training) and f64 (gradient checks against finite differences).

pub mod fit;
pub mod network;
pub mod optim;
pub mod real;

pub use fit::{Fit, Record, Recipe, Scaling, Split, TRAIN_EVAL_ROWS};
pub use network::{finite_difference_error, Activation, Architecture, LayerSlot, Network, CHUNK_ROWS};
pub use optim::{Optimizer, OptimizerState, Schedule};
pub use real::Real;

#[derive(Clone, Debug, PartialEq)]
pub enum StudentError {
    /// Sizes that do not fit together (rows, targets, parameters, layers).
    Shape(String),
    /// Values a network cannot train on (NaN or infinite).
    Data(String),
    /// A recipe value out of range.
    Recipe(String),
    /// The loss stopped being finite.
    Diverged(String),
}

impl core::fmt::Display for StudentError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StudentError::Shape(m) | StudentError::Data(m) | StudentError::Recipe(m) | StudentError::Diverged(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StudentError {}

#[cfg(test)]
mod tests;

//! Critical percolation clusters on a Bethe lattice of coordination `z`.
//!
//! The cluster of a site is a Galton–Watson tree. Every site, the root included, has
//! `Bin(z-1, p)` children with `p = p_c = 1/(z-1)` (offspring mean 1). Using `z-1` bonds for the root
//! too is the common simplification (the lattice root really has `z`); it makes the offspring counts
//! i.i.d., which the exact size-`n` construction needs.
//!
//! Two samplers of a cluster with exactly `n` sites:
//! - [`Method::Exact`]: the tree conditioned on having `n` sites, exactly, in O(n) (cycle lemma).
//! - [`Method::GrowCut`]: grow trees breadth-first until one reaches `n` sites and cut it there; its
//!   geometry resembles the incipient infinite cluster rather than a conditioned tree.

mod exact;
mod grow;
mod offspring;
pub mod population;
mod tree;

pub use exact::{conditioned_offspring, cycle_lemma_rotation, sample_exact};
pub use grow::{grow, sample_grow_cut, Growth};
pub use offspring::{exact_offspring, Offspring, OffspringStream, RotationSearch};
pub use tree::{Tree, TreeError, MAX_SITES, ROOT};

use rand::Rng;

#[cfg(test)]
mod stats_tests;

/// The offspring law `Bin(m, 1/m)` with `m = z - 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lattice {
    /// Coordination number `z >= 2`.
    pub coordination: u32,
}

impl Lattice {
    pub fn new(coordination: u32) -> Result<Lattice, SampleError> {
        if coordination < 2 {
            return Err(SampleError::Coordination(coordination));
        }
        Ok(Lattice { coordination })
    }
    /// Bonds per site that lead away from the parent: `z - 1`.
    pub fn branches(&self) -> u32 {
        self.coordination - 1
    }
    /// The critical bond probability `p_c = 1/(z-1)`.
    pub fn critical_probability(&self) -> f64 {
        1.0 / self.branches() as f64
    }
    /// Variance of the offspring law, `(z-2)/(z-1)`.
    pub fn offspring_variance(&self) -> f64 {
        let m = self.branches() as f64;
        (m - 1.0) / m
    }
}

/// Which construction of a size-`n` cluster to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Exact,
    GrowCut,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SampleError {
    Coordination(u32),
    Size(u64),
}

impl std::fmt::Display for SampleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SampleError::Coordination(z) => write!(f, "coordination must be an integer >= 2, got {z}"),
            SampleError::Size(n) => write!(f, "cluster size must be between 1 and {}, got {n}", tree::MAX_SITES),
        }
    }
}

impl std::error::Error for SampleError {}

/// A critical cluster of exactly `n` sites.
pub fn sample<R: Rng + ?Sized>(rng: &mut R, lattice: Lattice, n: u64, method: Method) -> Result<Tree, SampleError> {
    // `coordination` is a public field, so a lattice need not have come through `Lattice::new`: with
    // z < 2 the exact sampler would never finish (n - 1 bonds in no slots) and grow-cut would panic.
    if lattice.coordination < 2 {
        return Err(SampleError::Coordination(lattice.coordination));
    }
    if n == 0 || n > tree::MAX_SITES {
        return Err(SampleError::Size(n));
    }
    Ok(match method {
        Method::Exact => sample_exact(rng, lattice, n as usize),
        Method::GrowCut => sample_grow_cut(rng, lattice, n as usize),
    })
}

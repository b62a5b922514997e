//! Embedders of percolation trees into R^d.
//!
//! - [`embed_naive`]: a given breadth-first parent array, all points in memory (the current pipeline).
//! - [`DepthFirst`]: one exact cluster read in depth-first preorder and streamed in chunks; memory is a
//!   chunk's steps and a stack of ancestor positions (`O(sqrt(n) d)`): the offspring counts are drawn
//!   again as they are read, not held.
//! - [`Branching`]: the branching embedder (a stand-in for a much larger cluster), recursive over `levels`, streamed leaf by leaf.
//! - [`PopulationStream`]: many clusters with power-law sizes, placed apart, each point with its cluster id.
//!
//! Every stream's rows equal, bit for bit, what the matching collecting function returns.

mod branching;
mod depth_first;
mod population;
mod stream;

pub use branching::{Branching, BranchingOptions, BranchingStream, Pick};
pub use depth_first::{embed_depth_first, rehearse_first_draw, DepthFirst, STEP_BUFFER_BYTES};
pub use population::{cluster_points, embed_population, Placement, PopulationStream};
pub use stream::{collect, PointStream};

use percolab_percolation::population::PopulationError;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Parent marker of the root, as in `percolab-percolation`.
const ROOT: u32 = u32::MAX;

#[derive(Clone, Debug, PartialEq)]
pub enum EmbedError {
    Dimension,
    NotBreadthFirst { site: usize },
    /// Cluster size outside `1..=2^32-1`.
    ClusterSize(u64),
    /// Stream index above 48 bits.
    Index(u64),
    Branches(u64),
    BaseSize(u64),
    /// `branchSize` outside `1..=baseSize` (`1..baseSize` when `branches > 1`).
    BranchSize { branch_size: u64, base_size: u64, branches: u64 },
    Levels(u32),
    /// `branches^levels` above 2^40, or `branches^levels * branchSize` above 2^53.
    TooManyPoints { branches: u64, levels: u32, branch_size: u64 },
    LeafRange { start: u64, end: u64, leaves: u64 },
    /// Collecting `rows` rows of `dimension` f32 would not fit in memory; stream it instead.
    TooLarge { rows: u64, dimension: usize },
    Population(PopulationError),
    Gap(f64),
    Spacing(f64),
}

impl std::fmt::Display for EmbedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmbedError::Dimension => write!(f, "embedding dimension must be at least 1"),
            EmbedError::NotBreadthFirst { site } => {
                write!(f, "site {site}: parents must precede their children (site 0 is the root)")
            }
            EmbedError::ClusterSize(n) => write!(f, "cluster size must be between 1 and {}, got {n}", u32::MAX),
            EmbedError::Index(i) => write!(f, "stream index must be below 2^48, got {i}"),
            EmbedError::Branches(b) => write!(f, "branches must be at least 1, got {b}"),
            EmbedError::BaseSize(n) => write!(f, "baseSize must be between 1 and {}, got {n}", u32::MAX),
            EmbedError::BranchSize { branch_size, base_size, branches } => {
                if *branches > 1 {
                    write!(f, "branchSize must be between 1 and baseSize - 1 ({}) when branches > 1 (a branch's root is \
                               its picked site, so it has baseSize - 1 sites of its own), got {branch_size}", base_size - 1)
                } else {
                    write!(f, "branchSize must be between 1 and baseSize ({base_size}), got {branch_size}")
                }
            }
            EmbedError::Levels(l) => write!(f, "levels must be between 1 and 15, got {l}"),
            EmbedError::TooManyPoints { branches, levels, branch_size } => write!(
                f,
                "branches^levels = {branches}^{levels} must be at most 2^40 and branches^levels x branchSize \
                 ({branch_size}) at most 2^53"
            ),
            EmbedError::LeafRange { start, end, leaves } => {
                write!(f, "leaf range {start}..{end} must be non-empty and within 0..{leaves}")
            }
            EmbedError::TooLarge { rows, dimension } => {
                write!(f, "{rows} rows of dimension {dimension} do not fit in memory at once: stream them in chunks")
            }
            EmbedError::Population(e) => e.fmt(f),
            EmbedError::Gap(g) => write!(f, "gap between clusters must be finite and >= 0, got {g}"),
            EmbedError::Spacing(s) => write!(f, "lattice spacing must be finite and > 0, got {s}"),
        }
    }
}

impl From<PopulationError> for EmbedError {
    fn from(e: PopulationError) -> Self {
        EmbedError::Population(e)
    }
}

impl std::error::Error for EmbedError {}

/// The naive random-walk embedder: the root at the origin, every child at `parent + r` with
/// `r ~ N(0, I_d / d)`, so `E|r|^2 = 1` (unit lattice spacing). Returns row-major `[n, d]` coordinates.
///
/// Steps are drawn in site order, `d` standard normals per non-root site. Coordinates accumulate in f32;
/// the rounding is IEEE and therefore the same on every platform.
pub fn embed_naive<R: Rng + ?Sized>(rng: &mut R, parents: &[u32], d: usize) -> Result<Vec<f32>, EmbedError> {
    if d == 0 {
        return Err(EmbedError::Dimension);
    }
    for (site, &p) in parents.iter().enumerate() {
        let ok = if site == 0 { p == ROOT } else { p != ROOT && (p as usize) < site };
        if !ok {
            return Err(EmbedError::NotBreadthFirst { site });
        }
    }
    let scale = 1.0 / (d as f64).sqrt();
    let mut x = vec![0f32; parents.len() * d];
    for site in 1..parents.len() {
        let (before, rest) = x.split_at_mut(site * d);
        let parent = &before[parents[site] as usize * d..][..d];
        for (out, &base) in rest[..d].iter_mut().zip(parent) {
            let step: f64 = StandardNormal.sample(rng);
            *out = base + (step * scale) as f32;
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests;

//! Embedders of breadth-first-ordered trees (given by their parent arrays) into R^d.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Parent marker of the root, as in `percolab-percolation`.
const ROOT: u32 = u32::MAX;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmbedError {
    Dimension,
    NotBreadthFirst { site: usize },
}

impl std::fmt::Display for EmbedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmbedError::Dimension => write!(f, "embedding dimension must be at least 1"),
            EmbedError::NotBreadthFirst { site } => {
                write!(f, "site {site}: parents must precede their children (site 0 is the root)")
            }
        }
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

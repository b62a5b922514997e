//! Embedding and placement of a cluster population ([`percolab_percolation::population`]).
//!
//! Cluster `id` is the exact tree from `(Cluster, id)` (breadth-first), embedded by [`crate::embed_naive`]
//! with steps from `(Embedding, id)`, i.e. exactly what `sampleCluster` + `embedNaive` give for index `id`,
//! then translated by the centre of lattice site `id`. Rows come cluster by cluster, in id order and
//! breadth-first within a cluster, each with its cluster id.

use crate::stream::{array_len, PointStream};
use crate::{embed_naive, EmbedError};
use percolab_percolation::population::Population;
use percolab_random::{stream, Purpose};

/// Where the clusters' roots go. All placements put root `id` on site `id` of a cubic grid of side
/// `L = ceil(clusters^(1/d))` (mixed radix, axis 0 fastest, only the `k` axes with `L^k >= clusters`
/// used), centred on the origin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placement {
    /// Grid spacing `2 * R_max + gap`, with `R_max` the largest distance of any point from its root over
    /// the whole population: the balls holding the clusters are then at least `gap` apart, so no two
    /// clusters overlap. Costs a first pass over all clusters to measure `R_max`.
    Separated { gap: f64 },
    /// Grid spacing given: one pass; clusters overlap if the spacing is below the sum of two radii.
    Lattice { spacing: f64 },
    /// Every root at the origin: the clusters overlap.
    Origin,
}

impl Default for Placement {
    /// Ten step lengths (the mean step length is 1) between the clusters' balls.
    fn default() -> Self {
        Placement::Separated { gap: 10.0 }
    }
}

/// Cluster `id` embedded with its root at the origin, row-major `[size, d]`.
pub fn cluster_points(population: &Population, id: u64, dimension: usize) -> Vec<f32> {
    let parents = population.cluster(id).into_parents();
    let mut rng = stream(population.seed(), Purpose::Embedding, id);
    embed_naive(&mut rng, &parents, dimension).expect("exact trees are breadth-first")
}

/// Largest distance of a point from the origin (the root).
fn radius(points: &[f32], dimension: usize) -> f64 {
    points
        .chunks_exact(dimension)
        .map(|x| x.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>())
        .fold(0.0, f64::max)
        .sqrt()
}

/// Streams a population cluster by cluster: holds one cluster (`size * d` floats) at a time.
pub struct PopulationStream {
    population: Population,
    dimension: usize,
    spacing: f64,
    side: u64,
    axes: usize,
    next: u64,
    current: Vec<f32>,
    row: usize,
    emitted: u64,
    total: u64,
}

impl PopulationStream {
    pub fn new(population: Population, dimension: usize, placement: Placement) -> Result<PopulationStream, EmbedError> {
        if dimension == 0 {
            return Err(EmbedError::Dimension);
        }
        let n = population.clusters();
        let spacing = match placement {
            Placement::Separated { gap } if !(gap.is_finite() && gap >= 0.0) => return Err(EmbedError::Gap(gap)),
            Placement::Lattice { spacing } if !(spacing.is_finite() && spacing > 0.0) => {
                return Err(EmbedError::Spacing(spacing))
            }
            Placement::Separated { gap } => {
                let widest =
                    (0..n).map(|id| radius(&cluster_points(&population, id, dimension), dimension)).fold(0.0, f64::max);
                2.0 * widest + gap
            }
            Placement::Lattice { spacing } => spacing,
            Placement::Origin => 0.0,
        };
        // Smallest side L with L^d >= n, then the fewest axes k with L^k >= n.
        let fits = |side: u64, axes: usize| (0..axes).try_fold(1u64, |p, _| p.checked_mul(side)).is_none_or(|p| p >= n);
        let mut side = libm::floor(libm::pow(n as f64, 1.0 / dimension as f64)).max(1.0) as u64;
        while !fits(side, dimension) {
            side += 1;
        }
        let axes = (0..=dimension).find(|&k| fits(side, k)).unwrap();
        let total = population.total_sites();
        Ok(PopulationStream {
            population,
            dimension,
            spacing,
            side,
            axes,
            next: 0,
            current: Vec::new(),
            row: 0,
            emitted: 0,
            total,
        })
    }

    /// Grid spacing in use (0 for [`Placement::Origin`]).
    pub fn spacing(&self) -> f64 {
        self.spacing
    }

    pub fn population(&self) -> &Population {
        &self.population
    }

    /// Where cluster `id`'s root sits.
    pub fn centre(&self, id: u64) -> Vec<f64> {
        let mut centre = vec![0.0; self.dimension];
        let mut rest = id;
        for c in centre.iter_mut().take(self.axes) {
            *c = ((rest % self.side) as f64 - (self.side - 1) as f64 / 2.0) * self.spacing;
            rest /= self.side;
        }
        centre
    }

    /// Like [`PointStream::fill`], also appending each row's cluster id to `ids`.
    pub fn fill_with_ids(&mut self, out: &mut Vec<f32>, ids: &mut Vec<u32>, rows: usize) -> usize {
        let before = out.len();
        let done = self.fill_rows(out, Some(ids), rows);
        debug_assert_eq!(out.len() - before, done * self.dimension);
        done
    }

    /// The next chunk of at most `rows` rows with their cluster ids, `None` once exhausted.
    pub fn next_chunk_with_ids(&mut self, rows: usize) -> Option<(Vec<f32>, Vec<u32>)> {
        let take = (rows as u64).min(self.remaining()) as usize;
        if take == 0 {
            return None;
        }
        let (mut out, mut ids) = (Vec::with_capacity(take * self.dimension), Vec::with_capacity(take));
        self.fill_with_ids(&mut out, &mut ids, take);
        Some((out, ids))
    }

    fn fill_rows(&mut self, out: &mut Vec<f32>, mut ids: Option<&mut Vec<u32>>, rows: usize) -> usize {
        let d = self.dimension;
        let mut done = 0;
        while done < rows && self.emitted < self.total {
            if self.row * d == self.current.len() {
                let id = self.next;
                let centre = self.centre(id);
                let mut points = cluster_points(&self.population, id, d);
                // In f64 then rounded once; the root (local 0) lands exactly on the rounded centre.
                for (i, v) in points.iter_mut().enumerate() {
                    *v = (centre[i % d] + *v as f64) as f32;
                }
                self.current = points;
                self.row = 0;
                self.next += 1;
            }
            let take = (rows - done).min(self.current.len() / d - self.row);
            out.extend_from_slice(&self.current[self.row * d..(self.row + take) * d]);
            if let Some(ids) = ids.as_deref_mut() {
                ids.extend(std::iter::repeat_n(self.next as u32 - 1, take));
            }
            self.row += take;
            done += take;
            self.emitted += take as u64;
        }
        done
    }
}

impl PointStream for PopulationStream {
    fn dimension(&self) -> usize {
        self.dimension
    }
    fn len(&self) -> u64 {
        self.total
    }
    fn position(&self) -> u64 {
        self.emitted
    }
    fn fill(&mut self, out: &mut Vec<f32>, rows: usize) -> usize {
        self.fill_rows(out, None, rows)
    }
}

/// All points of a population with their cluster ids: the collected [`PopulationStream`].
pub fn embed_population(
    population: Population,
    dimension: usize,
    placement: Placement,
) -> Result<(Vec<f32>, Vec<u32>), EmbedError> {
    let mut s = PopulationStream::new(population, dimension, placement)?;
    let rows = s.remaining();
    let (mut out, mut ids) = (Vec::with_capacity(array_len(rows, dimension)?), Vec::with_capacity(rows as usize));
    s.fill_with_ids(&mut out, &mut ids, rows as usize);
    Ok((out, ids))
}

#[cfg(test)]
mod tests;

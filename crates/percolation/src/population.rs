//! Populations of many clusters: Brill's model of real data (arXiv:2412.07942), each cluster a "context"
//! with its own target, cluster numbers falling as `n_s ~ s^(-5/2)` at criticality on the Bethe lattice.
//!
//! Cluster sizes follow the pure, truncated power law `P(s) ∝ s^(-tau)` on `[min_size, max_size]`
//! (default `tau = 5/2`), sampled by inversion of its exact normalised tail. The lattice model's own
//! cluster-number law, `n_s ∝ P(S = s) / s` with `P(S = s)` the critical total-progeny law, has the same
//! `s^(-5/2)` tail but `O(1/s)` corrections at small sizes; the pure law makes `tau` exact at every size,
//! so an exponent fitted on the population is the one asked for. Each cluster is then the exact critical
//! tree of its size.
//!
//! Streams: the size of cluster `id` is one uniform from `(Population, id)`; its tree comes from
//! `(Cluster, id)` via the exact sampler. Any cluster can be regenerated from `(seed, id)` alone.

use crate::tree::MAX_SITES;
use crate::{sample_exact, Lattice, Tree};
use percolab_random::{stream, Purpose};
use rand::{Rng, RngExt};

/// Options of a population; sizes are numbers of sites.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PopulationOptions {
    /// Number of clusters (ids `0..clusters`).
    pub clusters: u64,
    /// Smallest cluster size, `>= 1`.
    pub min_size: u64,
    /// Largest cluster size, `<= 2^32 - 1`.
    pub max_size: u64,
    /// `tau` in `n_s ∝ s^(-tau)`; finite and `> 1`.
    pub exponent: f64,
}

impl Default for PopulationOptions {
    fn default() -> Self {
        PopulationOptions { clusters: 1000, min_size: 10, max_size: 100_000, exponent: 2.5 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum PopulationError {
    Clusters(u64),
    MinSize(u64),
    MaxSize(u64),
    Bounds { min_size: u64, max_size: u64 },
    Exponent(f64),
    /// `min_size^(-exponent)` is below the smallest normal f64: the law's weights would all round to 0.
    Underflow { min_size: u64, exponent: f64 },
}

impl std::fmt::Display for PopulationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PopulationError::Clusters(n) => write!(f, "clusters must be between 1 and {}, got {n}", u32::MAX),
            PopulationError::MinSize(s) => write!(f, "minSize must be at least 1, got {s}"),
            PopulationError::MaxSize(s) => write!(f, "maxSize must be at most {MAX_SITES}, got {s}"),
            PopulationError::Bounds { min_size, max_size } => {
                write!(f, "minSize ({min_size}) must not exceed maxSize ({max_size})")
            }
            PopulationError::Exponent(t) => write!(f, "size exponent must be a finite number above 1, got {t}"),
            PopulationError::Underflow { min_size, exponent } => write!(
                f,
                "minSize^-exponent = {min_size}^-{exponent} underflows double precision, so every size would weigh 0; lower the size exponent or minSize"
            ),
        }
    }
}

impl std::error::Error for PopulationError {}

/// `sum_{k=a}^{b} k^(-tau)` for `1 <= a <= b`, `tau > 1`: terms below 32 summed directly, the rest by
/// Euler–Maclaurin with four Bernoulli corrections (remainder below 1e-14 of the sum for tau <= 4).
pub fn power_sum(a: u64, b: u64, tau: f64) -> f64 {
    const DIRECT_BELOW: u64 = 32;
    let f = |x: f64| libm::pow(x, -tau);
    let mut sum = 0.0;
    let mut k = a;
    while k <= b && k < DIRECT_BELOW {
        sum += f(k as f64);
        k += 1;
    }
    if k > b {
        return sum;
    }
    let (x, y) = (k as f64, b as f64);
    // Odd derivatives f^(2j-1)(x) = -tau (tau+1) ... (tau+2j-2) x^(-tau-2j+1).
    let d = |x: f64, j: i32| {
        let rising: f64 = (0..2 * j - 1).map(|i| tau + i as f64).product();
        -rising * libm::pow(x, -tau - (2 * j - 1) as f64)
    };
    let integral = (libm::pow(x, 1.0 - tau) - libm::pow(y, 1.0 - tau)) / (tau - 1.0);
    let corrections = (d(y, 1) - d(x, 1)) / 12.0 - (d(y, 2) - d(x, 2)) / 720.0 + (d(y, 3) - d(x, 3)) / 30240.0
        - (d(y, 4) - d(x, 4)) / 1209600.0;
    sum + integral + (f(x) + f(y)) / 2.0 + corrections
}

/// The truncated discrete power law `P(s) = s^(-tau) / Z` on `[min, max]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeLaw {
    min: u64,
    max: u64,
    tau: f64,
    /// `tail[i] = sum_{k=min+i}^{max} k^(-tau)` for the first sizes, where almost every draw lands.
    tail: Vec<f64>,
}

impl SizeLaw {
    const TABLE: u64 = 4096;

    pub fn new(min: u64, max: u64, tau: f64) -> Result<SizeLaw, PopulationError> {
        if min < 1 {
            return Err(PopulationError::MinSize(min));
        }
        if max > MAX_SITES {
            return Err(PopulationError::MaxSize(max));
        }
        if min > max {
            return Err(PopulationError::Bounds { min_size: min, max_size: max });
        }
        if !(tau.is_finite() && tau > 1.0) {
            return Err(PopulationError::Exponent(tau));
        }
        // Found by the property tests: with every weight 0 the inversion drew max_size every time.
        if libm::pow(min as f64, -tau) < f64::MIN_POSITIVE {
            return Err(PopulationError::Underflow { min_size: min, exponent: tau });
        }
        let len = (max - min + 1).min(Self::TABLE) as usize;
        let mut tail = vec![0.0; len];
        tail[len - 1] = power_sum(min + len as u64 - 1, max, tau);
        for i in (0..len - 1).rev() {
            tail[i] = tail[i + 1] + libm::pow((min + i as u64) as f64, -tau);
        }
        Ok(SizeLaw { min, max, tau, tail })
    }

    pub fn min(&self) -> u64 {
        self.min
    }
    pub fn max(&self) -> u64 {
        self.max
    }
    pub fn exponent(&self) -> f64 {
        self.tau
    }

    /// Normalising constant `Z = sum_{s=min}^{max} s^(-tau)`.
    pub fn normalisation(&self) -> f64 {
        self.tail[0]
    }

    pub fn pmf(&self, s: u64) -> f64 {
        if s < self.min || s > self.max {
            return 0.0;
        }
        libm::pow(s as f64, -self.tau) / self.tail[0]
    }

    /// `P(S >= s)`.
    pub fn tail(&self, s: u64) -> f64 {
        if s <= self.min {
            1.0
        } else if s > self.max {
            0.0
        } else {
            self.unnormalised_tail(s) / self.tail[0]
        }
    }

    fn unnormalised_tail(&self, s: u64) -> f64 {
        match self.tail.get((s - self.min) as usize) {
            Some(&t) => t,
            None => power_sum(s, self.max, self.tau),
        }
    }

    /// Inversion: with `u` uniform on `(0, 1]`, the largest `s` with `P(S >= s) >= u`. Working on the
    /// tail keeps full relative precision for rare large sizes.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let target = (1.0 - rng.random::<f64>()) * self.tail[0];
        let above = self.tail.partition_point(|&t| t >= target) as u64; // >= 1: tail[0] >= target
        let mut lo = self.min + above - 1;
        if above < self.tail.len() as u64 || lo == self.max {
            return lo;
        }
        let mut hi = self.max;
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if power_sum(mid, self.max, self.tau) >= target {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }
}

/// A population of critical clusters with power-law sizes; see the module docs for the streams.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    seed: u64,
    lattice: Lattice,
    clusters: u64,
    law: SizeLaw,
}

impl Population {
    pub fn new(seed: u64, lattice: Lattice, options: PopulationOptions) -> Result<Population, PopulationError> {
        // Ids are carried per point as u32.
        if options.clusters < 1 || options.clusters > u32::MAX as u64 {
            return Err(PopulationError::Clusters(options.clusters));
        }
        let law = SizeLaw::new(options.min_size, options.max_size, options.exponent)?;
        Ok(Population { seed, lattice, clusters: options.clusters, law })
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn lattice(&self) -> Lattice {
        self.lattice
    }
    pub fn clusters(&self) -> u64 {
        self.clusters
    }
    pub fn law(&self) -> &SizeLaw {
        &self.law
    }

    /// Size of cluster `id`, from the stream `(Population, id)`.
    pub fn size(&self, id: u64) -> u64 {
        assert!(id < self.clusters, "cluster id {id} out of range");
        self.law.sample(&mut stream(self.seed, Purpose::Population, id))
    }

    /// Cluster `id`: the exact critical tree of its size, breadth-first, from `(Cluster, id)`.
    pub fn cluster(&self, id: u64) -> Tree {
        let n = self.size(id) as usize;
        sample_exact(&mut stream(self.seed, Purpose::Cluster, id), self.lattice, n)
    }

    /// Sizes of all clusters, in id order.
    pub fn sizes(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.clusters).map(|id| self.size(id))
    }

    /// Total number of sites (one pass over the sizes).
    pub fn total_sites(&self) -> u64 {
        self.sizes().sum()
    }
}

#[cfg(test)]
mod tests;

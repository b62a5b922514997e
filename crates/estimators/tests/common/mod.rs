//! Test-only data generators (seeded).
#![allow(dead_code)]

use percolab_random::{stream, ChaCha8Rng, Purpose, RngExt};
use rand_distr::{Distribution, StandardNormal};

pub fn rng(index: u64) -> ChaCha8Rng {
    stream(2024, Purpose::Split, index)
}

pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// `m` orthonormal columns in R^big (Gaussian matrix + Gram–Schmidt, twice for stability),
/// row-major `[m, big]` (row i is column i of the map).
pub fn orthonormal(rng: &mut ChaCha8Rng, m: usize, big: usize) -> Vec<Vec<f64>> {
    let mut q: Vec<Vec<f64>> = Vec::new();
    for _ in 0..m {
        let mut v: Vec<f64> = (0..big).map(|_| normal(rng)).collect();
        for _ in 0..2 {
            for u in &q {
                let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(u).for_each(|(a, b)| *a -= dot * b);
            }
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        v.iter_mut().for_each(|a| *a /= norm);
        q.push(v);
    }
    q
}

/// Rows of `low` (row-major `[n, m]`) mapped into R^big by a random isometry.
pub fn rotate(rng: &mut ChaCha8Rng, low: &[f64], m: usize, big: usize) -> Vec<f32> {
    let q = orthonormal(rng, m, big);
    let mut out = Vec::with_capacity(low.len() / m * big);
    for x in low.chunks_exact(m) {
        out.extend((0..big).map(|j| x.iter().zip(&q).map(|(xi, qi)| xi * qi[j]).sum::<f64>() as f32));
    }
    out
}

/// Uniform on [0,1]^k, `[n, k]`.
pub fn cube(rng: &mut ChaCha8Rng, n: usize, k: usize) -> Vec<f64> {
    (0..n * k).map(|_| rng.random::<f64>()).collect()
}

/// Uniform on the unit sphere S^k in R^(k+1), `[n, k+1]`.
pub fn sphere(rng: &mut ChaCha8Rng, n: usize, k: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n * (k + 1));
    for _ in 0..n {
        let v: Vec<f64> = (0..=k).map(|_| normal(rng)).collect();
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        out.extend(v.iter().map(|a| a / norm));
    }
    out
}

/// Points from the binomial cascade on [0,1) (left half gets weight `p`), sampled to `depth` levels,
/// uniform inside the last cell. Values that round up to 1.0 in f32 are kept below it, so no point
/// opens a box outside [0, 1).
pub fn cascade(rng: &mut ChaCha8Rng, n: usize, p: f64, depth: u32) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let mut x = 0.0;
            let mut w = 1.0;
            for _ in 0..depth {
                w *= 0.5;
                if rng.random::<f64>() >= p {
                    x += w;
                }
            }
            ((x + w * rng.random::<f64>()) as f32).min(1.0 - f32::EPSILON / 2.0)
        })
        .collect()
}

/// Points on the middle-thirds Cantor set (uniform measure) to `depth` ternary digits, uniform on
/// the middle third of the last cell: every point then stays 3^-(depth+1) away from the ends of its
/// intervals, far more than f32 rounding, so no point falls into a gap at coarser scales.
pub fn cantor(rng: &mut ChaCha8Rng, n: usize, depth: u32) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let mut x = 0.0;
            let mut w = 1.0;
            for _ in 0..depth {
                w /= 3.0;
                if rng.random::<bool>() {
                    x += 2.0 * w;
                }
            }
            (x + w * (1.0 + rng.random::<f64>()) / 3.0) as f32
        })
        .collect()
}

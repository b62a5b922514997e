use percolab_random::{stream, Purpose, RngExt};

use crate::Teacher;

/// The non-linearity score (SPAR write-up, after Sharma & Kaplan) and its spread over repetitions.
#[derive(Clone, Debug, PartialEq)]
pub struct Nonlinearity {
    pub score: f64,
    /// Standard deviation of the per-repetition scores over sqrt(repetitions).
    pub standard_error: f64,
    pub repetitions: usize,
    pub slice_points: usize,
}

/// For each input axis, a slice along it through a point uniform in `[-1/2, 1/2)^d`, sampled at
/// `slice_points` evenly spaced positions of that axis in `[-1/2, 1/2)`; the R^2 of a least-squares line of
/// the teacher's output on the position; averaged over axes, then over `repetitions` draws of the slices.
/// A slice on which the teacher is constant counts as R^2 = 1 (a constant is linear). The slices come
/// from the score stream `(seed, Score, index)`, independent of the teacher's own parameters.
pub fn nonlinearity<T: Teacher + ?Sized>(teacher: &T, seed: u64, index: u64, repetitions: usize, slice_points: usize) -> Nonlinearity {
    let d = teacher.dimension();
    let m = slice_points.max(3);
    let mut rng = stream(seed, Purpose::Score, index);
    let positions: Vec<f64> = (0..m).map(|k| -0.5 + (k as f64 + 0.5) / m as f64).collect();
    let mean_t = positions.iter().sum::<f64>() / m as f64;
    let stt: f64 = positions.iter().map(|t| (t - mean_t).powi(2)).sum();
    let mut points = vec![0f32; d * m * d];
    let mut labels = vec![0f32; d * m];
    let mut scores = Vec::with_capacity(repetitions);
    for _ in 0..repetitions {
        for axis in 0..d {
            let base: Vec<f32> = (0..d).map(|_| (rng.random::<f64>() - 0.5) as f32).collect();
            for (k, &t) in positions.iter().enumerate() {
                let row = &mut points[(axis * m + k) * d..(axis * m + k + 1) * d];
                row.copy_from_slice(&base);
                row[axis] = t as f32;
            }
        }
        teacher.evaluate_into(&points, &mut labels);
        let mut sum = 0.0;
        for slice in labels.chunks_exact(m) {
            let mean_y = slice.iter().map(|&y| y as f64).sum::<f64>() / m as f64;
            let (mut sty, mut syy) = (0.0, 0.0);
            for (&t, &y) in positions.iter().zip(slice) {
                sty += (t - mean_t) * (y as f64 - mean_y);
                syy += (y as f64 - mean_y).powi(2);
            }
            sum += if syy > 0.0 { (sty * sty / (stt * syy)).min(1.0) } else { 1.0 };
        }
        scores.push(sum / d as f64);
    }
    let n = scores.len().max(1) as f64;
    let score = scores.iter().sum::<f64>() / n;
    let var = if scores.len() > 1 { scores.iter().map(|s| (s - score).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    Nonlinearity { score, standard_error: (var / n).sqrt(), repetitions, slice_points: m }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Linear, Mlp};

    #[test]
    fn linear_teachers_score_one() {
        let t = Linear::draw(3, 0, 7).unwrap();
        let s = nonlinearity(&t, 3, 0, 200, 64);
        assert!((s.score - 1.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn score_falls_with_relu_depth_at_fixed_width() {
        // Seeds fixed; the per-depth scores are means over 4 teachers, each scored over 200 repetitions.
        let score = |depth: usize| -> f64 {
            (0..4u64)
                .map(|seed| {
                    let t = Mlp::draw(seed, 0, 8, depth, 64, 2f64.sqrt(), 0.0, 1.0).unwrap();
                    nonlinearity(&t, seed, 0, 200, 64).score
                })
                .sum::<f64>()
                / 4.0
        };
        let scores: Vec<f64> = (1..=4).map(score).collect();
        assert!(scores.windows(2).all(|w| w[1] < w[0]), "{scores:?}");
        assert!(scores[0] < 1.0 && scores[3] > 0.0);
    }
}

use percolab_random::{stream, Purpose};
use rand_distr::{Distribution, StandardNormal};

use crate::{for_row_chunks, LinearLayout, Teacher, TeacherError};

/// `y = w . x` with `w ~ N(0, I_d / d)`, summed in f64 and rounded once.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    pub weights: Vec<f64>,
}

impl Linear {
    /// Draws `w` from the teacher stream `(seed, Teacher, index)`.
    pub fn draw(seed: u64, index: u64, d: usize) -> Result<Linear, TeacherError> {
        if d == 0 {
            return Err(TeacherError::Dimension);
        }
        let mut rng = stream(seed, Purpose::Teacher, index);
        let scale = 1.0 / (d as f64).sqrt();
        let weights = (0..d).map(|_| { let z: f64 = StandardNormal.sample(&mut rng); z * scale }).collect();
        Ok(Linear { weights })
    }

    pub fn layout(&self) -> LinearLayout {
        LinearLayout::new(self.weights.len())
    }

    /// The weights as the GPU kernel reads them ([`LinearLayout`]: from 0, so the f32 weights in order).
    pub fn parameters(&self) -> Vec<f32> {
        let l = self.layout();
        let mut out = vec![0f32; l.stride];
        for (o, &w) in out[l.weights..].iter_mut().zip(&self.weights) {
            *o = w as f32;
        }
        out
    }
}

impl Teacher for Linear {
    fn dimension(&self) -> usize {
        self.weights.len()
    }
    fn evaluate_into(&self, points: &[f32], out: &mut [f32]) {
        let d = self.weights.len();
        for_row_chunks(points, d, out, 8192, |x, y| {
            for (row, label) in x.chunks_exact(d).zip(y.iter_mut()) {
                *label = row.iter().zip(&self.weights).map(|(&xi, &w)| xi as f64 * w).sum::<f64>() as f32;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_teacher_is_linear_and_seeded() {
        let t = Linear::draw(4, 0, 3).unwrap();
        assert_eq!(t, Linear::draw(4, 0, 3).unwrap());
        assert_ne!(t, Linear::draw(5, 0, 3).unwrap());
        let y = t.evaluate(&[1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 1.0, 2.0, 0.0]).unwrap();
        assert_eq!(y[0], t.weights[0] as f32);
        assert_eq!(y[1], (2.0 * t.weights[1]) as f32);
        assert_eq!(y[2], (t.weights[0] + 2.0 * t.weights[1]) as f32);
    }

    #[test]
    fn weights_have_variance_one_over_d() {
        // Sum of w_j^2 over d = 4096 weights: mean 1, sd sqrt(2/d) ~ 0.022.
        let d = 4096;
        let t = Linear::draw(1, 0, d).unwrap();
        let norm2: f64 = t.weights.iter().map(|w| w * w).sum();
        assert!((norm2 - 1.0).abs() < 5.0 * (2.0 / d as f64).sqrt(), "|w|^2 = {norm2}");
    }

    #[test]
    fn shape_and_dimension_errors() {
        assert_eq!(Linear::draw(1, 0, 0), Err(TeacherError::Dimension));
        let t = Linear::draw(1, 0, 2).unwrap();
        assert_eq!(t.evaluate(&[1.0, 2.0, 3.0]), Err(TeacherError::Shape { values: 3, dimension: 2 }));
    }
}

//! Teacher functions that label points. Each kind draws its parameters from the teacher stream of a
//! seed, so the same seed gives the same function on every device.

use percolab_random::{stream, Purpose};
use rand_distr::{Distribution, StandardNormal};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TeacherError {
    Dimension,
    Shape { values: usize, dimension: usize },
}

impl std::fmt::Display for TeacherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TeacherError::Dimension => write!(f, "teacher dimension must be at least 1"),
            TeacherError::Shape { values, dimension } => {
                write!(f, "points have {values} values, not a multiple of the teacher's dimension {dimension}")
            }
        }
    }
}

impl std::error::Error for TeacherError {}

/// A function from R^d to R, evaluated on row-major `[n, d]` f32 points.
pub trait Teacher {
    fn dimension(&self) -> usize;
    /// Labels, one per point. Computed in f64 and rounded once to f32.
    fn evaluate(&self, points: &[f32]) -> Result<Vec<f32>, TeacherError> {
        let d = self.dimension();
        if points.len() % d != 0 {
            return Err(TeacherError::Shape { values: points.len(), dimension: d });
        }
        Ok(points.chunks_exact(d).map(|x| self.value(x) as f32).collect())
    }
    /// The teacher at one point of length `dimension()`.
    fn value(&self, x: &[f32]) -> f64;
}

/// `y = w . x` with `w ~ N(0, I_d / d)`.
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
}

impl Teacher for Linear {
    fn dimension(&self) -> usize {
        self.weights.len()
    }
    fn value(&self, x: &[f32]) -> f64 {
        x.iter().zip(&self.weights).map(|(&xi, &w)| xi as f64 * w).sum()
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

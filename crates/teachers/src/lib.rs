//! Teacher functions that label points. Each kind draws its parameters from the teacher stream of a
//! seed, so the same seed gives the same function on every device. The parameters are held in f32, the
//! precision a GPU evaluates in, and `parameters()` hands exactly these numbers to the WebGPU kernels.

mod fourier;
mod layout;
mod linear;
mod mlp;
mod score;
mod spec;

pub use fourier::Fourier;
pub use layout::{FourierLayout, LayerLayout, Layout, LinearLayout, MlpLayout};
pub use linear::Linear;
pub use mlp::{Layer, Mlp};
pub use score::{nonlinearity, Nonlinearity};
pub use spec::{AnyTeacher, ClusterTeachers, Kind, Spec, StandardizeBy, Standardization, Standardizer};

#[derive(Clone, Debug, PartialEq)]
pub enum TeacherError {
    Dimension,
    Shape { values: usize, dimension: usize },
    Ids { ids: usize, points: usize },
    Parameter(String),
    Vetting { threshold: f64, draws: usize, best: f64 },
}

impl std::fmt::Display for TeacherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TeacherError::Dimension => write!(f, "teacher dimension must be at least 1"),
            TeacherError::Shape { values, dimension } => {
                write!(f, "points have {values} values, not a multiple of the teacher's dimension {dimension}")
            }
            TeacherError::Ids { ids, points } => write!(f, "{ids} cluster ids for {points} points: give one id per point"),
            TeacherError::Parameter(message) => write!(f, "{message}"),
            TeacherError::Vetting { threshold, draws, best } => write!(
                f,
                "no teacher among {draws} draws has a non-linearity score at or below {threshold} (the lowest was {best:.4}); raise teacher.minNonlinearity or teacher.maxDraws, or make the teacher deeper"
            ),
        }
    }
}

impl std::error::Error for TeacherError {}

/// A function from R^d to R, evaluated on row-major `[n, d]` f32 points.
pub trait Teacher {
    fn dimension(&self) -> usize;
    /// Labels, one per point.
    fn evaluate(&self, points: &[f32]) -> Result<Vec<f32>, TeacherError> {
        let d = self.dimension();
        check_shape(points, d)?;
        let mut out = vec![0f32; points.len() / d];
        self.evaluate_into(points, &mut out);
        Ok(out)
    }
    /// `evaluate` into `out`, reusing its memory (a stream labels chunk after chunk).
    fn evaluate_reusing(&self, points: &[f32], out: &mut Vec<f32>) -> Result<(), TeacherError> {
        let d = self.dimension();
        check_shape(points, d)?;
        out.clear();
        out.resize(points.len() / d, 0.0);
        self.evaluate_into(points, out);
        Ok(())
    }
    /// Labels into `out` (length `points.len() / dimension()`, already checked).
    fn evaluate_into(&self, points: &[f32], out: &mut [f32]);
}

pub(crate) fn check_shape(points: &[f32], d: usize) -> Result<(), TeacherError> {
    if d == 0 {
        return Err(TeacherError::Dimension);
    }
    if points.len() % d != 0 {
        return Err(TeacherError::Shape { values: points.len(), dimension: d });
    }
    Ok(())
}

/// Runs `f` over matching chunks of rows: on rayon's pool with the `threads` feature, else in order.
/// The split is fixed by the chunk size, so the result does not depend on the thread count.
pub(crate) fn for_row_chunks<F>(points: &[f32], d: usize, out: &mut [f32], rows_per_chunk: usize, f: F)
where
    F: Fn(&[f32], &mut [f32]) + Sync + Send,
{
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        points.par_chunks(rows_per_chunk * d).zip(out.par_chunks_mut(rows_per_chunk)).for_each(|(x, y)| f(x, y));
    }
    #[cfg(not(feature = "threads"))]
    points.chunks(rows_per_chunk * d).zip(out.chunks_mut(rows_per_chunk)).for_each(|(x, y)| f(x, y));
}

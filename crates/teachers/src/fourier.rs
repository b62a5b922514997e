use percolab_random::{stream, Purpose, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::{for_row_chunks, FourierLayout, Teacher, TeacherError};

/// A random Fourier teacher on standardized inputs `z_i = (x_i - offset_i) / scale_i` (see
/// [`crate::Standardization`]):
/// `y = scale * sum_t a_t cos(2 pi (k_t . z + phi_t))`, integer frequencies `k_t` with components
/// uniform in `[-max_freq, max_freq]`, `a_t ~ N(0, 1/terms)`, phases `phi_t` uniform in `[0, 1)` turns.
/// The phase is reduced to `[-1/2, 1/2]` turns before the cosine, on every device, so large arguments
/// lose no accuracy on GPUs. The CPU evaluates in f64 from the f32 parameters and rounds once.
#[derive(Clone, Debug, PartialEq)]
pub struct Fourier {
    pub dimension: usize,
    /// `[terms, d]`, integer-valued.
    pub frequencies: Vec<f32>,
    pub amplitudes: Vec<f32>,
    /// In turns.
    pub phases: Vec<f32>,
    pub offset: Vec<f32>,
    pub inv_scale: Vec<f32>,
    pub scale: f32,
}

impl Fourier {
    pub fn draw(seed: u64, index: u64, d: usize, terms: usize, max_freq: u32, scale: f64) -> Result<Fourier, TeacherError> {
        if d == 0 {
            return Err(TeacherError::Dimension);
        }
        if terms == 0 {
            return Err(TeacherError::Parameter("a Fourier teacher needs at least 1 term".into()));
        }
        let mut rng = stream(seed, Purpose::Teacher, index);
        let span = 2 * max_freq as i64 + 1;
        let frequencies = (0..terms * d).map(|_| (rng.random_range(0..span) - max_freq as i64) as f32).collect();
        let amp = 1.0 / (terms as f64).sqrt();
        let amplitudes = (0..terms).map(|_| { let z: f64 = StandardNormal.sample(&mut rng); (z * amp) as f32 }).collect();
        let phases = (0..terms).map(|_| rng.random::<f64>() as f32).collect();
        Ok(Fourier { dimension: d, frequencies, amplitudes, phases, offset: vec![0.0; d], inv_scale: vec![1.0; d], scale: scale as f32 })
    }

    /// Standardizes by the given per-coordinate offset and scale (a zero scale counts as 1).
    pub fn standardized(mut self, offset: &[f32], scale: &[f32]) -> Fourier {
        self.offset = offset.to_vec();
        self.inv_scale = scale.iter().map(|&s| if s > 0.0 { (1.0 / s as f64) as f32 } else { 1.0 }).collect();
        self
    }

    pub fn terms(&self) -> usize {
        self.amplitudes.len()
    }

    pub fn layout(&self) -> FourierLayout {
        FourierLayout::new(self.dimension, self.terms())
    }

    /// `[offset (d), 1 / scale (d), then per term: k (d), amplitude, phase]`, written by [`FourierLayout`],
    /// the layout the GPU kernel reads.
    pub fn parameters(&self) -> Vec<f32> {
        let d = self.dimension;
        let l = self.layout();
        let mut out = vec![0f32; l.stride];
        out[l.offset..l.offset + d].copy_from_slice(&self.offset);
        out[l.inv_scale..l.inv_scale + d].copy_from_slice(&self.inv_scale);
        for t in 0..self.terms() {
            let at = l.term(t);
            out[at + l.frequencies..at + l.frequencies + d].copy_from_slice(&self.frequencies[t * d..(t + 1) * d]);
            out[at + l.amplitude] = self.amplitudes[t];
            out[at + l.phase] = self.phases[t];
        }
        out
    }

    fn value(&self, x: &[f32], z: &mut [f64]) -> f32 {
        for i in 0..self.dimension {
            z[i] = (x[i] as f64 - self.offset[i] as f64) * self.inv_scale[i] as f64;
        }
        let mut sum = 0.0;
        for (t, k) in self.frequencies.chunks_exact(self.dimension).enumerate() {
            let turns = k.iter().zip(z.iter()).map(|(&k, &z)| k as f64 * z).sum::<f64>() + self.phases[t] as f64;
            let reduced = turns - turns.round();
            sum += self.amplitudes[t] as f64 * (std::f64::consts::TAU * reduced).cos();
        }
        (sum * self.scale as f64) as f32
    }
}

impl Teacher for Fourier {
    fn dimension(&self) -> usize {
        self.dimension
    }
    fn evaluate_into(&self, points: &[f32], out: &mut [f32]) {
        let d = self.dimension;
        for_row_chunks(points, d, out, 2048, |x, y| {
            let mut z = vec![0f64; d];
            for (row, label) in x.chunks_exact(d).zip(y.iter_mut()) {
                *label = self.value(row, &mut z);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_are_integers_in_range_and_draws_are_seeded() {
        let f = Fourier::draw(5, 0, 6, 400, 2, 1.0).unwrap();
        assert!(f.frequencies.iter().all(|&k| k.fract() == 0.0 && (-2.0..=2.0).contains(&k)));
        for k in [-2.0, -1.0, 0.0, 1.0, 2.0] {
            let share = f.frequencies.iter().filter(|&&v| v == k).count() as f64 / 2400.0;
            assert!((share - 0.2).abs() < 0.03, "share of {k}: {share}");
        }
        assert!(f.phases.iter().all(|&p| (0.0..1.0).contains(&p)));
        assert_eq!(f, Fourier::draw(5, 0, 6, 400, 2, 1.0).unwrap());
        assert!(matches!(Fourier::draw(5, 0, 6, 0, 2, 1.0), Err(TeacherError::Parameter(_))));
    }

    #[test]
    fn one_term_is_a_plane_wave_with_integer_periods() {
        let f = Fourier { dimension: 2, frequencies: vec![1.0, -2.0], amplitudes: vec![0.5], phases: vec![0.25], offset: vec![0.0; 2], inv_scale: vec![1.0; 2], scale: 2.0 };
        // y = cos(2 pi (x0 - 2 x1 + 1/4)); shifting x0 by a whole period leaves it unchanged.
        let y = f.evaluate(&[0.1, 0.3, 1.1, 0.3, 0.0, 0.0]).unwrap();
        let expected = (std::f64::consts::TAU * (0.1 - 0.6 + 0.25)).cos() as f32;
        assert!((y[0] - expected).abs() < 1e-6 && (y[1] - expected).abs() < 1e-6, "{y:?} {expected}");
        assert!(y[2].abs() < 1e-7, "cos(pi/2) = {}", y[2]);
    }

    #[test]
    fn standardization_shifts_and_scales_inputs() {
        let f = Fourier::draw(1, 0, 3, 5, 1, 1.0).unwrap();
        let g = f.clone().standardized(&[1.0, 2.0, 3.0], &[2.0, 2.0, 0.0]);
        let y = f.evaluate(&[0.5, 1.0, 0.25]).unwrap();
        let x = [1.0 + 2.0 * 0.5, 2.0 + 2.0 * 1.0, 3.25];
        // The zero-sd coordinate is only centred.
        assert!((g.evaluate(&x).unwrap()[0] - y[0]).abs() < 1e-6);
    }
}

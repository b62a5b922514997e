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
        let w = &self.weights[..];
        for_row_chunks(points, d, out, 8192, |x, y| {
            let done = eight_rows_simd128(x, w, y);
            four_rows(&x[done * d..], w, &mut y[done..]);
        });
    }
}

/// Rows four at a time, then one: each row is still summed in order from -0.0, as `Iterator::sum` does
/// (the same bits), but four chains of dependent additions overlap instead of one (a row's sum alone is
/// bound by the latency of f64 addition).
fn four_rows(x: &[f32], w: &[f64], y: &mut [f32]) {
    let d = w.len();
    let mut blocks = x.chunks_exact(ROWS_AT_ONCE * d);
    let mut labels = y.chunks_exact_mut(ROWS_AT_ONCE);
    for (block, labels) in (&mut blocks).zip(&mut labels) {
        let (r0, rest) = block.split_at(d);
        let (r1, rest) = rest.split_at(d);
        let (r2, r3) = rest.split_at(d);
        let mut sums = [-0.0f64; ROWS_AT_ONCE];
        for j in 0..d {
            sums[0] += r0[j] as f64 * w[j];
            sums[1] += r1[j] as f64 * w[j];
            sums[2] += r2[j] as f64 * w[j];
            sums[3] += r3[j] as f64 * w[j];
        }
        for (label, sum) in labels.iter_mut().zip(sums) {
            *label = sum as f32;
        }
    }
    for (row, label) in blocks.remainder().chunks_exact(d).zip(labels.into_remainder()) {
        *label = row_dot(row, w) as f32;
    }
}

const ROWS_AT_ONCE: usize = 4;

/// Rows eight at a time in wasm SIMD, each pair of rows in the two lanes of an f64x2 sum: four
/// coordinates of each row loaded at once and paired up by shuffles, then multiplied and added in the
/// rows' own order, one f64 operation per lane as the scalar loop does (the same bits). LLVM had
/// vectorized the four-row loop into pairs of lanes but loaded, converted and paired each coordinate
/// alone: 0.5 ms per chunk of 32 768 rows at d = 16 in `percolab generate`, 0.36 ms this way (bound by
/// the shuffles and conversions, which share one port on x86). Returns the rows done (a multiple of
/// eight; none elsewhere).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn eight_rows_simd128(x: &[f32], w: &[f64], y: &mut [f32]) -> usize {
    use core::arch::wasm32::*;
    let d = w.len();
    let rows = (y.len() / 8) * 8;
    assert!(x.len() >= rows * d, "eight_rows_simd128: {} floats for {rows} rows of {d}", x.len());
    let quads = d / 4;
    for r in (0..rows).step_by(8) {
        // The eight rows' starts: row `k` is `x[(r + k) * d..][..d]`, in bounds by the assertion.
        let starts: [*const f32; 8] = core::array::from_fn(|k| x[(r + k) * d..].as_ptr());
        let mut sums = [f64x2_splat(-0.0); 4];
        for q in 0..quads {
            let j = 4 * q;
            let weights = [f64x2_splat(w[j]), f64x2_splat(w[j + 1]), f64x2_splat(w[j + 2]), f64x2_splat(w[j + 3])];
            for (pair, sum) in sums.iter_mut().enumerate() {
                // SAFETY: j + 4 <= d, so each load reads four floats of its row.
                let (a, b) = unsafe { (v128_load(starts[2 * pair].add(j).cast()), v128_load(starts[2 * pair + 1].add(j).cast())) };
                let (low, high) = (i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<2, 6, 3, 7>(a, b));
                let lanes = [
                    f64x2_promote_low_f32x4(low),
                    f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 2, 3>(low, low)),
                    f64x2_promote_low_f32x4(high),
                    f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 2, 3>(high, high)),
                ];
                for (lane, weight) in lanes.into_iter().zip(weights) {
                    *sum = f64x2_add(*sum, f64x2_mul(lane, weight));
                }
            }
        }
        for j in 4 * quads..d {
            let weight = f64x2_splat(w[j]);
            for (pair, sum) in sums.iter_mut().enumerate() {
                // SAFETY: j < d.
                let lane = unsafe { f64x2(*starts[2 * pair].add(j) as f64, *starts[2 * pair + 1].add(j) as f64) };
                *sum = f64x2_add(*sum, f64x2_mul(lane, weight));
            }
        }
        for (pair, sum) in sums.into_iter().enumerate() {
            y[r + 2 * pair] = f64x2_extract_lane::<0>(sum) as f32;
            y[r + 2 * pair + 1] = f64x2_extract_lane::<1>(sum) as f32;
        }
    }
    rows
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn eight_rows_simd128(_x: &[f32], _w: &[f64], _y: &mut [f32]) -> usize {
    0
}

/// One row's `w . x` in f64, summed in order.
fn row_dot(row: &[f32], w: &[f64]) -> f64 {
    row.iter().zip(w).map(|(&xi, &wi)| xi as f64 * wi).sum::<f64>()
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
    fn rows_taken_four_at_once_give_the_bits_of_one_row_at_a_time() {
        // Row counts around the block of four, zero rows (the sign of a zero sum), and values whose
        // sums round differently in any other order.
        for d in [1, 3, 16] {
            let t = Linear::draw(9, 0, d).unwrap();
            for n in [0, 1, 3, 4, 5, 9, 8195] {
                let mut points: Vec<f32> = (0..n * d).map(|i| ((i * 7919 % 1013) as f32 - 506.0) * 1e-3 * (1.0 + (i % 5) as f32 * 1e6)).collect();
                if n > 2 {
                    points[d..2 * d].fill(0.0);
                    points[2 * d..3 * d].fill(-0.0);
                }
                let got = t.evaluate(&points).unwrap();
                let want: Vec<f32> = points.chunks_exact(d).map(|row| row_dot(row, &t.weights) as f32).collect();
                assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "d {d} n {n}");
            }
        }
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

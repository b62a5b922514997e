use percolab_random::{stream, Purpose};
use rand_distr::{Distribution, StandardNormal};

use crate::{for_row_chunks, MlpLayout, Teacher, TeacherError};

/// One affine layer: `z_j = (sum_i h_i w_ij) + b_j`, weights row-major `[fan_in, fan_out]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub fan_in: usize,
    pub fan_out: usize,
    pub weights: Vec<f32>,
    pub biases: Vec<f32>,
}

/// A random ReLU network `d -> width (x depth) -> 1` (Sharma & Kaplan's teacher): weights
/// `N(0, sigma_w^2 / fan_in)`, biases `N(0, sigma_b^2)`, ReLU after every hidden layer, output times
/// `scale`. Evaluated in f32; every sum runs over `i = 0..fan_in` in order with separate multiply and
/// add (no fused multiply-add), so the result is the same on every CPU and for any thread count.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    pub layers: Vec<Layer>,
    pub scale: f32,
}

/// Points per block: activations are held transposed, `[fan][BLOCK]`, so one weight multiplies a run of
/// points held in adjacent lanes.
const BLOCK: usize = 64;

impl Mlp {
    pub fn draw(
        seed: u64,
        index: u64,
        d: usize,
        depth: usize,
        width: usize,
        sigma_w: f64,
        sigma_b: f64,
        scale: f64,
    ) -> Result<Mlp, TeacherError> {
        if d == 0 {
            return Err(TeacherError::Dimension);
        }
        if depth == 0 || width == 0 {
            return Err(TeacherError::Parameter(format!("a ReLU teacher needs depth and width of at least 1, got depth {depth}, width {width}")));
        }
        let mut rng = stream(seed, Purpose::Teacher, index);
        let mut normal = move || -> f64 { StandardNormal.sample(&mut rng) };
        let sizes: Vec<usize> = std::iter::once(d).chain(std::iter::repeat(width).take(depth)).chain(std::iter::once(1)).collect();
        let layers = sizes
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let sd = sigma_w / (fan_in as f64).sqrt();
                let weights = (0..fan_in * fan_out).map(|_| (normal() * sd) as f32).collect();
                let biases = (0..fan_out).map(|_| (normal() * sigma_b) as f32).collect();
                Layer { fan_in, fan_out, weights, biases }
            })
            .collect();
        Ok(Mlp { layers, scale: scale as f32 })
    }

    pub fn layout(&self) -> MlpLayout {
        MlpLayout::new(self.layers.iter().map(|l| (l.fan_in, l.fan_out)))
    }

    /// `[W_0, b_0, W_1, b_1, ...]` flattened, written by [`MlpLayout`], the layout the GPU kernel reads.
    pub fn parameters(&self) -> Vec<f32> {
        let layout = self.layout();
        let mut out = vec![0f32; layout.stride];
        for (layer, at) in self.layers.iter().zip(&layout.layers) {
            out[at.weights..at.weights + layer.weights.len()].copy_from_slice(&layer.weights);
            out[at.biases..at.biases + layer.biases.len()].copy_from_slice(&layer.biases);
        }
        out
    }

    fn widest(&self) -> usize {
        self.layers.iter().map(|l| l.fan_in.max(l.fan_out)).max().unwrap_or(1)
    }

    /// Labels of up to `BLOCK` points.
    fn block(&self, x: &[f32], out: &mut [f32], a: &mut [f32], b: &mut [f32]) {
        let d = self.layers[0].fan_in;
        let n = out.len();
        for (p, row) in x.chunks_exact(d).enumerate() {
            for (i, &v) in row.iter().enumerate() {
                a[i * BLOCK + p] = v;
            }
        }
        for p in n..BLOCK {
            for i in 0..d {
                a[i * BLOCK + p] = 0.0;
            }
        }
        let last = self.layers.len() - 1;
        let (mut input, mut output) = (a, b);
        for (l, layer) in self.layers.iter().enumerate() {
            affine(layer, input, output, l < last);
            std::mem::swap(&mut input, &mut output);
        }
        for (p, y) in out.iter_mut().enumerate() {
            *y = input[p] * self.scale;
        }
    }
}

/// `output[j][p] = act(sum_i input[i][p] w_ij + b_j)` for a block of points, in tiles of `JT` outputs by
/// 8 points so the accumulators stay in SIMD registers.
fn affine(layer: &Layer, input: &[f32], output: &mut [f32], relu: bool) {
    let mut j = 0;
    while j + 4 <= layer.fan_out {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        tile4_simd128(layer, j, input, output, relu);
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        tile::<4>(layer, j, input, output, relu);
        j += 4;
    }
    while j < layer.fan_out {
        tile::<1>(layer, j, input, output, relu);
        j += 1;
    }
}

#[inline(always)]
fn tile<const JT: usize>(layer: &Layer, j0: usize, input: &[f32], output: &mut [f32], relu: bool) {
    let fan_out = layer.fan_out;
    for p0 in (0..BLOCK).step_by(8) {
        let mut acc = [[0f32; 8]; JT];
        for i in 0..layer.fan_in {
            let h: &[f32; 8] = input[i * BLOCK + p0..i * BLOCK + p0 + 8].try_into().unwrap();
            let w: &[f32; JT] = layer.weights[i * fan_out + j0..i * fan_out + j0 + JT].try_into().unwrap();
            for jj in 0..JT {
                for pp in 0..8 {
                    acc[jj][pp] = acc[jj][pp] + w[jj] * h[pp];
                }
            }
        }
        for jj in 0..JT {
            let bias = layer.biases[j0 + jj];
            let row = &mut output[(j0 + jj) * BLOCK + p0..(j0 + jj) * BLOCK + p0 + 8];
            for pp in 0..8 {
                let z = acc[jj][pp] + bias;
                row[pp] = if relu && !(z > 0.0) { 0.0 } else { z };
            }
        }
    }
}

/// `tile::<4>` in wasm SIMD: the same per-lane multiply and add in the same order, so the same bits.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn tile4_simd128(layer: &Layer, j0: usize, input: &[f32], output: &mut [f32], relu: bool) {
    use core::arch::wasm32::*;
    let fan_out = layer.fan_out;
    let load = |at: usize| -> v128 {
        let v: &[f32; 4] = input[at..at + 4].try_into().unwrap();
        // SAFETY: `v` is 4 initialised f32s; v128_load allows unaligned addresses.
        unsafe { v128_load(v.as_ptr() as *const v128) }
    };
    let zero = f32x4_splat(0.0);
    for p0 in (0..BLOCK).step_by(8) {
        let mut acc = [zero; 8];
        for i in 0..layer.fan_in {
            let (h0, h1) = (load(i * BLOCK + p0), load(i * BLOCK + p0 + 4));
            let w: &[f32; 4] = layer.weights[i * fan_out + j0..i * fan_out + j0 + 4].try_into().unwrap();
            for jj in 0..4 {
                let wv = f32x4_splat(w[jj]);
                acc[2 * jj] = f32x4_add(acc[2 * jj], f32x4_mul(wv, h0));
                acc[2 * jj + 1] = f32x4_add(acc[2 * jj + 1], f32x4_mul(wv, h1));
            }
        }
        for jj in 0..4 {
            let bias = f32x4_splat(layer.biases[j0 + jj]);
            let at = (j0 + jj) * BLOCK + p0;
            for half in 0..2 {
                let z = f32x4_add(acc[2 * jj + half], bias);
                let z = if relu { v128_bitselect(z, zero, f32x4_gt(z, zero)) } else { z };
                let out: &mut [f32; 4] = (&mut output[at + 4 * half..at + 4 * half + 4]).try_into().unwrap();
                // SAFETY: `out` is 4 f32s; v128_store allows unaligned addresses.
                unsafe { v128_store(out.as_mut_ptr() as *mut v128, z) };
            }
        }
    }
}

impl Teacher for Mlp {
    fn dimension(&self) -> usize {
        self.layers[0].fan_in
    }
    fn evaluate_into(&self, points: &[f32], out: &mut [f32]) {
        let d = self.dimension();
        let scratch = self.widest() * BLOCK;
        for_row_chunks(points, d, out, 16 * BLOCK, |x, y| {
            let (mut a, mut b) = (vec![0f32; scratch], vec![0f32; scratch]);
            for (xb, yb) in x.chunks(BLOCK * d).zip(y.chunks_mut(BLOCK)) {
                self.block(xb, yb, &mut a, &mut b);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition, one point at a time, in the same order of operations.
    fn reference(m: &Mlp, x: &[f32]) -> f32 {
        let mut h = x.to_vec();
        for (l, layer) in m.layers.iter().enumerate() {
            h = (0..layer.fan_out)
                .map(|j| {
                    let mut acc = 0f32;
                    for i in 0..layer.fan_in {
                        acc = acc + layer.weights[i * layer.fan_out + j] * h[i];
                    }
                    let z = acc + layer.biases[j];
                    if l + 1 < m.layers.len() && !(z > 0.0) { 0.0 } else { z }
                })
                .collect();
        }
        h[0] * m.scale
    }

    #[test]
    fn blocked_kernel_equals_the_definition_bit_for_bit() {
        for &(d, depth, width, n) in &[(3, 1, 10, 1), (16, 2, 37, 200), (5, 4, 100, 129), (1, 3, 6, 64)] {
            let m = Mlp::draw(7, 1, d, depth, width, 2f64.sqrt(), 0.3, 1.5).unwrap();
            let mut rng = stream(3, Purpose::Split, 0);
            let x: Vec<f32> = (0..n * d).map(|_| { let z: f64 = StandardNormal.sample(&mut rng); z as f32 }).collect();
            let y = m.evaluate(&x).unwrap();
            for (p, row) in x.chunks_exact(d).enumerate() {
                assert_eq!(y[p].to_bits(), reference(&m, row).to_bits(), "d {d} depth {depth} width {width} point {p}");
            }
        }
    }

    #[test]
    fn draws_have_the_stated_shapes_and_scales() {
        let m = Mlp::draw(1, 0, 8, 3, 400, 2f64.sqrt(), 0.0, 1.0).unwrap();
        let shapes: Vec<(usize, usize)> = m.layers.iter().map(|l| (l.fan_in, l.fan_out)).collect();
        assert_eq!(shapes, vec![(8, 400), (400, 400), (400, 400), (400, 1)]);
        assert!(m.layers.iter().all(|l| l.biases.iter().all(|&b| b == 0.0)));
        // Var(w) = 2 / fan_in: over 160 000 weights the sample variance is within 1% (sd 0.35%).
        let l = &m.layers[1];
        let var = l.weights.iter().map(|&w| (w as f64).powi(2)).sum::<f64>() / l.weights.len() as f64;
        assert!((var * 400.0 / 2.0 - 1.0).abs() < 0.015, "variance ratio {}", var * 200.0);
        assert_eq!(m.parameters().len(), 8 * 400 + 400 + 2 * (400 * 400 + 400) + 400 + 1);
        assert_eq!(m, Mlp::draw(1, 0, 8, 3, 400, 2f64.sqrt(), 0.0, 1.0).unwrap());
        assert_ne!(m, Mlp::draw(1, 1, 8, 3, 400, 2f64.sqrt(), 0.0, 1.0).unwrap());
    }

    #[test]
    fn zero_bias_network_is_positively_homogeneous() {
        let m = Mlp::draw(2, 0, 4, 2, 20, 1.0, 0.0, 1.0).unwrap();
        let x = [0.3f32, -0.2, 0.5, 0.1];
        let twice: Vec<f32> = x.iter().map(|v| v * 2.0).collect();
        let (a, b) = (m.evaluate(&x).unwrap()[0], m.evaluate(&twice).unwrap()[0]);
        assert!((b - 2.0 * a).abs() <= 1e-6 * a.abs().max(1e-3), "{a} {b}");
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(matches!(Mlp::draw(1, 0, 4, 0, 10, 1.0, 0.0, 1.0), Err(TeacherError::Parameter(_))));
        assert_eq!(Mlp::draw(1, 0, 0, 1, 10, 1.0, 0.0, 1.0), Err(TeacherError::Dimension));
    }
}

//! Where each parameter of a teacher sits in its flat f32 `parameters()` array, the array the WebGPU
//! kernels read. This is the one definition of the layout: each kind's `parameters()` writes by it, and
//! the bindings export it (`TeacherModel.layout()`) so the WGSL kernels read by the same offsets.
//! All offsets are in floats from the start of one teacher's block; `stride` is the block's length (a
//! per-cluster model holds one block per cluster, slot after slot).

/// `y = w . x`: the `d` weights at `weights`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinearLayout {
    pub dimension: usize,
    pub weights: usize,
    pub stride: usize,
}

impl LinearLayout {
    pub fn new(d: usize) -> LinearLayout {
        LinearLayout { dimension: d, weights: 0, stride: d }
    }
}

/// A Fourier teacher: the standardization's `d` offsets at `offset` and `d` inverse scales at
/// `inv_scale`, then `terms` blocks of `term_stride` floats from `first_term`, each holding the term's
/// `d` integer frequencies at `frequencies`, its amplitude at `amplitude` and its phase (turns) at
/// `phase`, relative to the block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FourierLayout {
    pub dimension: usize,
    pub terms: usize,
    pub offset: usize,
    pub inv_scale: usize,
    pub first_term: usize,
    pub term_stride: usize,
    pub frequencies: usize,
    pub amplitude: usize,
    pub phase: usize,
    pub stride: usize,
}

impl FourierLayout {
    pub fn new(d: usize, terms: usize) -> FourierLayout {
        let first_term = 2 * d;
        let term_stride = d + 2;
        FourierLayout {
            dimension: d,
            terms,
            offset: 0,
            inv_scale: d,
            first_term,
            term_stride,
            frequencies: 0,
            amplitude: d,
            phase: d + 1,
            stride: first_term + terms * term_stride,
        }
    }

    /// Start of term `t`'s block.
    pub fn term(&self, t: usize) -> usize {
        self.first_term + t * self.term_stride
    }
}

/// One affine layer: weights row-major `[fan_in, fan_out]` at `weights` (`w_ij` at
/// `weights + i * fan_out + j`), then `fan_out` biases at `biases`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerLayout {
    pub fan_in: usize,
    pub fan_out: usize,
    pub weights: usize,
    pub biases: usize,
}

/// A ReLU network: its layers one after another, input layer first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MlpLayout {
    pub layers: Vec<LayerLayout>,
    pub stride: usize,
}

impl MlpLayout {
    /// The layout of layers of the given `(fan_in, fan_out)` sizes.
    pub fn new(sizes: impl IntoIterator<Item = (usize, usize)>) -> MlpLayout {
        let mut at = 0;
        let layers = sizes
            .into_iter()
            .map(|(fan_in, fan_out)| {
                let layer = LayerLayout { fan_in, fan_out, weights: at, biases: at + fan_in * fan_out };
                at = layer.biases + fan_out;
                layer
            })
            .collect();
        MlpLayout { layers, stride: at }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    Linear(LinearLayout),
    Relu(MlpLayout),
    Fourier(FourierLayout),
}

impl Layout {
    /// Floats per teacher.
    pub fn stride(&self) -> usize {
        match self {
            Layout::Linear(l) => l.stride,
            Layout::Relu(l) => l.stride,
            Layout::Fourier(l) => l.stride,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{AnyTeacher, Kind, Layout, Spec};

    /// Every parameter lands where the layout says, and the layout covers the array exactly.
    #[test]
    fn parameters_sit_where_the_layout_says() {
        let d = 5;
        for kind in [Kind::Linear, Kind::Relu, Kind::Fourier] {
            let spec = Spec { kind, depth: 3, width: 7, sigma_w: 1.3, sigma_b: 0.4, scale: 2.0, terms: 4, max_freq: 2 };
            let t = AnyTeacher::draw(&spec, 3, 0, d, None).unwrap();
            let p = t.parameters();
            let layout = t.layout();
            assert_eq!(p.len(), layout.stride(), "{kind:?}");
            assert_eq!(spec.layout(d), layout, "{kind:?}: the spec's layout is the drawn teacher's");
            match (&t, &layout) {
                (AnyTeacher::Linear(t), Layout::Linear(l)) => {
                    for i in 0..d {
                        assert_eq!(p[l.weights + i], t.weights[i] as f32);
                    }
                }
                (AnyTeacher::Mlp(t), Layout::Relu(l)) => {
                    assert_eq!(l.layers.len(), 4);
                    for (layer, at) in t.layers.iter().zip(&l.layers) {
                        assert_eq!((at.fan_in, at.fan_out), (layer.fan_in, layer.fan_out));
                        assert_eq!(&p[at.weights..at.weights + at.fan_in * at.fan_out], &layer.weights[..]);
                        assert_eq!(&p[at.biases..at.biases + at.fan_out], &layer.biases[..]);
                    }
                }
                (AnyTeacher::Fourier(t), Layout::Fourier(l)) => {
                    assert_eq!(&p[l.offset..l.offset + d], &t.offset[..]);
                    assert_eq!(&p[l.inv_scale..l.inv_scale + d], &t.inv_scale[..]);
                    for k in 0..t.terms() {
                        let at = l.term(k);
                        assert_eq!(&p[at + l.frequencies..at + l.frequencies + d], &t.frequencies[k * d..(k + 1) * d]);
                        assert_eq!(p[at + l.amplitude], t.amplitudes[k]);
                        assert_eq!(p[at + l.phase], t.phases[k]);
                    }
                }
                _ => panic!("{kind:?}: layout of another kind"),
            }
        }
    }
}

//! A fully connected network on flat buffers: parameters in PyTorch's `nn.Linear` layout, one batch
//! gradient computed chunk by chunk (in parallel with the `threads` feature) and reduced in chunk order.

use percolab_random::{stream, Purpose, RngExt};

use crate::real::Real;
use crate::StudentError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Relu,
    Tanh,
    /// The exact (erf) form, PyTorch's default `nn.GELU()`.
    Gelu,
}

impl Activation {
    pub fn from_name(name: &str) -> Option<Activation> {
        match name {
            "relu" => Some(Activation::Relu),
            "tanh" => Some(Activation::Tanh),
            "gelu" => Some(Activation::Gelu),
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn apply<T: Real>(self, z: T) -> T {
        match self {
            Activation::Relu => {
                if z > T::ZERO {
                    z
                } else {
                    T::ZERO
                }
            }
            Activation::Tanh => z.tanh(),
            Activation::Gelu => z * gelu_cdf(z),
        }
    }

    /// The activation and its slope at `z`, sharing the expensive parts (erf, tanh).
    #[inline]
    pub(crate) fn apply_with_slope<T: Real>(self, z: T) -> (T, T) {
        match self {
            Activation::Relu => {
                if z > T::ZERO {
                    (z, T::ONE)
                } else {
                    (T::ZERO, T::ZERO)
                }
            }
            Activation::Tanh => {
                let t = z.tanh();
                (t, T::ONE - t * t)
            }
            Activation::Gelu => {
                let cdf = gelu_cdf(z);
                (z * cdf, cdf + z * gelu_pdf(z))
            }
        }
    }

    /// d act / dz at `z`.
    #[cfg(test)]
    #[inline]
    pub(crate) fn slope<T: Real>(self, z: T) -> T {
        match self {
            Activation::Relu => {
                if z > T::ZERO {
                    T::ONE
                } else {
                    T::ZERO
                }
            }
            Activation::Tanh => {
                let t = z.tanh();
                T::ONE - t * t
            }
            Activation::Gelu => gelu_cdf(z) + z * gelu_pdf(z),
        }
    }
}

/// The standard normal CDF, Phi(z) = (1 + erf(z / sqrt 2)) / 2: GELU(z) = z Phi(z).
#[inline]
fn gelu_cdf<T: Real>(z: T) -> T {
    T::from_f64(0.5) * (T::ONE + (z * T::from_f64(core::f64::consts::FRAC_1_SQRT_2)).erf())
}

/// The standard normal density: GELU'(z) = Phi(z) + z phi(z).
#[inline]
fn gelu_pdf<T: Real>(z: T) -> T {
    (-T::from_f64(0.5) * z * z).exp() * T::from_f64(0.5 * core::f64::consts::FRAC_2_SQRT_PI * core::f64::consts::FRAC_1_SQRT_2)
}

/// Where one layer's parameters sit in the flat vector: `weight [out, in]` then `bias [out]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerSlot {
    pub inputs: usize,
    pub outputs: usize,
    pub weight: usize,
    pub bias: usize,
}

/// Layer sizes `[d, h_1, ..., h_k, outputs]` and the hidden activation (the last layer is linear).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Architecture {
    pub sizes: Vec<usize>,
    pub activation: Activation,
}

impl Architecture {
    pub fn new(sizes: Vec<usize>, activation: Activation) -> Result<Architecture, StudentError> {
        if sizes.len() < 2 {
            return Err(StudentError::Shape("a network needs at least an input and an output size".into()));
        }
        if let Some(i) = sizes.iter().position(|&s| s == 0) {
            return Err(StudentError::Shape(format!("layer size {i} is 0; every size must be at least 1")));
        }
        Ok(Architecture { sizes, activation })
    }

    pub fn layers(&self) -> Vec<LayerSlot> {
        let mut at = 0;
        self.sizes
            .windows(2)
            .map(|w| {
                let slot = LayerSlot { inputs: w[0], outputs: w[1], weight: at, bias: at + w[0] * w[1] };
                at += w[0] * w[1] + w[1];
                slot
            })
            .collect()
    }

    pub fn parameter_count(&self) -> usize {
        self.sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    pub fn inputs(&self) -> usize {
        self.sizes[0]
    }

    pub fn outputs(&self) -> usize {
        *self.sizes.last().unwrap()
    }

    /// PyTorch's `nn.Linear` initialisation: weight and bias uniform in ±1/sqrt(fan_in), from the stream
    /// `(seed, StudentInit, index)`, layer by layer, weight before bias, row-major.
    pub fn initial_parameters(&self, seed: u64, index: u64) -> Vec<f32> {
        let mut rng = stream(seed, Purpose::StudentInit, index);
        let mut out = Vec::with_capacity(self.parameter_count());
        for slot in self.layers() {
            let bound = 1.0 / (slot.inputs as f64).sqrt();
            for _ in 0..slot.inputs * slot.outputs + slot.outputs {
                out.push(((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32);
            }
        }
        out
    }
}

/// Rows per chunk of a batch: the unit of parallel work and of the fixed-order gradient reduction.
pub const CHUNK_ROWS: usize = 32;

/// A chunk's buffers: pre-activations per layer, hidden activations, the backward deltas, its gradient.
#[derive(Default, Clone, Debug)]
struct Workspace<T> {
    z: Vec<Vec<T>>,
    h: Vec<Vec<T>>,
    /// The activation's slope at each hidden pre-activation (training passes only).
    slopes: Vec<Vec<T>>,
    delta: Vec<T>,
    back: Vec<T>,
    grad: Vec<T>,
    loss: f64,
}

#[derive(Clone, Debug)]
pub struct Network<T: Real> {
    pub architecture: Architecture,
    pub parameters: Vec<T>,
    layers: Vec<LayerSlot>,
    /// Each layer's weight transposed to `[in, out]`, refreshed from `parameters` before a pass.
    transposed: Vec<Vec<T>>,
    workspaces: Vec<Workspace<T>>,
    /// The batch gradient of the last `gradient` call, in the parameters' layout.
    pub gradient: Vec<T>,
}

fn check_rows<T>(x: &[T], d: usize, what: &str) -> Result<usize, StudentError> {
    if x.len() % d != 0 {
        return Err(StudentError::Shape(format!("{what} has {} values, not a whole number of rows of {d}", x.len())));
    }
    Ok(x.len() / d)
}

/// Batch rows times parameters below which a gradient runs on the calling thread: a shorter step does
/// not pay for waking the pool (measured: [16, 64, 64, 1] at batch 64, 3e5, ran slower on 2 threads).
/// Which thread computes a chunk never changes the result, so this only decides speed.
pub const PARALLEL_WORK: usize = 1 << 20;

/// Runs `f(chunk index, workspace)` over the workspaces, in parallel with `threads` when `work` (rows
/// times parameters) is large enough.
fn for_chunks<T: Real, F: Fn(usize, &mut Workspace<T>) + Sync + Send>(workspaces: &mut [Workspace<T>], work: usize, f: F) {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        if workspaces.len() > 1 && work >= PARALLEL_WORK {
            workspaces.par_iter_mut().enumerate().for_each(|(c, ws)| f(c, ws));
            return;
        }
    }
    let _ = work;
    workspaces.iter_mut().enumerate().for_each(|(c, ws)| f(c, ws));
}

impl<T: Real> Network<T> {
    pub fn new(architecture: Architecture, parameters: Vec<T>) -> Result<Network<T>, StudentError> {
        let count = architecture.parameter_count();
        if parameters.len() != count {
            return Err(StudentError::Shape(format!("the network {:?} has {count} parameters, got {}", architecture.sizes, parameters.len())));
        }
        let layers = architecture.layers();
        let transposed = layers.iter().map(|l| vec![T::ZERO; l.inputs * l.outputs]).collect();
        Ok(Network { architecture, parameters, layers, transposed, workspaces: Vec::new(), gradient: vec![T::ZERO; count] })
    }

    pub fn layers(&self) -> &[LayerSlot] {
        &self.layers
    }

    fn refresh_transposed(&mut self) {
        for (slot, t) in self.layers.iter().zip(self.transposed.iter_mut()) {
            let w = &self.parameters[slot.weight..slot.bias];
            for o in 0..slot.outputs {
                for i in 0..slot.inputs {
                    t[i * slot.outputs + o] = w[o * slot.inputs + i];
                }
            }
        }
    }

    fn ensure_workspaces(&mut self, chunks: usize) {
        if self.workspaces.len() < chunks {
            self.workspaces.resize_with(chunks, Workspace::default);
        }
    }

    /// Mean squared error of the batch `(x, y)` and its gradient (into `self.gradient`).
    pub fn gradient(&mut self, x: &[T], y: &[T]) -> Result<f64, StudentError> {
        let (d, out) = (self.architecture.inputs(), self.architecture.outputs());
        let rows = check_rows(x, d, "the batch")?;
        if y.len() != rows * out {
            return Err(StudentError::Shape(format!("the batch has {rows} rows but {} targets (expected {})", y.len(), rows * out)));
        }
        if rows == 0 {
            return Err(StudentError::Shape("the batch is empty".into()));
        }
        self.refresh_transposed();
        let chunks = rows.div_ceil(CHUNK_ROWS);
        self.ensure_workspaces(chunks);
        // MSE over rows x outputs: d loss / d prediction = 2 (p - y) / (rows * outputs).
        let scale = T::from_f64(2.0 / (rows * out) as f64);
        let (layers, params, transposed, activation, count) =
            (&self.layers, &self.parameters, &self.transposed, self.architecture.activation, self.parameters.len());
        for_chunks(&mut self.workspaces[..chunks], rows * count, |c, ws| {
            let r0 = c * CHUNK_ROWS;
            let r1 = (r0 + CHUNK_ROWS).min(rows);
            forward(layers, params, transposed, activation, &x[r0 * d..r1 * d], ws, false, true);
            backward(layers, params, &x[r0 * d..r1 * d], &y[r0 * out..r1 * out], scale, ws, count);
        });
        let (first, rest) = self.workspaces[..chunks].split_first().expect("at least one chunk");
        self.gradient.copy_from_slice(&first.grad);
        let mut loss = first.loss;
        for ws in rest {
            for (g, &p) in self.gradient.iter_mut().zip(&ws.grad) {
                *g += p;
            }
            loss += ws.loss;
        }
        Ok(loss / (rows * out) as f64)
    }

    /// Outputs `[rows, outputs]` of `x`; with `penultimate`, the last hidden layer's pre-activations
    /// `[rows, h_k]` instead.
    fn run(&mut self, x: &[T], penultimate: bool) -> Result<Vec<T>, StudentError> {
        let d = self.architecture.inputs();
        let rows = check_rows(x, d, "the input")?;
        if penultimate && self.layers.len() < 2 {
            return Err(StudentError::Shape("a network without hidden layers has no penultimate layer".into()));
        }
        let width = if penultimate { self.layers[self.layers.len() - 2].outputs } else { self.architecture.outputs() };
        self.refresh_transposed();
        // Larger chunks for inference: no gradient to hold, and fewer passes over the weights.
        const ROWS: usize = 256;
        let mut out = vec![T::ZERO; rows * width];
        let (layers, params, transposed, activation) = (&self.layers, &self.parameters, &self.transposed, self.architecture.activation);
        let mut outputs: Vec<&mut [T]> = out.chunks_mut(ROWS * width).collect();
        let work = |(c, dest): (usize, &mut &mut [T])| {
            let mut ws = Workspace::default();
            let r0 = c * ROWS;
            let r1 = (r0 + ROWS).min(rows);
            forward(layers, params, transposed, activation, &x[r0 * d..r1 * d], &mut ws, penultimate, false);
            let l = if penultimate { layers.len() - 2 } else { layers.len() - 1 };
            dest.copy_from_slice(&ws.z[l]);
        };
        #[cfg(feature = "threads")]
        {
            use rayon::prelude::*;
            outputs.par_iter_mut().enumerate().for_each(work);
        }
        #[cfg(not(feature = "threads"))]
        outputs.iter_mut().enumerate().for_each(work);
        Ok(out)
    }

    pub fn predict(&mut self, x: &[T]) -> Result<Vec<T>, StudentError> {
        self.run(x, false)
    }

    /// Pre-activations of the last hidden layer (Sharma & Kaplan measure their dimension).
    pub fn penultimate(&mut self, x: &[T]) -> Result<Vec<T>, StudentError> {
        self.run(x, true)
    }

    /// Post-activations of every hidden layer, `[rows, h_l]` each (capacity per layer measures them).
    pub fn hidden_layers(&mut self, x: &[T]) -> Result<Vec<Vec<T>>, StudentError> {
        check_rows(x, self.architecture.inputs(), "the input")?;
        self.refresh_transposed();
        let mut ws = Workspace::default();
        forward(&self.layers, &self.parameters, &self.transposed, self.architecture.activation, x, &mut ws, true, false);
        ws.h.truncate(self.layers.len() - 1);
        Ok(ws.h)
    }
}

/// Relative error `|g - fd| / |g|` (Euclidean norms) between the float64 analytic gradient of the MSE
/// of `(x, y)` at `parameters` and central finite differences with step `h`.
pub fn finite_difference_error(architecture: &Architecture, parameters: &[f64], x: &[f64], y: &[f64], h: f64) -> Result<f64, StudentError> {
    let mut net = Network::new(architecture.clone(), parameters.to_vec())?;
    net.gradient(x, y)?;
    let analytic = net.gradient.clone();
    let (mut diff2, mut norm2) = (0.0, 0.0);
    let mut shifted = parameters.to_vec();
    for i in 0..parameters.len() {
        shifted[i] = parameters[i] + h;
        net.parameters.copy_from_slice(&shifted);
        let plus = net.gradient(x, y)?;
        shifted[i] = parameters[i] - h;
        net.parameters.copy_from_slice(&shifted);
        let minus = net.gradient(x, y)?;
        shifted[i] = parameters[i];
        let fd = (plus - minus) / (2.0 * h);
        diff2 += (fd - analytic[i]).powi(2);
        norm2 += analytic[i].powi(2);
    }
    Ok((diff2 / norm2).sqrt())
}

/// Forward pass of one chunk: `z_l = b_l + h_{l-1} W_l^T` (bias first, then inputs in order).
#[allow(clippy::too_many_arguments)]
fn forward<T: Real>(layers: &[LayerSlot], params: &[T], transposed: &[Vec<T>], activation: Activation, x: &[T], ws: &mut Workspace<T>, stop_before_last: bool, slopes: bool) {
    let rows = x.len() / layers[0].inputs;
    let last = if stop_before_last { layers.len() - 1 } else { layers.len() };
    ws.z.resize_with(layers.len(), Vec::new);
    ws.h.resize_with(layers.len(), Vec::new);
    ws.slopes.resize_with(layers.len(), Vec::new);
    for (l, slot) in layers.iter().enumerate().take(last) {
        let (before, after) = ws.h.split_at_mut(l);
        let input: &[T] = if l == 0 { x } else { &before[l - 1] };
        let z = &mut ws.z[l];
        z.clear();
        let bias = &params[slot.bias..slot.bias + slot.outputs];
        for _ in 0..rows {
            z.extend_from_slice(bias);
        }
        T::gemm(rows, slot.outputs, slot.inputs, input, slot.inputs, 1, &transposed[l], slot.outputs, z, slot.outputs);
        if l + 1 < layers.len() {
            let h = &mut after[0];
            h.clear();
            h.resize(z.len(), T::ZERO);
            if slopes {
                let slope = &mut ws.slopes[l];
                slope.clear();
                slope.resize(z.len(), T::ZERO);
                activate_with_slopes(activation, z, h, slope);
            } else {
                activate(activation, z, h);
            }
        }
    }
}

/// `h = act(z)` elementwise, one loop per activation so each compiles to a tight (vectorizable) loop.
fn activate<T: Real>(activation: Activation, z: &[T], h: &mut [T]) {
    match activation {
        Activation::Relu => h.iter_mut().zip(z).for_each(|(h, &v)| *h = Activation::Relu.apply(v)),
        Activation::Tanh => h.iter_mut().zip(z).for_each(|(h, &v)| *h = Activation::Tanh.apply(v)),
        Activation::Gelu => h.iter_mut().zip(z).for_each(|(h, &v)| *h = Activation::Gelu.apply(v)),
    }
}

/// `h = act(z)` and `slope = act'(z)` elementwise.
fn activate_with_slopes<T: Real>(activation: Activation, z: &[T], h: &mut [T], slope: &mut [T]) {
    let each = |a: Activation, h: &mut [T], slope: &mut [T]| {
        for ((h, s), &v) in h.iter_mut().zip(slope.iter_mut()).zip(z) {
            (*h, *s) = a.apply_with_slope(v);
        }
    };
    match activation {
        Activation::Relu => each(Activation::Relu, h, slope),
        Activation::Tanh => each(Activation::Tanh, h, slope),
        Activation::Gelu => each(Activation::Gelu, h, slope),
    }
}

/// Backward pass of one chunk after `forward`: its share of the batch gradient into `ws.grad`.
#[allow(clippy::too_many_arguments)]
fn backward<T: Real>(layers: &[LayerSlot], params: &[T], x: &[T], y: &[T], scale: T, ws: &mut Workspace<T>, count: usize) {
    let rows = x.len() / layers[0].inputs;
    ws.grad.clear();
    ws.grad.resize(count, T::ZERO);
    let last = layers.len() - 1;
    let mut loss = 0.0;
    ws.delta.clear();
    for (&p, &t) in ws.z[last].iter().zip(y) {
        let e = p - t;
        loss += e.to_f64() * e.to_f64();
        ws.delta.push(scale * e);
    }
    ws.loss = loss;
    for l in (0..layers.len()).rev() {
        let slot = layers[l];
        let input: &[T] = if l == 0 { x } else { &ws.h[l - 1] };
        let (weights_grad, bias_grad) = ws.grad[slot.weight..slot.bias + slot.outputs].split_at_mut(slot.inputs * slot.outputs);
        // dW[o, i] = sum over rows of delta[row, o] * input[row, i]
        T::gemm(slot.outputs, slot.inputs, rows, &ws.delta, 1, slot.outputs, input, slot.inputs, weights_grad, slot.inputs);
        for row in ws.delta.chunks_exact(slot.outputs) {
            for (b, &g) in bias_grad.iter_mut().zip(row) {
                *b += g;
            }
        }
        if l == 0 {
            break;
        }
        // delta_{l-1} = (delta_l W_l) * act'(z_{l-1})
        ws.back.clear();
        ws.back.resize(rows * slot.inputs, T::ZERO);
        T::gemm(rows, slot.inputs, slot.outputs, &ws.delta, slot.outputs, 1, &params[slot.weight..slot.bias], slot.inputs, &mut ws.back, slot.inputs);
        for (b, &s) in ws.back.iter_mut().zip(&ws.slopes[l - 1]) {
            *b = *b * s;
        }
        core::mem::swap(&mut ws.delta, &mut ws.back);
    }
}

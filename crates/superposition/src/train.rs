//! The trained model `y = ReLU(W_out W_in x + b)`: all of `W_in`, `W_out` and `b` learned by minibatch
//! Adam (the students crate's, with the reference code's eps 1e-7) on fresh data every step.
//!
//! Parameters sit in one flat f32 vector: `W_in^T` as `[n, m]` (so a feature's column is contiguous:
//! `W_in x` only reads the columns of the features that are on), `W_out` as `[n, m]`, then `b`. Initial
//! values follow PyTorch's `nn.Linear` (uniform in `±1/sqrt(fan_in)`) from `(seed, StudentInit, 0)`.

use percolab_random::{stream, Purpose, RngExt};
use percolab_students::{Optimizer, OptimizerState};

use crate::{sample_features, streams, Shape, SuperpositionError, W_BLOCK};

/// Largest `n * m` trained (weights, gradient and Adam's two moments: 256 MiB at this size).
pub const MAX_PARAMETERS: usize = 1 << 24;
/// Largest batch (or evaluation sample) in features.
pub const MAX_BATCH_FEATURES: usize = 1 << 26;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainOptions {
    /// Most Adam steps.
    pub steps: usize,
    pub batch: usize,
    /// Learning rate; the reference uses `3e-3 / sqrt(n)`.
    pub learning_rate: f64,
    /// Steps per window of the stopping rule: training stops once a window's mean loss is not at least
    /// `min_improvement` (relative) below the previous window's.
    pub window: usize,
    pub min_improvement: f64,
    /// Rows of the held-out sample the final loss is measured on.
    pub eval_rows: usize,
    pub seed: u64,
}

impl TrainOptions {
    pub fn for_shape(shape: Shape, seed: u64) -> TrainOptions {
        TrainOptions {
            steps: 4000,
            batch: 1024,
            learning_rate: 3e-3 / (shape.n as f64).sqrt(),
            window: 250,
            min_improvement: 1e-3,
            eval_rows: ((1usize << 21) / shape.n).max(256),
            seed,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    /// Loss on the held-out sample `(seed, Superposition, EVAL)`.
    pub loss: f64,
    pub steps: usize,
    /// Mean training loss of each window, in order.
    pub window_losses: Vec<f64>,
    /// Mean of the learned bias.
    pub bias_mean: f64,
    /// The top-left `k x k` block of `W_out W_in`, row-major, `k = min(n, W_BLOCK)`.
    pub w_block: Vec<f64>,
    pub w_block_size: usize,
}

#[derive(Clone)]
pub(crate) struct Model {
    pub(crate) n: usize,
    pub(crate) m: usize,
    pub(crate) params: Vec<f32>,
}

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight partial sums in a fixed order: vectorisable and the same on every target.
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

#[inline]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

impl Model {
    pub(crate) fn new(shape: Shape, seed: u64) -> Model {
        let (n, m) = (shape.n, shape.m);
        let mut rng = stream(seed, Purpose::StudentInit, 0);
        let mut uniform = |bound: f64, count: usize| (0..count).map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32).collect::<Vec<f32>>();
        let mut params = uniform(1.0 / (n as f64).sqrt(), n * m);
        params.extend(uniform(1.0 / (m as f64).sqrt(), n * m));
        params.extend(uniform(1.0 / (m as f64).sqrt(), n));
        Model { n, m, params }
    }

    fn parts(&self) -> (&[f32], &[f32], &[f32]) {
        let (enc, rest) = self.params.split_at(self.n * self.m);
        let (dec, bias) = rest.split_at(self.n * self.m);
        (enc, dec, bias)
    }

    /// `h = W_in x` from the features that are on.
    fn encode(&self, x: &[f32], h: &mut [f32]) {
        let (enc, _, _) = self.parts();
        h.fill(0.0);
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                axpy(h, xj, &enc[j * self.m..(j + 1) * self.m]);
            }
        }
    }

    /// Mean squared error per feature over the rows of `x`; with `grad`, also its gradient.
    pub(crate) fn loss(&self, x: &[f32], mut grad: Option<&mut [f32]>) -> f64 {
        let (n, m) = (self.n, self.m);
        let (_, dec, bias) = self.parts();
        let rows = x.len() / n;
        let scale = 2.0 / (rows * n) as f32;
        let (mut h, mut dh, mut dy) = (vec![0.0f32; m], vec![0.0f32; m], vec![0.0f32; n]);
        let mut total = 0.0f64;
        for row in x.chunks_exact(n) {
            self.encode(row, &mut h);
            let mut row_loss = 0.0f32;
            for (i, (d, (&b, &xi))) in dy.iter_mut().zip(bias.iter().zip(row)).enumerate() {
                let pre = dot(&dec[i * m..(i + 1) * m], &h) + b;
                let diff = pre.max(0.0) - xi;
                row_loss += diff * diff;
                *d = if pre > 0.0 { scale * diff } else { 0.0 };
            }
            total += row_loss as f64;
            let Some(g) = grad.as_deref_mut() else { continue };
            let (g_enc, rest) = g.split_at_mut(n * m);
            let (g_dec, g_bias) = rest.split_at_mut(n * m);
            dh.fill(0.0);
            for (i, &d) in dy.iter().enumerate() {
                if d != 0.0 {
                    axpy(&mut g_dec[i * m..(i + 1) * m], d, &h);
                    g_bias[i] += d;
                    axpy(&mut dh, d, &dec[i * m..(i + 1) * m]);
                }
            }
            for (j, &xj) in row.iter().enumerate() {
                if xj != 0.0 {
                    axpy(&mut g_enc[j * m..(j + 1) * m], xj, &dh);
                }
            }
        }
        total / (rows * n) as f64
    }

    fn w_block(&self, k: usize) -> Vec<f64> {
        let (enc, dec, _) = self.parts();
        let m = self.m;
        (0..k).flat_map(|i| (0..k).map(move |j| (i, j))).map(|(i, j)| dot(&dec[i * m..(i + 1) * m], &enc[j * m..(j + 1) * m]) as f64).collect()
    }
}

pub(crate) fn features(shape: Shape, rows: usize, seed: u64, index: u64) -> Vec<f32> {
    let mut x = vec![0.0f64; rows * shape.n];
    sample_features(&mut stream(seed, Purpose::Superposition, index), shape.p, &mut x);
    x.into_iter().map(|v| v as f32).collect()
}

/// Training in progress: [`Trainer::advance`] a few steps at a time (so a caller can report progress),
/// then [`Trainer::finish`].
pub struct Trainer {
    shape: Shape,
    options: TrainOptions,
    model: Model,
    optimizer: OptimizerState,
    grad: Vec<f32>,
    window_sum: f64,
    window_losses: Vec<f64>,
    steps: usize,
    stalled: bool,
}

impl Trainer {
    pub fn new(shape: Shape, options: TrainOptions) -> Result<Trainer, SuperpositionError> {
        let bad = |m: String| Err(SuperpositionError::Input(m));
        if options.steps == 0 || options.batch == 0 || options.window == 0 || options.eval_rows == 0 {
            return bad("steps, batch, window and evaluation rows must be positive".into());
        }
        if !(options.learning_rate > 0.0 && options.learning_rate.is_finite()) {
            return bad(format!("learning rate must be positive, got {}", options.learning_rate));
        }
        if shape.n * shape.m > MAX_PARAMETERS {
            return bad(format!("training holds four arrays of n * m floats: n * m must be at most {MAX_PARAMETERS}, got {} * {}", shape.n, shape.m));
        }
        if options.batch.max(options.eval_rows) * shape.n > MAX_BATCH_FEATURES {
            return bad(format!("batch and evaluation rows times n must be at most {MAX_BATCH_FEATURES} features"));
        }
        let model = Model::new(shape, options.seed);
        let optimizer = OptimizerState::new(Optimizer::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, weight_decay: 0.0 }, model.params.len());
        let grad = vec![0.0f32; model.params.len()];
        Ok(Trainer { shape, options, model, optimizer, grad, window_sum: 0.0, window_losses: Vec::new(), steps: 0, stalled: false })
    }

    pub fn steps(&self) -> usize {
        self.steps
    }

    pub fn done(&self) -> bool {
        self.stalled || self.steps >= self.options.steps
    }

    /// Mean training loss of each finished window.
    pub fn window_losses(&self) -> &[f64] {
        &self.window_losses
    }

    /// Up to `steps` more Adam steps (fewer if training ends); returns whether it has ended.
    pub fn advance(&mut self, steps: usize) -> Result<bool, SuperpositionError> {
        let options = self.options;
        for _ in 0..steps {
            if self.done() {
                break;
            }
            let x = features(self.shape, options.batch, options.seed, streams::TRAIN + self.steps as u64);
            self.grad.fill(0.0);
            let loss = self.model.loss(&x, Some(&mut self.grad));
            if !loss.is_finite() {
                return Err(SuperpositionError::Diverged(format!("the training loss became {loss} at step {}; lower the learning rate", self.steps)));
            }
            self.optimizer.update(&mut self.model.params, &self.grad, options.learning_rate);
            self.steps += 1;
            self.window_sum += loss;
            if self.steps % options.window == 0 {
                let mean = self.window_sum / options.window as f64;
                self.window_sum = 0.0;
                self.stalled = self.window_losses.last().is_some_and(|&previous| mean > previous * (1.0 - options.min_improvement));
                self.window_losses.push(mean);
            }
        }
        Ok(self.done())
    }

    /// The held-out loss and a look at the learned weights.
    pub fn finish(&self) -> Trained {
        let eval = features(self.shape, self.options.eval_rows, self.options.seed, streams::EVAL);
        let (_, _, bias) = self.model.parts();
        let bias_mean = bias.iter().map(|&b| b as f64).sum::<f64>() / self.shape.n as f64;
        let k = self.shape.n.min(W_BLOCK);
        Trained {
            loss: self.model.loss(&eval, None),
            steps: self.steps,
            window_losses: self.window_losses.clone(),
            bias_mean,
            w_block: self.model.w_block(k),
            w_block_size: k,
        }
    }
}

/// Trains the full model on fresh batches (batch `t` from `(seed, Superposition, TRAIN + t)`) until
/// `options.steps` or until a window's mean loss stops falling.
pub fn train(shape: Shape, options: TrainOptions) -> Result<Trained, SuperpositionError> {
    let mut trainer = Trainer::new(shape, options)?;
    trainer.advance(options.steps)?;
    Ok(trainer.finish())
}

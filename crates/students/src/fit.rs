//! Training a student to a recipe: standardized inputs and targets, seeded minibatches, a learning-rate
//! schedule, periodic evaluation, early stopping on the validation loss with the best weights kept.
//! Driven in slices (`advance`) so a caller can report progress between them.

use percolab_random::{permutation, stream, ChaCha8Rng, Purpose};

use crate::network::{Architecture, Network};
use crate::optim::{Optimizer, OptimizerState, Schedule};
use crate::StudentError;

#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    pub optimizer: Optimizer,
    pub learning_rate: f64,
    pub schedule: Schedule,
    /// The schedule's final rate as a fraction of the first.
    pub anneal: f64,
    pub batch_size: usize,
    pub steps: usize,
    /// Steps between evaluations of the train, validation and test losses.
    pub eval_every: usize,
    /// Stop once the validation loss has not improved for this many steps.
    pub patience: Option<usize>,
    /// Standardize inputs (per coordinate) and targets by the training set; the exported weights fold
    /// it back, so they predict in the data's own units.
    pub standardize: bool,
}

/// Rows `x` (`[n, d]`) and targets `y` (`[n]`).
#[derive(Clone, Copy, Debug)]
pub struct Split<'a> {
    pub x: &'a [f32],
    pub y: &'a [f32],
}

/// Losses (mean squared error in the targets' own units) after `step` updates.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub step: usize,
    pub learning_rate: f64,
    /// On the first (at most) `TRAIN_EVAL_ROWS` training rows.
    pub train: f64,
    pub validation: Option<f64>,
    pub test: Option<f64>,
}

/// Training rows evaluated for the learning curve (the rows are in random order, so a prefix is a sample).
pub const TRAIN_EVAL_ROWS: usize = 2048;

/// Per-coordinate `(x - offset) / scale`.
#[derive(Clone, Debug, PartialEq)]
pub struct Scaling {
    pub offset: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Scaling {
    fn identity(d: usize) -> Scaling {
        Scaling { offset: vec![0.0; d], scale: vec![1.0; d] }
    }

    /// Mean and population sd of each column (two passes, f64); a constant column keeps scale 1.
    pub fn of(x: &[f32], d: usize) -> Scaling {
        let n = (x.len() / d).max(1) as f64;
        let mut mean = vec![0.0; d];
        for row in x.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; d];
        for row in x.chunks_exact(d) {
            for ((s, &v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v as f64 - m).powi(2);
            }
        }
        let scale = var.iter().map(|&s| if s > 0.0 { (s / n).sqrt() } else { 1.0 }).collect();
        Scaling { offset: mean, scale }
    }

    fn apply(&self, x: &[f32]) -> Vec<f32> {
        let d = self.offset.len();
        x.chunks_exact(d).flat_map(|row| row.iter().zip(&self.offset).zip(&self.scale).map(|((&v, o), s)| ((v as f64 - o) / s) as f32)).collect()
    }
}

/// Mean of (p - y)^2, summed in f64.
fn mean_squared_error(p: &[f32], y: &[f32]) -> f64 {
    p.iter().zip(y).map(|(&p, &t)| (p as f64 - t as f64).powi(2)).sum::<f64>() / y.len().max(1) as f64
}

fn check_split(split: &Split, d: usize, what: &str) -> Result<usize, StudentError> {
    if split.x.len() % d != 0 {
        return Err(StudentError::Shape(format!("{what}: {} input values are not whole rows of {d}", split.x.len())));
    }
    let n = split.x.len() / d;
    if split.y.len() != n {
        return Err(StudentError::Shape(format!("{what}: {n} rows but {} targets", split.y.len())));
    }
    if let Some(i) = split.x.iter().position(|v| !v.is_finite()) {
        return Err(StudentError::Data(format!("{what}: input row {} column {} is {}", i / d, i % d, split.x[i])));
    }
    if let Some(i) = split.y.iter().position(|v| !v.is_finite()) {
        return Err(StudentError::Data(format!("{what}: target {i} is {}", split.y[i])));
    }
    Ok(n)
}

pub struct Fit {
    network: Network<f32>,
    state: OptimizerState,
    recipe: Recipe,
    inputs: Scaling,
    /// Target offset and scale.
    target: (f64, f64),
    train: (Vec<f32>, Vec<f32>),
    validation: Option<(Vec<f32>, Vec<f32>)>,
    test: Option<(Vec<f32>, Vec<f32>)>,
    rng: ChaCha8Rng,
    order: Vec<u32>,
    at: usize,
    batch: (Vec<f32>, Vec<f32>),
    step: usize,
    best: Option<(f64, usize, Vec<f32>)>,
    history: Vec<Record>,
    done: bool,
}

impl Fit {
    /// A student of `architecture` initialised from `(seed, StudentInit, index)` (or from `initial`),
    /// its minibatches drawn from `(seed, Minibatch, index)`.
    pub fn new(
        architecture: Architecture,
        recipe: Recipe,
        seed: u64,
        index: u64,
        initial: Option<Vec<f32>>,
        train: Split,
        validation: Option<Split>,
        test: Option<Split>,
    ) -> Result<Fit, StudentError> {
        let d = architecture.inputs();
        if architecture.outputs() != 1 {
            return Err(StudentError::Shape(format!("a student predicts one target; the network has {} outputs", architecture.outputs())));
        }
        if recipe.batch_size == 0 || recipe.steps == 0 || recipe.eval_every == 0 {
            return Err(StudentError::Recipe("batch size, steps and the evaluation interval must be at least 1".into()));
        }
        if !(recipe.learning_rate > 0.0 && recipe.learning_rate.is_finite()) {
            return Err(StudentError::Recipe(format!("the learning rate must be a positive number, got {}", recipe.learning_rate)));
        }
        let n = check_split(&train, d, "training set")?;
        if n == 0 {
            return Err(StudentError::Shape("the training set is empty".into()));
        }
        let nv = validation.as_ref().map(|v| check_split(v, d, "validation set")).transpose()?;
        if nv == Some(0) {
            return Err(StudentError::Shape("the validation set is empty".into()));
        }
        test.as_ref().map(|t| check_split(t, d, "test set")).transpose()?;
        let (inputs, target) = if recipe.standardize {
            let t = Scaling::of(train.y, 1);
            (Scaling::of(train.x, d), (t.offset[0], t.scale[0]))
        } else {
            (Scaling::identity(d), (0.0, 1.0))
        };
        let scaled = |s: &Split| -> (Vec<f32>, Vec<f32>) {
            (inputs.apply(s.x), s.y.iter().map(|&v| ((v as f64 - target.0) / target.1) as f32).collect())
        };
        let parameters = match initial {
            Some(p) => p,
            None => architecture.initial_parameters(seed, index),
        };
        let network = Network::new(architecture, parameters)?;
        let state = OptimizerState::new(recipe.optimizer, network.parameters.len());
        let mut rng = stream(seed, Purpose::Minibatch, index);
        let order = permutation(&mut rng, n);
        Ok(Fit {
            state,
            inputs: inputs.clone(),
            target,
            train: scaled(&train),
            validation: validation.as_ref().map(scaled),
            test: test.as_ref().map(scaled),
            rng,
            order,
            at: 0,
            batch: (Vec::new(), Vec::new()),
            step: 0,
            best: None,
            history: Vec::new(),
            done: false,
            network,
            recipe,
        })
    }

    pub fn step(&self) -> usize {
        self.step
    }
    pub fn done(&self) -> bool {
        self.done
    }
    pub fn history(&self) -> &[Record] {
        &self.history
    }
    pub fn recipe(&self) -> &Recipe {
        &self.recipe
    }
    pub fn architecture(&self) -> &Architecture {
        &self.network.architecture
    }
    /// The step and validation loss of the weights kept (with a validation set).
    pub fn best(&self) -> Option<(usize, f64)> {
        self.best.as_ref().map(|(loss, step, _)| (*step, *loss))
    }
    pub fn input_scaling(&self) -> &Scaling {
        &self.inputs
    }
    pub fn target_scaling(&self) -> (f64, f64) {
        self.target
    }

    /// Fills the next minibatch: rows in the order of a permutation, reshuffled from the same stream
    /// whenever it runs out (an epoch boundary may fall inside a batch).
    fn next_batch(&mut self) {
        let d = self.network.architecture.inputs();
        let n = self.order.len();
        let size = self.recipe.batch_size.min(n);
        let (bx, by) = &mut self.batch;
        bx.clear();
        by.clear();
        for _ in 0..size {
            if self.at == n {
                self.order = permutation(&mut self.rng, n);
                self.at = 0;
            }
            let row = self.order[self.at] as usize;
            self.at += 1;
            bx.extend_from_slice(&self.train.0[row * d..row * d + d]);
            by.push(self.train.1[row]);
        }
    }

    fn evaluate(&mut self) -> Result<(), StudentError> {
        let d = self.network.architecture.inputs();
        let rows = (self.train.1.len()).min(TRAIN_EVAL_ROWS);
        // Losses of standardized predictions, back in the targets' own units.
        let sd = self.target.1;
        let network = &mut self.network;
        let mut loss = |x: &[f32], y: &[f32]| network.predict(x).map(|p| mean_squared_error(&p, y) * sd * sd);
        let train = loss(&self.train.0[..rows * d], &self.train.1[..rows])?;
        let validation = self.validation.as_ref().map(|(x, y)| loss(x, y)).transpose()?;
        let test = self.test.as_ref().map(|(x, y)| loss(x, y)).transpose()?;
        let rate = self.recipe.schedule.rate(self.recipe.learning_rate, self.recipe.anneal, self.step.min(self.recipe.steps - 1), self.recipe.steps);
        self.history.push(Record { step: self.step, learning_rate: rate, train, validation, test });
        if let Some(v) = validation {
            let better = self.best.as_ref().is_none_or(|(b, _, _)| v < *b);
            if better {
                self.best = Some((v, self.step, self.network.parameters.clone()));
            } else if let (Some(patience), Some((_, at, _))) = (self.recipe.patience, &self.best) {
                if self.step - at >= patience {
                    self.done = true;
                }
            }
        }
        Ok(())
    }

    /// Trains for at most `max_steps` more steps; returns whether training has finished (all steps, or
    /// early stopping). When it finishes with a validation set, the best weights are restored.
    pub fn advance(&mut self, max_steps: usize) -> Result<bool, StudentError> {
        let mut budget = max_steps;
        while !self.done && budget > 0 {
            if self.step % self.recipe.eval_every == 0 {
                self.evaluate()?;
                if self.done {
                    break;
                }
            }
            let rate = self.recipe.schedule.rate(self.recipe.learning_rate, self.recipe.anneal, self.step, self.recipe.steps);
            self.next_batch();
            let (bx, by) = std::mem::take(&mut self.batch);
            let loss = self.network.gradient(&bx, &by);
            self.batch = (bx, by);
            let loss = loss?;
            if !loss.is_finite() {
                return Err(StudentError::Diverged(format!("diverged: the training loss became {loss} at step {} (learning rate {rate:e}); lower the learning rate", self.step)));
            }
            let Network { parameters, gradient, .. } = &mut self.network;
            self.state.update(parameters, gradient, rate);
            self.step += 1;
            budget -= 1;
            if self.step == self.recipe.steps {
                self.evaluate()?;
                self.done = true;
            }
        }
        if self.done {
            if let Some((_, _, params)) = &self.best {
                self.network.parameters.clone_from(params);
            }
        }
        Ok(self.done)
    }

    /// Runs to the end.
    pub fn run(&mut self) -> Result<(), StudentError> {
        while !self.advance(usize::MAX)? {}
        Ok(())
    }

    /// Predictions in the targets' own units.
    pub fn predict(&mut self, x: &[f32]) -> Result<Vec<f32>, StudentError> {
        let scaled = self.inputs.apply(x);
        let (offset, scale) = self.target;
        Ok(self.network.predict(&scaled)?.into_iter().map(|p| (p as f64 * scale + offset) as f32).collect())
    }

    /// Mean squared error on `(x, y)` in the targets' own units.
    pub fn mse(&mut self, split: Split) -> Result<f64, StudentError> {
        check_split(&split, self.network.architecture.inputs(), "evaluation set")?;
        Ok(mean_squared_error(&self.predict(split.x)?, split.y))
    }

    /// Pre-activations of the last hidden layer on `x` (the data's own units in).
    pub fn penultimate(&mut self, x: &[f32]) -> Result<Vec<f32>, StudentError> {
        let scaled = self.inputs.apply(x);
        self.network.penultimate(&scaled)
    }

    /// The trained parameters in PyTorch's layout with the standardization folded into the first and
    /// last layers: a plain network on the data's own inputs predicting the data's own targets.
    pub fn exported_parameters(&self) -> Vec<f32> {
        let layers = self.network.layers();
        let mut p: Vec<f64> = self.network.parameters.iter().map(|&v| v as f64).collect();
        let first = layers[0];
        for o in 0..first.outputs {
            let mut shift = 0.0;
            for i in 0..first.inputs {
                let w = &mut p[first.weight + o * first.inputs + i];
                shift += *w * self.inputs.offset[i] / self.inputs.scale[i];
                *w /= self.inputs.scale[i];
            }
            p[first.bias + o] -= shift;
        }
        let last = layers[layers.len() - 1];
        let (offset, scale) = self.target;
        for v in &mut p[last.weight..last.bias] {
            *v *= scale;
        }
        for v in &mut p[last.bias..last.bias + last.outputs] {
            *v = *v * scale + offset;
        }
        p.into_iter().map(|v| v as f32).collect()
    }
}

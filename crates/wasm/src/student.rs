//! Students for JavaScript. The spec is the config's own `model` and `train` sections, read with the
//! config's camelCase names; an unknown or missing field is an error naming it, so the two sides cannot
//! drift apart silently.

use serde::Deserialize;
use serde_json::json;
use wasm_bindgen::prelude::*;

use percolab_students::{Activation, Architecture, Fit, Optimizer, Recipe, Schedule, Split};

use crate::err;

#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(rename_all = "lowercase")]
enum ModelKind {
    Knn,
    Mlp,
}

/// The config's `model` section (every key, as the resolved config carries them all).
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModelSection {
    kind: ModelKind,
    widths: Vec<u32>,
    activation: String,
    /// k-NN keys: carried by every resolved config, unused by a student.
    #[allow(dead_code)]
    k: u32,
    #[allow(dead_code)]
    weights: String,
    #[allow(dead_code)]
    local: String,
    #[allow(dead_code)]
    #[serde(default)]
    tangent_dimension: Option<u32>,
    #[allow(dead_code)]
    tangent_cutoff: f64,
    /// Model scaling's widths: the TypeScript side picks a student's widths from it.
    #[allow(dead_code)]
    width_grid: Vec<u32>,
}

#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(rename_all = "lowercase")]
enum OptimizerName {
    Adam,
    Sgd,
}

/// The config's `train` section, with `learningRate` the one rate this student uses.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TrainSection {
    optimizer: OptimizerName,
    learning_rate: f64,
    momentum: f64,
    weight_decay: f64,
    batch_size: u32,
    steps: u32,
    schedule: String,
    anneal: f64,
    validation_fraction: f64,
    #[serde(default)]
    patience: Option<u32>,
    eval_every: u32,
    #[allow(dead_code)]
    width_check: bool,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct StudentSpec {
    model: ModelSection,
    train: TrainSection,
}

fn bad(message: String) -> JsError {
    JsError::new(&message)
}

/// Layer sizes and an activation by name; `what` names the activation in the error (e.g. `model.activation`).
fn network_architecture(sizes: Vec<usize>, activation: &str, what: &str) -> Result<Architecture, JsError> {
    let activation =
        Activation::from_name(activation).ok_or_else(|| bad(format!("{what} must be \"relu\", \"tanh\" or \"gelu\", got {activation:?}")))?;
    Architecture::new(sizes, activation).map_err(err)
}

fn architecture(d: usize, widths: &[u32], activation: &str) -> Result<Architecture, JsError> {
    let sizes = std::iter::once(d).chain(widths.iter().map(|&w| w as usize)).chain(std::iter::once(1)).collect();
    network_architecture(sizes, activation, "model.activation")
}

/// PyTorch's defaults for Adam's betas and eps; `momentum` applies to SGD only.
fn optimizer_of(name: OptimizerName, weight_decay: f64, momentum: f64) -> Optimizer {
    match name {
        OptimizerName::Adam => Optimizer::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay },
        OptimizerName::Sgd => Optimizer::Sgd { momentum, weight_decay },
    }
}

fn recipe(t: &TrainSection) -> Result<Recipe, JsError> {
    let schedule = Schedule::from_name(&t.schedule)
        .ok_or_else(|| bad(format!("train.schedule must be \"constant\", \"cosine\" or \"step\", got {:?}", t.schedule)))?;
    Ok(Recipe {
        optimizer: optimizer_of(t.optimizer, t.weight_decay, t.momentum),
        learning_rate: t.learning_rate,
        schedule,
        anneal: t.anneal,
        batch_size: t.batch_size as usize,
        steps: t.steps as usize,
        eval_every: t.eval_every as usize,
        patience: t.patience.map(|p| p as usize),
        standardize: true,
    })
}

/// A student being trained. Owned by JS: call `free()` when done.
#[wasm_bindgen]
pub struct Student {
    fit: Fit,
    train_rows: usize,
    validation_rows: usize,
}

#[wasm_bindgen]
impl Student {
    /// A student for `spec` (JSON `{ model, train }`: the config's sections, `train.learningRate` one
    /// number) on `train` (`[n, dimension]`, targets `[n]`, rows in random order): the last
    /// `floor(validationFraction * n)` rows are its validation split. Initial weights and minibatches come
    /// from the streams `(seed, StudentInit | Minibatch, index)`, unless `initial` gives the weights.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        spec: &str,
        dimension: u32,
        seed: u64,
        index: u64,
        train_x: &[f32],
        train_y: &[f32],
        test_x: Option<Vec<f32>>,
        test_y: Option<Vec<f32>>,
        initial: Option<Vec<f32>>,
    ) -> Result<Student, JsError> {
        let spec: StudentSpec = crate::spec::parse("student spec", spec).map_err(bad)?;
        if !matches!(spec.model.kind, ModelKind::Mlp) {
            return Err(bad("a student needs model.kind \"mlp\"".into()));
        }
        let d = dimension as usize;
        if d == 0 || train_x.len() % d != 0 || train_x.len() / d != train_y.len() {
            return Err(bad(format!("training data: {} values are not {} rows of dimension {d}", train_x.len(), train_y.len())));
        }
        let n = train_y.len();
        let f = spec.train.validation_fraction;
        if !(0.0..1.0).contains(&f) {
            return Err(bad(format!("train.validationFraction must be in [0, 1), got {f}")));
        }
        let held = (f * n as f64).floor() as usize;
        if held > 0 && held == n {
            return Err(bad(format!("train.validationFraction {f} leaves no training rows of {n}")));
        }
        let fit_rows = n - held;
        if fit_rows == 0 {
            return Err(bad("the training set is empty".into()));
        }
        let train = Split { x: &train_x[..fit_rows * d], y: &train_y[..fit_rows] };
        let validation = (held > 0).then(|| Split { x: &train_x[fit_rows * d..], y: &train_y[fit_rows..] });
        let test = match (&test_x, &test_y) {
            (Some(x), Some(y)) => Some(Split { x, y }),
            (None, None) => None,
            _ => return Err(bad("test inputs and targets come together".into())),
        };
        let arch = architecture(d, &spec.model.widths, &spec.model.activation)?;
        let fit = Fit::new(arch, recipe(&spec.train)?, seed, index, initial, train, validation, test).map_err(err)?;
        Ok(Student { fit, train_rows: fit_rows, validation_rows: held })
    }

    /// Trains at most `steps` more steps; true once training has finished (best weights restored).
    pub fn advance(&mut self, steps: u32) -> Result<bool, JsError> {
        self.fit.advance(steps as usize).map_err(err)
    }

    #[wasm_bindgen(getter)]
    pub fn step(&self) -> usize {
        self.fit.step()
    }

    #[wasm_bindgen(getter, js_name = totalSteps)]
    pub fn total_steps(&self) -> usize {
        self.fit.recipe().steps
    }

    /// The learning curve as JSON: `[{ step, learningRate, train, validation, test }]` (MSE, own units).
    pub fn history(&self) -> String {
        let rows: Vec<_> = self
            .fit
            .history()
            .iter()
            .map(|r| json!({ "step": r.step, "learningRate": r.learning_rate, "train": r.train, "validation": r.validation, "test": r.test }))
            .collect();
        serde_json::Value::Array(rows).to_string()
    }

    /// JSON: `{ trainRows, validationRows, parameters, sizes, steps, bestStep, bestValidation,
    /// targetMean, targetSd }`.
    pub fn summary(&self) -> String {
        let best = self.fit.best();
        let (mean, sd) = self.fit.target_scaling();
        json!({
            "trainRows": self.train_rows,
            "validationRows": self.validation_rows,
            "parameters": self.fit.architecture().parameter_count(),
            "sizes": self.fit.architecture().sizes,
            "steps": self.fit.step(),
            "bestStep": best.map(|b| b.0),
            "bestValidation": best.map(|b| b.1),
            "targetMean": mean,
            "targetSd": sd,
        })
        .to_string()
    }

    /// Layer sizes `[d, widths..., 1]`.
    pub fn sizes(&self) -> Vec<u32> {
        self.fit.architecture().sizes.iter().map(|&s| s as u32).collect()
    }

    /// Every parameter in PyTorch's layout (`weight [out, in]`, `bias [out]`, layer by layer), the
    /// standardization folded in: the network maps raw inputs to raw targets.
    pub fn weights(&self) -> Vec<f32> {
        self.fit.exported_parameters()
    }

    /// Predictions in the targets' units.
    pub fn predict(&mut self, x: &[f32]) -> Result<Vec<f32>, JsError> {
        self.fit.predict(x).map_err(err)
    }

    /// Mean squared error on `(x, y)` in the targets' units.
    pub fn mse(&mut self, x: &[f32], y: &[f32]) -> Result<f64, JsError> {
        self.fit.mse(Split { x, y }).map_err(err)
    }

    /// Pre-activations of the last hidden layer, `[rows, widths[last]]`.
    pub fn penultimate(&mut self, x: &[f32]) -> Result<Vec<f32>, JsError> {
        self.fit.penultimate(x).map_err(err)
    }
}

/// Parity checks: `steps` raw optimizer steps of the network `sizes` / `activation` from `parameters`,
/// batch `s` being the rows `batches[s * batch .. (s + 1) * batch]` of `(x, y)`, no standardization.
/// `optimizer` is JSON `{ kind: "adam" | "sgd", learningRate, weightDecay, momentum }`. Returns the
/// parameters after every step, concatenated.
#[wasm_bindgen(js_name = trainSteps)]
#[allow(clippy::too_many_arguments)]
pub fn train_steps(sizes: &[u32], activation: &str, parameters: Vec<f32>, x: &[f32], y: &[f32], batches: &[u32], batch: u32, optimizer: &str) -> Result<Vec<f32>, JsError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Spec {
        kind: OptimizerName,
        learning_rate: f64,
        #[serde(default)]
        weight_decay: f64,
        #[serde(default)]
        momentum: f64,
    }
    let spec: Spec = crate::spec::parse("optimizer spec", optimizer).map_err(bad)?;
    let arch = network_architecture(sizes.iter().map(|&s| s as usize).collect(), activation, "activation")?;
    let (d, outputs) = (arch.inputs(), arch.outputs());
    let mut net = percolab_students::Network::<f32>::new(arch, parameters).map_err(err)?;
    let mut state = percolab_students::OptimizerState::new(optimizer_of(spec.kind, spec.weight_decay, spec.momentum), net.parameters.len());
    let rows = y.len() / outputs;
    let b = batch as usize;
    if b == 0 || batches.len() % b != 0 || x.len() != rows * d {
        return Err(bad("trainSteps: batches must be whole batches of rows of (x, y)".into()));
    }
    let mut out = Vec::with_capacity(batches.len() / b * net.parameters.len());
    let (mut bx, mut by) = (Vec::new(), Vec::new());
    for step in batches.chunks_exact(b) {
        bx.clear();
        by.clear();
        for &r in step {
            let r = r as usize;
            if r >= rows {
                return Err(bad(format!("trainSteps: row {r} of {rows}")));
            }
            bx.extend_from_slice(&x[r * d..r * d + d]);
            by.extend_from_slice(&y[r * outputs..r * outputs + outputs]);
        }
        net.gradient(&bx, &by).map_err(err)?;
        let percolab_students::Network { parameters, gradient, .. } = &mut net;
        state.update(parameters, gradient, spec.learning_rate);
        out.extend_from_slice(&net.parameters);
    }
    Ok(out)
}

fn float64_network(sizes: &[u32], activation: &str, parameters: &[f64]) -> Result<percolab_students::Network<f64>, JsError> {
    let arch = network_architecture(sizes.iter().map(|&s| s as usize).collect(), activation, "activation")?;
    percolab_students::Network::new(arch, parameters.to_vec()).map_err(err)
}

/// Gradient checks: the float64 MSE gradient of the network at `parameters` on `(x, y)`, the loss
/// appended as the last element.
#[wasm_bindgen(js_name = gradient64)]
pub fn gradient64(sizes: &[u32], activation: &str, parameters: &[f64], x: &[f64], y: &[f64]) -> Result<Vec<f64>, JsError> {
    let mut net = float64_network(sizes, activation, parameters)?;
    let loss = net.gradient(x, y).map_err(err)?;
    let mut out = net.gradient;
    out.push(loss);
    Ok(out)
}

/// Capacity per layer: the float64 post-activations of every hidden layer of the network at
/// `parameters` on `x`, concatenated layer after layer (each `[rows, h_l]`).
#[wasm_bindgen(js_name = hiddenLayers64)]
pub fn hidden_layers64(sizes: &[u32], activation: &str, parameters: &[f64], x: &[f64]) -> Result<Vec<f64>, JsError> {
    let mut net = float64_network(sizes, activation, parameters)?;
    Ok(net.hidden_layers(x).map_err(err)?.concat())
}

/// Gradient checks: relative error between the float64 analytic gradient and central differences (step h).
#[wasm_bindgen(js_name = finiteDifferenceError)]
pub fn finite_difference_error(sizes: &[u32], activation: &str, parameters: &[f64], x: &[f64], y: &[f64], h: f64) -> Result<f64, JsError> {
    let net = float64_network(sizes, activation, parameters)?;
    percolab_students::finite_difference_error(&net.architecture, parameters, x, y, h).map_err(err)
}

/// Benchmarks: `reps` products `C[m, n] += A[m, k] B[k, n]` through the students' blocked kernel;
/// returns a checksum so the work cannot be optimised away.
#[wasm_bindgen(js_name = gemmBench)]
pub fn gemm_bench(m: u32, n: u32, k: u32, reps: u32) -> f64 {
    use percolab_students::Real;
    let (m, n, k) = (m as usize, n as usize, k as usize);
    let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.01).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.01).collect();
    let mut c = vec![0f32; m * n];
    for _ in 0..reps {
        f32::gemm(m, n, k, &a, k, 1, &b, n, &mut c, n);
    }
    c.iter().map(|&v| v as f64).sum()
}

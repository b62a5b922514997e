//! The Persian-rug toy model of superposition for JavaScript: one call for the closed form, the
//! simulated Hadamard model and the baselines (JSON), closed-form losses over a grid, and a trainer
//! object that JS advances a window at a time.

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use percolab_superposition::{closed_form, closed_form_ratio, simulate, simulate::default_rows, Hadamard, Shape, TrainOptions, Trainer, W_BLOCK};

use crate::err;

fn shape(n: u32, m: u32, p: f64) -> Result<Shape, JsError> {
    Shape::new(n as usize, m as usize, p).map_err(err)
}

fn block_json(size: usize, values: &[f64]) -> Value {
    json!({ "size": size, "values": values })
}

/// Closed form, simulated Hadamard model (scalars fitted on `rows` rows, loss on `rows` more; 0 picks
/// about 2^23 features), optimal linear and zero-output baselines, and the top-left block of the
/// Hadamard `W`, as JSON.
#[wasm_bindgen(js_name = superpositionAnalysis)]
pub fn superposition_analysis(n: u32, m: u32, p: f64, seed: u64, rows: u32) -> Result<String, JsError> {
    let s = shape(n, m, p)?;
    let rows = if rows == 0 { default_rows(s.n) } else { rows as usize };
    let closed = closed_form(s);
    let fit = simulate(s, rows, seed);
    let k = s.n.min(W_BLOCK);
    let w = Hadamard::new(s, seed).w_block(k);
    Ok(json!({
        "n": s.n, "m": s.m, "p": s.p, "r": s.ratio(), "seed": seed,
        "crosstalk": { "mean": s.crosstalk_mean(), "variance": s.crosstalk_variance() },
        "closedForm": { "loss": closed.loss, "a": closed.a, "c": closed.c, "mean": closed.mean, "sigma": closed.sigma },
        "hadamard": { "loss": fit.loss, "fitLoss": fit.fit_loss, "a": fit.a, "mean": fit.mean, "rows": fit.rows },
        "linear": { "loss": s.linear_loss(), "referenceLoss": s.reference_linear_loss() },
        "zero": { "loss": s.zero_output_loss() },
        "w": block_json(k, &w),
    })
    .to_string())
}

/// Closed-form losses for every `(r, p)`, row-major `[ratios, ps]`; each `r` and `p` in (0, 1].
#[wasm_bindgen(js_name = superpositionClosedForm)]
pub fn superposition_closed_form(ratios: &[f64], ps: &[f64]) -> Result<Vec<f64>, JsError> {
    if let Some(r) = ratios.iter().find(|r| !(**r > 0.0 && **r <= 1.0)) {
        return Err(JsError::new(&format!("each ratio r = m/n must be in (0, 1], got {r}")));
    }
    if let Some(p) = ps.iter().find(|p| !(**p > 0.0 && **p <= 1.0)) {
        return Err(JsError::new(&format!("each p must be in (0, 1], got {p}")));
    }
    Ok(ratios.iter().flat_map(|&r| ps.iter().map(move |&p| closed_form_ratio(r, p).loss)).collect())
}

/// The full model `ReLU(W_out W_in x + b)` in training. Owned by JS: call `free()` when done.
#[wasm_bindgen]
pub struct SuperpositionTraining {
    trainer: Trainer,
}

#[wasm_bindgen]
impl SuperpositionTraining {
    /// At most `steps` Adam steps of `batch` fresh rows (0: 1024) at `learning_rate` (0: the reference's
    /// `3e-3 / sqrt(n)`), stopping early once a 250-step window's mean loss falls by less than 0.1%.
    #[wasm_bindgen(constructor)]
    pub fn new(n: u32, m: u32, p: f64, seed: u64, steps: u32, batch: u32, learning_rate: f64) -> Result<SuperpositionTraining, JsError> {
        let s = shape(n, m, p)?;
        let mut options = TrainOptions::for_shape(s, seed);
        options.steps = steps as usize;
        if batch > 0 {
            options.batch = batch as usize;
        }
        if learning_rate != 0.0 {
            options.learning_rate = learning_rate;
        }
        Ok(SuperpositionTraining { trainer: Trainer::new(s, options).map_err(err)? })
    }

    /// Up to `steps` more steps; whether training has ended.
    pub fn advance(&mut self, steps: u32) -> Result<bool, JsError> {
        self.trainer.advance(steps as usize).map_err(err)
    }

    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> usize {
        self.trainer.steps()
    }

    /// JSON: held-out `loss`, `steps`, `windowLosses`, `biasMean` and the top-left block of `W_out W_in`.
    pub fn finish(&self) -> String {
        let t = self.trainer.finish();
        json!({ "loss": t.loss, "steps": t.steps, "windowLosses": t.window_losses, "biasMean": t.bias_mean, "w": block_json(t.w_block_size, &t.w_block) }).to_string()
    }
}

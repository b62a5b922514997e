//! Teachers for JavaScript: one model object per seed that labels points on the CPU and hands its exact
//! f32 parameters to the WebGPU kernels.

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use percolab_teachers::{AnyTeacher, ClusterTeachers, Kind, Nonlinearity, Spec, StandardizeBy, Standardization, Teacher};

use crate::err;

fn number(spec: &Value, name: &str) -> Result<f64, JsError> {
    spec.get(name).and_then(Value::as_f64).ok_or_else(|| JsError::new(&format!("teacher spec: {name} must be a number")))
}

fn parse(spec: &Value) -> Result<Spec, JsError> {
    let kind = match spec.get("kind").and_then(Value::as_str) {
        Some("linear") => Kind::Linear,
        Some("relu") => Kind::Relu,
        Some("fourier") => Kind::Fourier,
        other => return Err(JsError::new(&format!("teacher spec: kind must be \"linear\", \"relu\" or \"fourier\", got {other:?}"))),
    };
    Ok(Spec {
        kind,
        depth: number(spec, "depth")? as usize,
        width: number(spec, "width")? as usize,
        sigma_w: number(spec, "sigmaW")?,
        sigma_b: number(spec, "sigmaB")?,
        scale: number(spec, "scale")?,
        terms: number(spec, "terms")? as usize,
        max_freq: number(spec, "maxFreq")? as u32,
    })
}

fn score_json(s: &Nonlinearity) -> Value {
    json!({ "score": s.score, "standardError": s.standard_error, "repetitions": s.repetitions, "slicePoints": s.slice_points })
}

/// Per-cluster teachers scored for the record (when not vetted): the first few clusters only, as each
/// score evaluates the teacher on `repetitions * d * 64` points.
const SCORED_CLUSTERS: usize = 8;

enum Model {
    One(AnyTeacher),
    PerCluster(ClusterTeachers),
}

#[wasm_bindgen]
pub struct TeacherModel {
    model: Model,
    record: Value,
}

#[wasm_bindgen]
impl TeacherModel {
    /// The teacher of `spec` (JSON: kind, depth, width, sigmaW, sigmaB, scale, terms, maxFreq,
    /// minNonlinearity (null for none), maxDraws, repetitions, standardize ("range" (default) | "sd"), optional
    /// standardization {offset, scale}) for `seed`. A Fourier teacher is standardized by the given
    /// standardization, else by that of `reference` (row-major points). With `ids`, one teacher per cluster id.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: &str, dimension: u32, seed: u64, reference: Option<Vec<f32>>, ids: Option<Vec<u32>>) -> Result<TeacherModel, JsError> {
        let json: Value = serde_json::from_str(spec).map_err(err)?;
        let spec = parse(&json)?;
        let d = dimension as usize;
        let threshold = json.get("minNonlinearity").and_then(Value::as_f64);
        let max_draws = number(&json, "maxDraws")? as usize;
        let repetitions = number(&json, "repetitions")? as usize;
        let by = match json.get("standardize").and_then(Value::as_str) {
            Some("sd") => StandardizeBy::Sd,
            None | Some("range") => StandardizeBy::Range,
            Some(other) => return Err(JsError::new(&format!("teacher spec: standardize must be \"sd\" or \"range\", got {other:?}"))),
        };
        let given = json.get("standardization").filter(|v| !v.is_null());
        let standardization = match (given, &reference, spec.kind) {
            (Some(s), _, Kind::Fourier) => {
                let floats = |name: &str| -> Result<Vec<f32>, JsError> {
                    s.get(name)
                        .and_then(Value::as_array)
                        .filter(|a| a.len() == d)
                        .and_then(|a| a.iter().map(|v| v.as_f64().map(|x| x as f32)).collect())
                        .ok_or_else(|| JsError::new(&format!("teacher spec: standardization.{name} must be {d} numbers")))
                };
                Some(Standardization { offset: floats("offset")?, scale: floats("scale")? })
            }
            (None, Some(points), Kind::Fourier) => Some(Standardization::of(points, d, by).map_err(err)?),
            _ => None,
        };
        let mut record = json!({});
        if let Some(s) = &standardization {
            record["standardization"] = json!({ "by": if by == StandardizeBy::Range { "range" } else { "sd" }, "offset": s.offset, "scale": s.scale });
        }
        let model = match ids {
            None => {
                let (teacher, score, draws) =
                    AnyTeacher::vetted(&spec, seed, 0, d, standardization.as_ref(), threshold, max_draws, repetitions).map_err(err)?;
                record["draws"] = json!(draws);
                if let Some(s) = score {
                    record["nonlinearity"] = score_json(&s);
                }
                Model::One(teacher)
            }
            Some(ids) => {
                let mut set = ClusterTeachers::draw(&spec, seed, d, &ids, standardization.as_ref()).map_err(err)?;
                let mut scores = Vec::new();
                let mut draws = 0;
                for (slot, &c) in set.ids.clone().iter().enumerate() {
                    if threshold.is_some() {
                        let (t, s, n) = AnyTeacher::vetted(&spec, seed, c as u64, d, standardization.as_ref(), threshold, max_draws, repetitions)
                            .map_err(|e| JsError::new(&format!("cluster {c}: {e}")))?;
                        set.teachers[slot] = t;
                        scores.push(s.expect("vetting scores").score);
                        draws += n;
                    } else if repetitions > 0 && slot < SCORED_CLUSTERS {
                        scores.push(set.teachers[slot].nonlinearity(seed, c as u64, repetitions).score);
                    }
                }
                record["draws"] = json!(draws.max(set.ids.len()));
                record["clusters"] = json!(set.ids.len());
                if !scores.is_empty() {
                    record["nonlinearity"] = json!({
                        "score": scores.iter().sum::<f64>() / scores.len() as f64,
                        "scoredClusters": scores.len(),
                        "repetitions": repetitions.max(1),
                    });
                }
                Model::PerCluster(set)
            }
        };
        Ok(TeacherModel { model, record })
    }

    /// One label per row of `points`; per-cluster models need each row's cluster id.
    pub fn evaluate(&self, points: &[f32], ids: Option<Vec<u32>>) -> Result<Vec<f32>, JsError> {
        match (&self.model, ids) {
            (Model::One(t), _) => t.evaluate(points).map_err(err),
            (Model::PerCluster(set), Some(ids)) => set.evaluate(points, &ids).map_err(err),
            (Model::PerCluster(_), None) => Err(JsError::new("per-cluster teachers need the cluster id of every point")),
        }
    }

    /// Every teacher's parameters in its GPU layout, one after another in slot order.
    pub fn parameters(&self) -> Vec<f32> {
        match &self.model {
            Model::One(t) => t.parameters(),
            Model::PerCluster(set) => set.teachers.iter().flat_map(|t| t.parameters()).collect(),
        }
    }

    /// The slot (position in `parameters()`, in units of one teacher) of each point's cluster.
    pub fn slots(&self, ids: &[u32]) -> Result<Vec<u32>, JsError> {
        match &self.model {
            Model::One(_) => Ok(vec![0; ids.len()]),
            Model::PerCluster(set) => set.slots(ids).map_err(err),
        }
    }

    /// What to record about the draw, as JSON: draws taken, the non-linearity score, a Fourier
    /// teacher's standardization, the number of clusters.
    pub fn record(&self) -> String {
        self.record.to_string()
    }
}

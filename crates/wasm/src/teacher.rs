//! Teachers for JavaScript: one model object per seed that labels points on the CPU and hands its exact
//! f32 parameters to the WebGPU kernels.

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use percolab_teachers::{AnyTeacher, ClusterTeachers, Kind, Layout, Nonlinearity, Spec, StandardizeBy, Standardization, Teacher};

use crate::err;
use crate::spec::{self, Standardize, TeacherKind, TeacherSpec};

fn domain_spec(spec: &TeacherSpec) -> Spec {
    Spec {
        kind: match spec.kind {
            TeacherKind::Linear => Kind::Linear,
            TeacherKind::Relu => Kind::Relu,
            TeacherKind::Fourier => Kind::Fourier,
        },
        depth: spec.depth as usize,
        width: spec.width as usize,
        sigma_w: spec.sigma_w,
        sigma_b: spec.sigma_b,
        scale: spec.scale,
        terms: spec.terms as usize,
        max_freq: spec.max_freq,
    }
}

/// The layout as JSON, by the names `ts/teachers/wgsl.ts` reads (`TeacherLayout`).
fn layout_json(layout: &Layout) -> Value {
    match layout {
        Layout::Linear(l) => json!({ "kind": "linear", "stride": l.stride, "weights": l.weights }),
        Layout::Relu(l) => json!({
            "kind": "relu",
            "stride": l.stride,
            "layers": l.layers.iter().map(|x| json!({ "fanIn": x.fan_in, "fanOut": x.fan_out, "weights": x.weights, "biases": x.biases })).collect::<Vec<_>>(),
        }),
        Layout::Fourier(l) => json!({
            "kind": "fourier",
            "stride": l.stride,
            "terms": l.terms,
            "offset": l.offset,
            "invScale": l.inv_scale,
            "firstTerm": l.first_term,
            "termStride": l.term_stride,
            "frequencies": l.frequencies,
            "amplitude": l.amplitude,
            "phase": l.phase,
        }),
    }
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
    layout: Value,
}

#[wasm_bindgen]
impl TeacherModel {
    /// The teacher of `spec` (JSON: the resolved `teacher` section of a config) for `seed` on points of
    /// `dimension` coordinates. A Fourier teacher is standardized by `standardization` (offset then scale,
    /// `2 * dimension` floats, e.g. from `streamStandardization`) when given, else by that of `reference`
    /// (row-major points) by `spec.standardize`. With `ids`, one teacher per cluster id.
    #[wasm_bindgen(constructor)]
    pub fn new(
        spec: &str,
        dimension: u32,
        seed: u64,
        reference: Option<Vec<f32>>,
        ids: Option<Vec<u32>>,
        standardization: Option<Vec<f32>>,
    ) -> Result<TeacherModel, JsError> {
        let config: TeacherSpec = spec::parse("teacher spec", spec).map_err(err)?;
        let spec = domain_spec(&config);
        let d = dimension as usize;
        let threshold = config.min_nonlinearity;
        let max_draws = config.max_draws as usize;
        let repetitions = config.repetitions as usize;
        let by = match config.standardize {
            Standardize::Range => StandardizeBy::Range,
            Standardize::Sd => StandardizeBy::Sd,
        };
        let standardization = match (standardization, &reference, spec.kind) {
            (Some(given), _, Kind::Fourier) => {
                if given.len() != 2 * d {
                    return Err(JsError::new(&format!("standardization must be {} floats (offset then scale), got {}", 2 * d, given.len())));
                }
                Some(Standardization { offset: given[..d].to_vec(), scale: given[d..].to_vec() })
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
        Ok(TeacherModel { model, record, layout: layout_json(&spec.layout(d)) })
    }

    /// One label per row of `points`; per-cluster models need each row's cluster id.
    pub fn evaluate(&self, points: &[f32], ids: Option<Vec<u32>>) -> Result<Vec<f32>, JsError> {
        match (&self.model, ids) {
            (Model::One(t), _) => t.evaluate(points).map_err(err),
            (Model::PerCluster(set), Some(ids)) => set.evaluate(points, &ids).map_err(err),
            (Model::PerCluster(_), None) => Err(JsError::new("per-cluster teachers need the cluster id of every point")),
        }
    }

    /// `evaluate` into `out`, reusing its memory for a single teacher (a stream labels chunk after chunk).
    pub(crate) fn evaluate_reusing(&self, points: &[f32], ids: Option<Vec<u32>>, out: &mut Vec<f32>) -> Result<(), JsError> {
        match &self.model {
            Model::One(t) => t.evaluate_reusing(points, out).map_err(err),
            Model::PerCluster(_) => {
                *out = self.evaluate(points, ids)?;
                Ok(())
            }
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

    /// Where each parameter sits in one teacher's block of `parameters()`, as JSON (see
    /// `percolab_teachers::Layout`): `{kind, stride, ...}` with the kind's offsets.
    pub fn layout(&self) -> String {
        self.layout.to_string()
    }

    /// What to record about the draw, as JSON: draws taken, the non-linearity score, a Fourier
    /// teacher's standardization, the number of clusters.
    pub fn record(&self) -> String {
        self.record.to_string()
    }
}

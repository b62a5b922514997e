//! GLUE manifold capacity for JavaScript: one call, a JSON object back. Each estimate `x` comes as
//! `x` beside `xStandardError` (jackknife over draws).

use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;

use percolab_capacity::{measure, Dichotomy, Options};

use crate::err;

/// Capacity of the manifolds `ids` (one per row of `points`, `[rows, dimension]` row-major).
/// `dichotomy`: `"random"` or `"one-versus-rest"`. `max_dimension`: random projection when the data
/// have more dimensions; `subsample`: at most this many points per manifold; `keep_draws`: add every
/// draw's labels, `u = Z t`, multipliers and quadratic forms under `draws_detail` (cross-checks).
#[wasm_bindgen(js_name = measureCapacity)]
#[allow(clippy::too_many_arguments)]
pub fn measure_capacity(
    points: &[f64],
    dimension: u32,
    ids: &[u32],
    draws: u32,
    dichotomy: &str,
    centre: bool,
    max_dimension: Option<u32>,
    subsample: Option<u32>,
    seed: u64,
    keep_draws: bool,
) -> Result<String, JsError> {
    let dichotomy = match dichotomy {
        "random" => Dichotomy::Random,
        "one-versus-rest" => Dichotomy::OneVersusRest,
        other => return Err(JsError::new(&format!("dichotomy must be \"random\" or \"one-versus-rest\", got {other:?}"))),
    };
    let options = Options {
        draws: draws as usize,
        dichotomy,
        centre,
        max_dimension: max_dimension.map(|m| m as usize),
        subsample: subsample.map(|m| m as usize),
        seed,
        keep_draws,
    };
    let c = measure(points, dimension as usize, ids, &options).map_err(err)?;
    let mut out = Map::new();
    for (name, e) in [
        ("capacity", c.capacity),
        ("dimension", c.dimension),
        ("radius", c.radius),
        ("utility", c.utility),
        ("centreAlignment", c.centre_alignment),
        ("axesAlignment", c.axes_alignment),
        ("centreAxesAlignment", c.centre_axes_alignment),
    ] {
        out.insert(name.into(), json!(e.value));
        out.insert(format!("{name}StandardError"), json!(e.standard_error));
    }
    out.insert("participation".into(), json!(c.participation));
    out.insert("manifolds".into(), json!(c.ids.len()));
    out.insert("ids".into(), json!(c.ids));
    out.insert("points".into(), json!(c.points));
    out.insert("ambientDimension".into(), json!(c.ambient_dimension));
    out.insert("dimensionUsed".into(), json!(c.dimension_used));
    out.insert("draws".into(), json!(c.draws));
    out.insert("dichotomy".into(), json!(if dichotomy == Dichotomy::Random { "random" } else { "one-versus-rest" }));
    out.insert("centred".into(), json!(centre));
    out.insert("anchors".into(), json!("zero anchor for a manifold with all multipliers zero"));
    if keep_draws {
        let detail: Vec<Value> = c
            .detail
            .iter()
            .map(|d| json!({ "labels": d.labels, "projections": d.projections, "multipliers": d.multipliers, "a": d.a, "b": d.b, "c": d.c, "objective": d.objective }))
            .collect();
        out.insert("drawsDetail".into(), Value::Array(detail));
    }
    Ok(Value::Object(out).to_string())
}

//! Intrinsic and multifractal dimension estimates as JSON: one object per method with `method`,
//! `dimension`, `interval` ([lo, hi], the bootstrap 16th-84th percentiles, or null) and what a plot of
//! the method needs.

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use percolab_estimators::{
    Bootstrap, BoxCounting, CorrInt, CorrelationIntegral, Duplicates, Interval, Mle, NeighborTable, Sandbox, Scales, TwoNn,
};
use percolab_neighbors::KdTree;

use crate::err;

const METHODS: [&str; 5] = ["twonn", "mle", "corrint", "dq", "box"];

fn interval(i: &Option<Interval>) -> Value {
    i.as_ref().map_or(Value::Null, |i| json!([i.low, i.high]))
}

fn intervals(list: &[Interval]) -> Value {
    list.iter().map(|i| json!([i.low, i.high])).collect()
}

/// `methods`: a comma list of `twonn`, `mle`, `corrint`, `dq`, `box`. `duplicates`: `"error"` (points
/// with another point at distance 0 make TwoNN and MLE fail, naming how many) or `"drop"` (those
/// points are left out of TwoNN and MLE, and counted in the output). `corrint_centres`: CorrInt counts
/// pairs from this many centres (a seeded subsample); 0 counts all n^2 pairs, exactly scikit-dimension.
#[wasm_bindgen(js_name = estimateDimension)]
pub fn estimate_dimension(
    points: &[f32],
    dimension: u32,
    methods: &str,
    seed: u64,
    replicates: u32,
    duplicates: &str,
    corrint_centres: u32,
) -> Result<String, JsError> {
    let d = dimension as usize;
    let bootstrap = Bootstrap { replicates: replicates as usize, ..Default::default() };
    let duplicates = match duplicates {
        "error" => Duplicates::Error,
        "drop" => Duplicates::Drop,
        other => return Err(JsError::new(&format!("duplicates must be \"error\" or \"drop\", got {other:?}"))),
    };
    let max_centres = (corrint_centres > 0).then_some(corrint_centres as usize);
    let methods: Vec<&str> = methods.split(',').map(str::trim).collect();
    if let Some(other) = methods.iter().find(|m| !METHODS.contains(m)) {
        return Err(JsError::new(&format!("method must be one of {}, got {other:?}", METHODS.join(", "))));
    }
    // One neighbour table, as wide as the widest method needs (none for dq and box).
    let width = |m: &&str| match *m {
        "twonn" => 2,
        "mle" => Mle::default().k,
        "corrint" => CorrInt::default().k2,
        _ => 0,
    };
    let widest = methods.iter().map(width).max().unwrap_or(0);
    let table = if widest > 0 {
        let n = points.len() / d.max(1);
        if n <= widest {
            let needs = methods.iter().filter(|m| width(m) == widest).copied().collect::<Vec<_>>().join(", ");
            return Err(JsError::new(&format!("{needs} needs at least {} points ({widest} neighbours each), got {n}", widest + 1)));
        }
        let found = KdTree::new(points, d).map_err(err)?.search_self(widest).map_err(err)?;
        Some(NeighborTable::from_squared_distances(widest, found.squared_distances).map_err(err)?)
    } else {
        None
    };
    let table = || table.as_ref().expect("a table for the methods that need one");
    let mut out = Vec::new();
    for method in methods {
        out.push(match method {
            "twonn" => {
                let options = TwoNn { bootstrap, seed, duplicates, ..Default::default() };
                let fit = options.fit(table()).map_err(err)?;
                json!({
                    "method": "twonn", "dimension": fit.dimension, "interval": interval(&fit.interval),
                    "dimensionMl": fit.dimension_ml, "intervalMl": interval(&fit.interval_ml),
                    "discardFraction": options.discard_fraction, "points": fit.n_used, "duplicatesDropped": fit.n_dropped,
                })
            }
            "mle" => {
                let options = Mle { bootstrap, seed, duplicates, ..Default::default() };
                let fit = options.fit(table()).map_err(err)?;
                json!({
                    "method": "mle", "dimension": fit.dimension, "interval": interval(&fit.interval), "k": options.k,
                    "points": fit.n_used, "duplicatesDropped": fit.n_dropped,
                })
            }
            "corrint" => {
                let options = CorrInt { bootstrap, seed, max_centres, ..Default::default() };
                let fit = options.fit(points, d, table()).map_err(err)?;
                // The whole correlation integral with its local slopes, for the plot.
                let curve = CorrelationIntegral { bootstrap: Bootstrap { replicates: 0, ..bootstrap }, seed, ..Default::default() }
                    .fit(points, d)
                    .map_err(err)?;
                json!({
                    "method": "corrint", "dimension": fit.dimension, "interval": interval(&fit.interval),
                    "k1": options.k1, "k2": options.k2, "r1": fit.r1, "r2": fit.r2, "centres": fit.centres,
                    "curve": {
                        "radii": curve.radii, "correlation": curve.correlation, "slopeRadii": curve.slope_radii,
                        "localSlopes": curve.local_slopes, "slope": curve.dimension, "centres": curve.centres,
                    },
                })
            }
            "dq" => {
                let fit = Sandbox { bootstrap, seed, ..Default::default() }.fit(points, d).map_err(err)?;
                json!({
                    "method": "dq", "dimension": fit.information_dimension, "interval": interval(&fit.information_interval),
                    "q": fit.q, "tau": fit.tau, "tauIntervals": intervals(&fit.tau_intervals),
                    "generalizedDimensions": fit.generalized_dimensions, "dimensionIntervals": intervals(&fit.dimension_intervals),
                    "alpha": fit.alpha, "fAlpha": fit.f_alpha, "radii": fit.radii, "logMass": fit.log_mass, "centres": fit.centres,
                    "fitted": [fit.fitted.0, fit.fitted.1],
                })
            }
            "box" => {
                let fit = BoxCounting { bootstrap, seed, ..Default::default() }.fit(points, d).map_err(err)?;
                json!({
                    "method": "box", "dimension": fit.dimension, "interval": interval(&fit.interval),
                    "sizes": fit.sizes, "counts": fit.counts, "q": fit.q, "tau": fit.tau,
                    "generalizedDimensions": fit.generalized_dimensions,
                })
            }
            _ => unreachable!("methods were checked above"),
        });
    }
    Ok(Value::Array(out).to_string())
}

/// Weights mode (NeuroMFA's network, standard sandbox convention): the generalized dimensions of the
/// network of dense layers whose weights are concatenated in `values`, layer `l` row-major
/// `[shapes[2l], shapes[2l+1]]` = `[outputs, inputs]` (PyTorch's `Linear.weight`). Edges have length
/// `1/|w|`. JSON as the `dq` method, plus `neuromfa` (NeuroMFA's `q - 1` and `alpha_0`) and the graph size.
#[wasm_bindgen(js_name = estimateWeights)]
pub fn estimate_weights(values: &[f32], shapes: &[u32], seed: u64, replicates: u32) -> Result<String, JsError> {
    use percolab_estimators::{LayerWeights, WeightGraph};
    if shapes.len() % 2 != 0 {
        return Err(JsError::new("shapes must hold [outputs, inputs] pairs"));
    }
    let mut layers = Vec::new();
    let mut at = 0usize;
    for pair in shapes.chunks_exact(2) {
        let (outputs, inputs) = (pair[0] as usize, pair[1] as usize);
        let len = outputs * inputs;
        let slice = values.get(at..at + len).ok_or_else(|| JsError::new("values are shorter than the shapes say"))?;
        layers.push(LayerWeights { outputs, inputs, values: slice });
        at += len;
    }
    if at != values.len() {
        return Err(JsError::new("values are longer than the shapes say"));
    }
    let graph = WeightGraph::from_layers(&layers).map_err(err)?;
    let bootstrap = Bootstrap { replicates: replicates as usize, ..Default::default() };
    // Networks are small worlds: path lengths span a short range, so the radii run from the 3rd nearest
    // node to half the diameter (the point-cloud defaults, 10th neighbour to a tenth, often leave none).
    let radii = Scales::Auto { count: 16, lower_neighbor: 3, upper_fraction: 0.5 };
    let fit = Sandbox { bootstrap, seed, radii, count_centre: true, ..Default::default() }.fit_graph(&graph).map_err(err)?;
    let view = fit.neuromfa();
    Ok(json!({
        "method": "weights", "dimension": fit.information_dimension, "interval": interval(&fit.information_interval),
        "q": fit.q, "tau": fit.tau, "tauIntervals": intervals(&fit.tau_intervals),
        "generalizedDimensions": fit.generalized_dimensions, "dimensionIntervals": intervals(&fit.dimension_intervals),
        "alpha": fit.alpha, "fAlpha": fit.f_alpha, "radii": fit.radii, "logMass": fit.log_mass, "centres": fit.centres,
        "nodes": graph.num_nodes(), "edges": graph.num_edges(),
        "neuromfa": { "q": view.q, "tau": view.tau, "alpha0": view.alpha_0 },
    })
    .to_string())
}

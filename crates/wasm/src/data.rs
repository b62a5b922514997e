//! One mechanism for every data kind: a point source built from a data spec and a seed, handing out
//! rows in chunks, so experiments and exports hold only what they ask for.

use serde_json::Value;
use wasm_bindgen::prelude::*;

use percolab_embedding::{Branching, BranchingOptions, DepthFirst, Placement, PointStream, PopulationStream};
use percolab_manifolds::{Manifold, ManifoldOptions, ManifoldSampler};
use percolab_percolation::population::{Population, PopulationOptions};
use percolab_percolation::Lattice;

use crate::err;

enum Source {
    /// A finite stream (a cluster walked depth-first, or a branching construction).
    Stream(Box<dyn PointStream>),
    /// An endless i.i.d. sample of a manifold.
    Manifold(ManifoldSampler),
    /// Many clusters, each row tagged with its cluster id.
    Population(PopulationStream),
}

/// Rows of a data set in chunks. The spec (JSON) has `kind`:
/// - `"cluster"`: `dimension`, `coordination`, `embedder` = `"naive"` (one exact cluster of `size`
///   sites walked depth-first: the naive embedder's points, in preorder) or `"branching"` (`branches`,
///   `branchSize`, `baseSize`, `levels`);
/// - `"manifold"`: `manifold` (`"cube"`, `"sphere"`, `"torus"`), `manifoldDimension`, `dimension`;
/// - `"population"`: `dimension`, `coordination`, `clusters`, `minSize`, `maxSize`, `exponent` (sizes
///   `n_s ~ s^-exponent`), `placement` (`"separated"`: balls 10 step lengths apart; `"overlapping"`:
///   every root at the origin).
#[wasm_bindgen]
pub struct DataStream {
    source: Source,
    dimension: usize,
    /// Cluster ids of the rows `next` returned last (populations only).
    ids: Vec<u32>,
}

fn field<'a>(spec: &'a Value, name: &str) -> Result<&'a Value, JsError> {
    spec.get(name).ok_or_else(|| JsError::new(&format!("data spec: missing {name}")))
}

fn uint(spec: &Value, name: &str) -> Result<u64, JsError> {
    field(spec, name)?.as_u64().ok_or_else(|| JsError::new(&format!("data spec: {name} must be a non-negative integer")))
}

fn text<'a>(spec: &'a Value, name: &str) -> Result<&'a str, JsError> {
    field(spec, name)?.as_str().ok_or_else(|| JsError::new(&format!("data spec: {name} must be a string")))
}

#[wasm_bindgen]
impl DataStream {
    #[wasm_bindgen(constructor)]
    pub fn new(spec: &str, seed: u64) -> Result<DataStream, JsError> {
        let spec: Value = serde_json::from_str(spec).map_err(err)?;
        let dimension = uint(&spec, "dimension")? as usize;
        let source = match text(&spec, "kind")? {
            "cluster" => {
                let lattice = Lattice::new(uint(&spec, "coordination")? as u32).map_err(err)?;
                let stream: Box<dyn PointStream> = match text(&spec, "embedder")? {
                    "naive" => Box::new(DepthFirst::new(seed, 0, lattice, uint(&spec, "size")?, dimension).map_err(err)?),
                    "branching" => {
                        let options = BranchingOptions {
                            branches: uint(&spec, "branches")?,
                            branch_size: uint(&spec, "branchSize")?,
                            base_size: uint(&spec, "baseSize")?,
                            levels: uint(&spec, "levels")? as u32,
                        };
                        Box::new(Branching::new(seed, lattice, dimension, options).map_err(err)?.stream())
                    }
                    other => return Err(JsError::new(&format!("data spec: embedder must be \"naive\" or \"branching\", got {other:?}"))),
                };
                Source::Stream(stream)
            }
            "manifold" => {
                let name = text(&spec, "manifold")?;
                let manifold = Manifold::from_name(name)
                    .ok_or_else(|| JsError::new(&format!("data spec: manifold must be \"cube\", \"sphere\" or \"torus\", got {name:?}")))?;
                let options = ManifoldOptions {
                    manifold,
                    intrinsic: uint(&spec, "manifoldDimension")? as usize,
                    ambient: dimension,
                    ..Default::default()
                };
                Source::Manifold(ManifoldSampler::new(seed, 0, options).map_err(err)?)
            }
            "population" => {
                let lattice = Lattice::new(uint(&spec, "coordination")? as u32).map_err(err)?;
                let exponent = field(&spec, "exponent")?.as_f64().ok_or_else(|| JsError::new("data spec: exponent must be a number"))?;
                let options = PopulationOptions { clusters: uint(&spec, "clusters")?, min_size: uint(&spec, "minSize")?, max_size: uint(&spec, "maxSize")?, exponent };
                let placement = match text(&spec, "placement")? {
                    "separated" => Placement::default(),
                    "overlapping" => Placement::Origin,
                    other => return Err(JsError::new(&format!("data spec: placement must be \"separated\" or \"overlapping\", got {other:?}"))),
                };
                let population = Population::new(seed, lattice, options).map_err(err)?;
                Source::Population(PopulationStream::new(population, dimension, placement).map_err(err)?)
            }
            other => return Err(JsError::new(&format!("data spec: kind must be \"cluster\", \"manifold\" or \"population\", got {other:?}"))),
        };
        Ok(DataStream { source, dimension, ids: Vec::new() })
    }

    /// The next at most `rows` rows, row-major; empty once a finite source is exhausted.
    pub fn next(&mut self, rows: u32) -> Vec<f32> {
        let mut out = Vec::new();
        match &mut self.source {
            Source::Stream(s) => {
                s.fill(&mut out, rows as usize);
            }
            Source::Manifold(m) => m.fill(&mut out, None, rows as usize),
            Source::Population(p) => {
                self.ids.clear();
                p.fill_with_ids(&mut out, &mut self.ids, rows as usize);
            }
        }
        out
    }

    /// Cluster ids of the rows the last `next` returned (empty unless a population).
    #[wasm_bindgen(js_name = lastIds)]
    pub fn last_ids(&self) -> Vec<u32> {
        self.ids.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Rows in total (`Infinity` for a manifold sample).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> f64 {
        match &self.source {
            Source::Stream(s) => s.len() as f64,
            Source::Manifold(_) => f64::INFINITY,
            Source::Population(p) => p.len() as f64,
        }
    }
}

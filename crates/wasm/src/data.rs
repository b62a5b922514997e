//! One mechanism for every data kind: a point source built from a data spec and a seed, handing out
//! rows in chunks, so experiments and exports hold only what they ask for.

use wasm_bindgen::prelude::*;

use percolab_embedding::{embed_naive, Branching, BranchingOptions, DepthFirst, Placement, PointStream, PopulationStream};
use percolab_manifolds::{Manifold, ManifoldOptions, ManifoldSampler};
use percolab_percolation::population::{Population, PopulationOptions};
use percolab_percolation::{sample, Lattice, Method};
use percolab_random::{stream, Purpose};
use percolab_teachers::{Standardizer, StandardizeBy};

use crate::err;
use crate::teacher::TeacherModel;
use crate::spec::{self, DataKind, DataSpec, Embedder, ManifoldName, PlacementName, Sampler, Standardize};

enum Source {
    /// A finite stream (a cluster walked depth-first, or a branching construction).
    Stream(Box<dyn PointStream>),
    /// Rows held in memory (a grow-and-cut cluster, sampled and embedded breadth-first).
    Rows { points: Vec<f32>, at: usize },
    /// An endless i.i.d. sample of a manifold.
    Manifold(ManifoldSampler),
    /// Many clusters, each row tagged with its cluster id.
    Population(PopulationStream),
}

/// Largest grow-and-cut cluster the stream holds in memory, in floats (1 GiB; wasm memory is 4 GiB).
const MAX_HELD_FLOATS: u64 = 1 << 28;

/// Rows of a data set in chunks, from the resolved `data` section of a config (`DataSpec`) and a seed:
/// - `kind = "cluster"`, `embedder = "naive"`: one cluster of `clusterSize` sites. With
///   `sampler = "exact"` it is walked depth-first (the naive embedder's law, in flat memory: not the
///   experiment's numbers, which embed breadth-first); with `"grow-cut"` it is sampled and embedded
///   breadth-first in memory, the experiment's own points for that seed.
/// - `embedder = "branching"`: `branches`, `branchSize`, `baseSize`, `levels` (exact clusters only).
/// - `kind = "manifold"`: `manifold`, `manifoldDimension` in `dimension` ambient coordinates.
/// - `kind = "population"`: `clusters` exact clusters with sizes `n_s ~ s^-sizeExponent` in
///   `[minClusterSize, maxClusterSize]`, `placement` `"separated"` (balls 10 step lengths apart) or
///   `"overlapping"` (every root at the origin).
#[wasm_bindgen]
pub struct DataStream {
    source: Source,
    dimension: usize,
    /// Cluster ids of the rows `next` returned last (populations only).
    ids: Vec<u32>,
    /// Two buffers `fill` writes in turn (reused from call to call); `current` the one written last.
    chunks: [PageAligned; 2],
    current: usize,
    /// Their labels, from `labelFilled`.
    labels: Vec<f32>,
}

impl DataStream {
    fn build(spec: &DataSpec, seed: u64) -> Result<DataStream, String> {
        let s = |e: &dyn std::fmt::Display| e.to_string();
        let dimension = spec.dimension as usize;
        let only_exact = |what: &str| -> Result<(), String> {
            match spec.sampler {
                Sampler::Exact => Ok(()),
                Sampler::GrowCut => Err(format!("data.sampler \"grow-cut\" applies to the naive embedder only; {what} draws exact clusters: set data.sampler to \"exact\"")),
            }
        };
        let source = match spec.kind {
            DataKind::Cluster => {
                let lattice = Lattice::new(spec.coordination).map_err(|e| s(&e))?;
                match (spec.embedder, spec.sampler) {
                    (Embedder::Naive, Sampler::Exact) => {
                        Source::Stream(Box::new(DepthFirst::new(seed, 0, lattice, spec.cluster_size, dimension).map_err(|e| s(&e))?))
                    }
                    (Embedder::Naive, Sampler::GrowCut) => {
                        if spec.cluster_size.saturating_mul(dimension as u64) > MAX_HELD_FLOATS {
                            return Err(format!(
                                "data.sampler \"grow-cut\" holds the whole cluster in memory: {} sites x {dimension} coordinates is more than 2^28 floats; use data.sampler \"exact\" (streamed depth-first) for clusters this large",
                                spec.cluster_size
                            ));
                        }
                        let tree = sample(&mut stream(seed, Purpose::Cluster, 0), lattice, spec.cluster_size, Method::GrowCut).map_err(|e| s(&e))?;
                        let points = embed_naive(&mut stream(seed, Purpose::Embedding, 0), &tree.into_parents(), dimension).map_err(|e| s(&e))?;
                        Source::Rows { points, at: 0 }
                    }
                    (Embedder::Branching, _) => {
                        only_exact("the branching embedder")?;
                        let options = BranchingOptions { branches: spec.branches, branch_size: spec.branch_size, base_size: spec.base_size, levels: spec.levels };
                        Source::Stream(Box::new(Branching::new(seed, lattice, dimension, options).map_err(|e| s(&e))?.stream()))
                    }
                }
            }
            DataKind::Manifold => {
                let manifold = match spec.manifold {
                    ManifoldName::Cube => Manifold::Cube,
                    ManifoldName::Sphere => Manifold::Sphere,
                    ManifoldName::Torus => Manifold::Torus,
                };
                let options = ManifoldOptions { manifold, intrinsic: spec.manifold_dimension as usize, ambient: dimension, ..Default::default() };
                Source::Manifold(ManifoldSampler::new(seed, 0, options).map_err(|e| s(&e))?)
            }
            DataKind::Population => {
                only_exact("a population")?;
                let lattice = Lattice::new(spec.coordination).map_err(|e| s(&e))?;
                let options = PopulationOptions {
                    clusters: spec.clusters,
                    min_size: spec.min_cluster_size,
                    max_size: spec.max_cluster_size,
                    exponent: spec.size_exponent,
                };
                let placement = match spec.placement {
                    PlacementName::Separated => Placement::default(),
                    PlacementName::Overlapping => Placement::Origin,
                };
                let population = Population::new(seed, lattice, options).map_err(|e| s(&e))?;
                Source::Population(PopulationStream::new(population, dimension, placement).map_err(|e| s(&e))?)
            }
            DataKind::File => return Err("data.kind \"file\": the points are read from data.path on the JavaScript side; there is no generated data stream".into()),
        };
        Ok(DataStream { source, dimension, ids: Vec::new(), chunks: [PageAligned::default(), PageAligned::default()], current: 0, labels: Vec::new() })
    }
}

#[wasm_bindgen]
impl DataStream {
    /// The stream of `spec` (JSON: the resolved `data` section of a config) for `seed`.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: &str, seed: u64) -> Result<DataStream, JsError> {
        let spec: DataSpec = spec::parse("data spec", spec).map_err(err)?;
        DataStream::build(&spec, seed).map_err(err)
    }

    /// The next at most `rows` rows, row-major; empty once a finite source is exhausted.
    pub fn next(&mut self, rows: u32) -> Vec<f32> {
        let mut out = Vec::new();
        self.next_into(&mut out, rows);
        out
    }

    /// Like `next`, into one of two buffers this stream keeps, taking turns (at `chunkPointer`): the
    /// caller reads the rows there, and no chunk is allocated per call. A chunk stays unchanged through
    /// the next `fill` (which writes the other buffer), so the caller may write it out meanwhile.
    /// Returns the rows written.
    pub fn fill(&mut self, rows: u32) -> u32 {
        self.current ^= 1;
        let mut chunk = std::mem::take(&mut self.chunks[self.current]);
        chunk.start(match &self.source {
            Source::Stream(s) => s.room(rows as usize),
            _ => rows as usize * self.dimension,
        });
        self.next_into(&mut chunk.buffer, rows);
        self.chunks[self.current] = chunk;
        (self.chunks[self.current].rows().len() / self.dimension) as u32
    }

    /// `model`'s labels of the rows the last `fill` wrote (with their cluster ids, for a population), read
    /// where they lie instead of copied in; kept at `labelsPointer` (valid until the next call or until
    /// memory grows) for the caller to copy into a buffer of its own. Returns how many.
    #[wasm_bindgen(js_name = labelFilled)]
    pub fn label_filled(&mut self, model: &TeacherModel) -> Result<u32, JsError> {
        let ids = matches!(self.source, Source::Population(_)).then(|| self.ids.clone());
        model.evaluate_reusing(self.chunks[self.current].rows(), ids, &mut self.labels)?;
        Ok(self.labels.len() as u32)
    }

    /// Byte offset in wasm memory of the labels `labelFilled` computed last.
    #[wasm_bindgen(getter, js_name = labelsPointer)]
    pub fn labels_pointer(&self) -> usize {
        self.labels.as_ptr() as usize
    }

    /// Byte offset in wasm memory of the rows the last `fill` wrote: a multiple of [`PAGE_BYTES`] (every
    /// data kind keeps to its `room`: `data::tests`).
    #[wasm_bindgen(getter, js_name = chunkPointer)]
    pub fn chunk_pointer(&self) -> usize {
        self.chunks[self.current].rows().as_ptr() as usize
    }
}

/// Alignment of the rows `fill` writes, so that a file opened for direct I/O (which must be written from
/// page-aligned memory) takes them without a copy.
pub const PAGE_BYTES: usize = 4096;

/// A reusable buffer whose rows start on a [`PAGE_BYTES`] boundary, after `pad` floats of padding.
#[derive(Default)]
struct PageAligned {
    buffer: Vec<f32>,
    pad: usize,
    /// Where `start` placed the buffer.
    placed: usize,
}

impl PageAligned {
    /// Empties the buffer for the rows a stream then appends to `buffer`, reserving its `room` for them:
    /// a stream reserving more would move the buffer (its rows then off the boundary, which a direct
    /// write passes to the page cache), and the first one left behind would stay resident in wasm memory,
    /// which does not shrink.
    fn start(&mut self, room: usize) {
        self.buffer.clear();
        self.buffer.reserve_exact(room + PAGE_BYTES / 4);
        self.pad = Self::pad_at(self.buffer.as_ptr());
        self.buffer.resize(self.pad, 0.0);
        self.placed = self.buffer.as_ptr() as usize;
    }

    /// Floats from `at` to the next boundary.
    fn pad_at(at: *const f32) -> usize {
        (PAGE_BYTES - at as usize % PAGE_BYTES) % PAGE_BYTES / 4
    }

    fn rows(&self) -> &[f32] {
        &self.buffer[self.pad.min(self.buffer.len())..]
    }
}

impl DataStream {
    fn next_into(&mut self, out: &mut Vec<f32>, rows: u32) {
        match &mut self.source {
            Source::Stream(s) => {
                s.fill(out, rows as usize);
            }
            Source::Rows { points, at } => {
                let take = (rows as usize * self.dimension).min(points.len() - *at);
                out.extend_from_slice(&points[*at..*at + take]);
                *at += take;
            }
            Source::Manifold(m) => m.fill(out, None, rows as usize),
            Source::Population(p) => {
                self.ids.clear();
                p.fill_with_ids(out, &mut self.ids, rows as usize);
            }
        }
    }
}

#[wasm_bindgen]
impl DataStream {
    /// Cluster ids of the rows the last `next` returned (empty unless a population).
    #[wasm_bindgen(js_name = lastIds)]
    pub fn last_ids(&self) -> Vec<u32> {
        self.ids.clone()
    }

    /// Byte offset in wasm memory of those ids, and how many there are (to copy into a buffer of the
    /// caller's instead of a new array per chunk).
    #[wasm_bindgen(getter, js_name = idsPointer)]
    pub fn ids_pointer(&self) -> usize {
        self.ids.as_ptr() as usize
    }

    #[wasm_bindgen(getter, js_name = idsCount)]
    pub fn ids_count(&self) -> u32 {
        self.ids.len() as u32
    }

    #[wasm_bindgen(getter)]
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The work before the first rows that goes in steps (a naive cluster's first draw of its offspring
    /// counts: serial, about 0.1 s per 10^7 sites): up to about `sites` sites more of it on this thread if
    /// it is this thread's (else a look at the helper's progress). Returns the fraction done, 1 once the
    /// first rows can be computed; reading rows finishes it anyway.
    pub fn prepare(&mut self, sites: u32) -> f64 {
        match &mut self.source {
            Source::Stream(s) => s.prepare(sites as usize),
            Source::Rows { .. } | Source::Manifold(_) | Source::Population(_) => 1.0,
        }
    }

    /// Rows in total (`Infinity` for a manifold sample).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> f64 {
        match &self.source {
            Source::Stream(s) => s.len() as f64,
            Source::Rows { points, .. } => (points.len() / self.dimension) as f64,
            Source::Manifold(_) => f64::INFINITY,
            Source::Population(p) => p.len() as f64,
        }
    }
}

/// Rows per chunk when a kernel reads a stream itself.
const CHUNK_ROWS: u32 = 1 << 16;

/// The standardization a Fourier teacher with `standardize = by` (`"range"` or `"sd"`) gets from the first
/// `rows` rows of the data stream `spec` for `seed`: offset then scale, `2 * dimension` floats. The
/// stream is read in chunks (twice for `"sd"`), so memory stays flat; the numbers are those the teacher
/// computes from the same rows in memory (one implementation, `percolab_teachers::Standardizer`).
#[wasm_bindgen(js_name = streamStandardization)]
pub fn stream_standardization(spec: &str, seed: u64, rows: f64, by: &str) -> Result<Vec<f32>, JsError> {
    let mut run = StandardizationRun::new(spec, seed, rows, by)?;
    while run.advance(u32::MAX)? < 1.0 {}
    Ok(run.finish())
}

/// [`stream_standardization`] in steps, so that a caller can show progress between them (a pass over
/// 10^9 points takes minutes). The owner frees it.
#[wasm_bindgen]
pub struct StandardizationRun {
    spec: DataSpec,
    seed: u64,
    rows: u64,
    standardizer: Standardizer,
    data: DataStream,
    /// Rows of the current pass observed.
    done: u64,
    pass: usize,
}

#[wasm_bindgen]
impl StandardizationRun {
    #[wasm_bindgen(constructor)]
    pub fn new(spec: &str, seed: u64, rows: f64, by: &str) -> Result<StandardizationRun, JsError> {
        let spec: DataSpec = spec::parse("data spec", spec).map_err(err)?;
        let by: Standardize = spec::parse("teacher.standardize", &serde_json::Value::from(by).to_string()).map_err(err)?;
        let by = match by {
            Standardize::Range => StandardizeBy::Range,
            Standardize::Sd => StandardizeBy::Sd,
        };
        if !(rows >= 1.0 && rows.fract() == 0.0) {
            return Err(JsError::new(&format!("rows must be a positive integer, got {rows}")));
        }
        let standardizer = Standardizer::new(spec.dimension as usize, by).map_err(err)?;
        let data = DataStream::build(&spec, seed).map_err(err)?;
        Ok(StandardizationRun { spec, seed, rows: rows as u64, standardizer, data, done: 0, pass: 0 })
    }

    /// Reads up to `chunks` more chunks of rows (a naive cluster's serial start counting as chunks of its
    /// own); returns the fraction of the work done, 1 once `finish` can be called.
    pub fn advance(&mut self, chunks: u32) -> Result<f64, JsError> {
        let passes = self.standardizer.passes();
        for _ in 0..chunks {
            if self.pass == passes {
                break;
            }
            if self.done == 0 && self.data.prepare(1 << 22) < 1.0 {
                continue;
            }
            let chunk = self.data.next((self.rows - self.done).min(CHUNK_ROWS as u64) as u32);
            if chunk.is_empty() {
                return Err(JsError::new(&format!("the data stream ended after {} of {} rows", self.done, self.rows)));
            }
            self.standardizer.observe(&chunk).map_err(err)?;
            self.done += (chunk.len() / self.data.dimension) as u64;
            if self.done == self.rows {
                self.pass += 1;
                self.done = 0;
                if self.pass < passes {
                    self.standardizer.next_pass();
                    self.data = DataStream::build(&self.spec, self.seed).map_err(err)?;
                }
            }
        }
        Ok((self.pass as f64 * self.rows as f64 + self.done as f64) / (passes as f64 * self.rows as f64))
    }

    /// Offset then scale, `2 * dimension` floats.
    pub fn finish(self) -> Vec<f32> {
        let s = self.standardizer.finish();
        [s.offset, s.scale].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::{DataStream, PAGE_BYTES};
    use crate::spec::{self, tests::DATA, DataSpec};

    #[test]
    fn every_data_kind_fills_its_chunks_where_they_were_placed() {
        for (from, to) in [
            ("\"clusterSize\":1700000", "\"clusterSize\":90000"),
            ("\"exact\"", "\"grow-cut\",\"clusterSize\":90000"),
            ("\"naive\"", "\"branching\""),
            ("\"kind\":\"cluster\"", "\"kind\":\"manifold\""),
            ("\"kind\":\"cluster\"", "\"kind\":\"population\""),
        ] {
            let json = DATA.replacen(from, to, 1).replacen(",\"clusterSize\":1700000", "", usize::from(to.contains("clusterSize")));
            let data: DataSpec = spec::parse("data spec", &json).unwrap();
            let mut stream = DataStream::build(&data, 5).unwrap();
            for rows in [20000, 20000, 777, 20000, 20000, 3] {
                stream.fill(rows);
                let chunk = &stream.chunks[stream.current];
                assert_eq!(chunk.buffer.as_ptr() as usize, chunk.placed, "{to}: the stream moved the buffer");
                assert_eq!(stream.chunk_pointer() % PAGE_BYTES, 0, "{to}");
            }
        }
    }
}

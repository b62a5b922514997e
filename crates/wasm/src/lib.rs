//! wasm-bindgen exports. Bulk data crosses as flat typed arrays with an explicit `dimension`; every
//! error becomes a JS `Error` whose message names the argument and what is allowed. A Rust panic, on
//! any thread, is recorded by the panic hook so the JS side can replace the opaque `unreachable` trap
//! with its text; a panic on a helper thread is re-raised on the calling thread (see `threads`).

use std::sync::{Mutex, TryLockError};
use wasm_bindgen::prelude::*;

use percolab_neighbors::{KdTree, KnnRegressor, Local, Neighbors, Tangent, Weighting, DEFAULT_LEAF_SIZE};
use percolab_percolation::{sample, Lattice, Method};
use percolab_random::{permutation as random_permutation, stream, Normals, Purpose, MAX_INDEX};

mod capacity;
mod data;
mod estimate;
mod spec;
mod student;
mod superposition;
mod teacher;
#[cfg(feature = "threads")]
mod threads;

/// The first panic of this instance, on whichever thread (shared memory: every thread sees it). The
/// first is kept: a helper thread's panic is re-raised on the caller with the same message.
static FIRST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// One line: the panic's message and where it was raised.
fn describe(info: &std::panic::PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str)).unwrap_or("a panic");
    let message = message.replace('\n', " ");
    match info.location() {
        Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
        None => message,
    }
}

#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = describe(info);
        let mut slot = FIRST_PANIC.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        slot.get_or_insert_with(|| message.clone());
        drop(slot);
        #[cfg(feature = "threads")]
        threads::relay_to_caller(&message);
    }));
}

/// The message of the first Rust panic, if any (the instance must not be used after a panic).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    match FIRST_PANIC.try_lock() {
        Ok(slot) => slot.clone(),
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner().clone(),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// For tests: panics on the calling thread, or (`on_helper`, in the threaded build with at least one
/// helper) in a job that only a helper thread can run, while the caller waits for it. Either way the
/// caller gets the same one-line error.
#[wasm_bindgen(js_name = debugPanic)]
pub fn debug_panic(on_helper: bool) {
    #[cfg(feature = "threads")]
    if on_helper && rayon::current_num_threads() > 1 {
        threads::panic_on_helper();
    }
    #[cfg(not(feature = "threads"))]
    let _ = on_helper; // no helpers in the single-threaded build
    panic!("debug panic (requested on the calling thread)");
}

/// Which build this is: `{"version", "dataVersion", "simd", "threads"}` as JSON.
#[wasm_bindgen(js_name = buildInfo)]
pub fn build_info() -> String {
    format!(
        r#"{{"version":"{}","dataVersion":{},"simd":{},"threads":{}}}"#,
        env!("CARGO_PKG_VERSION"),
        percolab_random::DATA_VERSION,
        cfg!(target_feature = "simd128"),
        cfg!(target_feature = "atomics")
    )
}

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn method(name: &str) -> Result<Method, JsError> {
    match name {
        "exact" => Ok(Method::Exact),
        "grow-cut" => Ok(Method::GrowCut),
        other => Err(JsError::new(&format!("sampler must be \"exact\" or \"grow-cut\", got {other:?}"))),
    }
}

/// Parent array (breadth-first, root first with parent 0xFFFFFFFF) of a critical cluster of `size`
/// sites, from the cluster stream `(seed, index)`.
#[wasm_bindgen(js_name = sampleCluster)]
pub fn sample_cluster(seed: u64, index: u64, size: u32, coordination: u32, sampler: &str) -> Result<Vec<u32>, JsError> {
    let lattice = Lattice::new(coordination).map_err(err)?;
    let mut rng = stream(seed, Purpose::Cluster, index);
    Ok(sample(&mut rng, lattice, size as u64, method(sampler)?).map_err(err)?.into_parents())
}

/// Row-major `[n, dimension]` coordinates of the naive random-walk embedding of a parent array.
#[wasm_bindgen(js_name = embedNaive)]
pub fn embed_naive(parents: &[u32], dimension: u32, seed: u64, index: u64) -> Result<Vec<f32>, JsError> {
    let mut rng = stream(seed, Purpose::Embedding, index);
    percolab_embedding::embed_naive(&mut rng, parents, dimension as usize).map_err(err)
}

/// The first `count` standard normals of the embedding stream `(seed, index)` as the depth-first walker
/// (`dataStream`, `percolab generate`) takes them for its steps: one ChaCha8 word each (docs/generation.md).
#[wasm_bindgen(js_name = standardNormals)]
pub fn standard_normals(seed: u64, index: u64, count: u32) -> Result<Vec<f64>, JsError> {
    /// 2 GiB of f64: what wasm's 4 GiB of memory can hand back as one array.
    const MAX_COUNT: u32 = 1 << 28;
    if index > MAX_INDEX {
        return Err(JsError::new(&format!("stream index must be at most 2^48 - 1, got {index}")));
    }
    if count > MAX_COUNT {
        return Err(JsError::new(&format!("at most 2^28 normals at once, got {count}")));
    }
    let mut out = Vec::new();
    Normals::new(&stream(seed, Purpose::Embedding, index)).fill(&mut out, count as usize, |z| z);
    Ok(out)
}

/// A uniform permutation of `0..n` from the split stream `(seed, index)`.
#[wasm_bindgen]
pub fn permutation(seed: u64, index: u64, n: u32) -> Vec<u32> {
    random_permutation(&mut stream(seed, Purpose::Split, index), n as usize)
}

/// Exact k nearest neighbours; owned by the caller, who copies the arrays out and calls `free()`.
#[wasm_bindgen]
pub struct KnnResult {
    indices: Vec<u32>,
    distances: Vec<f32>,
}

#[wasm_bindgen]
impl KnnResult {
    /// Row-major `[queries, k]` training-point indices, nearest first (ties: lower index first).
    #[wasm_bindgen(getter)]
    pub fn indices(&self) -> Vec<u32> {
        self.indices.clone()
    }
    /// Row-major `[queries, k]` Euclidean distances.
    #[wasm_bindgen(getter)]
    pub fn distances(&self) -> Vec<f32> {
        self.distances.clone()
    }
}

impl From<Neighbors> for KnnResult {
    fn from(found: Neighbors) -> KnnResult {
        KnnResult { distances: found.distances(), indices: found.indices }
    }
}

/// f32 values in wasm memory that JS fills in place (e.g. straight from a file), then hands to a kernel
/// that takes ownership: large inputs cross into wasm without a second copy.
#[wasm_bindgen]
pub struct PointBuffer {
    data: Vec<f32>,
}

#[wasm_bindgen]
impl PointBuffer {
    #[wasm_bindgen(constructor)]
    pub fn new(length: usize) -> Result<PointBuffer, JsError> {
        // Zeroed allocation: fresh pages from memory.grow are zero already, so large buffers skip the
        // memset that `resize` would do (measured 250 ms for 128 MB). The size check keeps a huge request
        // an error rather than an abort.
        if length.checked_mul(4).is_none_or(|bytes| bytes > isize::MAX as usize) {
            return Err(JsError::new(&format!("cannot allocate {length} floats in wasm memory (4 GiB at most)")));
        }
        let layout = std::alloc::Layout::array::<f32>(length).expect("size checked above");
        let data = if length == 0 {
            Vec::new()
        } else {
            // SAFETY: non-zero size; on success the block holds `length` zeroed f32s, allocated by the
            // global allocator with f32's layout, as Vec::from_raw_parts requires.
            unsafe {
                let ptr = std::alloc::alloc_zeroed(layout) as *mut f32;
                if ptr.is_null() {
                    return Err(JsError::new(&format!("cannot allocate {length} floats in wasm memory (4 GiB at most)")));
                }
                Vec::from_raw_parts(ptr, length, length)
            }
        };
        Ok(PointBuffer { data })
    }
    /// Byte offset of the values in wasm memory (valid until memory grows: view it, fill it, hand it on).
    #[wasm_bindgen(getter)]
    pub fn pointer(&self) -> usize {
        self.data.as_ptr() as usize
    }
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.data.len()
    }
}

/// An exact k-NN index over a copy of the training points. Owned by JS: call `free()` when done.
#[wasm_bindgen]
pub struct KnnIndex {
    tree: KdTree,
}

#[wasm_bindgen]
impl KnnIndex {
    /// Takes the copy wasm-bindgen makes of `train` and reorders it in place: one copy of the data.
    #[wasm_bindgen(constructor)]
    pub fn new(train: Vec<f32>, dimension: u32) -> Result<KnnIndex, JsError> {
        Ok(KnnIndex { tree: KdTree::from_vec(train, dimension as usize, DEFAULT_LEAF_SIZE).map_err(err)? })
    }
    /// Indexes the points JS wrote into `buffer`, without copying them (the buffer is consumed).
    #[wasm_bindgen(js_name = fromBuffer)]
    pub fn from_buffer(buffer: PointBuffer, dimension: u32) -> Result<KnnIndex, JsError> {
        Ok(KnnIndex { tree: KdTree::from_vec(buffer.data, dimension as usize, DEFAULT_LEAF_SIZE).map_err(err)? })
    }
    /// The `k` nearest training points of each query, nearest first (ties: lower index first).
    pub fn search(&self, queries: &[f32], k: u32) -> Result<KnnResult, JsError> {
        Ok(self.tree.search(queries, k as usize).map_err(err)?.into())
    }
    /// The `k` nearest other training points of every training point.
    #[wasm_bindgen(js_name = searchSelf)]
    pub fn search_self(&self, k: u32) -> Result<KnnResult, JsError> {
        Ok(self.tree.search_self(k as usize).map_err(err)?.into())
    }
    #[wasm_bindgen(getter)]
    pub fn points(&self) -> usize {
        self.tree.num_points()
    }
    /// Bytes the index holds (its reordered copy of the points and its nodes).
    #[wasm_bindgen(getter, js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> usize {
        self.tree.memory_bytes()
    }
}

/// Starts compiling what an index of `dimension` columns runs to be built and to answer `k`-NN queries
/// (the tree walk and the quantized scan), on a helper thread, and returns at once: V8 compiles each wasm
/// function on its first call (about 0.1 s for these on one core), and the code is shared by every thread.
/// Call it before work the helper would sit out, such as reading the training file. A tiny index of made-up
/// points; its answers are dropped. Does nothing without a helper.
#[wasm_bindgen(js_name = warmKnn)]
pub fn warm_knn(dimension: u32, k: u32) {
    #[cfg(feature = "threads")]
    if dimension > 0 && rayon::current_num_threads() > 1 {
        // Kernels branch on the width, not on its exact value past a few hundred columns.
        let (d, k, rows) = ((dimension as usize).min(512), (k as usize).clamp(1, 16), 64);
        rayon::spawn(move || {
            let points: Vec<f32> = (0..(rows * d) as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 8) as f32 / (1 << 24) as f32).collect();
            if let Ok(tree) = KdTree::from_vec(points.clone(), d, DEFAULT_LEAF_SIZE) {
                for strategy in [percolab_neighbors::Strategy::Tree, percolab_neighbors::Strategy::Quantized] {
                    let _ = tree.search_with(&points[..8 * d], k, strategy);
                }
            }
        });
    }
    #[cfg(not(feature = "threads"))]
    let _ = (dimension, k);
}

/// Starts the first draw of a small cluster's offspring counts on a helper thread, and returns at once:
/// called just before `DataStream` of a naive cluster, it has V8 compile the draw (each wasm function on
/// its first call) while the caller compiles the stream's constructor, so the stream's own first draw,
/// which the helper makes next, runs compiled from its start. Does nothing without a helper.
#[wasm_bindgen(js_name = warmCluster)]
pub fn warm_cluster() {
    #[cfg(feature = "threads")]
    if rayon::current_num_threads() > 1 {
        rayon::spawn(percolab_embedding::rehearse_first_draw);
    }
}

/// Exact k nearest neighbours in one call (builds and drops an index).
#[wasm_bindgen(js_name = knnSearch)]
pub fn knn_search(train: Vec<f32>, dimension: u32, queries: &[f32], k: u32) -> Result<KnnResult, JsError> {
    KnnIndex::new(train, dimension)?.search(queries, k)
}

/// k-NN regression: the mean target of each query's k nearest training points, weighted `"uniform"` or
/// by inverse `"distance"` (exact matches, if any, take all the weight). With `local = "linear"` each
/// prediction is instead an affine fit on the neighbours in their local tangent space (local PCA),
/// evaluated at the query: `tangent_dimension` leading principal axes if given (at least 1, and
/// `k >= tangent_dimension + 1`), else every axis whose eigenvalue exceeds `tangent_cutoff` (in (0, 1))
/// times the largest. `local` defaults to `"constant"` (the mean), which ignores the tangent arguments.
#[wasm_bindgen(js_name = knnRegress)]
pub fn knn_regress(
    train: Vec<f32>,
    targets: &[f32],
    dimension: u32,
    queries: &[f32],
    k: u32,
    weights: &str,
    local: Option<String>,
    tangent_dimension: Option<u32>,
    tangent_cutoff: Option<f64>,
) -> Result<Vec<f64>, JsError> {
    let weighting = match weights {
        "uniform" => Weighting::Uniform,
        "distance" => Weighting::InverseDistance,
        other => return Err(JsError::new(&format!("weights must be \"uniform\" or \"distance\", got {other:?}"))),
    };
    let local = match local.as_deref().unwrap_or("constant") {
        "constant" => Local::Constant,
        "linear" => match (tangent_dimension, tangent_cutoff) {
            (Some(m), _) => Local::Linear(Tangent::Fixed(m as usize)),
            (None, Some(c)) => Local::Linear(Tangent::Cutoff(c)),
            (None, None) => return Err(JsError::new("local = \"linear\" needs a tangent dimension or a tangent eigenvalue cutoff")),
        },
        other => return Err(JsError::new(&format!("local must be \"constant\" or \"linear\", got {other:?}"))),
    };
    let index = KdTree::from_vec(train, dimension as usize, DEFAULT_LEAF_SIZE).map_err(err)?;
    let model = KnnRegressor::from_index(index, targets).map_err(err)?;
    model.predict_local(queries, k as usize, weighting, local).map_err(err)
}

//! The kd-tree as a bare wasm module, timed by `examples/wasm_bench.mjs` (which also builds it).
//! Exports work on one global state: `generate` data, `build` the tree, `query` / `brute` it.

use std::sync::Mutex;

use percolab_embedding::embed_naive;
use percolab_neighbors::{BruteForce, KdTree, Strategy};
use percolab_percolation::{sample, Lattice, Method};
use percolab_random::{permutation, stream, Purpose, RngExt};

struct State {
    d: usize,
    train: Vec<f32>,
    queries: Vec<f32>,
    tree: Option<KdTree>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// `kind` 0: percolation cluster of n + q sites split at random; 1: uniform in [0, 1)^d.
#[no_mangle]
pub extern "C" fn generate(kind: u32, n: u32, q: u32, d: u32, seed: u32) {
    let (n, q, d) = (n as usize, q as usize, d as usize);
    let mut rng = stream(seed as u64, Purpose::Split, d as u64);
    let all: Vec<f32> = if kind == 0 {
        let tree = sample(&mut rng, Lattice::new(2 * d as u32).unwrap(), (n + q) as u64, Method::Exact).unwrap();
        let x = embed_naive(&mut rng, tree.parents(), d).unwrap();
        permutation(&mut rng, n + q).iter().flat_map(|&i| &x[i as usize * d..][..d]).copied().collect()
    } else {
        (0..(n + q) * d).map(|_| rng.random::<f32>()).collect()
    };
    let (train, queries) = all.split_at(n * d);
    *STATE.lock().unwrap() = Some(State { d, train: train.to_vec(), queries: queries.to_vec(), tree: None });
}

/// Builds the tree; returns its memory in units of the raw data, times 1000.
#[no_mangle]
pub extern "C" fn build(leaf: u32) -> u32 {
    let mut guard = STATE.lock().unwrap();
    let s = guard.as_mut().unwrap();
    s.tree = None;
    let tree = KdTree::with_leaf_size(&s.train, s.d, leaf as usize).unwrap();
    let mem = (tree.memory_bytes() as f64 * 1000.0 / (s.train.len() * 4) as f64) as u32;
    s.tree = Some(tree);
    mem
}

/// Queries the tree with the first `m` queries; returns a checksum of the neighbour indices.
#[no_mangle]
pub extern "C" fn query(k: u32, m: u32) -> u32 {
    let guard = STATE.lock().unwrap();
    let s = guard.as_ref().unwrap();
    let nb = s.tree.as_ref().unwrap().search(&s.queries[..m as usize * s.d], k as usize).unwrap();
    nb.indices.iter().fold(0u32, |a, &i| a.wrapping_mul(31).wrapping_add(i))
}

/// The first `m` queries by brute force; same checksum as `query` when `m` is all of them.
#[no_mangle]
pub extern "C" fn brute(k: u32, m: u32) -> u32 {
    let guard = STATE.lock().unwrap();
    let s = guard.as_ref().unwrap();
    let index = BruteForce::new(&s.train, s.d).unwrap();
    let nb = index.search(&s.queries[..m as usize * s.d], k as usize).unwrap();
    nb.indices.iter().fold(0u32, |a, &i| a.wrapping_mul(31).wrapping_add(i))
}

/// `search_self`; returns a checksum.
#[no_mangle]
pub extern "C" fn query_self(k: u32) -> u32 {
    let guard = STATE.lock().unwrap();
    let s = guard.as_ref().unwrap();
    let nb = s.tree.as_ref().unwrap().search_self(k as usize).unwrap();
    nb.indices.iter().fold(0u32, |a, &i| a.wrapping_mul(31).wrapping_add(i))
}

/// `query` with a fixed strategy (0 auto, 1 tree, 2 blocked scan, 3 quantized scan).
#[no_mangle]
pub extern "C" fn query_with(k: u32, m: u32, strategy: u32) -> u32 {
    let guard = STATE.lock().unwrap();
    let s = guard.as_ref().unwrap();
    let strategy = [Strategy::Auto, Strategy::Tree, Strategy::Blocked, Strategy::Quantized][strategy as usize];
    let nb = s.tree.as_ref().unwrap().search_with(&s.queries[..m as usize * s.d], k as usize, strategy).unwrap();
    nb.indices.iter().fold(0u32, |a, &i| a.wrapping_mul(31).wrapping_add(i))
}

/// `search_self` with a fixed strategy (0 auto, 1 tree, 2 blocked scan, 3 quantized scan); returns a checksum.
#[no_mangle]
pub extern "C" fn query_self_with(k: u32, strategy: u32) -> u32 {
    let guard = STATE.lock().unwrap();
    let s = guard.as_ref().unwrap();
    let strategy = [Strategy::Auto, Strategy::Tree, Strategy::Blocked, Strategy::Quantized][strategy as usize];
    let nb = s.tree.as_ref().unwrap().search_self_with(k as usize, strategy).unwrap();
    nb.indices.iter().fold(0u32, |a, &i| a.wrapping_mul(31).wrapping_add(i))
}

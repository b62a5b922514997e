//! The kd-tree beyond `exact.rs`: self-excluded search, larger trees on percolation clusters (where it
//! actually prunes), adversarial shapes, memory, and distance-weighted regression.

use percolab_embedding::embed_naive;
use percolab_neighbors::{BruteForce, KdTree, KnnRegressor, Neighbors, Strategy, Weighting};
use percolab_percolation::{sample, Lattice, Method};
use percolab_random::{stream, ChaCha8Rng, Purpose, RngExt};

fn rng(index: u64) -> ChaCha8Rng {
    stream(20240612, Purpose::Split, index)
}

fn sq(q: &[f32], x: &[f32]) -> f64 {
    q.iter().zip(x).fold(0.0, |s, (&a, &b)| s + (a as f64 - b as f64) * (a as f64 - b as f64))
}

/// Naive reference for `search_self`: all other points, full sort by (f64 distance, index).
fn self_reference(points: &[f32], d: usize, k: usize) -> (Vec<u32>, Vec<f64>) {
    let (mut idx, mut dist) = (Vec::new(), Vec::new());
    for (i, q) in points.chunks_exact(d).enumerate() {
        let mut all: Vec<(f64, u32)> = points
            .chunks_exact(d)
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(j, x)| (sq(q, x), j as u32))
            .collect();
        all.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
        idx.extend(all[..k].iter().map(|a| a.1));
        dist.extend(all[..k].iter().map(|a| a.0));
    }
    (idx, dist)
}

fn assert_same(got: &Neighbors, want: &(Vec<u32>, Vec<f64>), what: &str) {
    assert_eq!(got.indices, want.0, "{what}: indices differ");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&got.squared_distances), bits(&want.1), "{what}: distances differ");
}

/// A critical percolation cluster embedded by the naive random walk (intrinsic dimension ~4).
fn cluster(seed: u64, n: usize, d: usize) -> Vec<f32> {
    let mut r = rng(seed);
    let tree = sample(&mut r, Lattice::new(2 * d as u32).unwrap(), n as u64, Method::Exact).unwrap();
    embed_naive(&mut r, tree.parents(), d).unwrap()
}

const DIMS: [usize; 5] = [1, 3, 10, 17, 64];

/// Uniform, clustered (tiny steps far from the origin: f32 cannot rank) and duplicate-heavy data.
fn datasets(seed: u64, d: usize) -> Vec<(&'static str, Vec<f32>)> {
    let mut r = rng(seed);
    let uniform: Vec<f32> = (0..300 * d).map(|_| r.random_range(-1.0f32..1.0)).collect();
    let mut x: Vec<f32> = (0..d).map(|_| r.random_range(50.0f32..60.0)).collect();
    let mut walk = Vec::new();
    for _ in 0..300 {
        x.iter_mut().for_each(|v| *v += r.random_range(-1e-3f32..1e-3));
        walk.extend_from_slice(&x);
    }
    let distinct: Vec<f32> = (0..5 * d).map(|_| r.random_range(0..3) as f32).collect();
    let dups: Vec<f32> = (0..300).flat_map(|_| &distinct[r.random_range(0..5) * d..][..d]).copied().collect();
    vec![("uniform", uniform), ("walk", walk), ("duplicates", dups)]
}

#[test]
fn search_self_matches_reference() {
    for (t, d) in DIMS.into_iter().enumerate() {
        for (name, points) in datasets(t as u64, d) {
            for leaf in [1, 5, 32] {
                let tree = KdTree::with_leaf_size(&points, d, leaf).unwrap();
                for k in [1, 5, 100] {
                    let want = self_reference(&points, d, k);
                    assert_same(&tree.search_self(k).unwrap(), &want, &format!("{name}, d = {d}, k = {k}, leaf {leaf}"));
                }
            }
        }
    }
}

#[test]
fn percolation_clusters_match_brute_force() {
    // Big enough for deep trees that prune; the brute force is itself checked against the naive
    // reference in `exact.rs`. Queries: training points, nudged training points, and fresh points.
    for (t, d) in [2, 10, 32, 64].into_iter().enumerate() {
        let n = 6000;
        let points = cluster(10 + t as u64, n, d);
        let mut r = rng(50 + t as u64);
        let mut queries = points[..100 * d].to_vec();
        queries.extend(points[3000 * d..3100 * d].iter().map(|&v| v + r.random_range(-0.3f32..0.3)));
        queries.extend((0..100 * d).map(|_| r.random_range(-3.0f32..3.0)));
        let brute = BruteForce::new(&points, d).unwrap();
        for leaf in [4, 32] {
            let tree = KdTree::with_leaf_size(&points, d, leaf).unwrap();
            for k in [1, 10, 100] {
                let want = brute.search(&queries, k).unwrap();
                assert_eq!(tree.search(&queries, k).unwrap(), want, "d = {d}, k = {k}, leaf {leaf}");
            }
        }
        let tree = KdTree::new(&points, d).unwrap();
        assert_same(&tree.search_self(3).unwrap(), &self_reference(&points, d, 3), &format!("self, d = {d}"));
    }
}

/// `search_self` through `search` (no node boxes): `k + 1` neighbours of each point, its own index dropped
/// (or the last one when more than `k` lower-index duplicates push it out).
fn self_via_search(tree: &KdTree, points: &[f32], k: usize) -> (Vec<u32>, Vec<f64>) {
    let nb = tree.search_with(points, k + 1, Strategy::Tree).unwrap();
    let (mut idx, mut dist) = (Vec::new(), Vec::new());
    for (i, (ix, sq)) in nb.indices.chunks_exact(k + 1).zip(nb.squared_distances.chunks_exact(k + 1)).enumerate() {
        let own = ix.iter().position(|&j| j == i as u32).unwrap_or(k);
        idx.extend(ix.iter().enumerate().filter(|&(c, _)| c != own).map(|(_, &j)| j));
        dist.extend(sq.iter().enumerate().filter(|&(c, _)| c != own).map(|(_, &s)| s));
    }
    (idx, dist)
}

#[test]
fn self_search_with_node_boxes_equals_the_query_path() {
    // The MLE's case (cluster, d = 32, k = 20) and f32-hostile walks far from the origin, where the box
    // bounds' rounding slack matters; every strategy against the box-free query path.
    let mut r = rng(160);
    let mut x: Vec<f32> = (0..17).map(|_| r.random_range(1e4f32..2e4)).collect();
    let mut far = Vec::new();
    for _ in 0..1500 {
        x.iter_mut().for_each(|v| *v += r.random_range(-1e-2f32..1e-2));
        far.extend_from_slice(&x);
    }
    for (name, points, d, k) in [("cluster", cluster(170, 3000, 32), 32, 20), ("far walk", far, 17, 7)] {
        for leaf in [1, 16] {
            let tree = KdTree::with_leaf_size(&points, d, leaf).unwrap();
            let want = self_via_search(&tree, &points, k);
            for strategy in [Strategy::Auto, Strategy::Tree, Strategy::Blocked] {
                assert_same(&tree.search_self_with(k, strategy).unwrap(), &want, &format!("{name}, leaf {leaf}, {strategy:?}"));
            }
        }
    }
}

#[test]
fn adversarial_shapes_stay_exact() {
    // Geometric spacing (midpoint splits would peel one point per level), points on a line in a high
    // dimension, a huge duplicate block next to a few distinct points, and massive ties (0/1 coordinates,
    // almost all 1: value splits would peel off the few zeros).
    let geometric: Vec<f32> = (0..2000).map(|i| 0.5f32.powi(i % 120) * if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
    let line: Vec<f32> = (0..500).flat_map(|i| (0..40).map(move |j| (i * (j + 1)) as f32 * 1e-3)).collect();
    let mut block = vec![0.25f32; 3 * 900];
    block.extend((0..300).map(|i| i as f32 * 0.01));
    let mut r = rng(140);
    let ties: Vec<f32> = (0..3 * 2000).map(|_| if r.random::<f32>() < 0.02 { 0.0 } else { 1.0 }).collect();
    for (name, points, d) in [("geometric", geometric, 1), ("line", line, 40), ("block", block, 3), ("ties", ties, 3)] {
        let n = points.len() / d;
        // Every split keeps >= 1/8 of its rows on each side: leaves of the default size hold >= 4 rows.
        assert!(KdTree::new(&points, d).unwrap().num_nodes() < n / 2, "{name}");
        let tree = KdTree::with_leaf_size(&points, d, 2).unwrap();
        let queries: Vec<f32> = points.iter().step_by(7).take(60 * d).map(|v| v * 1.001).collect();
        let queries = &queries[..queries.len() / d * d];
        let brute = BruteForce::new(&points, d).unwrap();
        for k in [1, 5, 100] {
            assert_eq!(tree.search(queries, k).unwrap(), brute.search(queries, k).unwrap(), "{name}, k = {k}");
        }
        assert_same(&tree.search_self(5).unwrap(), &self_reference(&points, d, 5), name);
    }
}

#[test]
fn memory_stays_within_budget() {
    // At most 1.35x the raw f32 data for the ambient dimensions of interest.
    for (t, d) in [10, 32, 128].into_iter().enumerate() {
        let points = cluster(70 + t as u64, 20_000, d);
        let raw = points.len() * 4;
        let tree = KdTree::new(&points, d).unwrap();
        let ratio = tree.memory_bytes() as f64 / raw as f64;
        assert!(ratio <= 1.35, "d = {d}: {ratio:.3}x");
        let mut dups = points[..1000 * d].repeat(20);
        dups.truncate(points.len());
        let ratio = KdTree::new(&dups, d).unwrap().memory_bytes() as f64 / raw as f64;
        assert!(ratio <= 1.35, "duplicates, d = {d}: {ratio:.3}x");
    }
}

#[test]
fn weighted_regression_matches_reference() {
    for (t, d) in [1, 3, 10].into_iter().enumerate() {
        let mut r = rng(90 + t as u64);
        let mut points = cluster(95 + t as u64, 400, d);
        points.extend_from_within(..50 * d); // duplicates: zero distances below
        let targets: Vec<f32> = (0..450).map(|_| r.random_range(-10.0f32..10.0)).collect();
        let mut queries = points[..30 * d].to_vec();
        queries.extend((0..30 * d).map(|_| r.random_range(-2.0f32..2.0)));
        let model = KnnRegressor::new(&points, d, &targets).unwrap();
        let brute = BruteForce::new(&points, d).unwrap();
        for k in [1, 5, 100] {
            let nb = brute.search(&queries, k).unwrap();
            let mut want = Vec::new();
            for (idx, s) in nb.indices.chunks_exact(k).zip(nb.squared_distances.chunks_exact(k)) {
                let y = |i: &u32| targets[*i as usize] as f64;
                let zero: Vec<u32> = idx.iter().zip(s).filter(|p| *p.1 == 0.0).map(|p| *p.0).collect();
                want.push(if zero.is_empty() {
                    let w: Vec<f64> = s.iter().map(|s| 1.0 / s.sqrt()).collect();
                    idx.iter().zip(&w).map(|(i, w)| w * y(i)).sum::<f64>() / w.iter().sum::<f64>()
                } else {
                    zero.iter().map(y).sum::<f64>() / zero.len() as f64
                });
            }
            assert_eq!(model.predict_with(&queries, k, Weighting::InverseDistance).unwrap(), want, "d = {d}, k = {k}");
            let uniform = model.predict(&queries, k).unwrap();
            assert_eq!(uniform, model.predict_with(&queries, k, Weighting::Uniform).unwrap());
        }
        // Query 0 sits on training points 0 and 400 (a duplicate): their mean target, whatever k.
        let p = model.predict_with(&queries[..d], 5, Weighting::InverseDistance).unwrap();
        assert_eq!(p, [(targets[0] as f64 + targets[400] as f64) / 2.0]);
    }
}

#[test]
fn exact_ties_across_split_planes() {
    // Around each query q, pairs of points q + a e_j and q - a e_i: exactly tied, on opposite sides of
    // split planes, and a^2 is rarely an f32, so f32 rounds the k-th distance below the exact one (and a
    // box's bound equals a point's exact distance). A pruning radius not inflated for that rounding
    // would drop the tied partner, which the reference may rank first (lower index).
    for (t, d) in [1, 3, 10].into_iter().enumerate() {
        let mut r = rng(120 + t as u64);
        let (mut points, mut queries) = (Vec::new(), Vec::new());
        for c in 0..40 {
            let q: Vec<f32> = (0..d).map(|j| (c * 16 + j) as f32).collect();
            for _ in 0..6 {
                let a = r.random_range(0.5f32..2.0);
                for sign in [1.0, -1.0] {
                    let mut x = q.clone();
                    x[r.random_range(0..d)] += sign * a;
                    points.push(x);
                }
            }
            queries.extend_from_slice(&q);
        }
        // Shuffle so either partner may hold the lower index.
        let order = percolab_random::permutation(&mut r, points.len());
        let points: Vec<f32> = order.iter().flat_map(|&i| points[i as usize].clone()).collect();
        let brute = BruteForce::new(&points, d).unwrap();
        for leaf in [1, 2, 32] {
            let tree = KdTree::with_leaf_size(&points, d, leaf).unwrap();
            for k in [1, 2, 3, 5] {
                assert_eq!(tree.search(&queries, k).unwrap(), brute.search(&queries, k).unwrap(), "d = {d}, k = {k}, leaf {leaf}");
            }
        }
    }
}

#[test]
fn many_chunks_match_brute_force() {
    // Thousands of queries span many work chunks (run concurrently with the `threads` feature), mixing
    // pruned tree searches with the full-scan fallback (far-away queries).
    let d = 4;
    let points = cluster(130, 3000, d);
    let mut r = rng(131);
    let mut queries: Vec<f32> = (0..1500 * d).map(|_| r.random_range(-4.0f32..4.0)).collect();
    queries.extend((0..300 * d).map(|_| r.random_range(-400.0f32..400.0)));
    let tree = KdTree::new(&points, d).unwrap();
    let brute = BruteForce::new(&points, d).unwrap();
    for k in [1, 7] {
        assert_eq!(tree.search(&queries, k).unwrap(), brute.search(&queries, k).unwrap(), "k = {k}");
    }
    assert_same(&tree.search_self(4).unwrap(), &self_reference(&points, d, 4), "self");
}

//! Exactness against an independent naive f64 reference (full sort), and error reporting. Every check
//! runs on `BruteForce` and on `KdTree` (default leaves, and tiny leaves for deep trees).

use percolab_neighbors::{BruteForce, KdTree, KnnRegressor, Neighbors, NeighborsError, Strategy};
use percolab_random::{stream, ChaCha8Rng, Purpose, RngExt};

/// Naive reference: every distance in f64 (coordinate order), full sort by (distance, index).
fn reference(points: &[f32], d: usize, queries: &[f32], k: usize) -> (Vec<u32>, Vec<f64>) {
    let (mut idx, mut dist) = (Vec::new(), Vec::new());
    for q in queries.chunks_exact(d) {
        let mut all: Vec<(f64, u32)> = points
            .chunks_exact(d)
            .enumerate()
            .map(|(i, x)| {
                let mut s = 0f64;
                for j in 0..d {
                    let t = q[j] as f64 - x[j] as f64;
                    s += t * t;
                }
                (s, i as u32)
            })
            .collect();
        all.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
        idx.extend(all[..k].iter().map(|a| a.1));
        dist.extend(all[..k].iter().map(|a| a.0));
    }
    (idx, dist)
}

type Searcher = Box<dyn Fn(&[f32], usize) -> Neighbors>;

/// Every index under test, by name.
fn indexes(points: &[f32], d: usize) -> Vec<(&'static str, Searcher)> {
    let brute = BruteForce::new(points, d).unwrap();
    let tree = KdTree::new(points, d).unwrap();
    let (tiny, small) = (KdTree::with_leaf_size(points, d, 1).unwrap(), KdTree::with_leaf_size(points, d, 5).unwrap());
    let (only_tree, blocked, quantized) = (tree.clone(), tree.clone(), tree.clone());
    vec![
        ("kd-tree, tree only", Box::new(move |q: &[f32], k| only_tree.search_with(q, k, Strategy::Tree).unwrap())),
        ("kd-tree, blocked scan", Box::new(move |q: &[f32], k| blocked.search_with(q, k, Strategy::Blocked).unwrap())),
        ("kd-tree, quantized scan", Box::new(move |q: &[f32], k| quantized.search_with(q, k, Strategy::Quantized).unwrap())),
        ("brute force", Box::new(move |q: &[f32], k| brute.search(q, k).unwrap())),
        ("kd-tree", Box::new(move |q: &[f32], k| tree.search(q, k).unwrap())),
        ("kd-tree, leaf 1", Box::new(move |q: &[f32], k| tiny.search(q, k).unwrap())),
        ("kd-tree, leaf 5", Box::new(move |q: &[f32], k| small.search(q, k).unwrap())),
    ]
}

fn check(points: &[f32], d: usize, queries: &[f32], what: &str) {
    let n = points.len() / d;
    let all = indexes(points, d);
    for k in [1, 5, 100].into_iter().filter(|&k| k <= n) {
        let (idx, dist) = reference(points, d, queries, k);
        for (name, search) in &all {
            let got = search(queries, k);
            assert_eq!(got.k, k);
            assert_eq!(got.num_queries(), queries.len() / d);
            assert_eq!(got.indices, idx, "{what}, {name}: indices differ (d = {d}, k = {k})");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.squared_distances), bits(&dist), "{what}, {name}: distances differ (d = {d}, k = {k})");
        }
    }
}

fn rng(index: u64) -> ChaCha8Rng {
    stream(20240611, Purpose::Split, index)
}

fn uniform(rng: &mut ChaCha8Rng, len: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(lo..hi)).collect()
}

const DIMS: [usize; 6] = [1, 3, 4, 10, 17, 64];

#[test]
fn uniform_random_matches_reference() {
    for (t, d) in DIMS.into_iter().enumerate() {
        let mut r = rng(t as u64);
        let points = uniform(&mut r, 400 * d, -1.0, 1.0);
        let queries = uniform(&mut r, 37 * d, -1.2, 1.2);
        check(&points, d, &queries, "uniform");
    }
}

/// Points along a random walk of tiny steps far from the origin: distances agree to many digits, so
/// f32 ranking is unreliable and the exact recomputation has to decide.
fn walk(rng: &mut ChaCha8Rng, n: usize, d: usize, step: f32) -> Vec<f32> {
    let mut x: Vec<f32> = (0..d).map(|_| rng.random_range(50.0..60.0)).collect();
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        for v in &mut x {
            *v += rng.random_range(-step..step);
        }
        out.extend_from_slice(&x);
    }
    out
}

#[test]
fn clustered_random_walk_matches_reference() {
    let mut f32_rank_differs = false;
    for (t, d) in DIMS.into_iter().enumerate() {
        let mut r = rng(100 + t as u64);
        let points = walk(&mut r, 500, d, 1e-3);
        // Queries: walk points, walk points nudged by a few ulps, and far-away points (which see the
        // whole cluster at almost the same distance, beyond f32 resolution).
        let mut queries = points[..40 * d].to_vec();
        queries.extend(points[200 * d..240 * d].iter().map(|&v| v + r.random_range(-4e-5f32..4e-5)));
        queries.extend(points[..20 * d].iter().map(|&v| v + r.random_range(-30f32..30.0)));
        check(&points, d, &queries, "walk");
        // The data must be hard: a naive f32 ranking gets some neighbour lists wrong.
        let f32_order = |q: &[f32]| {
            let mut v: Vec<(f32, u32)> = points
                .chunks_exact(d)
                .enumerate()
                .map(|(i, x)| (q.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum::<f32>(), i as u32))
                .collect();
            v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
            v[..5].iter().map(|a| a.1).collect::<Vec<_>>()
        };
        let (idx, _) = reference(&points, d, &queries, 5);
        f32_rank_differs |=
            queries.chunks_exact(d).zip(idx.chunks_exact(5)).any(|(q, want)| f32_order(q) != want);
    }
    assert!(f32_rank_differs, "test data never defeats f32 ranking");
}

#[test]
fn permuted_offsets_tie_and_near_tie() {
    // Points that are sign flips and coordinate permutations of a few base offsets: exactly tied around
    // the origin, but f32 sums them in different orders, so the f32 ranking breaks ties arbitrarily.
    // Queries at and just off the origin turn these into exact ties and near-ties.
    for (t, d) in DIMS.into_iter().enumerate() {
        let mut r = rng(150 + t as u64);
        let mut points = Vec::new();
        for _ in 0..12 {
            let base = uniform(&mut r, d, 0.1, 1.0);
            for _ in 0..20 {
                let perm = percolab_random::permutation(&mut r, d);
                let sign = |r: &mut ChaCha8Rng| if r.random::<f32>() < 0.5 { -1.0 } else { 1.0 };
                points.extend(perm.iter().map(|&j| sign(&mut r) * base[j as usize]));
            }
        }
        let mut queries = vec![0f32; d];
        queries.extend(uniform(&mut r, 15 * d, -1e-6, 1e-6));
        queries.extend(uniform(&mut r, 15 * d, -1e-3, 1e-3));
        check(&points, d, &queries, "permuted offsets");
    }
}

#[test]
fn duplicate_heavy_matches_reference() {
    for (t, d) in DIMS.into_iter().enumerate() {
        let mut r = rng(200 + t as u64);
        // Few distinct points on a small integer grid, each repeated many times: massive exact ties.
        let distinct: Vec<f32> = (0..6 * d).map(|_| r.random_range(0..3) as f32).collect();
        let points: Vec<f32> =
            (0..300).flat_map(|_| &distinct[r.random_range(0..6) * d..][..d]).copied().collect();
        let mut queries: Vec<f32> = points[..20 * d].to_vec();
        queries.extend((0..10 * d).map(|_| r.random_range(0..3) as f32));
        check(&points, d, &queries, "duplicates");
    }
}

#[test]
fn tiny_and_huge_magnitudes_match_reference() {
    // Subnormal f32 squares (underflow) and f32 overflow to infinity must not break exactness.
    for (t, d) in DIMS.into_iter().enumerate() {
        let mut r = rng(300 + t as u64);
        for scale in [1e-22f32, 1e-40, 1e19, 1e37] {
            let points: Vec<f32> = uniform(&mut r, 150 * d, -1.0, 1.0).iter().map(|v| v * scale).collect();
            let queries: Vec<f32> = uniform(&mut r, 9 * d, -1.0, 1.0).iter().map(|v| v * scale).collect();
            check(&points, d, &queries, &format!("scale {scale:e}"));
        }
    }
}

#[test]
fn uniform_high_dimensions_match_reference() {
    // Where no tree prunes and the scans of every row answer: enough rows at d = 128 for the quantized
    // scan to try its gates block by block and keep one (7 blocks),
    // queries counts that leave partial panels.
    for (t, (d, n, q)) in [(32usize, 3001usize, 45usize), (128, 3100, 21), (37, 2500, 11)].into_iter().enumerate() {
        let mut r = rng(500 + t as u64);
        let points = uniform(&mut r, n * d, 0.0, 1.0);
        let mut queries = uniform(&mut r, q * d, 0.0, 1.0);
        // Training points as queries: the nearest is at distance 0, the rest far behind.
        queries.extend_from_slice(&points[7 * d..10 * d]);
        let tree = KdTree::new(&points, d).unwrap();
        for k in [1, 10] {
            let (idx, dist) = reference(&points, d, &queries, k);
            for strategy in [Strategy::Auto, Strategy::Blocked, Strategy::Quantized] {
                let got = tree.search_with(&queries, k, strategy).unwrap();
                assert_eq!(got.indices, idx, "d = {d}, k = {k}, {strategy:?}");
                assert_eq!(got.squared_distances, dist, "d = {d}, k = {k}, {strategy:?}");
            }
        }
    }
}

#[test]
fn coarse_filter_matches_reference() {
    // Uniform rows over several blocks, where the quantized scan keeps its coarse filter (two rows to an
    // i16, 15 or 13 grid steps): every exact neighbour must pass the filter's bound. Odd row counts leave
    // a row outside the pairs; queries beyond the rows' box land clamped on the grid; training points as
    // queries have their nearest at distance 0.
    for (t, (d, n)) in [(32usize, 12_001usize), (31, 9000), (16, 8193), (44, 6001)].into_iter().enumerate() {
        let mut r = rng(700 + t as u64);
        let points = uniform(&mut r, n * d, 0.0, 1.0);
        let mut queries = uniform(&mut r, 24 * d, 0.0, 1.0);
        queries.extend(uniform(&mut r, 4 * d, -0.3, 1.3));
        queries.extend_from_slice(&points[(n - 3) * d..]);
        let tree = KdTree::new(&points, d).unwrap();
        for k in [1, 10] {
            let (idx, dist) = reference(&points, d, &queries, k);
            for strategy in [Strategy::Auto, Strategy::Quantized] {
                let got = tree.search_with(&queries, k, strategy).unwrap();
                assert_eq!(got.indices, idx, "d = {d}, k = {k}, {strategy:?}");
                assert_eq!(got.squared_distances, dist, "d = {d}, k = {k}, {strategy:?}");
            }
        }
    }
}

#[test]
fn blocked_scan_hands_wide_margins_back() {
    // Far from the origin the key's error bound covers every row: queries leave the blocked scan once
    // their candidate list outgrows its cap, and full scans answer them, still exactly.
    let (d, n) = (3, 20_000);
    let mut r = rng(600);
    let points: Vec<f32> = uniform(&mut r, n * d, 0.0, 1.0).iter().map(|v| 1e4 + v).collect();
    let queries: Vec<f32> = uniform(&mut r, 12 * d, 0.0, 1.0).iter().map(|v| 1e4 + v).collect();
    let tree = KdTree::new(&points, d).unwrap();
    for k in [1, 3] {
        let (idx, _) = reference(&points, d, &queries, k);
        assert_eq!(tree.search_with(&queries, k, Strategy::Blocked).unwrap().indices, idx, "k = {k}");
    }
}

#[test]
fn quantized_scan_hands_loose_bounds_back() {
    // Two outliers stretch the 16-bit grid so far that every other row lands on one grid point: every
    // row is a candidate, the queries outgrow the cap and the f32 scans answer them, still exactly.
    let (d, n) = (3, 20_000);
    let mut r = rng(601);
    let mut points = uniform(&mut r, n * d, 0.0, 1.0);
    points[0] = 1e6;
    points[d] = -1e6;
    let queries = uniform(&mut r, 12 * d, 0.0, 1.0);
    let tree = KdTree::new(&points, d).unwrap();
    for k in [1, 3] {
        let (idx, dist) = reference(&points, d, &queries, k);
        let got = tree.search_with(&queries, k, Strategy::Quantized).unwrap();
        assert_eq!((got.indices, got.squared_distances), (idx, dist), "k = {k}");
    }
}

#[test]
fn query_counts_around_the_block_size() {
    let d = 3;
    let mut r = rng(400);
    let points = uniform(&mut r, 50 * d, 0.0, 1.0);
    for q in 0..10 {
        let queries = uniform(&mut r, q * d, 0.0, 1.0);
        check(&points, d, &queries, "block");
    }
    let empty = BruteForce::new(&points, d).unwrap().search(&[], 3).unwrap();
    assert!(empty.indices.is_empty() && empty.squared_distances.is_empty());
    assert_eq!(KdTree::new(&points, d).unwrap().search(&[], 3).unwrap(), empty);
}

#[test]
fn distances_are_square_roots() {
    let index = BruteForce::new(&[0.0, 0.0, 3.0, 4.0, 1.0, 1.0], 2).unwrap();
    let nb = index.search(&[0.0, 0.0], 3).unwrap();
    assert_eq!(nb.indices, [0, 2, 1]);
    assert_eq!(nb.squared_distances, [0.0, 2.0, 25.0]);
    assert_eq!(nb.distances(), [0.0, 2f64.sqrt() as f32, 5.0]);
    assert_eq!(index.point(1), [3.0, 4.0]);
    assert_eq!((index.num_points(), index.dim()), (3, 2));
}

#[test]
fn regression_equals_reference_mean() {
    for (t, d) in DIMS.into_iter().enumerate() {
        let mut r = rng(500 + t as u64);
        let points = walk(&mut r, 300, d, 0.05);
        let targets = uniform(&mut r, 300, -10.0, 10.0);
        let queries = uniform(&mut r, 25 * d, 50.0, 60.0);
        let model = KnnRegressor::new(&points, d, &targets).unwrap();
        for k in [1, 5, 100] {
            let (idx, _) = reference(&points, d, &queries, k);
            let want: Vec<f64> = idx
                .chunks_exact(k)
                .map(|row| row.iter().map(|&i| targets[i as usize] as f64).sum::<f64>() / k as f64)
                .collect();
            assert_eq!(model.predict(&queries, k).unwrap(), want, "d = {d}, k = {k}");
        }
    }
}

#[test]
fn every_error_is_reported() {
    use NeighborsError::*;
    let pts = [0.0f32; 40];
    let err = |r: Result<BruteForce, NeighborsError>| r.unwrap_err();
    assert_eq!(err(BruteForce::new(&pts, 0)), ZeroDimension);
    assert_eq!(err(BruteForce::new(&[], 4)), NoPoints);
    assert_eq!(err(BruteForce::new(&pts[..17], 4)), RaggedPoints { len: 17, d: 4 });
    let mut bad = pts;
    bad[13] = f32::NAN;
    let e = err(BruteForce::new(&bad, 4));
    assert_eq!(e.to_string(), "training point 3, coordinate 1 is NaN; values must be finite");
    assert!(matches!(e, NonFinitePoint { row: 3, col: 1, .. }));

    let index = BruteForce::new(&pts, 4).unwrap();
    assert_eq!(index.search(&[0.0; 4], 0).unwrap_err(), KIsZero);
    let e = index.search(&[0.0; 4], 12).unwrap_err();
    assert_eq!(e, KTooLarge { k: 12, n: 10 });
    assert_eq!(e.to_string(), "k = 12 exceeds the number of training points (10)");
    let e = index.search(&[0.0; 17], 1).unwrap_err();
    assert_eq!(e.to_string(), "queries have 17 values, not a multiple of dimension 4");
    let mut q = [0.0f32; 8];
    q[6] = f32::NEG_INFINITY;
    assert_eq!(index.search(&q, 1).unwrap_err(), NonFiniteQuery { row: 1, col: 2, value: f32::NEG_INFINITY });

    assert_eq!(KnnRegressor::new(&pts, 4, &[0.0; 9]).unwrap_err(), TargetCount { targets: 9, n: 10 });
    let mut t = [0.0f32; 10];
    t[7] = f32::INFINITY;
    let e = KnnRegressor::new(&pts, 4, &t).unwrap_err();
    assert_eq!(e, NonFiniteTarget { index: 7, value: f32::INFINITY });
    assert_eq!(KnnRegressor::new(&pts, 0, &t).unwrap_err(), ZeroDimension);
    let model = KnnRegressor::new(&pts, 4, &[1.0; 10]).unwrap();
    assert_eq!(model.predict(&[0.0; 4], 11).unwrap_err(), KTooLarge { k: 11, n: 10 });

    // The kd-tree validates exactly like the brute force, plus its own parameters.
    let terr = |r: Result<KdTree, NeighborsError>| r.unwrap_err();
    assert_eq!(terr(KdTree::new(&pts, 0)), ZeroDimension);
    assert_eq!(terr(KdTree::new(&[], 4)), NoPoints);
    assert_eq!(terr(KdTree::new(&pts[..17], 4)), RaggedPoints { len: 17, d: 4 });
    assert!(matches!(terr(KdTree::new(&bad, 4)), NonFinitePoint { row: 3, col: 1, .. }));
    let e = terr(KdTree::with_leaf_size(&pts, 4, 0));
    assert_eq!((e.clone(), e.to_string()), (LeafSizeIsZero, "leaf size must be at least 1".into()));
    let tree = KdTree::new(&pts, 4).unwrap();
    assert_eq!(tree.search(&[0.0; 4], 0).unwrap_err(), KIsZero);
    assert_eq!(tree.search(&[0.0; 4], 11).unwrap_err(), KTooLarge { k: 11, n: 10 });
    assert_eq!(tree.search(&[0.0; 17], 1).unwrap_err(), RaggedQueries { len: 17, d: 4 });
    assert_eq!(tree.search(&q, 1).unwrap_err(), NonFiniteQuery { row: 1, col: 2, value: f32::NEG_INFINITY });
    assert_eq!(tree.search_self(0).unwrap_err(), KIsZero);
    let e = tree.search_self(10).unwrap_err();
    assert_eq!(e, KTooLargeSelf { k: 10, others: 9 });
    assert_eq!(e.to_string(), "k = 10 exceeds the number of other training points (9)");
    assert_eq!(tree.search_self(9).unwrap().indices.len(), 90);
    let one = KdTree::new(&[1.0, 2.0], 2).unwrap();
    assert_eq!(one.search_self(1).unwrap_err(), KTooLargeSelf { k: 1, others: 0 });

    // The type is a std error, and each message says what is wrong with which values.
    let all: Vec<Box<dyn std::error::Error>> =
        vec![Box::new(ZeroDimension), Box::new(NoPoints), Box::new(RaggedQueries { len: 5, d: 2 })];
    assert_eq!(
        all.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        ["dimension must be at least 1", "there are no training points", "queries have 5 values, not a multiple of dimension 2"]
    );
}

//! Property tests (proptest, fixed seed and budget; part of the fuzz suite of issue 12): on random
//! shapes the kd-tree's k nearest neighbours equal a brute-force float64 reference (squared distances
//! summed in coordinate order, ties by the lower index), and invalid arguments are errors, never panics.

use percolab_neighbors::{BruteForce, KdTree, NeighborsError, Strategy as Search};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, rng_seed: RngSeed::Fixed(42), failure_persistence: None, ..Config::default() })
}

fn run<S: Strategy>(name: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    if let Err(e) = runner(cases).run(&strategy, test) {
        panic!("{name}: {e}");
    }
    eprintln!("properties: {name}: {cases} cases");
}

/// The reference: every training point, sorted by (f64 squared distance, index).
fn reference(points: &[f32], queries: &[f32], d: usize, k: usize, skip_self: bool) -> (Vec<u32>, Vec<u64>) {
    let (mut idx, mut bits) = (Vec::new(), Vec::new());
    for (qi, q) in queries.chunks_exact(d).enumerate() {
        let mut all: Vec<(f64, u32)> = points
            .chunks_exact(d)
            .enumerate()
            .filter(|&(j, _)| !(skip_self && j == qi))
            .map(|(j, x)| (q.iter().zip(x).fold(0.0, |s, (&a, &b)| s + (a as f64 - b as f64) * (a as f64 - b as f64)), j as u32))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        idx.extend(all[..k].iter().map(|a| a.1));
        bits.extend(all[..k].iter().map(|a| a.0.to_bits()));
    }
    (idx, bits)
}

/// Kinds of data: a few integers (many duplicates and exact ties), uniform floats, a tight walk far
/// from the origin (f32 distances cannot rank it), mixed scales, and all points equal.
fn dataset() -> impl Strategy<Value = (usize, usize, Vec<f32>)> {
    (1usize..=80, prop_oneof![Just(1usize), 2usize..=5, 6usize..=20], 0u8..5).prop_flat_map(|(n, d, kind)| {
        let values: BoxedStrategy<Vec<f32>> = match kind {
            0 => prop::collection::vec((0i32..3).prop_map(|v| v as f32), n * d).boxed(),
            1 => prop::collection::vec(-1.0f32..1.0, n * d).boxed(),
            2 => prop::collection::vec(-1e-3f32..1e-3, n * d).prop_map(|v| v.into_iter().map(|x| 50.0 + x).collect()).boxed(),
            3 => prop::collection::vec(prop_oneof![-1e6f32..1e6, -1e-6f32..1e-6, Just(0.0f32), Just(-0.0f32)], n * d).boxed(),
            _ => (-10.0f32..10.0).prop_map(move |v| vec![v; n * d]).boxed(),
        };
        (Just(n), Just(d), values)
    })
}

fn case() -> impl Strategy<Value = (usize, usize, Vec<f32>, Vec<f32>, usize, usize)> {
    dataset().prop_flat_map(|(n, d, points)| {
        // Queries: fresh points, or training points themselves (distance 0, ties among duplicates).
        let fresh = prop::collection::vec(-2.0f32..2.0, d..=8 * d).prop_map(move |mut v| {
            v.truncate(v.len() / d * d);
            v
        });
        let copies = prop::collection::vec(0..n, 1..=8).prop_map({
            let points = points.clone();
            move |rows| rows.iter().flat_map(|&r| points[r * d..][..d].to_vec()).collect::<Vec<f32>>()
        });
        (Just(n), Just(d), Just(points), prop_oneof![fresh, copies], 1..=n + 2, 1usize..=8)
    })
}

#[test]
fn kdtree_equals_brute_force_float64_reference() {
    run("k-NN against the f64 reference", 1000, case(), |(n, d, points, queries, k, leaf)| {
        let tree = KdTree::with_leaf_size(&points, d, leaf).unwrap();
        let brute = BruteForce::new(&points, d).unwrap();
        if k > n {
            prop_assert_eq!(tree.search(&queries, k).unwrap_err(), NeighborsError::KTooLarge { k, n });
            prop_assert_eq!(brute.search(&queries, k).unwrap_err(), NeighborsError::KTooLarge { k, n });
            return Ok(());
        }
        let want = reference(&points, &queries, d, k, false);
        let strategy = |s| tree.search_with(&queries, k, s).unwrap();
        for (what, got) in [
            ("kd-tree", tree.search(&queries, k).unwrap()),
            ("brute force", brute.search(&queries, k).unwrap()),
            ("blocked scan", strategy(Search::Blocked)),
            ("quantized scan", strategy(Search::Quantized)),
        ] {
            prop_assert_eq!(&got.indices, &want.0, "{}: indices", what);
            let bits: Vec<u64> = got.squared_distances.iter().map(|x| x.to_bits()).collect();
            prop_assert_eq!(&bits, &want.1, "{}: squared distances", what);
        }
        // Each training point's nearest others (its own index left out).
        if k < n {
            let want = reference(&points, &points, d, k, true);
            for s in [Search::Auto, Search::Blocked, Search::Quantized] {
                prop_assert_eq!(&tree.search_self_with(k, s).unwrap().indices, &want.0, "search_self {:?}: indices", s);
            }
        } else {
            prop_assert_eq!(tree.search_self(k).unwrap_err(), NeighborsError::KTooLargeSelf { k, others: n - 1 });
        }
        Ok(())
    });
}

/// `search_self` by every strategy (Tree: groups of up to 16 rows of one leaf sharing one walk, leaves of
/// 1 to 40 rows, so groups of one leaf split and leaves of duplicates beyond the group size) equals the
/// reference bit for bit, distances included.
#[test]
fn self_search_equals_the_float64_reference_for_every_strategy() {
    let case = (dataset(), 1usize..=40, 1usize..=12).prop_filter("k < n", |((n, _, _), _, k)| k < n);
    run("search_self against the f64 reference", 400, case, |((_, d, points), leaf, k)| {
        let tree = KdTree::with_leaf_size(&points, d, leaf).unwrap();
        let want = reference(&points, &points, d, k, true);
        for walk in [Search::Auto, Search::Tree, Search::Blocked] {
            let got = tree.search_self_with(k, walk).unwrap();
            prop_assert_eq!(&got.indices, &want.0, "{:?}: indices", walk);
            let bits: Vec<u64> = got.squared_distances.iter().map(|x| x.to_bits()).collect();
            prop_assert_eq!(&bits, &want.1, "{:?}: squared distances", walk);
        }
        Ok(())
    });
}

#[test]
fn invalid_arguments_are_errors() {
    let strategy = (1usize..=6, 1usize..=20, any::<f32>(), 0usize..64, prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY)]);
    run("invalid index arguments", 300, strategy, |(d, n, value, at, bad)| {
        let v = if value.is_finite() { value } else { 0.5 };
        let points = vec![v; n * d];
        prop_assert_eq!(KdTree::new(&points, 0).unwrap_err(), NeighborsError::ZeroDimension);
        prop_assert_eq!(KdTree::new(&[], d).unwrap_err(), NeighborsError::NoPoints);
        if d > 1 {
            prop_assert_eq!(KdTree::new(&points[1..], d).unwrap_err(), NeighborsError::RaggedPoints { len: n * d - 1, d });
        }
        prop_assert_eq!(KdTree::with_leaf_size(&points, d, 0).unwrap_err(), NeighborsError::LeafSizeIsZero);
        let mut poisoned = points.clone();
        let i = at % poisoned.len();
        poisoned[i] = bad;
        let err = KdTree::new(&poisoned, d).unwrap_err();
        let named = matches!(err, NeighborsError::NonFinitePoint { row, col, .. } if row == i / d && col == i % d);
        prop_assert!(named, "{:?}", err);
        let tree = KdTree::new(&points, d).unwrap();
        prop_assert_eq!(tree.search(&points, 0).unwrap_err(), NeighborsError::KIsZero);
        prop_assert_eq!(tree.search(&points, n + 1).unwrap_err(), NeighborsError::KTooLarge { k: n + 1, n });
        let err = tree.search(&poisoned, 1).unwrap_err();
        prop_assert!(matches!(err, NeighborsError::NonFiniteQuery { .. }), "{:?}", err);
        if d > 1 {
            let err = tree.search(&points[1..], 1).unwrap_err();
            prop_assert!(matches!(err, NeighborsError::RaggedQueries { .. }), "{:?}", err);
        }
        prop_assert_eq!(tree.search_self(0).unwrap_err(), NeighborsError::KIsZero);
        Ok(())
    });
}

//! Exactness against naive references, graph wiring, and every error path.

use crate::geometry::{ball_counts, sq_dist, thresholds};
use crate::*;
use percolab_random::{stream, Purpose, RngExt};

/// `n` points in `[0, 1)^d` on a coarse grid (so ties and duplicates occur), row-major.
fn grid_points(n: usize, d: usize, levels: u32, seed: u64) -> Vec<f32> {
    let mut r = stream(seed, Purpose::Split, 0);
    (0..n * d).map(|_| r.random_range(0..levels) as f32 / levels as f32).collect()
}

/// The naive table: for every point, the sorted distances to all other points, first k.
fn naive_table(x: &[f32], d: usize, k: usize) -> Vec<f64> {
    let n = x.len() / d;
    let mut out = Vec::new();
    for i in 0..n {
        let mut row: Vec<f64> = (0..n).filter(|&j| j != i).map(|j| sq_dist(&x[i * d..][..d], &x[j * d..][..d]).sqrt()).collect();
        row.sort_unstable_by(f64::total_cmp);
        out.extend(&row[..k]);
    }
    out
}

#[test]
fn neighbor_table_matches_naive_with_duplicates() {
    // 400 points on a 4-level grid in 3-d: 64 cells, so every point has many exact duplicates and
    // its own index is often not first among the k+1 found (ties go to lower indices).
    let x = grid_points(400, 3, 4, 1);
    for k in [1, 5, 12] {
        let t = neighbor_table(&x, 3, k).unwrap();
        assert_eq!(t.distances(), &naive_table(&x, 3, k)[..], "k = {k}");
    }
    // Three copies of one point: each has two zeros, then the far point.
    let x = [0.0f32, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 4.0];
    let t = neighbor_table(&x, 2, 3).unwrap();
    assert_eq!(t.row(2), &[0.0, 0.0, 5.0]);
    assert_eq!(t.row(3), &[5.0, 5.0, 5.0]);
}

#[test]
fn twonn_matches_the_skdim_formula() {
    // N = 10, discard 0.1: m = floor(10 * 0.9) = 9 smallest mu, F_i = i/10, slope through the origin.
    let mu = [1.9, 1.1, 1.4, 3.0, 1.2, 1.05, 2.2, 1.6, 1.3, 5.0];
    let rows: Vec<f64> = mu.iter().flat_map(|&m| [2.0, 2.0 * m]).collect();
    let fit = TwoNn::default().fit(&NeighborTable::from_distances(2, rows).unwrap()).unwrap();
    let mut x: Vec<f64> = mu.iter().map(|&m| libm::log(2.0 * m / 2.0)).collect();
    x.sort_unstable_by(f64::total_cmp);
    let (sxy, sxx) = (1..=9).fold((0.0, 0.0), |(a, b), i| {
        let y = -libm::log(1.0 - i as f64 / 10.0);
        (a + x[i - 1] * y, b + x[i - 1] * x[i - 1])
    });
    assert!((fit.dimension - sxy / sxx).abs() < 1e-12);
    assert!((fit.dimension_ml - 9.0 / x.iter().sum::<f64>()).abs() < 1e-12);
    assert_eq!((fit.log_mu.len(), fit.neg_log_survival.len()), (9, 9));
    let i = fit.interval.unwrap();
    assert!(i.low <= i.high && i.replicates == 200);
}

#[test]
fn mle_matches_levina_bickel() {
    // Row [1, 2, 4], k = 3: S = ln 4 + ln 2 = ln 8, m = 2/ln 8. Row [1, 1, 1]: S = 0, m = inf.
    let t = NeighborTable::from_distances(3, vec![1.0, 2.0, 4.0, 1.0, 1.0, 1.0, 1.0, 3.0, 9.0]).unwrap();
    let fit = Mle { k: 3, ..Default::default() }.fit(&t).unwrap();
    let s = [libm::log(8.0), 0.0, libm::log(9.0) + libm::log(3.0)];
    assert!((fit.pointwise[0] - 2.0 / s[0]).abs() < 1e-12 && fit.pointwise[1].is_infinite());
    assert!((fit.dimension - 2.0 * 3.0 / s.iter().sum::<f64>()).abs() < 1e-12);
    let mean = Mle { k: 3, combine: Combine::Mean, ..Default::default() }.fit(&t);
    assert!(matches!(mean, Err(EstimatorError::Degenerate { .. })));
    let unbiased = Mle { k: 3, unbiased: true, ..Default::default() }.fit(&t).unwrap();
    assert!((unbiased.dimension - fit.dimension / 2.0).abs() < 1e-12);
}

#[test]
fn mle_sums_are_the_sequential_ones_bit_for_bit() {
    // Enough rows for the `threads` build to split them across the pool: the same bits as a plain loop.
    let (n, k) = (5000, 20);
    let d: Vec<f64> = (0..n * k).map(|i| 1.0 + (i % k) as f64 + ((i / k) as f64 * 0.618).fract()).collect();
    let t = NeighborTable::from_squared_distances(k, d.clone()).unwrap();
    let fit = Mle { bootstrap: Bootstrap { replicates: 0, ..Default::default() }, ..Default::default() }.fit(&t).unwrap();
    for (row, m) in d.chunks_exact(k).zip(&fit.pointwise) {
        let r: Vec<f64> = row.iter().map(|s| s.sqrt()).collect();
        let s: f64 = r[..k - 1].iter().map(|&x| libm::log(r[k - 1] / x)).sum();
        assert_eq!(m.to_bits(), ((k - 1) as f64 / s).to_bits());
    }
}

#[test]
fn corrint_matches_naive_pair_counts() {
    let x = grid_points(300, 3, 9, 2);
    let n = 300;
    let t = neighbor_table(&x, 3, 20).unwrap();
    let fit = CorrInt::default().fit(&x, 3, &t).unwrap();
    let naive = naive_table(&x, 3, 20);
    let median = |c: usize| {
        let mut v: Vec<f64> = naive.chunks_exact(20).map(|r| r[c]).collect();
        v.sort_unstable_by(f64::total_cmp);
        0.5 * (v[(n - 1) / 2] + v[n / 2])
    };
    let (r1, r2) = (median(9), median(19));
    let count = |r: f64| {
        let mut s = 0usize;
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                s += (sq_dist(&x[i * 3..][..3], &x[j * 3..][..3]).sqrt() < r) as usize;
            }
        }
        s as f64
    };
    let (s1, s2) = (count(r1), count(r2));
    assert_eq!((fit.r1, fit.r2), (r1, r2));
    assert_eq!((fit.c1, fit.c2), (s1 / (n * n) as f64, s2 / (n * n) as f64));
    assert!((fit.dimension - libm::log(s2 / s1) / libm::log(r2 / r1)).abs() < 1e-12);
}

#[test]
fn thresholds_agree_with_sqrt() {
    let mut r = stream(3, Purpose::Split, 0);
    let radii: Vec<f64> = (0..200).map(|_| libm::exp(r.random_range(-20.0..20.0))).collect();
    for strict in [false, true] {
        for (&rad, &t) in radii.iter().zip(&thresholds(&radii, strict)) {
            let inside = |v: f64| if strict { v.sqrt() < rad } else { v.sqrt() <= rad };
            assert!(inside(t) && !inside(f64::from_bits(t.to_bits() + 1)));
        }
    }
}

#[test]
fn one_dimensional_counts_equal_the_general_path() {
    // d = 1 uses sorted binary search; the same points with a zero second coordinate take the
    // general kernel and must give identical counts (duplicates included).
    let x = grid_points(500, 1, 50, 4);
    let x2: Vec<f32> = x.iter().flat_map(|&v| [v, 0.0]).collect();
    let centres: Vec<u32> = (0..500).step_by(7).collect();
    let t = thresholds(&[0.0001, 0.02, 0.02 + 1e-17, 0.1, 0.3], false);
    assert_eq!(ball_counts(&x, 1, &centres, &t), ball_counts(&x2, 2, &centres, &t));
}

#[test]
fn weight_graph_wiring_and_paths() {
    // 2 inputs -> 3 outputs (one zero weight) -> 1 output.
    let w0 = [1.0f32, 0.0, -0.5, 2.0, 0.25, 4.0];
    let w1 = [1.0f32, 2.0, 0.5];
    let g = WeightGraph::from_layers(&[
        LayerWeights { outputs: 3, inputs: 2, values: &w0 },
        LayerWeights { outputs: 1, inputs: 3, values: &w1 },
    ])
    .unwrap();
    assert_eq!((g.num_nodes(), g.num_edges()), (6, 8));
    // Input 0 -> input 1: via output 1 (2 + 0.5) or output 2 (4 + 0.25): 2.5.
    let d = g.shortest_paths(0);
    assert_eq!(d[1], 2.5);
    assert_eq!(d[5], 1.0 + 1.0); // input 0 -> output 0 (1) -> final (1)
}

#[test]
fn graph_sandbox_on_a_chain_is_one_dimensional() {
    // 400 layers of one neuron with weight 2: a path of 401 nodes, edge length 0.5.
    let w = [2.0f32];
    let layers = vec![LayerWeights { outputs: 1, inputs: 1, values: &w }; 400];
    let g = WeightGraph::from_layers(&layers).unwrap();
    let sb = Sandbox { q: vec![0.0, 1.0, 2.0], radii: Scales::LogSpaced { min: 2.0, max: 10.0, count: 9 }, ..Default::default() };
    let fit = sb.fit_graph(&g).unwrap();
    for v in &fit.generalized_dimensions {
        assert!((v - 1.0).abs() < 0.1, "{v}");
    }
    let view = fit.neuromfa();
    assert_eq!(view.q, vec![-1.0, 0.0, 1.0]);
    assert_eq!(view.alpha_0, fit.information_dimension);
    let auto = Sandbox { q: vec![2.0], ..Default::default() }.fit_graph(&g).unwrap();
    assert!(auto.radii[0] > 0.0 && (auto.generalized_dimensions[0] - 1.0).abs() < 0.2);
}

#[test]
fn fits_are_reproducible_from_the_seed() {
    let x = grid_points(600, 2, 1000, 5);
    let sb = |seed| Sandbox { q: vec![1.0, 2.0], max_centres: Some(100), seed, ..Default::default() }.fit(&x, 2).unwrap();
    assert_eq!(sb(1), sb(1));
    assert_ne!(sb(1).tau, sb(2).tau);
}

#[test]
fn errors() {
    use EstimatorError as E;
    let ok_table = NeighborTable::from_distances(2, vec![1.0, 2.0, 1.0, 3.0, 1.0, 1.5]).unwrap();
    assert_eq!(neighbor_table(&[1.0], 0, 1), Err(E::ZeroDimension));
    assert_eq!(neighbor_table(&[1.0, 2.0, 3.0], 2, 1), Err(E::RaggedPoints { len: 3, d: 2 }));
    assert!(matches!(neighbor_table(&[1.0, 2.0, 3.0, f32::NAN], 2, 1), Err(E::NonFinitePoint { row: 1, col: 1, .. })));
    assert_eq!(
        neighbor_table(&[0.0, 1.0, 2.0], 1, 3),
        Err(E::TooFewPoints { estimator: "the neighbour table", n: 3, needed: 4 })
    );
    assert!(matches!(Mle::default().fit(&ok_table), Err(E::TableTooNarrow { k: 2, needed: 20, .. })));
    assert_eq!(NeighborTable::from_distances(2, vec![2.0, 1.0]), Err(E::InvalidTable { row: 0, col: 1, value: 1.0 }));
    assert_eq!(NeighborTable::from_distances(2, vec![-1.0, 1.0]), Err(E::InvalidTable { row: 0, col: 0, value: -1.0 }));
    assert!(matches!(NeighborTable::from_distances(1, vec![f64::NAN]), Err(E::InvalidTable { .. })));
    assert_eq!(NeighborTable::from_distances(2, vec![1.0; 3]), Err(E::RaggedTable { len: 3, k: 2 }));
    let x = grid_points(40, 2, 1000, 6);
    assert_eq!(CorrInt::default().fit(&x, 2, &neighbor_table(&x[..60], 2, 20).unwrap()), Err(E::TableRows { rows: 30, n: 40 }));

    // Duplicates: 3 copies of one point and 2 of another -> 5 points with r1 = 0.
    let mut dup = grid_points(50, 2, 1000, 7);
    for (to, from) in [(2, 0), (4, 0), (8, 6)] {
        dup.copy_within(from..from + 2, to);
    }
    let t = neighbor_table(&dup, 2, 20).unwrap();
    assert_eq!(TwoNn::default().fit(&t), Err(E::Duplicates { estimator: "TwoNN", count: 5 }));
    assert_eq!(Mle::default().fit(&t), Err(E::Duplicates { estimator: "MLE", count: 5 }));
    assert!(E::Duplicates { estimator: "TwoNN", count: 5 }.to_string().contains("5 points have a duplicate"));
    let dropped = TwoNn { duplicates: Duplicates::Drop, ..Default::default() }.fit(&t).unwrap();
    assert!(dropped.dimension.is_finite() && (dropped.n_used, dropped.n_dropped) == (45, 5));
    let dropped = Mle { duplicates: Duplicates::Drop, ..Default::default() }.fit(&t).unwrap();
    assert!(dropped.dimension.is_finite() && dropped.n_dropped == 5 && dropped.pointwise[0].is_nan());

    // Options.
    let opt = |r: Result<TwoNnFit, E>| matches!(r, Err(E::InvalidOption { name: "discard_fraction", .. }));
    assert!(opt(TwoNn { discard_fraction: 0.0, ..Default::default() }.fit(&ok_table)));
    assert!(opt(TwoNn { discard_fraction: 1.5, ..Default::default() }.fit(&ok_table)));
    let bad_boot = Bootstrap { percentiles: (90.0, 10.0), ..Default::default() };
    assert!(matches!(TwoNn { bootstrap: bad_boot, ..Default::default() }.fit(&ok_table), Err(E::InvalidOption { .. })));
    assert!(matches!(Mle { k: 1, ..Default::default() }.fit(&ok_table), Err(E::InvalidOption { name: "k", .. })));
    assert!(matches!(
        Sandbox { max_centres: Some(0), ..Default::default() }.fit(&x, 2),
        Err(E::InvalidOption { name: "max_centres", .. })
    ));
    assert_eq!(Sandbox { q: vec![], ..Default::default() }.fit(&x, 2), Err(E::EmptyQ));
    assert_eq!(Sandbox { q: vec![0.0, 0.0], ..Default::default() }.fit(&x, 2), Err(E::QNotIncreasing { index: 1 }));
    assert_eq!(BoxCounting { q: vec![1.0, f64::NAN], ..Default::default() }.fit(&x, 2), Err(E::QNotIncreasing { index: 1 }));

    // Scales and fit ranges.
    let scales = |s: Scales| Sandbox { radii: s, ..Default::default() }.fit(&x, 2);
    assert!(matches!(scales(Scales::Explicit(vec![1.0])), Err(E::InvalidScales { .. })));
    assert!(matches!(scales(Scales::LogSpaced { min: 2.0, max: 1.0, count: 5 }), Err(E::InvalidScales { .. })));
    assert!(matches!(
        CorrelationIntegral::default().fit(&[0.5; 20], 2),
        Err(E::InvalidScales { reason }) if reason.contains("duplicate")
    ));
    let fr = Sandbox { radii: Scales::LogSpaced { min: 0.01, max: 0.1, count: 5 }, fit_range: Some((0.2, 0.3)), ..Default::default() };
    assert!(matches!(fr.fit(&x, 2), Err(E::FitRange { inside: 0, .. })));
    let tiny = CorrelationIntegral { radii: Scales::LogSpaced { min: 1e-9, max: 0.5, count: 5 }, ..Default::default() };
    assert_eq!(tiny.fit(&x, 2), Err(E::EmptyScale { scale: 1e-9 }));

    // Degenerate data: r2 = r1 everywhere.
    let flat = NeighborTable::from_distances(2, vec![1.0; 40]).unwrap();
    assert!(matches!(TwoNn::default().fit(&flat), Err(E::Degenerate { estimator: "TwoNN", .. })));

    // Weights.
    let w = [1.0f32; 6];
    let layer = |outputs, inputs, values| LayerWeights { outputs, inputs, values };
    assert!(matches!(WeightGraph::from_layers(&[layer(4, 2, &w[..])]), Err(E::WeightShape { layer: 0, .. })));
    assert_eq!(
        WeightGraph::from_layers(&[layer(3, 2, &w[..]), layer(2, 2, &w[..4])]),
        Err(E::LayerMismatch { layer: 1, inputs: 2, previous_outputs: 3 })
    );
    assert_eq!(WeightGraph::from_layers(&[]), Err(E::NoLayers));
    let nan = [1.0, f32::INFINITY];
    assert!(matches!(WeightGraph::from_layers(&[layer(1, 2, &nan[..])]), Err(E::NonFiniteWeight { layer: 0, index: 1, .. })));
    let zeros = [0.0f32; 2];
    let g = WeightGraph::from_layers(&[layer(1, 2, &zeros[..])]).unwrap();
    assert!(matches!(Sandbox::default().fit_graph(&g), Err(E::Degenerate { .. })));
    // Each message names the values and what to do.
    assert_eq!(E::EmptyQ.to_string(), "the q grid is empty; give at least one q");
    assert_eq!(
        E::FitRange { low: 1.0, high: 2.5, inside: 1 }.to_string(),
        "fit range [1, 2.5] contains 1 scale(s); widen it or add scales (need at least 2)"
    );
    assert_eq!(
        E::TableRows { rows: 1, n: 2 }.to_string(),
        "the neighbour table has 1 rows but there are 2 points; build it from the same points"
    );
}

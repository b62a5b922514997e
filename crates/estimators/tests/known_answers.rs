//! Known answers on seeded data (manifolds of known dimension, fractals of known spectrum). Run with `--nocapture` to see the measured values.

mod common;

use common::*;
use percolab_estimators::*;
use percolab_random::{stream, Purpose};

/// A manifold of known dimension, mapped into R^30 by a random isometry.
fn manifold(name: &str, n: usize, seed: u64) -> (Vec<f32>, f64) {
    let mut r = rng(seed);
    let (low, m, dim) = match name {
        "cube2" => (cube(&mut r, n, 2), 2, 2.0),
        "cube3" => (cube(&mut r, n, 3), 3, 3.0),
        "cube5" => (cube(&mut r, n, 5), 5, 5.0),
        "cube8" => (cube(&mut r, n, 8), 8, 8.0),
        "S2" => (sphere(&mut r, n, 2), 3, 2.0),
        "S5" => (sphere(&mut r, n, 5), 6, 5.0),
        _ => unreachable!(),
    };
    (rotate(&mut r, &low, m, 30), dim)
}

#[test]
fn twonn_and_mle_on_manifolds() {
    // Bands on estimate/dimension. Statistical error at n = 5000 is ~1% (the bootstrap intervals
    // printed below), so the 7% band is all bias. Measured biases (same seeds):
    // - spheres: slightly above d (chords shorten the second neighbour more than the first);
    // - cubes: below d, growing with d: near a face the ball is truncated between r1 and r2 (TwoNN)
    //   or r1 and r20 (MLE, hence larger), and at n = 5000 in 8-d almost every point is that close to
    //   a face (r2 ~ 0.3). `flat_torus_has_no_boundary_bias` shows the estimators themselves are unbiased.
    //   For MLE on cube5 and both on cube8 the 7% target is not reachable at this n: we assert the
    //   documented direction and a floor instead (a finding, not a widened tolerance).
    let within = (0.93, 1.07);
    let under = (0.80, 1.0);
    let cases = [
        ("cube2", within, within),
        ("cube3", within, within),
        ("cube5", within, under),
        ("cube8", under, under),
        ("S2", within, within),
        ("S5", within, within),
    ];
    for (i, (name, band_twonn, band_mle)) in cases.into_iter().enumerate() {
        let (x, dim) = manifold(name, 5000, i as u64);
        let table = neighbor_table(&x, 30, 20).unwrap();
        let tw = TwoNn::default().fit(&table).unwrap();
        let ml = Mle::default().fit(&table).unwrap();
        let (a, b, c) = (tw.dimension / dim, tw.dimension_ml / dim, ml.dimension / dim);
        let show = |i: Option<Interval>| i.map_or(String::new(), |i| format!("[{:.3}, {:.3}]", i.low / dim, i.high / dim));
        println!(
            "{name:5} d={dim}: TwoNN {:.3} (x{a:.3} {}), TwoNN-ML {:.3} (x{b:.3}), MLE {:.3} (x{c:.3} {})",
            tw.dimension,
            show(tw.interval),
            tw.dimension_ml,
            ml.dimension,
            show(ml.interval)
        );
        let inside = |v: f64, (lo, hi): (f64, f64)| v >= lo && v <= hi;
        assert!(inside(a, band_twonn) && inside(b, band_twonn), "{name}: TwoNN {a:.3} / ML {b:.3} outside {band_twonn:?}");
        assert!(inside(c, band_mle), "{name}: MLE {c:.3} outside {band_mle:?}");
        let (ti, mi) = (tw.interval.unwrap(), ml.interval.unwrap());
        assert!(ti.low <= tw.dimension && tw.dimension <= ti.high && mi.low <= ml.dimension && ml.dimension <= mi.high);
    }
}

#[test]
fn flat_torus_has_no_boundary_bias() {
    // The 8-cube with periodic distances: locally every ball is a full Euclidean ball up to r20 ~ 0.42
    // < 1/2, so mu is exactly Pareto(8) and T_j/T_k are uniform order statistics; both estimators are
    // then unbiased up to their statistical error (~1.5% for TwoNN at n = 5000). A precomputed table
    // also exercises `NeighborTable::from_distances`.
    let (n, k) = (5000, 8);
    let x = cube(&mut rng(3), n, k);
    let mut table = Vec::with_capacity(n * 20);
    let mut row = vec![0.0; n];
    for i in 0..n {
        for (j, r) in row.iter_mut().enumerate() {
            let sq: f64 = (0..k).map(|c| (x[i * k + c] - x[j * k + c]).abs()).map(|t| t.min(1.0 - t).powi(2)).sum();
            *r = if i == j { f64::INFINITY } else { sq.sqrt() };
        }
        row.select_nth_unstable_by(20, f64::total_cmp);
        let mut best = row[..20].to_vec();
        best.sort_unstable_by(f64::total_cmp);
        table.extend(best);
    }
    let table = NeighborTable::from_distances(20, table).unwrap();
    let tw = TwoNn::default().fit(&table).unwrap();
    let ml = Mle::default().fit(&table).unwrap();
    println!("flat 8-torus: TwoNN {:.3}, TwoNN-ML {:.3}, MLE {:.3}", tw.dimension, tw.dimension_ml, ml.dimension);
    for v in [tw.dimension, tw.dimension_ml, ml.dimension] {
        assert!((v / 8.0 - 1.0).abs() < 0.05, "{v}");
    }
}

#[test]
fn binomial_cascade_tau() {
    // tau(q) = -log2(p^q + (1-p)^q), alpha = tau'(q). Box counting on the dyadic grid the cascade is
    // built on is exact up to sampling noise; the sandbox's balls straddle dyadic cells, and at q < 0
    // the sparse centres' balls pick up mass from denser neighbours and hold few points (the +1 of the
    // centre), which biases tau(q < 0) upwards (+0.03 at q = -1 here; bigger with fewer points or a
    // lower fit range). Fit ranges stop where the sparsest relevant cells still hold >= ~10 points.
    let p = 0.3;
    let exact_tau = |q: f64| -libm::log2(libm::pow(p, q) + libm::pow(1.0 - p, q));
    let exact_alpha = |q: f64| {
        let (a, b) = (libm::pow(p, q), libm::pow(1.0 - p, q));
        -(a * libm::log2(p) + b * libm::log2(1.0 - p)) / (a + b)
    };
    let q: Vec<f64> = (-4..=12).map(|i| i as f64 * 0.25).collect();
    let x = cascade(&mut rng(100), 200_000, p, 20);
    let sizes = (3..=10).rev().map(|j| libm::exp2(-(j as f64))).collect();
    let bx = BoxCounting { q: q.clone(), sizes: Scales::Explicit(sizes), ..Default::default() }.fit(&x, 1).unwrap();
    let radii = Scales::LogSpaced { min: libm::exp2(-12.0), max: libm::exp2(-4.0), count: 17 };
    let sb = Sandbox { q: q.clone(), radii, max_centres: None, ..Default::default() }.fit(&x, 1).unwrap();
    assert!((bx.dimension - 1.0).abs() < 0.01, "box D0 {}", bx.dimension);
    for (name, tau, alpha) in [("box", &bx.tau, None), ("sandbox", &sb.tau, Some(&sb.alpha))] {
        let err: Vec<f64> = q.iter().zip(tau).map(|(&q, t)| t - exact_tau(q)).collect();
        println!("{name} tau(q) - exact, q = -1..3 step 0.25: {err:+.3?}");
        assert!(err.iter().all(|e| e.abs() <= 0.05), "{name}: {err:?}");
        if let Some(alpha) = alpha {
            // alpha at q = 0, 1, 2 (indices 4, 8, 12); alpha(1) = D_1 = H(p)/ln 2 = 0.881.
            for i in [4, 8, 12] {
                println!("sandbox alpha({}) = {:.3} (exact {:.3})", q[i], alpha[i], exact_alpha(q[i]));
                assert!((alpha[i] - exact_alpha(q[i])).abs() < 0.05);
            }
            assert!((sb.information_dimension - exact_alpha(1.0)).abs() < 0.03, "D1 {}", sb.information_dimension);
        }
    }
    let i = sb.tau_intervals[0];
    println!("sandbox tau(-1) interval [{:.3}, {:.3}] vs exact {:.3}", i.low, i.high, exact_tau(-1.0));
}

#[test]
fn cantor_set_generalized_dimensions() {
    // Uniform measure on a self-similar set: D_q = ln 2/ln 3 for every q, and the Legendre spectrum
    // collapses to alpha = f = D. Radii and boxes span 8 whole periods of the log-periodic wiggle (ln 3).
    let dc = libm::log(2.0) / libm::log(3.0);
    let q = vec![-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0];
    let x = cantor(&mut rng(101), 100_000, 13);
    let radii = Scales::LogSpaced { min: libm::pow(3.0, -10.0), max: libm::pow(3.0, -2.0), count: 33 };
    let sb = Sandbox { q: q.clone(), radii, max_centres: Some(2000), ..Default::default() }.fit(&x, 1).unwrap();
    let sizes = (2..=10).rev().map(|j| libm::pow(3.0, -(j as f64))).collect();
    let bx = BoxCounting { q: q.clone(), sizes: Scales::Explicit(sizes), ..Default::default() }.fit(&x, 1).unwrap();
    println!("sandbox D_q - ln2/ln3 for q = {q:?}: {:+.4?}", sb.generalized_dimensions.iter().map(|v| v - dc).collect::<Vec<_>>());
    println!("box     D_q - ln2/ln3: {:+.4?}, D_0 {:.4}", bx.generalized_dimensions.iter().map(|v| v - dc).collect::<Vec<_>>(), bx.dimension);
    for v in sb.generalized_dimensions.iter().chain(&bx.generalized_dimensions).chain(&sb.alpha).chain(&sb.f_alpha) {
        assert!((v - dc).abs() < 0.03, "{v}");
    }
    assert!((sb.information_dimension - dc).abs() < 0.03 && (bx.dimension - dc).abs() < 0.03);
}

#[test]
fn percolation_correlation_integral_rises_towards_four() {
    // D = 4 only asymptotically: mass within chemical distance l grows like l^2 only for l >> 1, and
    // the embedding makes Euclidean r ~ sqrt(l). Below r ~ 1 (one step) there are no pairs, above
    // ~R_g the cluster ends. So the local slope rises towards 4 inside [2, R_g/2] and falls after; we
    // assert that the window's maximum lies in [3.3, 4.3] and exceeds its first value.
    let d = 32;
    let lattice = percolab_percolation::Lattice::new(2 * d as u32).unwrap();
    let method = percolab_percolation::Method::Exact;
    let tree = percolab_percolation::sample(&mut stream(7, Purpose::Cluster, 0), lattice, 200_000, method).unwrap();
    let x = percolab_embedding::embed_naive(&mut stream(7, Purpose::Embedding, 0), tree.parents(), d).unwrap();
    let n = x.len() / d;
    let mean: Vec<f64> = (0..d).map(|j| x.iter().skip(j).step_by(d).map(|&v| v as f64).sum::<f64>() / n as f64).collect();
    let rg = (x.chunks_exact(d).map(|p| p.iter().zip(&mean).map(|(&v, m)| (v as f64 - m).powi(2)).sum::<f64>()).sum::<f64>()
        / n as f64)
        .sqrt();
    let ci = CorrelationIntegral {
        radii: Scales::LogSpaced { min: 0.5, max: rg, count: 25 },
        fit_range: Some((2.0, rg / 2.0)),
        max_centres: Some(500),
        ..Default::default()
    }
    .fit(&x, d)
    .unwrap();
    println!("percolation n = {n}, d = {d}, R_g = {rg:.2}; D2 fitted on [2, R_g/2] = {:.3} {:?}", ci.dimension, ci.interval);
    println!("   r       C(r)        local slope");
    for i in 0..ci.local_slopes.len() {
        println!("{:7.3} {:11.4e} {:7.3}", ci.slope_radii[i], ci.correlation[i + 1], ci.local_slopes[i]);
    }
    let window: Vec<f64> =
        ci.slope_radii.iter().zip(&ci.local_slopes).filter(|(&r, _)| r >= 2.0 && r <= rg / 2.0).map(|(_, &s)| s).collect();
    let max = window.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!((3.3..=4.3).contains(&max), "max local slope {max}");
    assert!(max > window[0] + 0.1, "slope does not rise: {window:?}");
}

#[test]
fn defaults_on_a_square() {
    // Every estimator with default options on a unit square in R^30 (n = 5000). The square's edges
    // bias everything slightly low; box counting in a 30-d grid is far off (a rotated plane grazes
    // many more 30-d boxes than eps^-2) and only checked for sanity.
    let (x, _) = manifold("cube2", 5000, 11);
    let table = neighbor_table(&x, 30, 20).unwrap();
    let ci = CorrInt::default().fit(&x, 30, &table).unwrap();
    let cr = CorrelationIntegral::default().fit(&x, 30).unwrap();
    let sb = Sandbox::default().fit(&x, 30).unwrap();
    let bx = BoxCounting::default().fit(&x, 30).unwrap();
    println!(
        "square: CorrInt {:.3} {:?}, correlation integral {:.3} on r = {:.3}..{:.3}, sandbox D0 {:.3} D1 {:.3} D2 {:.3}, box D0 {:.3}",
        ci.dimension,
        ci.interval,
        cr.dimension,
        cr.radii[0],
        cr.radii[cr.radii.len() - 1],
        sb.generalized_dimensions[6],
        sb.information_dimension,
        sb.generalized_dimensions[10],
        bx.dimension
    );
    for v in [ci.dimension, cr.dimension, sb.generalized_dimensions[6], sb.information_dimension, sb.generalized_dimensions[10]] {
        assert!((v / 2.0 - 1.0).abs() < 0.07, "{v}");
    }
    assert!(bx.dimension > 1.0 && bx.dimension < 2.5);
}

/// `n` sites of an exact critical cluster (Bethe lattice z = 2d) embedded naively in R^d.
fn percolation_cluster(n: usize, d: usize, seed: u64) -> Vec<f32> {
    let lattice = percolab_percolation::Lattice::new(2 * d as u32).unwrap();
    let method = percolab_percolation::Method::Exact;
    let tree = percolab_percolation::sample(&mut stream(seed, Purpose::Cluster, 0), lattice, n as u64, method).unwrap();
    percolab_embedding::embed_naive(&mut stream(seed, Purpose::Embedding, 0), tree.parents(), d).unwrap()
}

#[test]
fn sandbox_on_percolation_clusters() {
    // Issue 12, item 6: on critical clusters the sandbox D_q rose with q (D_-3 ~ 0.5 below D_3) and
    // its D_2 sat below the correlation dimension. The cause was counting each centre in its own ball
    // (see the `sandbox` module docs): kept here as `count_centre: true` to show it on the same points.
    // Six clusters of 20 000 sites in R^16 (seeds 11-16), default radii (median 10th-neighbour distance
    // to 10% of the diameter, where the median ball holds 10 to ~50 points), 1000 centres.
    // Bands are the bootstrap's 2.5th-97.5th percentiles over centres (200 replicates): D_q for q <= 0
    // rests on the few sparsest balls (sites on a chain, whose mass grows like r^2 before the branches
    // catch up), so the q = -3 band is +-0.2-0.3 wide and 1-sigma bands of correlated neighbours in q
    // say little. Measured (others-only): D_2 - CorrInt within -0.02..+0.05 on all six; the largest
    // rise across the q grid is 0.11 (seed 14, q = 0.5 to 3), inside the bands. The centre-counting
    // convention: D_3 - D_-3 from +0.08 to +0.80 (mean +0.49), D_2 0.11-0.20 below CorrInt.
    let d = 16;
    let bootstrap = Bootstrap { percentiles: (2.5, 97.5), ..Default::default() };
    let (mut rise_old, mut seeds) = (0.0, 0.0);
    for seed in 11..=16 {
        let x = percolation_cluster(20_000, d, seed);
        let found = percolab_neighbors::KdTree::new(&x, d).unwrap().search_self(20).unwrap();
        let table = NeighborTable::from_squared_distances(20, found.squared_distances).unwrap();
        // CorrInt's pairs from 2000 centres (all n^2 pairs, as `percolab estimate` counts them, costs
        // 10x here and moved CorrInt by up to 0.05: D_2 - CorrInt was -0.03..+0.05 then).
        let ci = CorrInt { max_centres: Some(2000), ..Default::default() }.fit(&x, d, &table).unwrap().dimension;
        let new = Sandbox { bootstrap, ..Default::default() }.fit(&x, d).unwrap();
        let old = Sandbox { bootstrap, count_centre: true, ..Default::default() }.fit(&x, d).unwrap();
        let q2 = new.q.iter().position(|&q| q == 2.0).unwrap();
        for (name, f) in [("others", &new), ("centre", &old)] {
            let dq: Vec<String> = f.generalized_dimensions.iter().map(|v| format!("{v:.2}")).collect();
            let d0 = f.generalized_dimensions[new.q.iter().position(|&q| q == 0.0).unwrap()];
            let fmax = f.f_alpha.iter().map(|v| v - d0).fold(f64::NEG_INFINITY, f64::max);
            println!("seed {seed} {name}: D_q (q = -3..3) {}; D_2 - CorrInt {:+.3}; max f - D_0 {fmax:+.3}", dq.join(" "), f.generalized_dimensions[q2] - ci);
        }
        // Non-increasing within the bands: no D_q' whose whole band lies above the band of a D_q, q < q'.
        let (dq, iv) = (&new.generalized_dimensions, &new.dimension_intervals);
        for i in 0..dq.len() {
            for j in i + 1..dq.len() {
                assert!(iv[j].low <= iv[i].high, "seed {seed}: D_{} = {:.3} {:?} above D_{} = {:.3} {:?}", new.q[j], dq[j], iv[j], new.q[i], dq[i], iv[i]);
            }
        }
        assert!((dq[q2] - ci).abs() <= 0.15, "seed {seed}: sandbox D_2 {:.3} vs CorrInt {ci:.3}", dq[q2]);
        // The old convention on the same points: D_2 reads low against CorrInt.
        assert!(old.generalized_dimensions[q2] < ci - 0.05, "seed {seed}: centre-counting D_2 {:.3}", old.generalized_dimensions[q2]);
        let last = dq.len() - 1;
        rise_old += old.generalized_dimensions[last] - old.generalized_dimensions[0];
        seeds += 1.0;
    }
    assert!(rise_old / seeds > 0.3, "centre-counting D_3 - D_-3 averages {:.3}", rise_old / seeds);
}

//! Known answers of GLUE capacity (docs/capacity.md, science notes §6). Monte-Carlo tolerances: the
//! relative standard deviation of alpha over `draws` draws of `P` manifolds is about
//! `2.24 / sqrt(P * draws)` (exactly sqrt(5)/sqrt(P * draws) for points); tests allow 3 of them.

use percolab_capacity::{measure, Capacity, CapacityError, Dichotomy, Estimate, Options};
use percolab_random::{stream, Purpose};
use rand_distr::{Distribution, StandardNormal};

fn options(draws: usize, seed: u64) -> Options {
    Options { draws, seed, centre: false, ..Default::default() }
}

fn monte_carlo_sd(p: usize, draws: usize) -> f64 {
    5f64.sqrt() / ((p * draws) as f64).sqrt()
}

/// Rows of a random orthogonal `n x n` matrix (Gram-Schmidt on Gaussian rows, twice for accuracy).
fn rotation(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = stream(seed, Purpose::Manifold, 0);
    let mut q: Vec<f64> = (0..n * n).map(|_| { let z: f64 = StandardNormal.sample(&mut rng); z }).collect();
    for _ in 0..2 {
        for i in 0..n {
            for j in 0..i {
                let d: f64 = (0..n).map(|k| q[i * n + k] * q[j * n + k]).sum();
                for k in 0..n {
                    q[i * n + k] -= d * q[j * n + k];
                }
            }
            let norm = (0..n).map(|k| q[i * n + k] * q[i * n + k]).sum::<f64>().sqrt();
            (0..n).for_each(|k| q[i * n + k] /= norm);
        }
    }
    q
}

/// Row-major `points` times `rotation^T` (rows of `points` rotated).
fn rotate(points: &[f64], n: usize, q: &[f64]) -> Vec<f64> {
    points.chunks(n).flat_map(|row| (0..n).map(move |i| (0..n).map(|k| q[i * n + k] * row[k]).sum::<f64>())).collect()
}

/// `p` orthonormal points (rotated out of the coordinate axes), one per manifold.
fn orthonormal_points(p: usize) -> (Vec<f64>, Vec<u32>) {
    let mut e = vec![0.0; p * p];
    (0..p).for_each(|i| e[i * p + i] = 1.0);
    (rotate(&e, p, &rotation(p, 11)), (0..p as u32).collect())
}

/// Segments `c_i ± R u_i` with all `c_i, u_i` orthonormal in `R^(2P)`.
fn segments(p: usize, radius: f64) -> (Vec<f64>, Vec<u32>) {
    let n = 2 * p;
    let mut points = vec![0.0; 2 * p * n];
    for i in 0..p {
        for (m, sign) in [1.0, -1.0].into_iter().enumerate() {
            let row = 2 * i + m;
            points[row * n + i] = 1.0;
            points[row * n + p + i] = sign * radius;
        }
    }
    let ids = (0..2 * p as u32).map(|r| r / 2).collect();
    (rotate(&points, n, &rotation(n, 12)), ids)
}

/// `p` Gaussian clouds of `m` points in `R^n` around random centres.
fn clouds(p: usize, m: usize, n: usize, spread: f64, seed: u64) -> (Vec<f64>, Vec<u32>) {
    let mut rng = stream(seed, Purpose::Manifold, 1);
    let mut points = Vec::with_capacity(p * m * n);
    let mut ids = Vec::new();
    for i in 0..p {
        let centre: Vec<f64> = (0..n).map(|_| { let z: f64 = StandardNormal.sample(&mut rng); z }).collect();
        for _ in 0..m {
            points.extend(centre.iter().map(|c| { let z: f64 = StandardNormal.sample(&mut rng); c + spread * z }));
            ids.push(i as u32 * 3 + 5);
        }
    }
    (points, ids)
}

fn estimates(c: &Capacity) -> [(&'static str, Estimate); 7] {
    [
        ("capacity", c.capacity),
        ("dimension", c.dimension),
        ("radius", c.radius),
        ("utility", c.utility),
        ("centre alignment", c.centre_alignment),
        ("axes alignment", c.axes_alignment),
        ("centre-axes alignment", c.centre_axes_alignment),
    ]
}

#[test]
fn capacity_equals_utility_times_one_plus_inverse_square_radius_over_dimension() {
    let (points, ids) = clouds(6, 10, 30, 0.8, 1);
    let c = measure(&points, 30, &ids, &Options { draws: 50, seed: 3, ..Default::default() }).unwrap();
    let identity = c.utility.value * (1.0 + c.radius.value.powi(-2)) / c.dimension.value;
    assert!((identity - c.capacity.value).abs() < 1e-12 * c.capacity.value, "{identity} vs {}", c.capacity.value);
}

#[test]
fn each_draw_is_solved_exactly() {
    // At the optimum |v - t|^2 = lambda^T G lambda equals the projection of t on the anchors' span.
    let (points, ids) = clouds(5, 12, 8, 1.5, 2); // 60 points in R^8: a rank-deficient Gram matrix
    let c = measure(&points, 8, &ids, &Options { draws: 40, seed: 4, keep_draws: true, ..Default::default() }).unwrap();
    for draw in &c.detail {
        assert!((draw.a - draw.objective).abs() <= 1e-9 * draw.objective.max(1e-300), "a {} vs lambda^T G lambda {}", draw.a, draw.objective);
        assert!(draw.multipliers.iter().all(|&l| l >= 0.0));
    }
}

#[test]
fn orthonormal_points_give_cover_capacity_two() {
    let (p, draws) = (40, 1000);
    let (points, ids) = orthonormal_points(p);
    for dichotomy in [Dichotomy::Random, Dichotomy::OneVersusRest] {
        let c = measure(&points, p, &ids, &Options { dichotomy, ..options(draws, 5) }).unwrap();
        let sd = monte_carlo_sd(p, draws);
        assert!((c.capacity.value / 2.0 - 1.0).abs() < 3.0 * sd, "{dichotomy:?}: alpha {} (sd {sd})", c.capacity.value);
        // The jackknife error is the Monte-Carlo one (sqrt(5) / sqrt(P draws) relative, for points).
        let relative_se = c.capacity.standard_error / c.capacity.value;
        assert!((relative_se / sd - 1.0).abs() < 0.2, "relative se {relative_se} vs theory {sd}");
        // Zero anchors: D = R = Psi = 1 (to alpha's Monte-Carlo tolerance: their jackknife errors hold the
        // centres fixed, so they miss the centres' own draw-to-draw noise).
        for (name, e) in [("dimension", c.dimension), ("radius", c.radius), ("utility", c.utility)] {
            assert!((e.value - 1.0).abs() < 3.0 * sd, "{name} {} ± {}", e.value, e.standard_error);
        }
    }
}

#[test]
fn orthonormal_segments_follow_the_arctan_law() {
    let (p, draws) = (30, 1000);
    let law = |r: f64| 1.0 / (1.5 - std::f64::consts::FRAC_2_PI * (1.0 / r).atan());
    assert!((law(0.5) - 1.258).abs() < 5e-4 && (law(1.0) - 1.0).abs() < 1e-12 && (law(3.0) - 0.772).abs() < 5e-4);
    for radius in [0.5, 1.0, 3.0] {
        let (points, ids) = segments(p, radius);
        let c = measure(&points, 2 * p, &ids, &options(draws, 6)).unwrap();
        let expected = law(radius);
        assert!((c.capacity.value / expected - 1.0).abs() < 3.0 * monte_carlo_sd(p, draws), "R = {radius}: alpha {} vs {expected}", c.capacity.value);
    }
}

#[test]
fn scaling_and_rotating_the_data_change_no_output() {
    let (n, seed) = (12, 7);
    let (points, ids) = clouds(5, 8, n, 0.6, 3);
    let o = Options { draws: 30, seed, subsample: Some(6), ..Default::default() };
    let base = measure(&points, n, &ids, &o).unwrap();
    let scaled: Vec<f64> = points.iter().map(|v| v * 7.25).collect();
    let rotated = rotate(&points, n, &rotation(n, 9));
    for (what, data) in [("scaled", scaled), ("rotated", rotated)] {
        let other = measure(&data, n, &ids, &o).unwrap();
        for ((name, x), (_, y)) in estimates(&base).into_iter().zip(estimates(&other)) {
            for (u, v) in [(x.value, y.value), (x.standard_error, y.standard_error)] {
                assert!((u - v).abs() <= 1e-8 * u.abs().max(1e-12), "{what}: {name} {u} vs {v}");
            }
        }
    }
}

#[test]
fn results_depend_on_the_seed_only() {
    let (points, ids) = clouds(4, 6, 10, 1.0, 4);
    let o = Options { draws: 20, seed: 8, max_dimension: Some(5), ..Default::default() };
    let x = measure(&points, 10, &ids, &o).unwrap();
    let y = measure(&points, 10, &ids, &o).unwrap();
    assert_eq!(x.capacity, y.capacity);
    assert_eq!(x.dimension_used, 5);
    let z = measure(&points, 10, &ids, &Options { seed: 9, ..o }).unwrap();
    assert_ne!(x.capacity, z.capacity);
}

#[cfg(feature = "threads")]
#[test]
fn thread_count_changes_no_bit() {
    let (points, ids) = clouds(6, 10, 20, 0.7, 5);
    let o = Options { draws: 24, seed: 10, max_dimension: Some(15), ..Default::default() };
    let run = |threads| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| measure(&points, 20, &ids, &o).unwrap());
    let (one, three) = (run(1), run(3));
    for ((name, x), (_, y)) in estimates(&one).into_iter().zip(estimates(&three)) {
        assert_eq!(x.value.to_bits(), y.value.to_bits(), "{name}");
        assert_eq!(x.standard_error.to_bits(), y.standard_error.to_bits(), "{name}");
    }
}

#[test]
fn every_bad_input_gets_its_error() {
    let (points, ids) = clouds(3, 4, 5, 1.0, 6);
    let o = options(10, 1);
    assert_eq!(measure(&points, 0, &ids, &o).unwrap_err(), CapacityError::Dimension);
    assert_eq!(measure(&points[..59], 5, &ids, &o).unwrap_err(), CapacityError::Shape { values: 59, dimension: 5 });
    assert_eq!(measure(&points, 5, &ids[..11], &o).unwrap_err(), CapacityError::Ids { ids: 11, points: 12 });
    let mut nan = points.clone();
    nan[17] = f64::NAN;
    assert_eq!(measure(&nan, 5, &ids, &o).unwrap_err(), CapacityError::NotFinite { index: 17 });
    assert_eq!(measure(&points, 5, &[4; 12], &o).unwrap_err(), CapacityError::TooFewManifolds { found: 1 });
    assert_eq!(measure(&points, 5, &ids, &options(1, 1)).unwrap_err(), CapacityError::Draws { draws: 1 });
    assert_eq!(measure(&points, 5, &ids, &Options { subsample: Some(0), ..o.clone() }).unwrap_err(), CapacityError::Subsample);
    assert_eq!(measure(&points, 5, &ids, &Options { max_dimension: Some(0), ..o.clone() }).unwrap_err(), CapacityError::MaxDimension);
    let many: Vec<u32> = (0..9000).map(|i| i % 3).collect();
    assert_eq!(measure(&vec![0.0; 9000], 1, &many, &o).unwrap_err(), CapacityError::TooManyPoints { points: 9000 });
    assert!(measure(&vec![0.5; 9000], 1, &many, &Options { subsample: Some(5), ..o.clone() }).is_ok());
    for e in [CapacityError::Ids { ids: 11, points: 12 }, CapacityError::TooFewManifolds { found: 1 }] {
        assert!(!e.to_string().contains('\n'));
    }
}

//! Local-linear k-NN regression: exact on affine targets, O(r^2) error on smooth ones (squared error down
//! 16x when the neighbourhood radius halves), degenerate neighbourhoods, errors, chunking.

use percolab_neighbors::{KnnRegressor, Local, NeighborsError, Tangent, Weighting};
use percolab_random::{stream, ChaCha8Rng, Purpose, RngExt};

fn rng(index: u64) -> ChaCha8Rng {
    stream(20261127, Purpose::Split, index)
}

/// An orthonormal `m`-frame in R^d and an offset: a flat m-manifold embedded in R^d.
struct Flat {
    d: usize,
    frame: Vec<Vec<f64>>,
    offset: Vec<f64>,
}

impl Flat {
    fn new(r: &mut ChaCha8Rng, m: usize, d: usize) -> Self {
        let mut frame: Vec<Vec<f64>> = Vec::new();
        while frame.len() < m {
            let mut v: Vec<f64> = (0..d).map(|_| r.random_range(-1.0..1.0)).collect();
            for e in &frame {
                let p: f64 = v.iter().zip(e).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(e).for_each(|(a, b)| *a -= p * b);
            }
            let n = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            if n > 0.1 {
                frame.push(v.into_iter().map(|a| a / n).collect());
            }
        }
        let offset = (0..d).map(|_| r.random_range(-1.0..1.0)).collect();
        Flat { d, frame, offset }
    }

    /// The ambient point at intrinsic coordinates `t`, rounded to f32.
    fn embed(&self, t: &[f64]) -> Vec<f32> {
        (0..self.d).map(|j| (self.offset[j] + t.iter().zip(&self.frame).map(|(t, e)| t * e[j]).sum::<f64>()) as f32).collect()
    }
}

fn uniform(r: &mut ChaCha8Rng, n: usize, m: usize, lo: f64, hi: f64) -> Vec<Vec<f64>> {
    (0..n).map(|_| (0..m).map(|_| r.random_range(lo..hi)).collect()).collect()
}

fn flatten(rows: impl IntoIterator<Item = Vec<f32>>) -> Vec<f32> {
    rows.into_iter().flatten().collect()
}

#[test]
fn affine_targets_are_reproduced_on_flat_manifolds() {
    // (m, d): the k x k Gram route (k < d) and the d x d scatter route (k >= d) both run.
    for (case, (m, d)) in [(2, 5), (3, 4), (1, 6)].into_iter().enumerate() {
        let mut r = rng(case as u64);
        let flat = Flat::new(&mut r, m, d);
        let grad: Vec<f64> = (0..d).map(|_| r.random_range(-2.0..2.0)).collect();
        let affine = |x: &[f32]| 0.7 + x.iter().zip(&grad).map(|(&x, g)| x as f64 * g).sum::<f64>();
        // A jittered grid: no two points nearly coincide, so the fit's leverage (which multiplies the f32
        // rounding of targets and coordinates) stays bounded even at k = m + 1.
        let side: usize = [0, 300, 17, 7][m];
        let cells: Vec<Vec<f64>> = (0..side.pow(m as u32))
            .map(|c| (0..m).map(|j| ((c / side.pow(j as u32)) % side) as f64 + r.random_range(-0.25..0.25)).map(|t| t / (side - 1) as f64).collect())
            .collect();
        let points = flatten(cells.iter().map(|t| flat.embed(t)));
        let targets: Vec<f32> = points.chunks_exact(d).map(|x| affine(x) as f32).collect();
        let queries = flatten(uniform(&mut r, 100, m, 0.05, 0.95).iter().map(|t| flat.embed(t)));
        let model = KnnRegressor::new(&points, d, &targets).unwrap();
        for k in [m + 1, m + 2, 2 * m + 2, d + 3, 40] {
            for weighting in [Weighting::Uniform, Weighting::InverseDistance] {
                let mut tangents = vec![Tangent::Fixed(m)];
                if k >= m + 2 {
                    tangents.push(Tangent::Cutoff(1e-3)); // needs k - 2 >= m
                }
                for tangent in tangents {
                    let got = model.predict_local(&queries, k, weighting, Local::Linear(tangent)).unwrap();
                    for (q, p) in queries.chunks_exact(d).zip(&got) {
                        let want = affine(q);
                        // f32 targets (relative 6e-8) and f32 coordinates, amplified a little by the fit.
                        assert!((p - want).abs() < 2e-6 * (1.0 + want.abs()), "m = {m}, d = {d}, k = {k}, {weighting:?}, {tangent:?}: {p} vs {want}");
                    }
                }
            }
        }
    }
}

/// Sum of squared errors of `local` on a grid of queries, each the centre of its own k neighbours drawn
/// uniformly in a disk of radius `h` (the same configuration at every `h`), for a smooth target.
fn disk_error(h: f64, local: Local) -> f64 {
    let (m, d, k, side) = (2, 5, 12, 10);
    let mut r = rng(40);
    let flat = Flat::new(&mut r, m, d);
    let a: Vec<f64> = (0..d).map(|_| r.random_range(-1.5..1.5)).collect();
    let b: Vec<f64> = (0..d).map(|_| r.random_range(-1.5..1.5)).collect();
    let smooth = |x: &[f32]| {
        let (s, t) = x.iter().zip(a.iter().zip(&b)).fold((0.0, 0.0), |(s, t), (&x, (a, b))| (s + a * x as f64, t + b * x as f64));
        s.sin() + 0.5 * (t + 0.3).cos()
    };
    let (mut points, mut queries) = (Vec::new(), Vec::new());
    for i in 0..side * side {
        let centre = [(i % side) as f64, (i / side) as f64];
        queries.extend(flat.embed(&centre));
        for _ in 0..k {
            let (rho, phi) = (r.random_range(0.0f64..1.0).sqrt(), r.random_range(0.0..std::f64::consts::TAU));
            points.extend(flat.embed(&[centre[0] + h * rho * phi.cos(), centre[1] + h * rho * phi.sin()]));
        }
    }
    let targets: Vec<f32> = points.chunks_exact(d).map(|x| smooth(x) as f32).collect();
    let model = KnnRegressor::new(&points, d, &targets).unwrap();
    let got = model.predict_local(&queries, k, Weighting::Uniform, local).unwrap();
    queries.chunks_exact(d).zip(&got).map(|(q, p)| (p - smooth(q)).powi(2)).sum()
}

#[test]
fn halving_the_radius_cuts_the_squared_error_16x_on_a_plane_in_r5() {
    // Local-linear error is the quadratic Taylor term, O(h^2): squared, 16x per halving (cubic terms shift
    // the ratio by O(h)). Measured 15.97 and 15.99. The local mean keeps the linear term: O(h), 4x.
    for tangent in [Tangent::Fixed(2), Tangent::Cutoff(1e-3)] {
        let e: Vec<f64> = [0.08, 0.04, 0.02].iter().map(|&h| disk_error(h, Local::Linear(tangent))).collect();
        for w in e.windows(2) {
            let ratio = w[0] / w[1];
            assert!((15.0..17.0).contains(&ratio), "{tangent:?}: ratio {ratio} ({e:?})");
        }
    }
    let e: Vec<f64> = [0.08, 0.04].iter().map(|&h| disk_error(h, Local::Constant)).collect();
    assert!((3.5..4.5).contains(&(e[0] / e[1])), "constant: {e:?}");
}

#[test]
fn degenerate_neighbourhoods_fall_back_to_their_span() {
    let d = 5;
    let mut r = rng(60);
    // Eight copies of one point (targets 1..8) and scattered others: the 5 nearest are all copies, their
    // scatter is zero, and the fit is their mean (tangent dimension 0).
    let p: Vec<f32> = (0..d).map(|_| r.random_range(-1.0f32..1.0)).collect();
    let mut points: Vec<f32> = (0..8).flat_map(|_| p.clone()).collect();
    points.extend((0..40 * d).map(|_| r.random_range(5.0f32..9.0)));
    let mut targets: Vec<f32> = (1..=8).map(|t| t as f32).collect();
    targets.extend((0..40).map(|_| r.random_range(-3.0f32..3.0)));
    let model = KnnRegressor::new(&points, d, &targets).unwrap();
    let query: Vec<f32> = p.iter().map(|x| x + 0.01).collect();
    for tangent in [Tangent::Fixed(2), Tangent::Cutoff(1e-3)] {
        for weighting in [Weighting::Uniform, Weighting::InverseDistance] {
            let got = model.predict_local(&query, 5, weighting, Local::Linear(tangent)).unwrap();
            // Ties go to the lower indices 0..5: targets 1..5 (equal weights; their mean to rounding).
            assert!((got[0] - 3.0).abs() < 1e-12, "{tangent:?}, {weighting:?}: {got:?}");
        }
    }
    // A query on the copies with inverse-distance weights: the mean of the exact matches, as for k-NN.
    let got = model.predict_local(&p, 10, Weighting::InverseDistance, Local::Linear(Tangent::Fixed(2))).unwrap();
    assert_eq!(got, [4.5]);

    // Collinear neighbours with tangent dimension 3 asked for: the fit uses the one direction they span,
    // and an affine target along it is still exact.
    let flat = Flat::new(&mut r, 1, d);
    let line = flatten((0..50).map(|i| flat.embed(&[i as f64 / 50.0])));
    let affine = |x: &[f32]| 2.0 - x.iter().enumerate().map(|(j, &x)| (j as f64 - 1.5) * x as f64).sum::<f64>();
    let targets: Vec<f32> = line.chunks_exact(d).map(|x| affine(x) as f32).collect();
    let model = KnnRegressor::new(&line, d, &targets).unwrap();
    let q = flat.embed(&[0.505]);
    let got = model.predict_local(&q, 6, Weighting::Uniform, Local::Linear(Tangent::Fixed(3))).unwrap();
    assert!((got[0] - affine(&q)).abs() < 1e-5, "{got:?} vs {}", affine(&q));
}

#[test]
fn bad_arguments_give_clear_errors() {
    use NeighborsError::*;
    let d = 3;
    let points: Vec<f32> = (0..10 * d).map(|i| (i * 7 % 11) as f32).collect();
    let model = KnnRegressor::new(&points, d, &[1.0; 10]).unwrap();
    let q = [0.5f32; 3];
    let linear = |k, t| model.predict_local(&q, k, Weighting::Uniform, Local::Linear(t));
    assert_eq!(linear(11, Tangent::Fixed(2)).unwrap_err(), KTooLarge { k: 11, n: 10 });
    assert_eq!(linear(0, Tangent::Cutoff(0.01)).unwrap_err(), KIsZero);
    assert_eq!(linear(3, Tangent::Fixed(0)).unwrap_err(), TangentDimensionZero);
    assert_eq!(linear(3, Tangent::Fixed(3)).unwrap_err(), KTooSmallForTangent { k: 3, m: 3 });
    assert!(linear(4, Tangent::Fixed(3)).is_ok());
    for c in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(matches!(linear(5, Tangent::Cutoff(c)).unwrap_err(), TangentCutoff { .. }), "{c}");
    }
    let msg = KTooSmallForTangent { k: 3, m: 3 }.to_string();
    assert!(msg.contains("k = 3") && msg.contains("at least 4"), "{msg}");
}

#[test]
fn constant_is_plain_knn_and_chunks_do_not_matter() {
    let d = 6;
    let mut r = rng(80);
    let flat = Flat::new(&mut r, 3, d);
    let points = flatten(uniform(&mut r, 2000, 3, 0.0, 1.0).iter().map(|t| flat.embed(t)));
    let targets: Vec<f32> = points.chunks_exact(d).map(|x| (3.0 * x[0] as f64).sin() as f32 + x[1] * x[2]).collect();
    let queries = flatten(uniform(&mut r, 1500, 3, 0.0, 1.0).iter().map(|t| flat.embed(t)));
    let model = KnnRegressor::new(&points, d, &targets).unwrap();
    for w in [Weighting::Uniform, Weighting::InverseDistance] {
        assert_eq!(model.predict_local(&queries, 7, w, Local::Constant).unwrap(), model.predict_with(&queries, 7, w).unwrap());
    }
    // 1500 queries span several work chunks (concurrent with the `threads` feature); one query per call
    // is one chunk. Bit-identical either way.
    let local = Local::Linear(Tangent::Cutoff(1e-3));
    let all = model.predict_local(&queries, 10, Weighting::Uniform, local).unwrap();
    for (i, q) in queries.chunks_exact(d).enumerate().step_by(7) {
        assert_eq!(model.predict_local(q, 10, Weighting::Uniform, local).unwrap()[0].to_bits(), all[i].to_bits(), "query {i}");
    }
}

use percolab_random::{stream, Purpose};

use super::*;
use crate::closed_form::expected_loss_panels;

fn shape(n: usize, m: usize, p: f64) -> Shape {
    Shape::new(n, m, p).unwrap()
}

#[test]
fn bad_shapes_are_refused_with_their_reason() {
    for (n, m, p, needle) in [
        (100, 8, 0.1, "n must be a power of two"),
        (1, 1, 0.1, "n must be a power of two"),
        (64, 12, 0.1, "m must be a power of two"),
        (64, 0, 0.1, "m must be a power of two"),
        (64, 128, 0.1, "m must be at most n = 64"),
        (64, 16, 0.0, "p must be in (0, 1]"),
        (64, 16, 1.5, "p must be in (0, 1]"),
        (64, 16, f64::NAN, "p must be in (0, 1]"),
    ] {
        let e = Shape::new(n, m, p).unwrap_err().to_string();
        assert!(e.contains(needle), "{n} {m} {p}: {e}");
    }
    assert!(Shape::new(64, 64, 1.0).is_ok());
}

#[test]
fn features_have_mean_p_over_2_and_second_moment_p_over_3() {
    let p = 0.05;
    let count = 1_000_000;
    let mut x = vec![0.0; count];
    sample_features(&mut stream(3, Purpose::Superposition, 9), p, &mut x);
    let mean = x.iter().sum::<f64>() / count as f64;
    let second = x.iter().map(|v| v * v).sum::<f64>() / count as f64;
    let on = x.iter().filter(|&&v| v != 0.0).count() as f64 / count as f64;
    assert!(x.iter().all(|&v| (0.0..1.0).contains(&v)));
    // Standard errors from the theory: Var x = p/3 - p^2/4, Var x^2 = p/5 - p^2/9; 5 sd.
    let n = count as f64;
    assert!((mean - p / 2.0).abs() < 5.0 * ((p / 3.0 - p * p / 4.0) / n).sqrt(), "mean {mean}");
    assert!((second - p / 3.0).abs() < 5.0 * ((p / 5.0 - p * p / 9.0) / n).sqrt(), "second moment {second}");
    assert!((on - p).abs() < 5.0 * (p * (1.0 - p) / n).sqrt(), "fraction on {on}");
}

/// `H_{2k} = [[H_k, H_k], [H_k, -H_k]]`, built by the recursion rather than the popcount formula.
fn sylvester(n: usize) -> Vec<f64> {
    let mut h = vec![1.0];
    let mut k = 1;
    while k < n {
        let mut next = vec![0.0; 4 * k * k];
        for i in 0..k {
            for j in 0..k {
                let v = h[i * k + j];
                next[i * 2 * k + j] = v;
                next[i * 2 * k + j + k] = v;
                next[(i + k) * 2 * k + j] = v;
                next[(i + k) * 2 * k + j + k] = -v;
            }
        }
        h = next;
        k *= 2;
    }
    h
}

#[test]
fn hadamard_w_has_unit_diagonal_and_squares_to_n_over_m_times_itself() {
    let (n, m) = (64, 16);
    let had = Hadamard::new(shape(n, m, 0.1), 5);
    assert_eq!(had.rows.len(), m);
    assert!(!had.rows.contains(&0), "the all-ones row is left out when m < n");
    let h = sylvester(n);
    let w_in = had.w_in();
    for (k, &r) in had.rows.iter().enumerate() {
        assert_eq!(&w_in[k * n..(k + 1) * n], &h[r * n..(r + 1) * n]);
    }
    // W from W_in directly, against the operator's block and its FWHT application.
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            w[i * n + j] = (0..m).map(|k| w_in[k * n + i] * w_in[k * n + j]).sum::<f64>() / m as f64;
        }
    }
    assert_eq!(had.w_block(n), w);
    for i in 0..n {
        assert_eq!(w[i * n + i], 1.0);
        assert!(w[i * n..(i + 1) * n].iter().sum::<f64>().abs() < 1e-12, "row sums vanish");
        for j in 0..n {
            let square: f64 = (0..n).map(|k| w[i * n + k] * w[k * n + j]).sum();
            assert!((square - n as f64 / m as f64 * w[i * n + j]).abs() < 1e-12);
        }
    }
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let mut wx = vec![0.0; n];
    had.apply(&x, &mut wx);
    for i in 0..n {
        let direct: f64 = (0..n).map(|j| w[i * n + j] * x[j]).sum();
        assert!((wx[i] - direct).abs() < 1e-12);
    }
    // The profile of W by transform equals the sum over kept rows.
    let g: Vec<f64> = (0..n).map(|d| had.rows.iter().map(|&k| hadamard::entry(k, d)).sum::<f64>() / m as f64).collect();
    assert_eq!(&had.w_block(n)[..n], &g[..]);
    // m = n keeps every row: W = I.
    let full = Hadamard::new(shape(8, 8, 0.1), 5);
    assert_eq!(full.w_block(8), (0..64).map(|k| if k % 9 == 0 { 1.0 } else { 0.0 }).collect::<Vec<_>>());
}

#[test]
fn crosstalk_has_mean_minus_p_over_2_and_the_predicted_variance() {
    let s = shape(256, 64, 0.1);
    let had = Hadamard::new(s, 1);
    let rows = 4000;
    let mut rng = stream(1, Purpose::Superposition, 7);
    let (mut x, mut u) = (vec![0.0; s.n], vec![0.0; s.n]);
    let (mut sum, mut squares, mut fourth, mut count) = (0.0, 0.0, 0.0, 0.0);
    // One feature per row (the row's first), so the terms are independent.
    for row in 0..rows {
        sample_features(&mut rng, s.p, &mut x);
        had.apply(&x, &mut u);
        let i = row % s.n;
        let t = u[i] - x[i];
        sum += t;
        squares += t * t;
        fourth += t * t * t * t;
        count += 1.0;
    }
    let mean = sum / count;
    let variance = squares / count - mean * mean;
    let expected = s.crosstalk_variance();
    // Standard errors: sqrt(var / N) for the mean, sqrt((E t^4 - var^2) / N) for the variance; 5 sd.
    assert!((mean - s.crosstalk_mean()).abs() < 5.0 * (expected / count).sqrt(), "mean {mean}");
    let se = ((fourth / count - variance * variance) / count).sqrt();
    assert!((variance - expected).abs() < 5.0 * se, "variance {variance} vs {expected} (se {se})");
    assert!((expected - 3.0 * (0.1 / 3.0 - 0.0025)).abs() < 1e-15);
}

#[test]
fn closed_form_matches_the_notes_table() {
    // science.md §7, rows r, columns p (values printed to 3-4 significant digits).
    let table: [(f64, [f64; 4]); 4] = [
        (0.1, [9.96e-4, 0.01222, 0.02635, 0.08388]),
        (0.3, [2.32e-4, 0.004561, 0.01371, 0.0625]),
        (0.5, [9.38e-5, 0.001903, 0.006376, 0.04028]),
        (0.8, [2.21e-5, 4.40e-4, 0.001521, 0.01274]),
    ];
    let ps = [0.01, 0.05, 0.1, 0.4];
    for (r, row) in table {
        for (&p, &expected) in ps.iter().zip(&row) {
            let found = closed_form::closed_form_ratio(r, p);
            // Half a unit in the last printed digit, relative.
            let digits = if expected < 1e-3 || expected == 0.0625 { 3 } else { 4 };
            let unit = 10f64.powi(expected.log10().floor() as i32 - digits + 1);
            assert!((found.loss - expected).abs() <= 0.5 * unit, "r {r} p {p}: {} vs {expected}", found.loss);
        }
    }
}

#[test]
fn closed_form_at_the_papers_point_and_quadrature_converged() {
    let s = shape(512, 128, 0.045);
    let found = closed_form::closed_form(s);
    assert!((found.loss - 0.004856).abs() < 0.5e-6, "{found:?}");
    assert!((found.a - 1.289).abs() < 0.5e-3 && (found.c + 0.3458).abs() < 0.5e-4, "{found:?}");
    assert!((found.mean - (found.c + 0.0225)).abs() < 1e-15);
    for (a, c, sigma, p) in [(found.a, found.c, found.sigma, 0.045), (1.5, -0.2, 0.02, 0.01), (1.1, -0.1, 0.2, 0.4), (1.2, -0.3, 0.9, 0.3), (1.3, -0.4, 0.3, 0.05)] {
        let coarse = expected_loss(a, c, sigma, p);
        let fine = expected_loss_panels(a, c, sigma, p, 256);
        assert!((coarse - fine).abs() < 1e-9 * fine, "{coarse} vs {fine}");
    }
    // No cross-talk (m = n): the identity is perfect.
    assert!(closed_form::closed_form(shape(64, 64, 0.3)).loss < 1e-12);
}

#[test]
fn simulated_hadamard_model_reaches_the_papers_loss_and_mean() {
    let s = shape(512, 128, 0.045);
    let fit = simulate(s, 8192, 11);
    // Known answer (science.md §7): about 0.0050 with mean -0.323, within 5% and 0.01.
    assert!((fit.loss - 0.0050).abs() < 0.05 * 0.0050, "{fit:?}");
    assert!((fit.mean + 0.323).abs() < 0.01, "{fit:?}");
    // Held-out and fitted losses agree (two scalars on 4M features do not overfit).
    assert!((fit.loss - fit.fit_loss).abs() < 0.02 * fit.loss, "{fit:?}");
}

#[test]
fn trained_beats_hadamard_beats_linear_beats_zero() {
    let s = shape(32, 8, 0.05);
    // A small model and a larger rate than the reference's 3e-3/sqrt(n), so it trains in under a
    // second; at 1000 steps it is about 23% below the Hadamard model (0.0052 vs 0.0068).
    let mut options = TrainOptions::for_shape(s, 2);
    options.steps = 1000;
    options.batch = 512;
    options.learning_rate = 3e-3;
    let trained = train(s, options).unwrap();
    let hadamard = simulate(s, 8192, 2);
    assert!(trained.loss < hadamard.loss, "trained {} vs hadamard {}", trained.loss, hadamard.loss);
    assert!(hadamard.loss < s.linear_loss());
    assert!(s.linear_loss() < s.zero_output_loss());
    assert!(s.reference_linear_loss() < s.zero_output_loss());
}


#[test]
fn training_refuses_models_too_large_to_hold() {
    let e = Trainer::new(shape(65536, 512, 0.1), TrainOptions::for_shape(shape(65536, 512, 0.1), 0)).err().unwrap().to_string();
    assert!(e.contains("n * m must be at most 16777216"), "{e}");
}

#[test]
fn training_gradient_matches_finite_differences() {
    let s = shape(16, 4, 0.3);
    let model = train::Model::new(s, 4);
    let x = train::features(s, 64, 4, streams::TRAIN);
    let mut grad = vec![0.0f32; model.params.len()];
    model.loss(&x, Some(&mut grad));
    // f32 central differences: compare along a few coordinates of each block where the gradient is
    // not tiny; a ReLU kink inside the step would show up as a mismatch, so the step is small.
    let h = 1e-3f32;
    let mut checked = 0;
    for k in (0..model.params.len()).step_by(7) {
        if grad[k].abs() < 1e-4 {
            continue;
        }
        let mut plus = train::Model { params: model.params.clone(), ..model };
        plus.params[k] += h;
        let mut minus = train::Model { params: model.params.clone(), ..model };
        minus.params[k] -= h;
        let numeric = (plus.loss(&x, None) - minus.loss(&x, None)) / (2.0 * h as f64);
        assert!((numeric - grad[k] as f64).abs() < 2e-2 * grad[k].abs() as f64 + 1e-6, "param {k}: {numeric} vs {}", grad[k]);
        checked += 1;
    }
    assert!(checked > 10, "only {checked} coordinates checked");
}

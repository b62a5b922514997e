use percolab_random::{stream, Purpose, RngExt};

use super::*;
use crate::real::gemm_scalar;

fn uniform(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut rng = stream(seed, Purpose::Split, 99);
    (0..n).map(|_| lo + (hi - lo) * rng.random::<f64>()).collect()
}

fn to32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn recipe(steps: usize) -> Recipe {
    Recipe {
        optimizer: Optimizer::adam(),
        learning_rate: 1e-3,
        schedule: Schedule::Constant,
        anneal: 1.0,
        batch_size: 32,
        steps,
        eval_every: 100,
        patience: None,
        standardize: false,
    }
}

#[test]
fn blocked_gemm_is_the_plain_definition_bit_for_bit() {
    for &(m, n, k) in &[(1, 1, 1), (4, 8, 3), (7, 13, 5), (33, 17, 64), (5, 3, 0), (12, 40, 9)] {
        for &(ars, acs) in &[(k, 1), (1, m)] {
            let a = to32(&uniform(1, m * k + 1, -1.0, 1.0));
            let b = to32(&uniform(2, k * n + 1, -1.0, 1.0));
            let c0 = to32(&uniform(3, m * n, -1.0, 1.0));
            let mut fast = c0.clone();
            <f32 as Real>::gemm(m, n, k, &a, ars, acs, &b, n, &mut fast, n);
            let mut scalar = c0.clone();
            gemm_scalar(m, n, k, &a, ars, acs, &b, n, &mut scalar, n);
            let plain: Vec<f32> = (0..m * n)
                .map(|e| {
                    let (i, j) = (e / n, e % n);
                    (0..k).fold(c0[e], |acc, p| acc + a[i * ars + p * acs] * b[p * n + j])
                })
                .collect();
            assert_eq!(fast.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), plain.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "m={m} n={n} k={k}");
            assert_eq!(scalar, plain);
        }
    }
}

/// Analytic gradient of a float64 network against central finite differences.
fn gradient_check(activation: Activation) -> f64 {
    let arch = Architecture::new(vec![3, 6, 5, 1], activation).unwrap();
    let params: Vec<f64> = arch.initial_parameters(7, 0).iter().map(|&v| v as f64).collect();
    let rows = 40; // two chunks
    let x = uniform(11, rows * 3, -1.0, 1.0);
    let y = uniform(12, rows, -1.0, 1.0);
    finite_difference_error(&arch, &params, &x, &y, 1e-6).unwrap()
}

#[test]
fn float64_gradients_match_finite_differences() {
    // Central differences at h = 1e-6 in f64: truncation ~h^2 and rounding ~1e-16/h, both far below 1e-6.
    for activation in [Activation::Tanh, Activation::Gelu, Activation::Relu] {
        let error = gradient_check(activation);
        assert!(error < 1e-6, "{activation:?}: relative gradient error {error:e}");
    }
}

#[test]
fn a_student_initialised_to_its_teacher_has_zero_loss_and_gradient() {
    let arch = Architecture::new(vec![5, 16, 16, 1], Activation::Relu).unwrap();
    let teacher = arch.initial_parameters(3, 1);
    let x = to32(&uniform(4, 100 * 5, -2.0, 2.0));
    let y = Network::new(arch.clone(), teacher.clone()).unwrap().predict(&x).unwrap();
    let mut student = Network::new(arch, teacher).unwrap();
    let loss = student.gradient(&x, &y).unwrap();
    assert_eq!(loss, 0.0);
    assert!(student.gradient.iter().all(|&g| g == 0.0));
}

#[test]
fn adam_first_step_moves_each_parameter_by_the_learning_rate() {
    // Step 1: m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps).
    let mut state = OptimizerState::new(Optimizer::adam(), 3);
    let mut p = vec![1.0f32, -1.0, 0.5];
    state.update(&mut p, &[0.5, -2.0, 1e-3], 0.01);
    let expected = [1.0 - 0.01, -1.0 + 0.01, 0.5 - 0.01 * 1e-3 / (1e-3 + 1e-8)];
    for (a, b) in p.iter().zip(expected) {
        assert!((*a as f64 - b).abs() < 1e-7, "{a} vs {b}");
    }
}

#[test]
fn schedules_start_at_the_rate_and_end_at_the_annealed_rate() {
    for s in [Schedule::Cosine, Schedule::Step] {
        assert_eq!(s.rate(0.1, 0.01, 0, 1000), 0.1);
        assert!((s.rate(0.1, 0.01, 999, 1000) - 0.001).abs() < 1e-12);
    }
    assert!((Schedule::Step.rate(0.1, 0.01, 500, 1000) - 0.01).abs() < 1e-12);
    assert_eq!(Schedule::Constant.rate(0.1, 0.01, 999, 1000), 0.1);
}

fn square_data(seed: u64, n: usize) -> (Vec<f32>, Vec<f32>) {
    let x = to32(&uniform(seed, n, -0.5, 0.5));
    let y = x.iter().map(|&v| v * v).collect();
    (x, y)
}

#[test]
fn learns_x_squared_to_the_known_loss() {
    // Sharma & Kaplan's toy: [1, 32, 32, 1], Adam lr 1e-3, batch 32, 1e4 steps (here over 2e5 points,
    // nearly fresh data): they report about 4e-7 with their initialisation (weights N(0, 1/fan_in),
    // biases N(0, 1/4)); with PyTorch's default one we measure 6.6e-6. The target's variance is 5.6e-3.
    let (x, y) = square_data(1, 200_000);
    let (tx, ty) = square_data(2, 4000);
    let arch = Architecture::new(vec![1, 32, 32, 1], Activation::Relu).unwrap();
    let mut fit = Fit::new(arch, recipe(10_000), 1, 0, None, Split { x: &x, y: &y }, None, Some(Split { x: &tx, y: &ty })).unwrap();
    fit.run().unwrap();
    let loss = fit.mse(Split { x: &tx, y: &ty }).unwrap();
    assert!(loss < 1e-5, "test loss {loss:e}");
    let history = fit.history();
    assert_eq!(history.first().unwrap().step, 0);
    assert_eq!(history.last().unwrap().step, 10_000);
    assert!(history.last().unwrap().test.unwrap() < history[0].test.unwrap() / 100.0);
}

#[test]
fn the_same_seed_gives_the_same_bits_and_another_seed_does_not() {
    let (x, y) = square_data(3, 500);
    let arch = Architecture::new(vec![1, 8, 1], Activation::Tanh).unwrap();
    let train = |seed| {
        let mut fit = Fit::new(arch.clone(), recipe(300), seed, 0, None, Split { x: &x, y: &y }, None, None).unwrap();
        fit.run().unwrap();
        fit.exported_parameters()
    };
    assert_eq!(train(5), train(5));
    assert_ne!(train(5), train(6));
}

#[test]
fn exported_weights_fold_the_standardization_into_the_first_and_last_layers() {
    let n = 400;
    let x: Vec<f32> = uniform(8, n * 2, 0.0, 1.0).chunks(2).flat_map(|r| [(100.0 + 20.0 * r[0]) as f32, (-3.0 + 0.01 * r[1]) as f32]).collect();
    let y: Vec<f32> = x.chunks(2).map(|r| 50.0 + 3.0 * (r[0] - 100.0) + 1000.0 * (r[1] + 3.0)).collect();
    let mut r = recipe(200);
    r.standardize = true;
    let arch = Architecture::new(vec![2, 8, 8, 1], Activation::Gelu).unwrap();
    let mut fit = Fit::new(arch.clone(), r, 1, 0, None, Split { x: &x, y: &y }, None, None).unwrap();
    fit.run().unwrap();
    let mut plain = Network::new(arch, fit.exported_parameters()).unwrap();
    let ours = fit.predict(&x).unwrap();
    let exported = plain.predict(&x).unwrap();
    let spread = 60.0; // y spans about 60 + 10 units
    for (a, b) in ours.iter().zip(&exported) {
        assert!((a - b).abs() < 1e-4 * spread, "{a} vs {b}");
    }
}

#[test]
fn early_stopping_keeps_the_weights_with_the_best_validation_loss() {
    // A wide network on 20 noisy points overfits: the validation loss turns up and training stops.
    let x = to32(&uniform(20, 20, -1.0, 1.0));
    let noise = uniform(21, 20, -0.5, 0.5);
    let y: Vec<f32> = x.iter().zip(&noise).map(|(&v, &e)| v + e as f32).collect();
    let vx = to32(&uniform(22, 500, -1.0, 1.0));
    let vy = vx.clone();
    let mut r = recipe(20_000);
    r.learning_rate = 1e-2;
    r.eval_every = 50;
    r.patience = Some(1000);
    let arch = Architecture::new(vec![1, 64, 64, 1], Activation::Relu).unwrap();
    let mut fit = Fit::new(arch, r, 1, 0, None, Split { x: &x, y: &y }, Some(Split { x: &vx, y: &vy }), None).unwrap();
    fit.run().unwrap();
    assert!(fit.step() < 20_000, "no early stop");
    let (best_step, best_loss) = fit.best().unwrap();
    assert!(fit.step() - best_step >= 1000);
    let min = fit.history().iter().filter_map(|h| h.validation).fold(f64::INFINITY, f64::min);
    assert_eq!(best_loss, min);
    let now = fit.mse(Split { x: &vx, y: &vy }).unwrap();
    assert!((now - best_loss).abs() <= 1e-6 * best_loss, "restored weights give {now}, best {best_loss}");
}

#[test]
fn bad_inputs_name_the_problem() {
    let arch = Architecture::new(vec![2, 4, 1], Activation::Relu).unwrap();
    let x = [0.0f32, 1.0, 2.0];
    let msg = |r: Result<Fit, StudentError>| r.err().expect("an error").to_string();
    assert!(msg(Fit::new(arch.clone(), recipe(10), 1, 0, None, Split { x: &x, y: &[1.0] }, None, None)).contains("not whole rows of 2"));
    let x = [0.0f32, f32::NAN];
    assert!(msg(Fit::new(arch.clone(), recipe(10), 1, 0, None, Split { x: &x, y: &[1.0] }, None, None)).contains("NaN"));
    let x = [0.0f32, 1.0];
    assert!(msg(Fit::new(arch.clone(), recipe(10), 1, 0, None, Split { x: &x, y: &[1.0, 2.0] }, None, None)).contains("1 rows but 2 targets"));
    let mut r = recipe(10);
    r.learning_rate = -1.0;
    assert!(msg(Fit::new(arch, r, 1, 0, None, Split { x: &x, y: &[1.0] }, None, None)).contains("learning rate"));
    assert!(Architecture::new(vec![2, 0, 1], Activation::Relu).unwrap_err().to_string().contains("layer size 1 is 0"));
}

#[cfg(feature = "threads")]
#[test]
fn results_do_not_depend_on_the_thread_count() {
    let n = 3000;
    let x = to32(&uniform(30, n * 4, -1.0, 1.0));
    let y: Vec<f32> = x.chunks(4).map(|r| (r[0] * r[1] + r[2].sin() - r[3]) as f32).collect();
    // 200 rows x 19 201 parameters: above PARALLEL_WORK, so the chunks really run on the pool.
    let arch = Architecture::new(vec![4, 128, 128, 1], Activation::Gelu).unwrap();
    assert!(200 * arch.parameter_count() >= crate::network::PARALLEL_WORK);
    let train = |threads| {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
            let mut r = recipe(60);
            r.batch_size = 200; // 7 chunks
            let mut fit = Fit::new(arch.clone(), r, 1, 0, None, Split { x: &x, y: &y }, None, None).unwrap();
            fit.run().unwrap();
            (fit.exported_parameters(), fit.predict(&x).unwrap())
        })
    };
    let one = train(1);
    assert_eq!(one, train(2));
    assert_eq!(one, train(3));
}

#[test]
fn each_activation_s_slope_matches_its_separate_definition() {
    for a in [Activation::Relu, Activation::Tanh, Activation::Gelu] {
        for i in -40..=40 {
            let z = i as f64 / 8.0;
            let (v, s) = a.apply_with_slope(z);
            assert_eq!(v, a.apply(z));
            assert_eq!(s, a.slope(z));
        }
    }
}

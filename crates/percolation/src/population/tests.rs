use super::*;

/// Upper 0.1% point of chi-square with `df` degrees of freedom (Wilson–Hilferty).
fn chi2_critical_001(df: f64) -> f64 {
    let z = 3.090232;
    let a = 2.0 / (9.0 * df);
    df * (1.0 - a + z * a.sqrt()).powi(3)
}

fn chi2(counts: &[u64], probs: &[f64]) -> f64 {
    let n: u64 = counts.iter().sum();
    counts.iter().zip(probs).map(|(&c, &p)| (c as f64 - n as f64 * p).powi(2) / (n as f64 * p)).sum()
}

#[test]
fn power_sum_matches_brute_force() {
    for tau in [1.1, 2.5, 4.0] {
        for a in [1u64, 5, 31, 32, 33, 100, 4096] {
            for b in [a, a + 1, a + 40, 100_000] {
                let exact: f64 = (a..=b).rev().map(|k| (k as f64).powf(-tau)).sum();
                let got = power_sum(a, b, tau);
                assert!((got - exact).abs() <= 1e-12 * exact, "tau={tau} [{a},{b}]: {got} vs {exact}");
            }
        }
    }
}

#[test]
fn small_range_draws_follow_the_exact_pmf() {
    // Whole range inside the lookup table: chi-square against the normalised pmf, 29 df.
    let law = SizeLaw::new(1, 30, 2.5).unwrap();
    let mut rng = stream(1, Purpose::Population, 0);
    let mut counts = [0u64; 30];
    for _ in 0..200_000 {
        counts[law.sample(&mut rng) as usize - 1] += 1;
    }
    let probs: Vec<f64> = (1..=30).map(|s| law.pmf(s)).collect();
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let x = chi2(&counts, &probs);
    assert!(x < chi2_critical_001(29.0), "chi2 {x}");
}

#[test]
fn draws_beyond_the_table_follow_the_exact_tail() {
    // min 100: the table covers [100, 4195]; P(S >= 4196) ~ (41.96)^-1.5 ~ 0.4%, drawn by bisection.
    let law = SizeLaw::new(100, 1_000_000_000, 2.5).unwrap();
    let edges = [100u64, 200, 1000, 4196, 10_000, 100_000];
    let probs: Vec<f64> = edges.windows(2).map(|w| law.tail(w[0]) - law.tail(w[1])).collect();
    let probs: Vec<f64> = probs.iter().copied().chain([law.tail(100_000)]).collect();
    let mut counts = vec![0u64; probs.len()];
    let mut rng = stream(2, Purpose::Population, 0);
    for _ in 0..400_000 {
        let s = law.sample(&mut rng);
        assert!((100..=1_000_000_000).contains(&s));
        counts[edges.partition_point(|&e| e <= s) - 1] += 1;
    }
    eprintln!("bins {edges:?}: counts {counts:?}, expected {:?}", probs.iter().map(|p| p * 4e5).collect::<Vec<_>>());
    let x = chi2(&counts, &probs);
    assert!(x < chi2_critical_001((probs.len() - 1) as f64), "chi2 {x}");
}

#[test]
fn maximum_likelihood_exponent_of_the_population_is_five_halves() {
    // Discrete power-law MLE on [10, 1e6] (Clauset, Shalizi & Newman 2009, with the finite upper bound):
    // maximise -tau * sum ln s - n ln Z(tau), Z by brute force (independent of `power_sum`).
    let (min, max, n) = (10u64, 1_000_000u64, 100_000u64);
    let pop = Population::new(
        7,
        Lattice::new(32).unwrap(),
        PopulationOptions { clusters: n, min_size: min, max_size: max, exponent: 2.5 },
    )
    .unwrap();
    let sum_ln: f64 = pop.sizes().map(|s| (s as f64).ln()).sum();
    let ln_k: Vec<f64> = (min..=max).map(|k| (k as f64).ln()).collect();
    let z = |tau: f64| ln_k.iter().rev().map(|&l| (-tau * l).exp()).sum::<f64>();
    let loglik = |tau: f64| -tau * sum_ln - n as f64 * z(tau).ln();
    let (mut a, mut b) = (1.5f64, 3.5f64);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    while b - a > 1e-5 {
        let (c, d) = (b - g * (b - a), a + g * (b - a));
        if loglik(c) > loglik(d) {
            b = d;
        } else {
            a = c;
        }
    }
    let tau = (a + b) / 2.0;
    // Standard error 1 / sqrt(n Var(ln S)) from the Fisher information of the fitted law.
    let w: Vec<f64> = ln_k.iter().map(|&l| (-tau * l).exp()).collect();
    let zw: f64 = w.iter().sum();
    let mean: f64 = w.iter().zip(&ln_k).map(|(w, l)| w * l).sum::<f64>() / zw;
    let var: f64 = w.iter().zip(&ln_k).map(|(w, l)| w * (l - mean).powi(2)).sum::<f64>() / zw;
    let se = 1.0 / (n as f64 * var).sqrt();
    eprintln!("MLE tau = {tau:.4} (se {se:.4}) on {n} clusters in [{min}, {max}]");
    assert!((tau - 2.5).abs() < 0.05, "tau {tau}");
    assert!((tau - 2.5).abs() < 4.0 * se, "tau {tau} is {} se from 2.5", (tau - 2.5).abs() / se);
}

#[test]
fn each_cluster_has_its_size_and_regenerates_from_its_id() {
    let lattice = Lattice::new(16).unwrap();
    let pop = Population::new(3, lattice, PopulationOptions { clusters: 50, ..Default::default() }).unwrap();
    let again = Population::new(3, lattice, PopulationOptions { clusters: 50, ..Default::default() }).unwrap();
    for id in [0u64, 17, 49] {
        let tree = pop.cluster(id);
        assert_eq!(tree.len() as u64, pop.size(id));
        assert_eq!(tree, again.cluster(id));
        assert_eq!(tree, sample_exact(&mut stream(3, Purpose::Cluster, id), lattice, tree.len()));
    }
    let sizes: Vec<u64> = pop.sizes().collect();
    assert!(sizes.iter().all(|s| (10..=100_000).contains(s)));
    assert_eq!(pop.total_sites(), sizes.iter().sum::<u64>());
}

#[test]
fn rejects_impossible_options() {
    let lattice = Lattice::new(8).unwrap();
    let with = |f: fn(&mut PopulationOptions)| {
        let mut o = PopulationOptions::default();
        f(&mut o);
        Population::new(0, lattice, o).err()
    };
    assert_eq!(with(|o| o.clusters = 0), Some(PopulationError::Clusters(0)));
    assert_eq!(with(|o| o.clusters = 1 << 32), Some(PopulationError::Clusters(1 << 32)));
    assert_eq!(with(|o| o.min_size = 0), Some(PopulationError::MinSize(0)));
    assert_eq!(with(|o| o.max_size = 1 << 32), Some(PopulationError::MaxSize(1 << 32)));
    assert_eq!(with(|o| o.min_size = 200_000), Some(PopulationError::Bounds { min_size: 200_000, max_size: 100_000 }));
    assert_eq!(with(|o| o.exponent = 1.0), Some(PopulationError::Exponent(1.0)));
    assert!(matches!(with(|o| o.exponent = f64::NAN), Some(PopulationError::Exponent(t)) if t.is_nan()));
    assert_eq!(with(|o| o.min_size = 5), None);
    // A single admissible size is a valid (degenerate) law.
    let law = SizeLaw::new(7, 7, 2.5).unwrap();
    assert_eq!(law.sample(&mut stream(0, Purpose::Population, 0)), 7);
    assert_eq!(law.pmf(7), 1.0);
}

//! Statistical tests of the samplers against exact laws (fixed seeds; tolerances are multiples of the
//! sampling standard deviation implied by the law itself).
use super::exact::conditioned_offspring_with_chunk;
use super::*;
use percolab_random::{stream, Purpose};

fn ln_choose(n: f64, k: f64) -> f64 {
    libm::lgamma(n + 1.0) - libm::lgamma(k + 1.0) - libm::lgamma(n - k + 1.0)
}

fn binomial_pmf(n: u64, p: f64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    (ln_choose(n as f64, k as f64) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp()
}

/// Upper 0.1% point of chi-square with `df` degrees of freedom (Wilson–Hilferty).
fn chi2_critical_001(df: f64) -> f64 {
    let z = 3.090232;
    let a = 2.0 / (9.0 * df);
    df * (1.0 - a + z * a.sqrt()).powi(3)
}

/// All breadth-first offspring sequences of trees with `n` sites and at most `m` children per site.
fn lukasiewicz_sequences(n: usize, m: u32) -> Vec<Vec<u32>> {
    fn extend(prefix: &mut Vec<u32>, open: i64, n: usize, m: u32, out: &mut Vec<Vec<u32>>) {
        if prefix.len() == n {
            if open == 0 {
                out.push(prefix.clone());
            }
            return;
        }
        if open <= 0 {
            return;
        }
        for c in 0..=m {
            prefix.push(c);
            extend(prefix, open - 1 + c as i64, n, m, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    extend(&mut Vec::new(), 1, n, m, &mut out);
    out
}

fn exact_law_chi2(n: usize, z: u32, chunk: u64, seed: u64) {
    let lattice = Lattice::new(z).unwrap();
    let m = lattice.branches();
    let trees = lukasiewicz_sequences(n, m);
    // P(tree) is proportional to prod C(m, xi): the p^(n-1) (1-p)^(nm-n+1) factor is common.
    let weights: Vec<f64> = trees
        .iter()
        .map(|t| t.iter().map(|&c| ln_choose(m as f64, c as f64).exp()).product())
        .collect();
    let total: f64 = weights.iter().sum();
    let mut counts = vec![0u64; trees.len()];
    let draws = 200_000u64;
    let mut rng = stream(seed, Purpose::Cluster, 0);
    for _ in 0..draws {
        let mut xi = conditioned_offspring_with_chunk(&mut rng, n, m, chunk);
        let start = cycle_lemma_rotation(&xi);
        xi.rotate_left(start);
        let pos = trees.iter().position(|t| *t == xi).expect("sampled sequence is a valid tree");
        counts[pos] += 1;
    }
    let chi2: f64 = counts
        .iter()
        .zip(&weights)
        .map(|(&c, &w)| {
            let e = draws as f64 * w / total;
            (c as f64 - e).powi(2) / e
        })
        .sum();
    let df = (trees.len() - 1) as f64;
    assert!(chi2 < chi2_critical_001(df), "n={n} z={z} chunk={chunk}: chi2 {chi2:.1} over {df} df");
}

#[test]
fn exact_sampler_draws_each_small_tree_with_its_conditioned_probability() {
    // z = 3: 42 plane trees with 6 sites and at most 2 children; z = 5: up to 4 children.
    exact_law_chi2(6, 3, 1 << 16, 11);
    exact_law_chi2(5, 5, 1 << 16, 12);
    // A chunk of 3 slots forces the hypergeometric splitting path.
    exact_law_chi2(6, 3, 3, 13);
    exact_law_chi2(5, 5, 4, 14);
}

#[test]
fn every_sampled_tree_is_valid_with_n_sites() {
    for (z, n, method) in [(2, 50, Method::Exact), (3, 1, Method::Exact), (16, 100_000, Method::Exact),
        (129, 20_000, Method::Exact), (3, 3_000, Method::GrowCut), (16, 50_000, Method::GrowCut)] {
        for seed in 0..3 {
            let mut rng = stream(seed, Purpose::Cluster, 0);
            let tree = sample(&mut rng, Lattice::new(z).unwrap(), n as u64, method).unwrap();
            let parents = tree.clone().into_parents();
            let checked = Tree::from_parents(parents).expect("valid breadth-first tree");
            assert_eq!(checked.len(), n);
            let edges = checked.parents().iter().filter(|&&p| p != ROOT).count();
            assert_eq!(edges, n - 1);
            assert_eq!(checked.offspring().iter().map(|&c| c as usize).sum::<usize>(), n - 1);
        }
    }
}

#[test]
fn same_seed_same_tree() {
    let lattice = Lattice::new(10).unwrap();
    for method in [Method::Exact, Method::GrowCut] {
        let a = sample(&mut stream(5, Purpose::Cluster, 2), lattice, 10_000, method).unwrap();
        let b = sample(&mut stream(5, Purpose::Cluster, 2), lattice, 10_000, method).unwrap();
        let c = sample(&mut stream(6, Purpose::Cluster, 2), lattice, 10_000, method).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

#[test]
fn offspring_of_a_large_conditioned_tree_follow_the_critical_binomial() {
    let n = 1_000_000usize;
    for z in [4u32, 16] {
        let lattice = Lattice::new(z).unwrap();
        let tree = sample_exact(&mut stream(21, Purpose::Cluster, 0), lattice, n);
        let xi = tree.offspring();
        let mean = xi.iter().map(|&c| c as f64).sum::<f64>() / n as f64;
        assert!((mean - (n as f64 - 1.0) / n as f64).abs() < 1e-12);
        let var = xi.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        let (m, p) = (lattice.branches() as f64, lattice.critical_probability());
        let q = 1.0 - p;
        let sigma2 = m * p * q;
        let mu4 = m * p * q * (1.0 + 3.0 * (m - 2.0) * p * q);
        let sd = ((mu4 - sigma2 * sigma2) / n as f64).sqrt();
        assert!((sigma2 - lattice.offspring_variance()).abs() < 1e-12);
        assert!((var - sigma2).abs() < 5.0 * sd, "z={z}: variance {var} vs {sigma2} (sd {sd})");
        // Frequencies of each count against Bin(m, p): chi-square over counts with expectation >= 20.
        let mut freq = vec![0u64; lattice.branches() as usize + 1];
        for &c in &xi {
            freq[c as usize] += 1;
        }
        let (mut chi2, mut df, mut tail_obs, mut tail_exp) = (0.0, -1.0, 0.0, 0.0);
        for (k, &f) in freq.iter().enumerate() {
            let e = n as f64 * binomial_pmf(lattice.branches() as u64, p, k as u64);
            if e >= 20.0 {
                chi2 += (f as f64 - e).powi(2) / e;
                df += 1.0;
            } else {
                tail_obs += f as f64;
                tail_exp += e;
            }
        }
        if tail_exp > 0.0 {
            chi2 += (tail_obs - tail_exp).powi(2) / tail_exp;
            df += 1.0;
        }
        assert!(chi2 < chi2_critical_001(df), "z={z}: chi2 {chi2:.1} over {df} df");
    }
}

#[test]
fn grown_cluster_sizes_follow_otter_dwass_and_the_size_biased_tail() {
    // Total progeny of a critical GW tree: P(S = s) = P(Bin(s m, p) = s - 1) / s exactly (Otter–Dwass),
    // so P(S >= s) ~ sqrt(2 / (pi sigma^2)) s^(-1/2).
    let lattice = Lattice::new(8).unwrap();
    let (m, p) = (lattice.branches() as u64, lattice.critical_probability());
    let cap = 10_000usize;
    let trees = 100_000usize;
    let mut rng = stream(31, Purpose::Cluster, 0);
    let sizes: Vec<usize> = (0..trees).map(|_| grow(&mut rng, lattice, cap).tree.len()).collect();
    let mut exact_tail = vec![1.0f64; cap + 1];
    for s in 1..cap {
        exact_tail[s + 1] = exact_tail[s] - binomial_pmf(s as u64 * m, p, s as u64 - 1) / s as f64;
    }
    let constant = (2.0 / (std::f64::consts::PI * lattice.offspring_variance())).sqrt();
    assert!((exact_tail[cap] * (cap as f64).sqrt() / constant - 1.0).abs() < 0.02);
    for s in [2usize, 3, 5, 10, 30, 100, 300, 1000, 3000, 10_000] {
        let observed = sizes.iter().filter(|&&x| x >= s).count() as f64 / trees as f64;
        let pe = exact_tail[s];
        let sd = (pe * (1.0 - pe) / trees as f64).sqrt();
        assert!((observed - pe).abs() < 5.0 * sd, "P(S>={s}) = {observed} vs exact {pe} (sd {sd})");
    }
    let tail = |s: usize| sizes.iter().filter(|&&x| x >= s).count() as f64;
    let slope = (tail(10_000) / tail(100)).ln() / 100f64.ln();
    assert!((slope + 0.5).abs() < 0.05, "log-log slope of P(S>=s) between 1e2 and 1e4: {slope}");
}

#[test]
fn cycle_lemma_picks_the_only_valid_rotation() {
    // Walk of [0, 2, 0, 2, 0]: -1, 0, -1, 0, -1; first minimum at k = 1, so reading starts at index 1.
    let xi = [0u32, 2, 0, 2, 0];
    let start = cycle_lemma_rotation(&xi);
    assert_eq!(start, 1);
    let mut rotated = xi.to_vec();
    rotated.rotate_left(start);
    let mut open = 1i64;
    for (i, &c) in rotated.iter().enumerate() {
        open += c as i64 - 1;
        assert!(open > 0 || i == rotated.len() - 1, "rotation {start} closes early");
    }
    assert_eq!(open, 0);
    for other in (0..xi.len()).filter(|&r| r != start) {
        let mut r = xi.to_vec();
        r.rotate_left(other);
        let mut open = 1i64;
        let closes_early = r.iter().enumerate().any(|(i, &c)| {
            open += c as i64 - 1;
            open == 0 && i < r.len() - 1
        });
        assert!(closes_early, "rotation {other} should not be valid");
    }
}

//! Property tests (proptest, fixed seed and budget; part of the fuzz suite of issue 12): both samplers
//! return a tree of exactly `n` sites for random `n` and coordination, the compact offspring sequence
//! reads as a valid tree either way, and invalid arguments are errors, never panics.

use percolab_percolation::population::{PopulationError, PopulationOptions, SizeLaw};
use percolab_percolation::{exact_offspring, sample, Lattice, Method, SampleError, Tree, MAX_SITES, ROOT};
use percolab_random::{stream, Purpose};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// A fixed seed, no failure files, `cases` cases: the same inputs on every run.
fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, rng_seed: RngSeed::Fixed(42), failure_persistence: None, ..Config::default() })
}

fn run<S: Strategy>(name: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    if let Err(e) = runner(cases).run(&strategy, test) {
        panic!("{name}: {e}");
    }
    eprintln!("properties: {name}: {cases} cases");
}

/// Small, medium and large coordination numbers. The config allows z up to 10^6, but there the exact
/// sampler costs tens of microseconds per site and more (z = 10^6: 10^4 sites in 2.2 s, 10^5 in 5.8 s),
/// so the budget stops at 4096 (data.dimension's largest default, 2 x 2048, and beyond).
fn coordination() -> impl Strategy<Value = u32> {
    prop_oneof![2u32..=4, 5u32..=64, 65u32..=4096]
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![1usize..=3, 4usize..=300, 301usize..=5_000]
}

/// One root (site 0), every other parent strictly before its child.
fn check_rooted(parents: &[u32], n: usize) -> Result<(), TestCaseError> {
    prop_assert_eq!(parents.len(), n);
    prop_assert_eq!(parents[0], ROOT);
    for (site, &p) in parents.iter().enumerate().skip(1) {
        prop_assert!(p != ROOT && (p as usize) < site, "site {} has parent {}", site, p);
    }
    Ok(())
}

#[test]
fn samplers_return_trees_of_exactly_n_sites() {
    let methods = prop_oneof![Just(Method::Exact), Just(Method::GrowCut)];
    run("sampled trees", 300, (any::<u64>(), coordination(), size(), methods), |(seed, z, n, method)| {
        let tree = sample(&mut stream(seed, Purpose::Split, 0), Lattice::new(z).unwrap(), n as u64, method).unwrap();
        check_rooted(tree.parents(), n)?;
        // Breadth-first order as well (what Tree promises).
        prop_assert!(Tree::from_parents(tree.clone().into_parents()).is_ok());
        let children: u32 = tree.offspring().iter().sum();
        prop_assert_eq!(children as usize, n - 1);
        prop_assert!(tree.offspring().iter().all(|&c| c < z), "a site has more than z - 1 children");
        Ok(())
    });
}

#[test]
fn offspring_sequences_read_as_trees_both_ways() {
    run("offspring sequences", 200, (any::<u64>(), coordination(), size()), |(seed, z, n)| {
        let lattice = Lattice::new(z).unwrap();
        let offspring = exact_offspring(&mut stream(seed, Purpose::Split, 1), lattice, n);
        prop_assert_eq!(offspring.len(), n);
        check_rooted(&offspring.depth_first_parents(), n)?;
        let breadth = offspring.breadth_first_tree();
        check_rooted(breadth.parents(), n)?;
        // The same random numbers as the exact sampler.
        let exact = sample(&mut stream(seed, Purpose::Split, 1), lattice, n as u64, Method::Exact).unwrap();
        prop_assert_eq!(exact, breadth);
        Ok(())
    });
}

#[test]
fn invalid_arguments_are_errors() {
    let methods = prop_oneof![Just(Method::Exact), Just(Method::GrowCut)];
    run("invalid sampler arguments", 200, (any::<u64>(), 0u32..2, 1u64..1000, methods, MAX_SITES + 1..=u64::MAX), |(seed, bad_z, n, method, huge)| {
        prop_assert_eq!(Lattice::new(bad_z), Err(SampleError::Coordination(bad_z)));
        // The field is public, so a lattice can bypass `Lattice::new`: the sampler must still refuse it.
        let lattice = Lattice { coordination: bad_z };
        prop_assert_eq!(sample(&mut stream(seed, Purpose::Split, 2), lattice, n, method), Err(SampleError::Coordination(bad_z)));
        let good = Lattice::new(3).unwrap();
        prop_assert_eq!(sample(&mut stream(seed, Purpose::Split, 2), good, 0, method), Err(SampleError::Size(0)));
        prop_assert_eq!(sample(&mut stream(seed, Purpose::Split, 2), good, huge, method), Err(SampleError::Size(huge)));
        Ok(())
    });
}

#[test]
fn size_laws_are_valid_or_refused() {
    let bound = prop_oneof![0u64..=3, 4u64..=10_000, Just(MAX_SITES), MAX_SITES - 5..=MAX_SITES + 5, any::<u64>()];
    let tau = prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(1.0),
        1.0f64..1.001,
        1.001f64..5.0,
        5.0f64..100.0,
        any::<f64>(),
    ];
    run("size laws", 500, (any::<u64>(), bound.clone(), bound, tau), |(seed, min, max, tau)| {
        let options = PopulationOptions { clusters: 10, min_size: min, max_size: max, exponent: tau };
        match SizeLaw::new(options.min_size, options.max_size, options.exponent) {
            Err(PopulationError::Underflow { .. }) => prop_assert!((min as f64).powf(-tau) < f64::MIN_POSITIVE),
            Err(_) => prop_assert!(min < 1 || max > MAX_SITES || min > max || !(tau.is_finite() && tau > 1.0)),
            Ok(law) => {
                let z = law.normalisation();
                prop_assert!(z.is_finite() && z > 0.0, "normalisation {} for [{}, {}], tau {}", z, min, max, tau);
                let mut rng = stream(seed, Purpose::Population, 0);
                for _ in 0..20 {
                    let s = law.sample(&mut rng);
                    prop_assert!((min..=max).contains(&s), "drew {} outside [{}, {}] (tau {})", s, min, max, tau);
                }
            }
        }
        Ok(())
    });
}

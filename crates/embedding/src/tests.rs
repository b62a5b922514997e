use super::*;
use percolab_percolation::{sample, Lattice, Method};
use percolab_random::{stream, Purpose};

fn cluster(seed: u64, n: u64, d: usize) -> (Vec<u32>, Vec<f32>) {
    let lattice = Lattice::new(2 * d as u32).unwrap();
    let tree = sample(&mut stream(seed, Purpose::Cluster, 0), lattice, n, Method::Exact).unwrap();
    let parents = tree.into_parents();
    let x = embed_naive(&mut stream(seed, Purpose::Embedding, 0), &parents, d).unwrap();
    (parents, x)
}

#[test]
fn steps_have_unit_mean_square_and_root_sits_at_origin() {
    let (d, n) = (16usize, 200_000u64);
    let (parents, x) = cluster(3, n, d);
    assert!(x[..d].iter().all(|&v| v == 0.0));
    let mut sum = 0.0f64;
    for site in 1..parents.len() {
        let p = parents[site] as usize;
        sum += (0..d).map(|j| (x[site * d + j] as f64 - x[p * d + j] as f64).powi(2)).sum::<f64>();
    }
    let mean = sum / (n - 1) as f64;
    // |r|^2 = chi2_d / d has variance 2/d; the mean over n-1 steps has sd sqrt(2 / (d (n-1))).
    let sd = (2.0 / (d as f64 * (n - 1) as f64)).sqrt();
    assert!((mean - 1.0).abs() < 5.0 * sd, "mean squared step {mean} (sd {sd})");
}

#[test]
fn same_seed_same_points() {
    assert_eq!(cluster(9, 5_000, 8).1, cluster(9, 5_000, 8).1);
    assert_ne!(cluster(9, 5_000, 8).1, cluster(10, 5_000, 8).1);
}

#[test]
fn rejects_bad_trees_and_dimension() {
    let mut rng = stream(0, Purpose::Embedding, 0);
    assert_eq!(embed_naive(&mut rng, &[ROOT, 0], 0), Err(EmbedError::Dimension));
    assert_eq!(embed_naive(&mut rng, &[0], 3), Err(EmbedError::NotBreadthFirst { site: 0 }));
    assert_eq!(embed_naive(&mut rng, &[ROOT, 1], 3), Err(EmbedError::NotBreadthFirst { site: 1 }));
}

#[test]
fn correlation_integral_slope_approaches_four_inside_the_scaling_window() {
    // Mass ~ R^4 on the embedded critical tree (mass ~ l^2 within chemical distance l, and the random walk
    // puts distance l at radius ~ sqrt(l)): between one step length and the
    // cluster's radius of gyration the local slope of ln C(r) against ln r rises towards 4.
    let (d, n) = (32usize, 400_000u64);
    let (_, x) = cluster(17, n, d);
    let centres = 400usize;
    let stride = n as usize / centres;
    let radii: Vec<f64> = (0..9).map(|i| 2.0 * 1.5f64.powi(i)).collect(); // 2 .. ~51
    let mut counts = vec![0u64; radii.len()];
    for c in 0..centres {
        let ci = c * stride;
        let centre = &x[ci * d..][..d];
        for point in x.chunks_exact(d) {
            let r2: f64 = point.iter().zip(centre).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum();
            for (k, &r) in radii.iter().enumerate() {
                if r2 < r * r {
                    counts[k] += 1;
                }
            }
        }
    }
    let slopes: Vec<f64> = (1..radii.len())
        .map(|k| (counts[k] as f64 / counts[k - 1] as f64).ln() / (radii[k] / radii[k - 1]).ln())
        .collect();
    eprintln!("radii {radii:?}\nlocal slopes {slopes:?}");
    // Measured: ~3.75-3.85 from r = 3 to r = 23, then the slope collapses past R_g ~ n^(1/4) ~ 25.
    let window = &slopes[1..6];
    let mean = window.iter().sum::<f64>() / window.len() as f64;
    assert!(mean > 3.6 && mean < 4.1, "mean local slope in the window {mean}");
    assert!(slopes[slopes.len() - 1] < 1.0, "no saturation beyond the cluster radius");
}

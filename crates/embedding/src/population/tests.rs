use super::*;
use crate::collect;
use percolab_percolation::population::{PopulationError, PopulationOptions};
use percolab_percolation::{sample, Lattice, Method};

fn population(seed: u64, d: usize, clusters: u64, min_size: u64, max_size: u64) -> Population {
    let options = PopulationOptions { clusters, min_size, max_size, exponent: 2.5 };
    Population::new(seed, Lattice::new(2 * d as u32).unwrap(), options).unwrap()
}

#[test]
fn separated_clusters_keep_their_balls_apart_and_rows_carry_ids() {
    let (d, gap) = (3usize, 10.0);
    let pop = population(5, d, 300, 10, 5000);
    let sizes: Vec<u64> = pop.sizes().collect();
    let s = PopulationStream::new(pop.clone(), d, Placement::Separated { gap }).unwrap();
    let centres: Vec<Vec<f64>> = (0..300).map(|id| s.centre(id)).collect();
    let spacing = s.spacing();
    let (x, ids) = embed_population(pop.clone(), d, Placement::Separated { gap }).unwrap();
    assert_eq!(ids.len() as u64, sizes.iter().sum::<u64>());
    assert_eq!(x.len(), ids.len() * d);
    let mut start = 0;
    let mut radii = Vec::new();
    for (id, &size) in sizes.iter().enumerate() {
        let rows = &x[start * d..(start + size as usize) * d];
        assert!(ids[start..start + size as usize].iter().all(|&i| i as usize == id));
        // The root is the cluster's first row and sits on its centre (rounded once to f32).
        let centre: Vec<f32> = centres[id].iter().map(|&c| c as f32).collect();
        assert_eq!(&rows[..d], &centre[..]);
        radii.push(
            rows.chunks_exact(d)
                .map(|p| p.iter().zip(&centres[id]).map(|(&a, &c)| (a as f64 - c).powi(2)).sum::<f64>().sqrt())
                .fold(0.0, f64::max),
        );
        start += size as usize;
    }
    let widest = radii.iter().cloned().fold(0.0, f64::max);
    assert!((spacing - (2.0 * widest + gap)).abs() < 1e-3 * spacing, "spacing {spacing} vs widest {widest}");
    for i in 0..300 {
        for j in 0..i {
            let dist = centres[i].iter().zip(&centres[j]).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
            assert!(dist - radii[i] - radii[j] >= gap - 1e-3, "clusters {i} and {j} closer than the gap");
        }
    }
}

#[test]
fn each_cluster_is_sample_cluster_plus_embed_naive_translated() {
    let d = 4;
    let pop = population(2, d, 20, 5, 500);
    let s = PopulationStream::new(pop.clone(), d, Placement::Lattice { spacing: 100.0 }).unwrap();
    let (x, _) = embed_population(pop.clone(), d, Placement::Lattice { spacing: 100.0 }).unwrap();
    let mut start = 0;
    for id in 0..20u64 {
        let n = pop.size(id);
        let tree = sample(&mut stream(2, Purpose::Cluster, id), pop.lattice(), n, Method::Exact).unwrap();
        let local = embed_naive(&mut stream(2, Purpose::Embedding, id), tree.parents(), d).unwrap();
        let centre = s.centre(id);
        let expected: Vec<f32> = local.iter().enumerate().map(|(i, &v)| (centre[i % d] + v as f64) as f32).collect();
        assert_eq!(&x[start..start + expected.len()], &expected[..], "cluster {id}");
        start += expected.len();
    }
    // 20 clusters in d = 4: grid side 3 on 3 axes, centred.
    assert_eq!(s.centre(0), vec![-100.0, -100.0, -100.0, 0.0]);
    assert_eq!(s.centre(13), vec![0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn streaming_with_ids_equals_collecting_and_origin_overlaps() {
    let d = 5;
    let pop = population(8, d, 60, 3, 2000);
    let whole = embed_population(pop.clone(), d, Placement::default()).unwrap();
    for rows in [1usize, 17, 5000] {
        let mut s = PopulationStream::new(pop.clone(), d, Placement::default()).unwrap();
        let (mut x, mut ids) = (Vec::new(), Vec::new());
        while let Some((cx, cids)) = s.next_chunk_with_ids(rows) {
            assert_eq!(cx.len(), cids.len() * d);
            x.extend(cx);
            ids.extend(cids);
        }
        assert_eq!((x, ids), whole, "chunks of {rows}");
        let mut s = PopulationStream::new(pop.clone(), d, Placement::default()).unwrap();
        assert_eq!(collect(&mut s).unwrap(), whole.0);
    }
    let s = PopulationStream::new(pop.clone(), d, Placement::Origin).unwrap();
    assert!((0..60).all(|id| s.centre(id).iter().all(|&c| c == 0.0)));
}

#[test]
fn rejects_invalid_placements_and_population_errors_convert() {
    let pop = population(0, 2, 5, 1, 10);
    let new = |d, p| PopulationStream::new(pop.clone(), d, p).err();
    assert_eq!(new(0, Placement::Origin), Some(EmbedError::Dimension));
    assert_eq!(new(2, Placement::Separated { gap: -1.0 }), Some(EmbedError::Gap(-1.0)));
    assert!(matches!(new(2, Placement::Separated { gap: f64::INFINITY }), Some(EmbedError::Gap(_))));
    assert_eq!(new(2, Placement::Lattice { spacing: 0.0 }), Some(EmbedError::Spacing(0.0)));
    assert!(matches!(new(2, Placement::Lattice { spacing: f64::NAN }), Some(EmbedError::Spacing(_))));
    let e: EmbedError = PopulationError::Bounds { min_size: 5, max_size: 2 }.into();
    assert_eq!(e.to_string(), "minSize (5) must not exceed maxSize (2)");
}

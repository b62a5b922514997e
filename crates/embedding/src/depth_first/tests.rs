use super::*;
use percolab_percolation::exact_offspring;

fn lattice(z: u32) -> Lattice {
    Lattice::new(z).unwrap()
}

/// `embed_naive`'s placement of `parents` (each site its parent plus its step, in site order), with the
/// steps of this stream's normals in order.
fn placed_in_order(seed: u64, index: u64, parents: &[u32], d: usize) -> Vec<f32> {
    let mut steps = Vec::new();
    Normals::new(&stream(seed, Purpose::Embedding, index)).fill(&mut steps, (parents.len() - 1) * d, step_map(1.0 / (d as f64).sqrt()));
    let mut x = vec![0f32; parents.len() * d];
    for site in 1..parents.len() {
        for j in 0..d {
            x[site * d + j] = x[parents[site] as usize * d + j] + steps[(site - 1) * d + j];
        }
    }
    x
}

#[test]
fn equals_the_naive_placement_on_the_depth_first_parent_array() {
    // Same offspring stream, same step stream, steps drawn in preorder: bit-identical to placing the
    // depth-first reading site by site (z = 2 is a path, z = 16 and 300 bushy; 300 stores u16).
    for (z, n, d) in [(2u32, 3_000u64, 3usize), (16, 50_000, 8), (300, 20_000, 4)] {
        let stream_points = embed_depth_first(11, 4, lattice(z), n, d).unwrap();
        let parents = exact_offspring(&mut fast_stream(11, Purpose::Cluster, 4), lattice(z), n as usize).depth_first_parents();
        assert_eq!(stream_points, placed_in_order(11, 4, &parents, d), "z={z}");
    }
}

#[test]
fn chunks_concatenate_to_the_collected_points() {
    let (n, d) = (30_000u64, 6usize);
    let whole = embed_depth_first(3, 0, lattice(12), n, d).unwrap();
    assert_eq!(whole.len(), n as usize * d);
    assert!(whole[..d].iter().all(|&v| v == 0.0), "root at the origin");
    for rows in [1usize, 7, 4096, 1 << 20] {
        let mut s = DepthFirst::new(3, 0, lattice(12), n, d).unwrap();
        let mut got = Vec::new();
        while let Some(chunk) = s.next_chunk(rows) {
            assert!(chunk.len() <= rows * d);
            got.extend(chunk);
        }
        assert_eq!(s.remaining(), 0);
        assert_eq!(got, whole, "chunks of {rows}");
    }
    assert_ne!(
        embed_depth_first(4, 0, lattice(12), 100, d).unwrap(),
        embed_depth_first(3, 0, lattice(12), 100, d).unwrap()
    );
}

#[test]
fn single_site_cluster_and_errors() {
    assert_eq!(embed_depth_first(0, 0, lattice(4), 1, 2).unwrap(), vec![0.0, 0.0]);
    assert_eq!(DepthFirst::new(0, 0, lattice(4), 10, 0).err(), Some(EmbedError::Dimension));
    assert_eq!(DepthFirst::new(0, 0, lattice(4), 0, 2).err(), Some(EmbedError::ClusterSize(0)));
    assert_eq!(DepthFirst::new(0, 0, lattice(4), 1 << 32, 2).err(), Some(EmbedError::ClusterSize(1 << 32)));
    assert_eq!(DepthFirst::new(0, 1 << 48, lattice(4), 10, 2).err(), Some(EmbedError::Index(1 << 48)));
}

#[test]
fn blocks_split_among_any_number_of_parts_give_the_walk_site_by_site() {
    // Site by site (`advance`), the reference; then blocks split into parts, in chunks that cut blocks
    // anywhere. d = 1 and 3 make blocks of 2^17 and ~43690 sites, so 200k sites cross block boundaries;
    // z = 2 is a path (every part's rows hang off the previous part), z = 300 stores u16 counts.
    for (z, n, d) in [(2u32, 5_000u64, 3usize), (12, 200_000, 1), (12, 120_000, 3), (300, 30_000, 4)] {
        let mut walker = Walker::new(7, 1, lattice(z), n as usize, d);
        let mut reference = walker.here().to_vec();
        while walker.advance() {
            reference.extend_from_slice(walker.here());
        }
        for parts in [1usize, 2, 3, 7] {
            for rows in [1usize, 999, 1 << 20] {
                let mut s = DepthFirst::new(7, 1, lattice(z), n, d).unwrap();
                s.walker.parts = parts;
                let mut got = Vec::new();
                while s.fill(&mut got, rows) > 0 {}
                assert_eq!(got.len(), reference.len());
                assert!(got == reference, "z={z} d={d} parts={parts} rows={rows}");
            }
        }
    }
}

#[test]
fn the_start_prepared_in_steps_or_not_gives_the_same_points() {
    // In steps, the fraction rises to 1 (with a helper it reports the helper's progress); then the rows.
    let (z, n, d) = (12u32, 200_000u64, 4usize);
    let whole = embed_depth_first(9, 2, lattice(z), n, d).unwrap();
    for step in [1usize, 5000, 1 << 20] {
        let mut s = DepthFirst::new(9, 2, lattice(z), n, d).unwrap();
        let mut last = 0.0;
        while last < 1.0 {
            let done = s.prepare(step);
            assert!((last..=1.0).contains(&done), "step {step}: {done} after {last}");
            last = done;
        }
        let mut got = Vec::new();
        while s.fill(&mut got, 4096) > 0 {}
        assert!(got == whole, "step {step}");
    }
}

use super::*;
use crate::embed_depth_first;

fn plan(seed: u64, d: usize, branches: u64, branch_size: u64, base_size: u64, levels: u32) -> Branching {
    let options = BranchingOptions { branches, branch_size, base_size, levels };
    Branching::new(seed, Lattice::new(2 * d as u32).unwrap(), d, options).unwrap()
}

/// Chi-square critical value at the 0.1% level (Wilson–Hilferty).
fn chi2_critical_001(df: f64) -> f64 {
    let a = 2.0 / (9.0 * df);
    df * (1.0 - a + 3.090232 * a.sqrt()).powi(3)
}

#[test]
fn output_has_branches_to_the_levels_times_branch_size_points() {
    for (b, levels) in [(1u64, 1u32), (1, 3), (7, 1), (5, 2), (3, 3)] {
        let p = plan(1, 4, b, 20, 200, levels);
        let x = p.embed().unwrap();
        assert_eq!(x.len() as u64, b.pow(levels) * 20 * 4, "B={b} L={levels}");
        assert_eq!(p.len(), b.pow(levels) * 20);
        assert_eq!(p.effective_size(), (b.pow(levels) - 1) * 199 + 200);
    }
}

/// Every leaf's rows equal its cluster, regenerated alone as a `DepthFirst` stream (index = leaf), at its
/// kept sites, translated by the position of its picked site, itself computed the same way: so each
/// branch root lies on its picked site, bit for bit, and the stream follows the documented scheme.
fn check_regeneration(p: &Branching) {
    let o = p.options();
    let d = p.dimension();
    let n = o.base_size as usize;
    let x = p.embed().unwrap();
    let mut absolute: Vec<Vec<f32>> = Vec::new();
    for leaf in 0..p.leaves() {
        let local = embed_depth_first(7, leaf, Lattice::new(2 * d as u32).unwrap(), o.base_size, d).unwrap();
        let anchor: Vec<f32> = match p.source(leaf) {
            None => vec![0.0; d],
            Some(pick) => {
                // The pick lies in an earlier piece of the unit whose piece this leaf starts.
                let level = (1..=o.levels).find(|&l| leaf % o.branches.pow(l) != 0).unwrap();
                let unit_start = leaf - leaf % o.branches.pow(level);
                assert!((unit_start..leaf).contains(&pick.leaf));
                assert!(pick.site < o.base_size);
                absolute[pick.leaf as usize][pick.site as usize * d..][..d].to_vec()
            }
        };
        assert_eq!(p.anchor(leaf), anchor, "independently rebuilt anchor of leaf {leaf}");
        let abs: Vec<f32> = local.iter().enumerate().map(|(i, v)| anchor[i % d] + v).collect();
        assert_eq!(&abs[..d], &anchor[..], "leaf {leaf}: root on its picked site");
        let kept = p.kept_sites(leaf);
        assert_eq!(kept.len() as u64, o.branch_size);
        assert!(leaf == 0 || kept[0] > 0, "a branch root is its picked site and is not output twice");
        let rows = &x[leaf as usize * o.branch_size as usize * d..][..o.branch_size as usize * d];
        for (row, &site) in rows.chunks_exact(d).zip(&kept) {
            assert_eq!(row, &abs[site as usize * d..][..d], "leaf {leaf} site {site}");
        }
        assert_eq!(abs.len(), n * d);
        absolute.push(abs);
    }
}

#[test]
fn every_branch_is_its_own_cluster_translated_exactly_onto_its_picked_site() {
    check_regeneration(&plan(7, 5, 6, 40, 300, 1));
    check_regeneration(&plan(7, 3, 4, 30, 200, 2));
    check_regeneration(&plan(7, 2, 3, 10, 60, 3));
}

#[test]
fn same_seed_same_points_other_seed_other_points() {
    let a = plan(3, 8, 5, 100, 1000, 2).embed().unwrap();
    assert_eq!(a, plan(3, 8, 5, 100, 1000, 2).embed().unwrap());
    assert_ne!(a, plan(4, 8, 5, 100, 1000, 2).embed().unwrap());
}

#[test]
fn streaming_in_chunks_and_leaf_ranges_equals_collecting() {
    let p = plan(9, 6, 4, 50, 500, 2);
    let whole = p.embed().unwrap();
    for rows in [1usize, 33, 1000, 1 << 20] {
        let mut s = p.stream();
        let mut got = Vec::new();
        while let Some(chunk) = s.next_chunk(rows) {
            got.extend(chunk);
        }
        assert_eq!(got, whole, "chunks of {rows}");
    }
    // Leaf ranges (as parallel workers would take them), including ones that start mid-unit and must
    // rebuild their anchors from scratch.
    let row = 50 * 6;
    let mut joined = Vec::new();
    for range in [0..3u64, 3..9, 9..16] {
        joined.extend(collect(&mut p.stream_leaves(range).unwrap()).unwrap());
    }
    assert_eq!(joined, whole);
    let middle = collect(&mut p.stream_leaves(5..14).unwrap()).unwrap();
    assert_eq!(middle, whole[5 * row..14 * row]);
}

#[test]
fn picks_are_uniform_over_the_base_and_kept_sites_over_the_leaf() {
    // Level-2 picks: leaf offsets uniform on 0..B, sites uniform on 0..N_hat (chi-square, 0.1% level).
    let p = plan(2, 2, 40, 3, 10, 2);
    let (mut offsets, mut sites) = (vec![0u64; 40], vec![0u64; 10]);
    for unit in 0..1 {
        for pick in p.picks(2, unit) {
            // The offset within the parent piece (level-2 pieces are 40 leaves each).
            offsets[(pick.leaf % 40) as usize] += 1;
            sites[pick.site as usize] += 1;
        }
    }
    for unit in 0..40 {
        for (k, pick) in p.picks(1, unit).iter().enumerate() {
            assert!((unit * 40..unit * 40 + k as u64 + 1).contains(&pick.leaf), "a level-1 piece hangs from an earlier one");
            sites[pick.site as usize] += 1;
        }
    }
    let chi2 = |c: &[u64]| {
        let e = c.iter().sum::<u64>() as f64 / c.len() as f64;
        c.iter().map(|&k| (k as f64 - e).powi(2) / e).sum::<f64>()
    };
    assert!(chi2(&sites) < chi2_critical_001(9.0), "sites {sites:?}");
    assert!(chi2(&offsets) < chi2_critical_001(39.0), "offsets {offsets:?}");
    // Kept sites of branch leaves: each non-root site kept with probability 3/9.
    let p = plan(2, 2, 4000, 3, 10, 1);
    let mut kept = vec![0u64; 10];
    for leaf in 1..4000 {
        for site in p.kept_sites(leaf) {
            kept[site as usize] += 1;
        }
    }
    assert_eq!(kept[0], 0);
    assert!(chi2(&kept[1..]) < chi2_critical_001(8.0), "kept {kept:?}");
}

#[test]
fn rejects_invalid_options_with_typed_errors() {
    let lattice = Lattice::new(8).unwrap();
    let err = |d, b, nb, nh, l| {
        Branching::new(0, lattice, d, BranchingOptions { branches: b, branch_size: nb, base_size: nh, levels: l }).err()
    };
    assert_eq!(err(0, 2, 5, 10, 1), Some(EmbedError::Dimension));
    assert_eq!(err(3, 0, 5, 10, 1), Some(EmbedError::Branches(0)));
    assert_eq!(err(3, 2, 5, 0, 1), Some(EmbedError::BaseSize(0)));
    assert_eq!(err(3, 2, 5, 1 << 32, 1), Some(EmbedError::BaseSize(1 << 32)));
    assert_eq!(err(3, 2, 0, 10, 1), Some(EmbedError::BranchSize { branch_size: 0, base_size: 10, branches: 2 }));
    assert_eq!(err(3, 2, 11, 10, 1), Some(EmbedError::BranchSize { branch_size: 11, base_size: 10, branches: 2 }));
    assert_eq!(err(3, 2, 10, 10, 1), Some(EmbedError::BranchSize { branch_size: 10, base_size: 10, branches: 2 }));
    assert!(err(3, 1, 10, 10, 1).is_none(), "a single leaf may keep all its sites");
    assert_eq!(err(3, 2, 5, 10, 0), Some(EmbedError::Levels(0)));
    assert_eq!(err(3, 2, 5, 10, 16), Some(EmbedError::Levels(16)));
    assert_eq!(err(3, 2, 5, 10, 15), None);
    assert_eq!(
        err(3, 1 << 20, 5, 10, 3),
        Some(EmbedError::TooManyPoints { branches: 1 << 20, levels: 3, branch_size: 5 })
    );
    assert_eq!(
        err(3, 1 << 20, 1 << 14, 1 << 20, 2),
        Some(EmbedError::TooManyPoints { branches: 1 << 20, levels: 2, branch_size: 1 << 14 })
    );
    let p = plan(0, 2, 3, 5, 10, 2);
    assert_eq!(p.stream_leaves(3..3).err(), Some(EmbedError::LeafRange { start: 3, end: 3, leaves: 9 }));
    assert_eq!(p.stream_leaves(0..10).err(), Some(EmbedError::LeafRange { start: 0, end: 10, leaves: 9 }));
    // Collecting what cannot exist at once is refused (and says to stream), streaming it is fine.
    let huge = plan(0, 1024, 1 << 20, 1 << 13, 1 << 14, 2); // 2^53 points of 1024 coordinates
    assert_eq!(huge.embed().err(), Some(EmbedError::TooLarge { rows: 1 << 53, dimension: 1024 }));
    assert_eq!(huge.stream().next_chunk(3).map(|c| c.len()), Some(3 * 1024));
    // The messages name the option, its allowed range and the value given.
    assert_eq!(err(0, 2, 5, 10, 1).unwrap().to_string(), "embedding dimension must be at least 1");
    assert_eq!(
        err(3, 2, 10, 10, 1).unwrap().to_string(),
        "branchSize must be between 1 and baseSize - 1 (9) when branches > 1 (a branch's root is its picked site, so it has \
         baseSize - 1 sites of its own), got 10"
    );
    assert_eq!(err(3, 1, 11, 10, 1).unwrap().to_string(), "branchSize must be between 1 and baseSize (10), got 11");
    assert_eq!(
        err(3, 1 << 20, 5, 10, 3).unwrap().to_string(),
        "branches^levels = 1048576^3 must be at most 2^40 and branches^levels x branchSize (5) at most 2^53"
    );
}

#[test]
fn pieces_form_a_critical_tree_not_a_star() {
    // B = 3000 pieces in d = 2 (z = 4, offspring Bin(3, 1/3)): a conditioned critical tree has about
    // P(no children) = (2/3)^3 = 0.296 of its nodes childless (sd ~0.008 here) and a height of order
    // sqrt(B); a star would have B - 1 childless pieces and height 1.
    let b = 3000u64;
    let p = plan(5, 2, b, 1, 2, 1);
    let parents: Vec<u64> = p.picks(1, 0).iter().map(|pick| pick.leaf).collect();
    let mut children = vec![0u32; b as usize];
    let mut depth = vec![0u32; b as usize];
    for (k, &parent) in parents.iter().enumerate() {
        assert!(parent <= k as u64, "breadth-first: parent {parent} of piece {}", k + 1);
        children[parent as usize] += 1;
        depth[k + 1] = depth[parent as usize] + 1;
    }
    let childless = children.iter().filter(|&&c| c == 0).count() as f64 / b as f64;
    assert!((childless - 0.296).abs() < 0.04, "childless share {childless}");
    let height = *depth.iter().max().unwrap() as f64;
    assert!(height > 0.5 * (b as f64).sqrt(), "height {height}");
}

use crate::tree::ROOT;
use crate::{Lattice, Tree};
use rand::Rng;
use rand_distr::{Binomial, Distribution};

/// A tree grown breadth-first, stopped either by extinction or at a size cap.
pub struct Growth {
    pub tree: Tree,
    /// True if growth stopped because the cap was reached (the last generation may be cut).
    pub capped: bool,
}

/// Grows one critical Galton–Watson tree breadth-first until it dies out or has `cap` sites.
pub fn grow<R: Rng + ?Sized>(rng: &mut R, lattice: Lattice, cap: usize) -> Growth {
    let law = Binomial::new(lattice.branches() as u64, lattice.critical_probability())
        .expect("critical probability lies in (0, 1]");
    let mut parent = vec![ROOT];
    let mut site = 0;
    while site < parent.len() && parent.len() < cap {
        let children = law.sample(rng) as usize;
        let room = cap - parent.len();
        parent.extend(std::iter::repeat_n(site as u32, children.min(room)));
        site += 1;
    }
    let capped = parent.len() >= cap;
    Growth { tree: Tree::from_parents_unchecked(parent), capped }
}

/// Grows trees until one reaches `n` sites and cuts its breadth-first growth there.
pub fn sample_grow_cut<R: Rng + ?Sized>(rng: &mut R, lattice: Lattice, n: usize) -> Tree {
    loop {
        let growth = grow(rng, lattice, n);
        if growth.tree.len() == n {
            return growth.tree;
        }
    }
}

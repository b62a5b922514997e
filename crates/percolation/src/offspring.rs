use crate::exact::{distribute, rotation, Count, Scratch, CHUNK_SLOTS};
use crate::tree::ROOT;
use crate::{Lattice, Tree};
use rand::Rng;

mod stream;
pub use stream::{OffspringStream, RotationSearch};

/// A Łukasiewicz offspring sequence (the exact sampler's counts, already rotated by the cycle lemma),
/// stored in the narrowest unsigned type that holds `z - 1`: one byte per site for `z <= 256`.
///
/// The same sequence is a valid tree read breadth-first or depth-first (the validity condition, a walk
/// that stays `>= 0` until the last step, does not depend on the reading), and the conditioned law of a
/// tree depends only on its multiset of counts, so both readings sample the same law.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offspring {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Offspring {
    pub fn len(&self) -> usize {
        match self {
            Offspring::U8(v) => v.len(),
            Offspring::U16(v) => v.len(),
            Offspring::U32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Children of site `i` (in the reading's site order).
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self {
            Offspring::U8(v) => v[i] as u32,
            Offspring::U16(v) => v[i] as u32,
            Offspring::U32(v) => v[i],
        }
    }

    /// Bytes of storage per site (1, 2 or 4).
    pub fn bytes_per_site(&self) -> usize {
        match self {
            Offspring::U8(_) => 1,
            Offspring::U16(_) => 2,
            Offspring::U32(_) => 4,
        }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// The sequence read breadth-first: exactly what [`crate::sample_exact`] returns for the same stream.
    pub fn breadth_first_tree(&self) -> Tree {
        Tree::from_breadth_first_offspring(self.iter(), self.len())
    }

    /// Parent array of the sequence read in depth-first preorder (parents precede children, but the
    /// order is not breadth-first, so it is a plain array rather than a [`Tree`]).
    pub fn depth_first_parents(&self) -> Vec<u32> {
        let mut parents = Vec::with_capacity(self.len());
        let mut open: Vec<(u32, u32)> = Vec::new(); // (site, children still to visit)
        for (site, xi) in self.iter().enumerate() {
            parents.push(match open.last_mut() {
                None => ROOT,
                Some(top) => {
                    let p = top.0;
                    top.1 -= 1;
                    if top.1 == 0 {
                        open.pop();
                    }
                    p
                }
            });
            if xi > 0 {
                open.push((site as u32, xi));
            }
        }
        parents
    }
}

/// The offspring sequence of a critical cluster conditioned on exactly `n >= 1` sites, drawn exactly as
/// [`crate::sample_exact`] draws it (same random numbers), but stored compactly and without a parent array.
/// [`OffspringStream`] reads the same counts without storing them.
pub fn exact_offspring<R: Rng + ?Sized>(rng: &mut R, lattice: Lattice, n: usize) -> Offspring {
    fn draw<R: Rng + ?Sized, C: Count + Into<u32>>(rng: &mut R, mut out: Vec<C>, m: u32) -> Vec<C> {
        let n = out.len();
        distribute(rng, &mut out, m as u64, n as u64 - 1, CHUNK_SLOTS, &mut Scratch::default());
        let start = rotation(out.iter().map(|&c| c.into()));
        out.rotate_left(start);
        out
    }
    assert!(n >= 1, "a cluster has at least one site");
    let m = lattice.branches();
    match Offspring::zeros(lattice, n) {
        Offspring::U8(v) => Offspring::U8(draw(rng, v, m)),
        Offspring::U16(v) => Offspring::U16(draw(rng, v, m)),
        Offspring::U32(v) => Offspring::U32(draw(rng, v, m)),
    }
}

impl Offspring {
    /// `n` zero counts in the width [`exact_offspring`] uses for `lattice`.
    fn zeros(lattice: Lattice, n: usize) -> Offspring {
        let m = lattice.branches();
        if m <= u8::MAX as u32 {
            Offspring::U8(vec![0; n])
        } else if m <= u16::MAX as u32 {
            Offspring::U16(vec![0; n])
        } else {
            Offspring::U32(vec![0; n])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_exact;
    use percolab_random::{stream, Purpose};

    #[test]
    fn compact_sequence_is_the_exact_samplers_sequence() {
        // z = 2 (m = 1), 32 (u8), 1000 (u16), 70_000 (u32): same draws, same tree as `sample_exact`.
        // (The exact sampler costs O(z) per site for z in the tens of thousands: keep n small there.)
        for (z, width, big) in [(2u32, 1usize, 200_000usize), (32, 1, 200_000), (1000, 2, 200_000), (70_000, 4, 300)] {
            let lattice = Lattice::new(z).unwrap();
            for (seed, n) in [(1u64, 1usize), (2, 2), (3, 100), (4, big)] {
                let tree = sample_exact(&mut stream(seed, Purpose::Cluster, 5), lattice, n);
                let seq = exact_offspring(&mut stream(seed, Purpose::Cluster, 5), lattice, n);
                assert_eq!(seq.bytes_per_site(), width);
                assert_eq!(seq.iter().collect::<Vec<_>>(), tree.offspring(), "z={z} n={n}");
                assert_eq!(seq.breadth_first_tree(), tree);
            }
        }
    }

    #[test]
    fn depth_first_parents_read_the_sequence_in_preorder() {
        let seq = exact_offspring(&mut stream(8, Purpose::Cluster, 0), Lattice::new(8).unwrap(), 5000);
        let parents = seq.depth_first_parents();
        assert_eq!(parents[0], ROOT);
        let mut counts = vec![0u32; parents.len()];
        // Preorder: each site's parent is the deepest earlier site that still has children to place,
        // i.e. an ancestor of the previous site (or the previous site itself).
        let mut path: Vec<u32> = vec![0];
        for (site, &p) in parents.iter().enumerate().skip(1) {
            assert!((p as usize) < site);
            counts[p as usize] += 1;
            while *path.last().unwrap() != p {
                path.pop().expect("parent lies on the path to the previous site");
            }
            path.push(site as u32);
        }
        assert_eq!(counts, seq.iter().collect::<Vec<_>>());
    }
}

//! The branching embedder (the SPAR write-up's stand-in for a cluster too large to hold; docs/science.md),
//! applied recursively over `levels`.
//!
//! **Construction.** A *leaf* is an exact critical cluster of `N_hat = baseSize` sites, embedded
//! naively and read in depth-first preorder, of which `N_branch = branchSize` sites are kept. A unit of
//! level 0 is a leaf; a unit of level `l >= 1` is `B = branches` units of level `l - 1` (its *pieces*)
//! joined as a critical tree: the pieces are the nodes of an exact critical cluster of `B` nodes (the
//! same lattice and sampler as the data, breadth-first, piece 0 its root, the *base*), and piece `k >= 1`
//! is translated so its root (the root of its first leaf) sits on a site picked uniformly among the
//! `B^(l-1) * N_hat` sites its parent piece stands for (every site of its leaves, kept or not). The output is one unit of level `L =
//! levels`: `B^L` leaves, `B^L * N_branch` points, standing in for a cluster of about `B^L * N_hat` sites.
//! `levels = 1` is the note's construction. A branch root *is* its picked site, so it is never kept again:
//! leaf 0 keeps a uniform `N_branch`-subset of its `N_hat` sites, every other leaf one of its `N_hat - 1`
//! non-root sites (so no point appears twice, and `N_branch < N_hat` when `B > 1`).
//!
//! **Approximations**, each made once per level (level-`l` pieces are themselves level-`l-1` stand-ins,
//! so they compound):
//! 1. *Picked sites as leaves*: a picked site keeps its own children and gains the branch's; a true
//!    critical cluster would not have given it extra offspring (about half its sites are leaves, and for
//!    those the picture is right).
//! 2. *Equal pieces in a critical tree*: the `B` pieces all have exactly `B^(l-1) * N_hat` sites; in a
//!    real cluster of `B^l * N_hat` sites they would have random, heavy-tailed sizes. Their arrangement
//!    is right in law at the coarse scale: a critical cluster cut into pieces is a critical tree of
//!    pieces, so the mass keeps growing as `R^4` above one piece's size. (The note's construction hangs
//!    every branch from the base, a star; at B = 1000 that packs the pieces into the base's ball and the
//!    fitted exponent fell to 0.36.)
//! 3. *Subsampling*: exactly `N_branch` points per leaf (a stratified uniform subsample, the same
//!    density `N_branch / N_hat` everywhere) instead of an i.i.d. uniform subsample of the whole cluster.
//! 4. *Translation only*: a branch is moved, never rotated or rescaled. For a random-walk embedding with
//!    an isotropic, position-independent step law this is exactly how the walk would continue from the
//!    picked site; the only cost is one f32 rounding per level in `anchor + local`.
//!
//! **Streams** (all under `seed`; leaves numbered `0..B^L` in output order, a leaf index written in base `B`
//! has digit `l - 1` = which piece of its level-`l` unit it lies in, 0 = base):
//! - leaf `i`: offspring `(Cluster, i)`, steps `(Embedding, i)` (as [`crate::DepthFirst`] with index `i`),
//!   kept sites `(Embedding, 2^44 | i)` by selection sampling (Knuth's algorithm S) over its sites in
//!   preorder;
//! - the picks of the level-`l` unit number `u` (leaves `u B^l .. (u+1) B^l`): `(Embedding, 2^45 | l << 40 | u)`:
//!   first the pieces' tree (the exact sampler, `B` nodes), then for `k = 1..B`: leaf offset uniform in
//!   `0..B^(l-1)` within piece `parent(k)`, then site uniform in `0..N_hat`.
//!
//! So any leaf can be rebuilt alone: its points from its own streams, its anchor by following
//! [`Branching::source`] back to leaf 0 ([`Branching::anchor`]); [`Branching::stream_leaves`] streams any
//! range of leaves, e.g. one range per worker.

use crate::depth_first::Walker;
use crate::stream::{collect, PointStream};
use crate::EmbedError;
use percolab_percolation::{sample_exact, Lattice, MAX_SITES};
use percolab_random::{stream, ChaCha8Rng, Purpose, RngExt};
use std::collections::BTreeMap;
use std::ops::Range;

const KEEP: u64 = 1 << 44;
const PICKS: u64 = 2 << 44;
const MAX_LEVELS: u32 = 15;

/// Options of the branching embedder (names as in the TS config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BranchingOptions {
    /// `B`: pieces per level (the base and `B - 1` branches), `>= 1`.
    pub branches: u64,
    /// `N_branch`: points kept per leaf cluster.
    pub branch_size: u64,
    /// `N_hat`: sites of each leaf cluster.
    pub base_size: u64,
    /// `L`: levels of recursion, `1..=15`; `branches^levels <= 2^40`.
    pub levels: u32,
}

impl Default for BranchingOptions {
    fn default() -> Self {
        BranchingOptions { branches: 10, branch_size: 1_000, base_size: 10_000, levels: 1 }
    }
}

/// A site of the construction: site `site` (preorder) of leaf `leaf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pick {
    pub leaf: u64,
    pub site: u64,
}

/// A validated branching construction; cheap to clone, generates nothing until streamed.
#[derive(Clone, Debug)]
pub struct Branching {
    seed: u64,
    lattice: Lattice,
    dimension: usize,
    options: BranchingOptions,
    /// `B^l` for `l = 0..=L`.
    pow: Vec<u64>,
}

impl Branching {
    pub fn new(
        seed: u64,
        lattice: Lattice,
        dimension: usize,
        options: BranchingOptions,
    ) -> Result<Branching, EmbedError> {
        let BranchingOptions { branches, branch_size, base_size, levels } = options;
        if dimension == 0 {
            return Err(EmbedError::Dimension);
        }
        if branches == 0 {
            return Err(EmbedError::Branches(branches));
        }
        if base_size == 0 || base_size > MAX_SITES || usize::try_from(base_size).is_err() {
            return Err(EmbedError::BaseSize(base_size));
        }
        let most = if branches > 1 { base_size - 1 } else { base_size };
        if branch_size == 0 || branch_size > most {
            return Err(EmbedError::BranchSize { branch_size, base_size, branches });
        }
        if levels == 0 || levels > MAX_LEVELS {
            return Err(EmbedError::Levels(levels));
        }
        let pow: Option<Vec<u64>> = (0..=levels).map(|l| branches.checked_pow(l).filter(|&p| p <= 1 << 40)).collect();
        let pow = pow
            .filter(|p| p[levels as usize].checked_mul(branch_size).is_some_and(|rows| rows <= 1 << 53))
            .ok_or(EmbedError::TooManyPoints { branches, levels, branch_size })?;
        Ok(Branching { seed, lattice, dimension, options, pow })
    }

    pub fn options(&self) -> BranchingOptions {
        self.options
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// `B^L` leaf clusters.
    pub fn leaves(&self) -> u64 {
        self.pow[self.options.levels as usize]
    }

    /// `B^L * N_branch` output points.
    pub fn len(&self) -> u64 {
        self.leaves() * self.options.branch_size
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Sites the output stands for: `N_hat` plus `N_hat - 1` per further leaf.
    pub fn effective_size(&self) -> u64 {
        (self.leaves() - 1).saturating_mul(self.options.base_size - 1).saturating_add(self.options.base_size)
    }

    /// The `B - 1` picked sites of the level-`level` unit number `unit`; piece `k` hangs from `picks[k - 1]`,
    /// a site of its parent piece in the pieces' critical tree (so in an earlier piece: breadth-first).
    pub fn picks(&self, level: u32, unit: u64) -> Vec<Pick> {
        let l = level as usize;
        assert!(
            (1..=self.options.levels).contains(&level) && unit < self.leaves() / self.pow[l],
            "no unit {unit} at level {level}"
        );
        let mut rng = stream(self.seed, Purpose::Embedding, PICKS | (level as u64) << 40 | unit);
        let pieces = sample_exact(&mut rng, self.lattice, self.options.branches as usize).into_parents();
        pieces[1..]
            .iter()
            .map(|&parent| {
                let offset = rng.random_range(0..self.pow[l - 1]);
                let site = rng.random_range(0..self.options.base_size);
                Pick { leaf: unit * self.pow[l] + parent as u64 * self.pow[l - 1] + offset, site }
            })
            .collect()
    }

    /// The site leaf `leaf`'s root sits on (`None` for leaf 0, whose root is the origin).
    #[allow(clippy::manual_is_multiple_of)] // `is_multiple_of` is newer than the workspace's rust-version
    pub fn source(&self, leaf: u64) -> Option<Pick> {
        assert!(leaf < self.leaves(), "leaf {leaf} out of range");
        if leaf == 0 {
            return None;
        }
        let b = self.options.branches;
        let mut level = 1;
        while (leaf / self.pow[level - 1]) % b == 0 {
            level += 1;
        }
        let k = (leaf / self.pow[level - 1]) % b;
        Some(self.picks(level as u32, leaf / self.pow[level])[k as usize - 1])
    }

    /// Position of a site relative to its leaf's root (walks the leaf up to that site).
    pub fn local_position(&self, at: Pick) -> Vec<f32> {
        let mut walker = Walker::new(self.seed, at.leaf, self.lattice, self.options.base_size as usize, self.dimension);
        while (walker.site() as u64) < at.site {
            walker.advance();
        }
        walker.here().to_vec()
    }

    /// Translation of leaf `leaf` (where its root sits), rebuilt independently by following
    /// [`Branching::source`] back to leaf 0; equal, bit for bit, to what the stream uses.
    pub fn anchor(&self, leaf: u64) -> Vec<f32> {
        let mut chain = Vec::new();
        let mut at = leaf;
        while let Some(pick) = self.source(at) {
            chain.push(pick);
            at = pick.leaf;
        }
        let mut anchor = vec![0f32; self.dimension];
        for pick in chain.iter().rev() {
            for (a, l) in anchor.iter_mut().zip(self.local_position(*pick)) {
                *a += l;
            }
        }
        anchor
    }

    /// Preorder indices of the sites leaf `leaf` keeps, ascending (its rows in the output, in order).
    pub fn kept_sites(&self, leaf: u64) -> Vec<u64> {
        let mut keep = Keep::new(self, leaf);
        (0..self.options.base_size).filter(|&site| keep.next(site)).collect()
    }

    /// All points, leaf by leaf.
    pub fn stream(&self) -> BranchingStream {
        self.stream_leaves(0..self.leaves()).expect("the full range is valid")
    }

    /// The points of leaves `range` (rows `range.start * N_branch .. range.end * N_branch` of the output).
    pub fn stream_leaves(&self, range: Range<u64>) -> Result<BranchingStream, EmbedError> {
        if range.start >= range.end || range.end > self.leaves() {
            return Err(EmbedError::LeafRange { start: range.start, end: range.end, leaves: self.leaves() });
        }
        Ok(BranchingStream {
            plan: self.clone(),
            next: range.start,
            end: range.end,
            emitted: 0,
            total: (range.end - range.start) * self.options.branch_size,
            leaf: None,
            anchors: BTreeMap::new(),
            units: vec![None; self.options.levels as usize],
        })
    }

    /// All `B^L * N_branch` points at once: the collected [`Branching::stream`].
    pub fn embed(&self) -> Result<Vec<f32>, EmbedError> {
        collect(&mut self.stream())
    }
}

/// Selection sampling of a leaf's kept sites, one decision per site in preorder.
struct Keep {
    rng: ChaCha8Rng,
    /// First candidate site: a branch's root is its picked site, already represented in another leaf.
    first: u64,
    left: u64,
    sites: u64,
}

impl Keep {
    fn new(plan: &Branching, leaf: u64) -> Keep {
        Keep {
            rng: stream(plan.seed, Purpose::Embedding, KEEP | leaf),
            first: u64::from(leaf > 0),
            left: plan.options.branch_size,
            sites: plan.options.base_size,
        }
    }

    /// Whether `site` is kept; call for every site in order.
    fn next(&mut self, site: u64) -> bool {
        if site < self.first || self.left == 0 {
            return false;
        }
        let candidates = self.sites - site;
        let keep = self.left == candidates || self.rng.random_range(0..candidates) < self.left;
        self.left -= u64::from(keep);
        keep
    }
}

struct Leaf {
    walker: Walker,
    anchor: Vec<f32>,
    keep: Keep,
    /// Sites of this leaf other leaves hang from, as (site, leaf that hangs there), latest site first.
    captures: Vec<(u64, u64)>,
}

/// Streams a [`Branching`] leaf by leaf. Holds one leaf's offspring sequence (`N_hat` bytes for `z <= 256`),
/// its `O(height * d)` walk stack, and the anchors of at most `L * (B - 1)` leaves still to come.
pub struct BranchingStream {
    plan: Branching,
    next: u64,
    end: u64,
    emitted: u64,
    total: u64,
    leaf: Option<Leaf>,
    /// Anchors captured from picked sites, by the leaf that will use them.
    anchors: BTreeMap<u64, Vec<f32>>,
    /// The picks of the current unit at each level, as `(picked leaf, site, target leaf)` sorted by
    /// picked leaf: any piece of the unit can be a parent.
    units: Vec<Option<(u64, Vec<(u64, u64, u64)>)>>,
}

impl BranchingStream {
    fn start(&mut self, leaf: u64) -> Leaf {
        let plan = &self.plan;
        let mut captures = Vec::new();
        for level in 1..=plan.options.levels as usize {
            let (span, base) = (plan.pow[level], plan.pow[level - 1]);
            let unit = leaf / span;
            let cached = &mut self.units[level - 1];
            if cached.as_ref().is_none_or(|(u, _)| *u != unit) {
                let mut picks: Vec<(u64, u64, u64)> = plan
                    .picks(level as u32, unit)
                    .iter()
                    .enumerate()
                    .map(|(k, pick)| (pick.leaf, pick.site, unit * span + (k as u64 + 1) * base))
                    .collect();
                picks.sort_unstable();
                *cached = Some((unit, picks));
            }
            let picks = &cached.as_ref().unwrap().1;
            let from = picks.partition_point(|p| p.0 < leaf);
            for &(_, site, target) in picks[from..].iter().take_while(|p| p.0 == leaf) {
                if target < self.end {
                    captures.push((site, target));
                }
            }
        }
        captures.sort_unstable_by(|a, b| b.cmp(a));
        let anchor = self.anchors.remove(&leaf).unwrap_or_else(|| plan.anchor(leaf));
        let walker = Walker::new(plan.seed, leaf, plan.lattice, plan.options.base_size as usize, plan.dimension);
        Leaf { walker, anchor, keep: Keep::new(plan, leaf), captures }
    }
}

impl PointStream for BranchingStream {
    fn dimension(&self) -> usize {
        self.plan.dimension
    }
    fn len(&self) -> u64 {
        self.total
    }
    fn position(&self) -> u64 {
        self.emitted
    }
    fn fill(&mut self, out: &mut Vec<f32>, rows: usize) -> usize {
        let mut done = 0;
        while done < rows {
            if self.leaf.is_none() {
                if self.next == self.end {
                    break;
                }
                let leaf = self.start(self.next);
                self.leaf = Some(leaf);
                self.next += 1;
            }
            let leaf = self.leaf.as_mut().unwrap();
            let site = leaf.walker.site() as u64;
            let absolute = leaf.anchor.iter().zip(leaf.walker.here()).map(|(a, x)| a + x);
            while leaf.captures.last().is_some_and(|c| c.0 == site) {
                let (_, target) = leaf.captures.pop().unwrap();
                self.anchors.insert(target, absolute.clone().collect());
            }
            if leaf.keep.next(site) {
                out.extend(absolute);
                done += 1;
                self.emitted += 1;
            }
            let finished = (leaf.keep.left == 0 && leaf.captures.is_empty()) || !leaf.walker.advance();
            if finished {
                self.leaf = None;
            }
        }
        done
    }
}

#[cfg(test)]
mod tests;

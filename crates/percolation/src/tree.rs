/// Parent of the root.
pub const ROOT: u32 = u32::MAX;
/// Sites are indexed by `u32`, with `u32::MAX` reserved for [`ROOT`].
pub const MAX_SITES: u64 = u32::MAX as u64;

/// A rooted tree in breadth-first order: site 0 is the root and `parent[i] < i` for every other site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    parent: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeError {
    Empty,
    RootHasParent,
    ParentNotBefore { site: usize, parent: u32 },
    NotBreadthFirst { site: usize },
}

impl std::fmt::Display for TreeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TreeError::Empty => write!(f, "a tree needs at least one site"),
            TreeError::RootHasParent => write!(f, "site 0 must be the root (parent {ROOT})"),
            TreeError::ParentNotBefore { site, parent } => {
                write!(f, "site {site} has parent {parent}, which does not precede it")
            }
            TreeError::NotBreadthFirst { site } => write!(f, "site {site} breaks breadth-first order"),
        }
    }
}

impl std::error::Error for TreeError {}

impl Tree {
    /// Checks that `parent` describes a breadth-first-ordered tree.
    pub fn from_parents(parent: Vec<u32>) -> Result<Tree, TreeError> {
        if parent.is_empty() {
            return Err(TreeError::Empty);
        }
        if parent[0] != ROOT {
            return Err(TreeError::RootHasParent);
        }
        for (site, &p) in parent.iter().enumerate().skip(1) {
            if p == ROOT || p as usize >= site {
                return Err(TreeError::ParentNotBefore { site, parent: p });
            }
            if site > 1 && p < parent[site - 1] {
                return Err(TreeError::NotBreadthFirst { site });
            }
        }
        Ok(Tree { parent })
    }

    /// Builds the tree whose sites, read breadth-first, have `offspring[i]` children.
    /// `offspring` must be a Łukasiewicz sequence (sum `n-1`, every proper prefix keeping a site open).
    pub(crate) fn from_breadth_first_offspring(offspring: impl IntoIterator<Item = u32>, n: usize) -> Tree {
        let mut parent = Vec::with_capacity(n);
        parent.push(ROOT);
        for (site, count) in offspring.into_iter().enumerate() {
            debug_assert!(parent.len() > site, "offspring sequence closes the tree before site {site}");
            for _ in 0..count {
                parent.push(site as u32);
            }
        }
        assert_eq!(parent.len(), n, "offspring sequence does not sum to n-1");
        Tree { parent }
    }

    pub(crate) fn from_parents_unchecked(parent: Vec<u32>) -> Tree {
        Tree { parent }
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// Parent of each site ([`ROOT`] for site 0).
    pub fn parents(&self) -> &[u32] {
        &self.parent
    }

    pub fn into_parents(self) -> Vec<u32> {
        self.parent
    }

    /// Number of children of each site.
    pub fn offspring(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.len()];
        for &p in &self.parent[1..] {
            counts[p as usize] += 1;
        }
        counts
    }

    /// Graph distance of each site from the root.
    pub fn depths(&self) -> Vec<u32> {
        let mut depth = vec![0u32; self.len()];
        for site in 1..self.len() {
            depth[site] = depth[self.parent[site] as usize] + 1;
        }
        depth
    }
}

use crate::stream::{collect, PointStream};
use crate::EmbedError;
use percolab_percolation::{Lattice, OffspringStream, RotationSearch, MAX_SITES};
use percolab_random::{fast_stream, stream, FastChaCha8, Normals, OpenPhase, Prefetch, Purpose, Team, MAX_INDEX, PIECE_NORMALS};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Walks an exact cluster in depth-first preorder, embedding each site as it is reached: the root at
/// the origin, a child at `parent + r`, `r ~ N(0, I_d/d)` (the naive embedder's law and arithmetic).
///
/// Offspring from `(Cluster, index)`: the same sequence [`percolab_percolation::sample_exact`] reads
/// breadth-first. Steps from `(Embedding, index)`, `d` normals per non-root site in preorder; hence
/// the positions equal `embed_naive` applied to the depth-first parent array, bit for bit. Site by
/// site ([`Walker::advance`]) the steps are decoded ahead in batches, each twice the last up to
/// [`MAX_BATCH`], so a walk stopped early decodes at most about twice what it used; in blocks
/// ([`Walker::emit`], the streams' path) each block's steps are decoded and its sites placed in parallel
/// with the `threads` feature.
pub(crate) struct Walker {
    /// The offspring counts, read site by site in preorder.
    offspring: Sequence,
    /// Sites in the cluster.
    n: usize,
    site: usize,
    here: Vec<f32>,
    /// The ancestors that still have children to visit: positions, sites and how many children.
    stack: Vec<f32>,
    sites: Vec<u32>,
    left: Vec<u32>,
    normals: Normals,
    /// Steps `(z / sqrt(d)) as f32` decoded ahead; `steps[used..]` are next.
    steps: Vec<f32>,
    used: usize,
    batch: usize,
    scale: f64,
    /// A block's parent sites (reused).
    parents: Vec<u32>,
    /// Decodes the steps and places the sites of a block (see [`Walker::emit`]).
    team: Arc<Team>,
    /// Workers a block's sites are split among (rayon's threads; tests set more to split without them).
    parts: usize,
    /// The next block's steps, decoding on the team's helper while the caller is away (see [`Walker::emit`]).
    ahead: Option<Prefetch<f32>>,
}

/// The offspring counts, once their first draw (the serial start: it finds where they start, about 0.1 s
/// per 10^7 sites) is over.
enum Sequence {
    /// The first draw, by the caller: in steps ([`Walker::prepare`]) or all at once when read.
    Searching(Option<Box<RotationSearch<FastChaCha8>>>),
    /// The first draw, by the helper, which puts the counts in `slot`; `drawn`: its progress in sites;
    /// `search`: its phase of the team, open until the caller waits for it.
    Drawing { slot: Arc<Mutex<Option<OffspringStream<FastChaCha8>>>>, drawn: Arc<AtomicUsize>, search: OpenPhase, lattice: Lattice },
    Drawn(Box<OffspringStream<FastChaCha8>>),
}

/// Sites the helper's first draw makes between two reports of its progress (about 10 ms).
const SEARCH_STEP: usize = 1 << 20;

impl Sequence {
    /// The counts, once [`Walker::drawn`] has waited for them.
    fn counts(&mut self) -> &mut OffspringStream<FastChaCha8> {
        match self {
            Sequence::Drawn(counts) => counts,
            Sequence::Searching(_) | Sequence::Drawing { .. } => unreachable!("the walker waits for the counts before reading them"),
        }
    }
}

/// Largest batch of steps decoded at once: 2^16 floats (256 KiB), 8 pieces for the pool.
const MAX_BATCH: usize = 1 << 16;

/// Most steps one block of [`Walker::emit`] decodes: 2^20 floats (4 MiB), 128 pieces.
const BLOCK_FLOATS: usize = 1 << 20;

/// Most steps the helper decodes ahead while the caller is away between two reads: 2^17 floats
/// (512 KiB), 16 pieces. `percolab generate` is away 0.5-1.0 ms per chunk of 2^15 rows (labels, then
/// the writes handed on). A whole chunk's worth (2 MiB at d = 16) held a third chunk's memory beside the
/// two that take turns; capped, runs were no slower (docs/generation.md, "Memory above the runtime").
const AHEAD_FLOATS: usize = 1 << 17;

/// Most heap a walker's decoded-ahead steps take: the kept steps (a block and the `d` left over, less
/// than a piece), the pieces decoded ahead (with a helper, while the caller is away: [`AHEAD_FLOATS`]),
/// and a block's parent sites (at most one per float).
pub const STEP_BUFFER_BYTES: usize = 4 * (2 * BLOCK_FLOATS + AHEAD_FLOATS + PIECE_NORMALS);

impl Walker {
    pub(crate) fn new(seed: u64, index: u64, lattice: Lattice, n: usize, d: usize) -> Walker {
        Walker::on_team(seed, index, lattice, n, d, Team::new())
    }

    fn on_team(seed: u64, index: u64, lattice: Lattice, n: usize, d: usize, team: Arc<Team>) -> Walker {
        // With a helper, it finds where the offspring sequence starts (the serial start: one full draw of it)
        // while the caller goes back to JavaScript (the teacher, the files). The first block's steps are not
        // decoded meanwhile: a block's pieces took 5 ms of a wait of 115 ms at 10^7 sites, and held a block
        // of memory beside the first chunk. Alone, the caller finds the start in `prepare` or when it reads.
        let normals = Normals::new(&stream(seed, Purpose::Embedding, index));
        let scale = 1.0 / (d as f64).sqrt();
        let rng = fast_stream(seed, Purpose::Cluster, index);
        let offspring = if team.can_help() && block_steps(0, n, d) >= PIECE_NORMALS {
            let (slot, drawn) = (Arc::new(Mutex::new(None)), Arc::new(AtomicUsize::new(0)));
            let (filled, progress) = (Arc::clone(&slot), Arc::clone(&drawn));
            let lead = Mutex::new(Some(move || {
                let mut search = RotationSearch::new(rng, lattice, n);
                while !search.advance(SEARCH_STEP) {
                    progress.store(search.drawn(), Ordering::Relaxed);
                }
                *filled.lock().expect("offspring") = Some(search.finish());
            }));
            // A phase of one item, which the helper (called by `open`) takes.
            let search = team.open(1, Arc::new(move |_| (lead.lock().expect("search").take().expect("the search runs once"))()));
            Sequence::Drawing { slot, drawn, search, lattice }
        } else {
            Sequence::Searching(Some(Box::new(RotationSearch::new(rng, lattice, n))))
        };
        Walker {
            offspring,
            n,
            site: 0,
            here: vec![0.0; d],
            stack: Vec::new(),
            sites: Vec::new(),
            left: Vec::new(),
            normals,
            steps: Vec::new(),
            used: 0,
            batch: 1024,
            scale,
            parents: Vec::new(),
            team,
            parts: block::parts(),
            ahead: None,
        }
    }

    /// The offspring counts, once found where they start: by this thread now if it is its to do, else by
    /// the helper, for which this thread waits.
    fn drawn(&mut self) -> &mut OffspringStream<FastChaCha8> {
        if matches!(self.offspring, Sequence::Searching(_)) {
            self.prepare(usize::MAX);
        }
        if matches!(self.offspring, Sequence::Drawing { .. }) {
            let Sequence::Drawing { slot, search, lattice, .. } = std::mem::replace(&mut self.offspring, Sequence::Searching(None)) else {
                unreachable!("matched above")
            };
            if slot.lock().expect("offspring").is_none() {
                rehearse(lattice, self.here.len());
            }
            self.team.finish(search);
            self.offspring = Sequence::Drawn(Box::new(slot.lock().expect("offspring").take().expect("the offspring sequence drawn")));
        }
        self.offspring.counts()
    }

    /// Sites of the first draw of the offspring counts done, `n` once it is over (the serial start, about
    /// 0.1 s per 10^7 sites): makes up to `sites` more of them if they are this thread's to make, else
    /// reads how far the helper is. Between calls the caller can report progress, or stop.
    pub(crate) fn prepare(&mut self, sites: usize) -> usize {
        match &mut self.offspring {
            Sequence::Searching(search) => {
                let s = search.as_mut().expect("a search in progress");
                if !s.advance(sites) {
                    return s.drawn();
                }
                let finished = search.take().expect("a search in progress").finish();
                self.offspring = Sequence::Drawn(Box::new(finished));
                self.n
            }
            Sequence::Drawing { slot, drawn, .. } => {
                if slot.lock().expect("offspring").is_some() {
                    self.n
                } else {
                    drawn.load(Ordering::Relaxed)
                }
            }
            Sequence::Drawn(_) => self.n,
        }
    }

    /// Preorder index of the current site.
    pub(crate) fn site(&self) -> usize {
        self.site
    }

    /// Position of the current site relative to the root.
    pub(crate) fn here(&self) -> &[f32] {
        &self.here
    }

    /// Moves to the next site in preorder; false after the last one.
    pub(crate) fn advance(&mut self) -> bool {
        let children = self.drawn().next().expect("a count for every site");
        let d = self.here.len();
        if children > 0 {
            self.stack.extend_from_slice(&self.here);
            self.sites.push(self.site as u32);
            self.left.push(children);
        }
        self.site += 1;
        if self.site == self.n {
            return false;
        }
        // The next site is a child of the deepest ancestor with children left (the Łukasiewicz
        // condition guarantees there is one).
        let top = self.left.len() - 1;
        if self.steps.len() - self.used < d {
            self.decode_steps();
        }
        let steps = &self.steps[self.used..self.used + d];
        self.used += d;
        for ((out, &base), &step) in self.here.iter_mut().zip(&self.stack[top * d..]).zip(steps) {
            *out = base + step;
        }
        self.left[top] -= 1;
        if self.left[top] == 0 {
            self.left.pop();
            self.sites.pop();
            self.stack.truncate(top * d);
        }
        true
    }
}

impl Drop for Walker {
    fn drop(&mut self) {
        if let Sequence::Drawing { .. } = self.offspring {
            self.drawn();
        }
        if let Some(ahead) = self.ahead.take() {
            self.normals.take_prefetched(&self.team, ahead, &mut self.steps, || {});
        }
        self.team.dismiss();
    }
}

/// Sites of [`rehearse`]'s walk per step coordinate: a few segments of normals, so that its blocks take
/// every path of a real one's.
const REHEARSAL_FLOATS: usize = 4 * PIECE_NORMALS;

/// Walks a small cluster at `d` on this thread alone and drops its rows: V8 compiles each wasm function
/// on its first call (the walk's took about 45 ms here), so a caller that would otherwise wait for the
/// helper's first draw of the counts compiles the walk meanwhile instead of after it.
fn rehearse(lattice: Lattice, d: usize) {
    let n = (REHEARSAL_FLOATS / d).max(2);
    let mut walker = Walker::on_team(0, 0, lattice, n, d, Team::solo());
    let mut rows = Vec::new();
    walker.emit(&mut rows, n);
}

/// Makes the first draw of a small cluster's offspring counts and drops it: called on a helper thread
/// just before a naive cluster's stream is made (`warmCluster` in the bindings), it has V8 compile the
/// draw's code (about 40 ms) while the caller compiles the stream's constructor, so that the helper's real
/// first draw, queued behind it, runs compiled from its start.
pub fn rehearse_first_draw() {
    let lattice = Lattice::new(32).expect("z = 32 is a lattice");
    let mut search = RotationSearch::new(fast_stream(0, Purpose::Cluster, 0), lattice, REHEARSAL_FLOATS);
    while !search.advance(SEARCH_STEP) {}
    drop(search.finish());
}

/// A step coordinate from a standard normal: `(z / sqrt(d)) as f32`, `scale = 1 / sqrt(d)`.
fn step_map(scale: f64) -> impl Fn(f64) -> f32 + Copy + Send + Sync + 'static {
    move |z| (z * scale) as f32
}

/// Sites one block of [`Walker::emit`] holds at most.
fn block_sites(d: usize) -> usize {
    (BLOCK_FLOATS / d).max(1)
}

/// Steps a whole block from current site `site` places (the sites after it, up to the cluster's last).
fn block_steps(site: usize, n: usize, d: usize) -> usize {
    ((site + block_sites(d)).min(n - 1) - site) * d
}

impl Walker {
    /// Keeps the unused steps and decodes the next batch, never more than the sites left need.
    fn decode_steps(&mut self) {
        let d = self.here.len();
        self.steps.drain(..self.used);
        self.used = 0;
        let needed = (self.n - self.site) * d;
        let step = step_map(self.scale);
        if let Some(ahead) = self.ahead.take() {
            self.normals.take_prefetched(&self.team, ahead, &mut self.steps, || {});
            if self.steps.len() >= d {
                return;
            }
        }
        let want = self.batch.min(needed).max(d);
        self.normals.fill_on(&self.team, &mut self.steps, want, &step, || {});
        self.batch = (2 * self.batch).min(MAX_BATCH);
    }
}

/// One exact cluster of `n` sites, embedded naively and streamed in depth-first preorder.
///
/// Memory: the offspring counts' leaf ([`OffspringStream`]), the decoded-ahead steps
/// ([`STEP_BUFFER_BYTES`]) and `O(height * d)` floats, height `~ sqrt(n)`: not `n` itself.
pub struct DepthFirst {
    walker: Walker,
    emitted: u64,
}

impl DepthFirst {
    pub fn new(seed: u64, index: u64, lattice: Lattice, n: u64, dimension: usize) -> Result<DepthFirst, EmbedError> {
        if dimension == 0 {
            return Err(EmbedError::Dimension);
        }
        if n == 0 || n > MAX_SITES || usize::try_from(n).is_err() {
            return Err(EmbedError::ClusterSize(n));
        }
        if index > MAX_INDEX {
            return Err(EmbedError::Index(index));
        }
        Ok(DepthFirst { walker: Walker::new(seed, index, lattice, n as usize, dimension), emitted: 0 })
    }
}

impl PointStream for DepthFirst {
    fn prepare(&mut self, sites: usize) -> f64 {
        self.walker.prepare(sites) as f64 / self.walker.n as f64
    }
    fn dimension(&self) -> usize {
        self.walker.here.len()
    }
    fn len(&self) -> u64 {
        self.walker.n as u64
    }
    fn position(&self) -> u64 {
        self.emitted
    }
    fn room(&self, rows: usize) -> usize {
        self.walker.room(rows)
    }
    fn fill(&mut self, out: &mut Vec<f32>, rows: usize) -> usize {
        let take = self.walker.emit(out, rows);
        self.emitted += take as u64;
        take
    }
}

/// All rows of [`DepthFirst`] at once (row `i` = the `i`-th site in preorder).
pub fn embed_depth_first(
    seed: u64,
    index: u64,
    lattice: Lattice,
    n: u64,
    dimension: usize,
) -> Result<Vec<f32>, EmbedError> {
    collect(&mut DepthFirst::new(seed, index, lattice, n, dimension)?)
}

mod block;
#[cfg(test)]
mod tests;

//! [`Walker::emit`]: the depth-first walk in blocks whose sites are placed by several workers at once.
//!
//! A site's position is its parent's plus its step, so a block splits into parts once the positions a
//! part reads from before its start are known. A pass over the offspring counts alone (no coordinates)
//! finds every site's parent and, at each part's start, the ancestors still open there; those are
//! placed first, following parents up to a known position, then the parts run at once, each turning
//! its rows from steps (decoded straight into them) into positions. Every position is the one f32
//! addition [`Walker::advance`] makes, so the rows are the same for any split.

use super::{block_sites, block_steps, step_map, Walker, AHEAD_FLOATS};
use percolab_random::Team;
use std::sync::Arc;
use std::collections::HashMap;
use std::sync::Mutex;

/// Parts a block is split into: two per thread of a [`Team`] (the caller and, with the `threads`
/// feature, one helper), so that a helper that joins late still takes a share.
pub(super) fn parts() -> usize {
    #[cfg(feature = "threads")]
    if rayon::current_num_threads() > 1 {
        return 4;
    }
    1
}

impl Walker {
    /// Floats `emit` reserves past what `out` holds for `rows` rows: the rows and the next site's step,
    /// which decoding puts past them before it goes back to `steps`, so that a DataStream's buffers are
    /// allocated once: grown by what each chunk's share of prefetched pieces needed, they left holes, and
    /// wasm memory at the end of 10^8 points on 2 threads was 16.4-21.2 MiB (2 runs; 3 runs: 14.6-16.1
    /// with this).
    pub(crate) fn room(&self, rows: usize) -> usize {
        (rows + 1) * self.here.len()
    }

    /// Appends the positions of the current site and the sites after it, `rows` in all (fewer at the
    /// end of the cluster), and moves on to the site after them. Returns the rows appended.
    pub(crate) fn emit(&mut self, out: &mut Vec<f32>, rows: usize) -> usize {
        self.drawn();
        let take = rows.min(self.n - self.site);
        let per_block = block_sites(self.here.len());
        out.reserve_exact(self.room(take));
        // The walker's team for all blocks: its helper stays on call between this call and the next.
        let team = Arc::clone(&self.team);
        let mut done = 0;
        while done < take {
            let m = per_block.min(take - done);
            self.emit_block(&team, out, m);
            done += m;
        }
        // The next block's steps decode on the helper while the caller is away (in JavaScript, writing
        // this chunk): whole pieces, the block's own count of them at most, no more than this chunk's
        // rows take (at small d a block is many chunks: 2^19 rows at d = 2, and the steps decoded ahead
        // for it held 4 MiB beside chunks of 0.75), and no more than `AHEAD_FLOATS`.
        let (n, d) = (self.n, self.here.len());
        if self.site + 1 < n && team.can_help() {
            let need = block_steps(self.site, n, d).min(take * d).min(AHEAD_FLOATS);
            let kept = self.steps.len() - self.used;
            if need > kept {
                self.ahead = self.normals.prefetch(&team, need - kept, step_map(self.scale));
            }
        }
        take
    }

    /// Emits sites `a .. a + m` (`a` the current site, `m >= 1`), then places site `a + m` if there is one.
    fn emit_block(&mut self, team: &Arc<Team>, out: &mut Vec<f32>, m: usize) {
        let (n, d) = (self.n, self.here.len());
        let a = self.site;
        let end = a + m;
        // The last site placed: the next current site, or the cluster's last.
        let last = end.min(n - 1);
        let need = (last - a) * d;

        // Parts over the emitted sites after `a`; part p places sites starts[p] .. starts[p + 1].
        let parts = self.parts.clamp(1, (end - a - 1).max(1));
        let span = (end - a - 1).div_ceil(parts).max(1);
        let starts: Vec<usize> = (0..parts).map(|p| (a + 1 + p * span).min(end)).chain([end]).collect();

        // Parents (site t's at t - a - 1) and, at each later part's start, its open ancestors from `a` on:
        // from the counts alone, so the caller finds them while the helper starts decoding the steps.
        let entry_sites = self.sites.clone();
        let mut parents = std::mem::take(&mut self.parents);
        parents.clear();
        let mut open_at: Vec<Vec<u32>> = Vec::with_capacity(parts);
        let (offspring, sites, left) = (self.offspring.counts(), &mut self.sites, &mut self.left);
        let count_pass = || {
            // The counts a leaf's slice at a time, the open sites' stacks indexed by a local depth (room made
            // per slice): no call in the loop, where V8 had kept its values on the stack around `next`'s
            // leaf draws and the pushes' growth. The open ancestors are taken at each later part's start.
            let mut depth = left.len();
            parents.resize(last - a, 0);
            let mut part = 1;
            let mut t = a + 1;
            while t <= last {
                let counts = offspring.next_counts(last + 1 - t);
                assert!(!counts.is_empty(), "a count for every site");
                if sites.len() < depth + counts.len() {
                    sites.resize(depth + counts.len(), 0);
                    left.resize(depth + counts.len(), 0);
                }
                let mut rest = counts;
                while !rest.is_empty() {
                    // Sites up to the next part's start go without its test.
                    let free = if part < parts { starts[part].saturating_sub(t).min(rest.len()) } else { rest.len() };
                    for &children in &rest[..free] {
                        open_site(sites, left, &mut depth, t, children);
                        close_site(sites, left, &mut depth, &mut parents[t - a - 1]);
                        t += 1;
                    }
                    rest = &rest[free..];
                    // Counts left: site `t` starts part `part`, and the sites open there (from `a` on) after its
                    // parent's count are taken.
                    if let Some((&children, after)) = rest.split_first() {
                        open_site(sites, left, &mut depth, t, children);
                        let from = sites[..depth].partition_point(|&s| (s as usize) < a);
                        open_at.push(sites[from..depth].to_vec());
                        part += 1;
                        close_site(sites, left, &mut depth, &mut parents[t - a - 1]);
                        t += 1;
                        rest = after;
                    }
                }
            }
            sites.truncate(depth);
            left.truncate(depth);
        };
        let step_of = step_map(self.scale);
        let mut count_pass = Some(count_pass);
        let mut counted = || {
            if let Some(mut pass) = count_pass.take() {
                pass();
            }
        };
        // The block's steps go straight into its rows (row r of the block is site a + r; row 0, the
        // current site, is known), each row then turned into its position in place. The steps come in
        // order: those kept from before, the prefetched pieces, then whatever is still missing; the step
        // of the site after the block, and any surplus, stay in (or go back to) `self.steps`.
        let base = out.len();
        out.extend_from_slice(&self.here);
        let row_steps = (m - 1) * d;
        if self.steps.len() - self.used >= need {
            if let Some(ahead) = self.ahead.take() {
                // No phase may stay open past this one's parts: when a read of fewer rows than a block
                // left enough steps, the prefetched pieces wait behind them.
                self.steps.drain(..self.used);
                self.used = 0;
                self.normals.take_prefetched(team, ahead, &mut self.steps, &mut counted);
            }
            out.extend_from_slice(&self.steps[self.used..self.used + row_steps]);
            self.used += row_steps;
            counted();
        } else {
            out.extend_from_slice(&self.steps[self.used..]);
            self.steps.clear();
            self.used = 0;
            // The count pass runs beside the helper's decoding of the rest straight into the rows, not
            // beside the pieces decoded ahead, which are few (`AHEAD_FLOATS`): the helper would idle.
            if let Some(ahead) = self.ahead.take() {
                self.normals.take_prefetched(team, ahead, out, || {});
            }
            let have = out.len() - base - d;
            if have < need {
                self.normals.fill_on(team, out, need - have, &step_of, &mut counted);
            } else {
                counted();
            }
            self.steps.extend_from_slice(&out[base + m * d..]);
            out.truncate(base + m * d);
        }
        let parent = |t: usize| parents[t - a - 1] as usize;
        let entry = |w: usize| {
            let i = entry_sites.binary_search(&(w as u32)).expect("an ancestor before the block is open at its start");
            &self.stack[i * d..(i + 1) * d]
        };

        // Positions the later parts read before their starts: their open ancestors and the paths to them
        // (from the rows' steps, before any part turns them into positions).
        let mut known: HashMap<usize, usize> = HashMap::from([(a, 0)]);
        let mut placed: Vec<f32> = self.here.clone();
        let mut chain = Vec::new();
        {
            let step = |t: usize| &out[base + (t - a) * d..base + (t - a + 1) * d];
            for &w in open_at.iter().flatten() {
                let mut x = w as usize;
                while x >= a && !known.contains_key(&x) {
                    chain.push(x);
                    x = parent(x);
                }
                let mut from = if x < a { entry(x).to_vec() } else { placed[known[&x] * d..][..d].to_vec() };
                while let Some(c) = chain.pop() {
                    for (f, &s) in from.iter_mut().zip(step(c)) {
                        *f += s;
                    }
                    known.insert(c, placed.len() / d);
                    placed.extend_from_slice(&from);
                }
            }
        }
        let before = |w: usize| if w < a { entry(w) } else { &placed[known[&w] * d..][..d] };

        // The parts, at once, each over its own rows: a row's step plus its parent's position.
        let mut slices = Vec::with_capacity(parts);
        let mut rest = &mut out[base + d..base + m * d];
        for p in 0..parts {
            let (slice, tail) = rest.split_at_mut((starts[p + 1] - starts[p]) * d);
            slices.push(Mutex::new(Some((starts[p], slice))));
            rest = tail;
        }
        team.for_each(parts, |p| {
            let (lo, rows) = slices[p].lock().expect("part").take().expect("each part placed once");
            for t in lo..lo + rows.len() / d {
                let p = parent(t);
                let (done, row) = rows.split_at_mut((t - lo) * d);
                let from = if p >= lo { &done[(p - lo) * d..(p - lo + 1) * d] } else { before(p) };
                for (o, &f) in row[..d].iter_mut().zip(from) {
                    *o += f;
                }
            }
        });
        drop(slices);

        // The next current site and the open ancestors after it.
        let rows = &out[base..];
        let row = |w: usize| if w >= a { &rows[(w - a) * d..(w - a + 1) * d] } else { entry(w) };
        if end < n {
            let p = parent(end);
            let here: Vec<f32> = row(p).iter().zip(&self.steps[self.used..self.used + d]).map(|(&f, &s)| f + s).collect();
            // The ancestors open from before the block keep their positions; those from the block (sites
            // `a` on) take theirs from its rows. In place: a new stack per block, as long as the open path
            // (`~sqrt(n) d` floats), left holes that grew wasm memory by MiBs over 10^8 points.
            let kept = self.sites.partition_point(|&s| (s as usize) < a);
            self.stack.truncate(kept * d);
            for &w in &self.sites[kept..] {
                let r = w as usize - a;
                self.stack.extend_from_slice(&out[base + r * d..base + (r + 1) * d]);
            }
            self.here = here;
        } else {
            self.stack.clear();
            self.sites.clear();
            self.left.clear();
        }
        if end < n {
            self.used += d;
        }
        self.site = end;
        self.parents = parents;
    }
}

/// Site `t - 1`'s count read: it opens with `children` children if it has any.
#[inline(always)]
fn open_site(sites: &mut [u32], left: &mut [u32], depth: &mut usize, t: usize, children: u32) {
    if children > 0 {
        sites[*depth] = (t - 1) as u32;
        left[*depth] = children;
        *depth += 1;
    }
}

/// Site `t` is the next child of the deepest open site: its parent, which closes with its last child.
#[inline(always)]
fn close_site(sites: &[u32], left: &mut [u32], depth: &mut usize, parent: &mut u32) {
    let top = *depth - 1;
    *parent = sites[top];
    left[top] -= 1;
    if left[top] == 0 {
        *depth -= 1;
    }
}

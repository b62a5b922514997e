//! A calling thread and, with the `threads` feature, one helper from rayon's pool that stays on call
//! for a whole piece of work made of many short parallel phases.
//!
//! A rayon job per phase would wake a sleeping pool thread each time; in wasm a wake costs about 0.1 ms
//! of the caller's time and about 1 ms before the helper runs, as much as a phase of a streamed chunk.
//! Here the helper is woken once ([`with_team`]) and spins between phases. The caller never waits for
//! the helper to arrive: it claims a phase's items itself, and waits only for items the helper has
//! claimed and is running, so a helper that comes late (or never, on a pool of one) costs nothing. A
//! helper that waits long for a next phase leaves, so it does not spin on a core others need.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// The phase now open: its number and its items (see [`Team::for_each`]).
type Job = (u32, &'static (dyn Fn(usize) + Sync), usize);

/// Shared by the caller and its helper for one [`with_team`] call.
pub struct Team {
    /// Phase number (high 32 bits) and the next unclaimed item (low 32 bits).
    claims: AtomicU64,
    /// Items of the open phase finished.
    finished: AtomicUsize,
    /// The open phase's number, for the helper to notice a new one without taking the lock.
    phase: AtomicU64,
    job: Mutex<Option<Job>>,
    over: AtomicBool,
}

/// Runs `body` on the calling thread with a [`Team`] whose phases a helper thread joins, when `helped`,
/// the `threads` feature is on and the pool has another thread (small work is not worth a wake).
#[cfg_attr(not(feature = "threads"), allow(unused_variables))]
pub fn with_team<R: Send>(helped: bool, body: impl FnOnce(&Team) -> R + Send) -> R {
    let team = Team { claims: AtomicU64::new(0), finished: AtomicUsize::new(0), phase: AtomicU64::new(0), job: Mutex::new(None), over: AtomicBool::new(false) };
    #[cfg(feature = "threads")]
    if helped && rayon::current_num_threads() > 1 {
        let (out, ()) = rayon::join(
            || {
                let out = body(&team);
                team.over.store(true, Ordering::Release);
                out
            },
            || team.help(),
        );
        return out;
    }
    body(&team)
}

impl Team {
    /// Runs `f(i)` for every `i < n`, on the caller and the helper if it is there; returns when all are done.
    pub fn for_each(&self, n: usize, f: impl Fn(usize) + Sync) {
        assert!(n < u32::MAX as usize, "a phase of {n} items");
        let phase = (self.phase.load(Ordering::Relaxed) as u32).wrapping_add(1);
        let f: &(dyn Fn(usize) + Sync) = &f;
        // SAFETY: the helper calls `f` only for items it claimed in this phase (`claim` checks the phase
        // number), and this function returns only once every claimed item has finished, after closing
        // the phase; so no call of `f` outlives this frame.
        let f: &'static (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(f) };
        self.finished.store(0, Ordering::Relaxed);
        self.claims.store(u64::from(phase) << 32, Ordering::Release);
        *self.job.lock().expect("team job") = Some((phase, f, n));
        self.phase.store(u64::from(phase), Ordering::Release);
        self.work(phase, f, n);
        let mut spins = 0u32;
        while self.finished.load(Ordering::Acquire) < n {
            pause(&mut spins);
        }
        *self.job.lock().expect("team job") = None;
    }

    /// Claims and runs items of phase `phase` until none is left.
    fn work(&self, phase: u32, f: &(dyn Fn(usize) + Sync), n: usize) {
        while let Some(i) = self.claim(phase, n) {
            f(i);
            self.finished.fetch_add(1, Ordering::Release);
        }
    }

    fn claim(&self, phase: u32, n: usize) -> Option<usize> {
        let mut now = self.claims.load(Ordering::Acquire);
        loop {
            let i = (now & u64::from(u32::MAX)) as usize;
            if (now >> 32) as u32 != phase || i >= n {
                return None;
            }
            match self.claims.compare_exchange_weak(now, now + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(i),
                Err(seen) => now = seen,
            }
        }
    }

    /// The helper: joins each phase as it opens, until the caller's body has returned.
    #[cfg_attr(not(feature = "threads"), allow(dead_code))]
    fn help(&self) {
        let mut seen = 0u64;
        let mut spins = 0u32;
        while !self.over.load(Ordering::Acquire) {
            let phase = self.phase.load(Ordering::Acquire);
            if phase == seen {
                // Waited a phase's length (1-5 ms) for the next one: the caller is busy elsewhere, or
                // this thread shares a core with it; leave rather than spin on.
                if spins >= IDLE_SPINS {
                    return;
                }
                pause(&mut spins);
                continue;
            }
            spins = 0;
            let job = *self.job.lock().expect("team job");
            match job {
                Some((number, f, n)) if u64::from(number) == phase => {
                    seen = phase;
                    self.work(number, f, n);
                }
                _ => pause(&mut spins),
            }
        }
    }
}

/// Spins the helper waits for a new phase before it leaves.
const IDLE_SPINS: u32 = 1 << 17;

/// A spin-wait step; now and then a yield, so that a waiter on a machine with more threads than cores
/// lets the one it waits for run (a no-op in wasm, where each thread is a worker of its own).
fn pause(spins: &mut u32) {
    *spins = spins.wrapping_add(1);
    if spins.is_multiple_of(64) {
        std::thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn every_item_of_every_phase_runs_once() {
        let counts: Vec<AtomicU32> = (0..1000).map(|_| AtomicU32::new(0)).collect();
        let total = with_team(true, |team| {
            let mut total = 0;
            for phase in 0..200usize {
                let n = phase % 7 * 100 + phase % 3;
                team.for_each(n, |i| {
                    counts[i].fetch_add(1, Ordering::Relaxed);
                });
                total += n;
            }
            total
        });
        assert_eq!(counts.iter().map(|c| c.load(Ordering::Relaxed) as usize).sum::<usize>(), total);
    }
}

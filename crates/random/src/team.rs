//! A calling thread and, with the `threads` feature, one helper from rayon's pool that stays on call
//! across many short parallel phases, and across the caller's calls.
//!
//! A rayon job per phase would wake a sleeping pool thread each time; in wasm a wake costs the caller
//! about 0.1 ms and the helper a millisecond or more before it runs, as long as a phase of a streamed
//! chunk. Here a helper is spawned once ([`Team::call_helper`]) and spins between phases, also while the
//! caller is back in JavaScript between two chunks; it leaves after waiting a few milliseconds for a next
//! phase, so that it never spins long on a core another job needs, and the next call brings it back. The
//! caller never waits for the helper to arrive: it claims a phase's items itself, and waits only for
//! items the helper has claimed and is running, so a helper that comes late (or never, on a pool of one)
//! costs nothing. A phase may also be left open across a return to the caller's caller ([`Team::open`],
//! [`Team::finish`]): the helper works through it meanwhile, for instance while JavaScript writes a chunk.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The phase now open: its number, its items' function and their number (see [`Team::for_each`]).
type Job = (u32, Items, usize);

#[derive(Clone)]
enum Items {
    /// Borrowed from a [`Team::for_each`] frame, which returns only once every item has run.
    Borrowed(&'static (dyn Fn(usize) + Sync)),
    /// Owned by a phase left open ([`Team::open`]).
    Owned(Arc<dyn Fn(usize) + Send + Sync>),
}

impl Items {
    fn get(&self) -> &(dyn Fn(usize) + Sync) {
        match self {
            Items::Borrowed(f) => *f,
            Items::Owned(f) => &**f,
        }
    }
}

/// A phase left open by [`Team::open`]; [`Team::finish`] closes it.
#[must_use = "an open phase is finished by Team::finish"]
pub struct OpenPhase {
    phase: u32,
    items: Arc<dyn Fn(usize) + Send + Sync>,
    n: usize,
}

/// The caller's side of the team; the helper holds the other `Arc`.
pub struct Team {
    /// Phase number (high 32 bits) and the next unclaimed item (low 32 bits).
    claims: AtomicU64,
    /// Items of the open phase finished.
    finished: AtomicUsize,
    /// The open phase's number, for the helper to notice a new one without taking the lock.
    phase: AtomicU64,
    job: Mutex<Option<Job>>,
    /// A helper is on call (spawned and not yet left).
    helping: AtomicBool,
    over: AtomicBool,
}

/// Runs `body` with a [`Team`] of its own, dismissed when `body` returns.
pub fn with_team<R>(body: impl FnOnce(&Arc<Team>) -> R) -> R {
    let team = Team::new();
    let out = body(&team);
    team.dismiss();
    out
}

impl Team {
    pub fn new() -> Arc<Team> {
        Arc::new(Team {
            claims: AtomicU64::new(0),
            finished: AtomicUsize::new(0),
            phase: AtomicU64::new(0),
            job: Mutex::new(None),
            helping: AtomicBool::new(false),
            over: AtomicBool::new(false),
        })
    }

    /// Puts a helper on call if none is: with the `threads` feature, on a pool of more than one thread.
    #[cfg_attr(not(feature = "threads"), allow(clippy::unused_self))]
    pub fn call_helper(self: &Arc<Team>) {
        #[cfg(feature = "threads")]
        if rayon::current_num_threads() > 1 && !self.over.load(Ordering::Relaxed) && !self.helping.swap(true, Ordering::AcqRel) {
            let team = Arc::clone(self);
            rayon::spawn(move || team.help());
        }
    }

    /// A team whose caller works alone: it never calls a helper, which stays free for other work.
    pub fn solo() -> Arc<Team> {
        let team = Team::new();
        team.dismiss();
        team
    }

    /// Whether a helper can join this team's phases (with the `threads` feature, on a pool of more than
    /// one thread, for a team not dismissed): without one, work decoded ahead only holds memory sooner.
    pub fn can_help(&self) -> bool {
        #[cfg(feature = "threads")]
        return rayon::current_num_threads() > 1 && !self.over.load(Ordering::Relaxed);
        #[cfg(not(feature = "threads"))]
        false
    }

    /// Sends the helper away for good (its owner is done).
    pub fn dismiss(&self) {
        self.over.store(true, Ordering::Release);
    }
}

impl Team {
    /// Runs `f(i)` for every `i < n`, on the caller and the helper if it is there; returns when all are done.
    pub fn for_each(&self, n: usize, f: impl Fn(usize) + Sync) {
        self.for_each_alongside(n, f, || {});
    }

    /// [`Team::for_each`], with the caller first running `alongside` (work of its own that the items
    /// do not depend on) while the helper starts on the items.
    pub fn for_each_alongside(&self, n: usize, f: impl Fn(usize) + Sync, alongside: impl FnOnce()) {
        let f: &(dyn Fn(usize) + Sync) = &f;
        // SAFETY: the helper calls `f` only for items it claimed in this phase (`claim` checks the phase
        // number), and this function returns only once every claimed item has finished, after closing
        // the phase; so no call of `f` outlives this frame.
        let f: &'static (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(f) };
        // A panic here would unwind this frame while the helper may still call `f`: stop instead (as
        // wasm's panic=abort builds always do).
        struct AbortOnUnwind;
        impl Drop for AbortOnUnwind {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    std::process::abort();
                }
            }
        }
        let phase = self.begin(Items::Borrowed(f), n);
        let guard = AbortOnUnwind;
        alongside();
        self.end(phase, f, n);
        drop(guard);
    }

    /// Opens a phase of `n` items and returns at once: the helper (called if none is on call) runs
    /// items until [`Team::finish`], on the caller, runs the rest and waits for them all. No other phase
    /// may open in between.
    pub fn open(self: &Arc<Team>, n: usize, items: Arc<dyn Fn(usize) + Send + Sync>) -> OpenPhase {
        let phase = self.begin(Items::Owned(Arc::clone(&items)), n);
        self.call_helper();
        OpenPhase { phase, items, n }
    }

    /// Runs the items of `open` that the helper has not claimed and returns once all have run.
    pub fn finish(&self, open: OpenPhase) {
        self.end(open.phase, &*open.items, open.n);
    }

    /// Ends `open` without running the items nobody has claimed: waits for those the helper is running
    /// and returns how many were claimed. Items are claimed in order, so those that ran are `0 .. that`.
    pub fn close(&self, open: OpenPhase) -> usize {
        let claimed = (self.claims.swap(u64::from(open.phase) << 32 | open.n as u64, Ordering::AcqRel) & u64::from(u32::MAX)) as usize;
        self.wait_for(claimed);
        claimed
    }

    fn begin(&self, items: Items, n: usize) -> u32 {
        assert!(n < u32::MAX as usize, "a phase of {n} items");
        let mut job = self.job.lock().expect("team job");
        if job.is_some() {
            // Not while holding the lock: a poisoned one would stop the helper by a panic of its own.
            drop(job);
            panic!("a phase opened while another is open");
        }
        let phase = (self.phase.load(Ordering::Relaxed) as u32).wrapping_add(1);
        self.finished.store(0, Ordering::Relaxed);
        self.claims.store(u64::from(phase) << 32, Ordering::Release);
        *job = Some((phase, items, n));
        drop(job);
        self.phase.store(u64::from(phase), Ordering::Release);
        phase
    }

    /// The caller's part of a phase: claims items until none is left, waits for the helper's, closes it.
    fn end(&self, phase: u32, f: &(dyn Fn(usize) + Sync), n: usize) {
        self.work(phase, f, n);
        self.wait_for(n);
    }

    /// Waits until `n` items of the phase have finished, then closes it.
    fn wait_for(&self, n: usize) {
        let mut spins = 0u32;
        while self.finished.load(Ordering::Acquire) < n {
            pause(&mut spins);
            // Waiting long: let the pool run a job meant for this thread, such as the one by which
            // the wasm build relays a helper's panic to the caller (crates/wasm/src/threads.rs).
            #[cfg(feature = "threads")]
            if spins.is_multiple_of(1 << 16) {
                let _ = rayon::yield_now();
            }
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

    /// The helper: joins each phase as it opens, until dismissed or idle too long.
    #[cfg_attr(not(feature = "threads"), allow(dead_code))]
    fn help(&self) {
        self.attend();
        self.helping.store(false, Ordering::Release);
    }

    fn attend(&self) {
        let mut seen = 0u64;
        let mut spins = 0u32;
        while !self.over.load(Ordering::Acquire) {
            let phase = self.phase.load(Ordering::Acquire);
            if phase == seen {
                // Waited a few phases' length (a few ms) for the next one: the caller is busy elsewhere, or
                // this thread shares a core with it; leave rather than spin on.
                if spins >= IDLE_SPINS {
                    return;
                }
                pause(&mut spins);
                continue;
            }
            let job = self.job.lock().expect("team job").clone();
            match job {
                Some((number, items, n)) if u64::from(number) == phase => {
                    seen = phase;
                    spins = 0;
                    self.work(number, items.get(), n);
                }
                // The phase read is over (the job is cleared when one ends); a newer one is being opened.
                None => seen = phase,
                Some(_) => pause(&mut spins),
            }
        }
    }
}

/// Spins the helper waits for a new phase before it leaves.
const IDLE_SPINS: u32 = 1 << 20;

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
        let total = with_team(|team| {
            team.call_helper();
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

    #[test]
    fn a_solo_team_runs_every_item_on_its_caller() {
        let team = Team::solo();
        assert!(!team.can_help());
        team.call_helper();
        let caller = std::thread::current().id();
        let others = AtomicU32::new(0);
        team.for_each(300, |_| {
            if std::thread::current().id() != caller {
                others.fetch_add(1, Ordering::Relaxed);
            }
        });
        let open = team.open(50, Arc::new(|_| {}));
        assert_eq!(team.close(open), 0, "no helper claimed an item of the open phase");
        assert_eq!(others.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn every_item_of_an_open_phase_runs_once_whenever_it_is_finished() {
        let counts: Arc<Vec<AtomicU32>> = Arc::new((0..500).map(|_| AtomicU32::new(0)).collect());
        let team = Team::new();
        for (phase, n) in [0usize, 1, 7, 500].into_iter().enumerate() {
            let seen = Arc::clone(&counts);
            let open = team.open(n, Arc::new(move |i| {
                seen[i].fetch_add(1, Ordering::Relaxed);
            }));
            // The caller away for a while (none, or long enough for a helper to run everything).
            std::thread::sleep(std::time::Duration::from_millis(phase as u64 * 3));
            team.finish(open);
            // A borrowed phase in between, as the walker places a block after its steps are decoded.
            team.for_each(3, |i| {
                counts[i].fetch_add(1, Ordering::Relaxed);
            });
        }
        team.dismiss();
        let want = |i: usize| [0usize, 1, 7, 500].iter().filter(|&&n| i < n).count() as u32 + if i < 3 { 4 } else { 0 };
        assert!(counts.iter().enumerate().all(|(i, c)| c.load(Ordering::Relaxed) == want(i)));
    }

    #[test]
    fn a_closed_phase_ran_exactly_its_claimed_prefix() {
        let counts: Arc<Vec<AtomicU32>> = Arc::new((0..4000).map(|_| AtomicU32::new(0)).collect());
        let team = Team::new();
        let mut ran_some = false;
        for wait in [0u64, 1, 2, 5, 50] {
            for c in counts.iter() {
                c.store(0, Ordering::Relaxed);
            }
            let seen = Arc::clone(&counts);
            let open = team.open(4000, Arc::new(move |i| {
                seen[i].fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_micros(20));
            }));
            std::thread::sleep(std::time::Duration::from_millis(wait));
            let claimed = team.close(open);
            ran_some |= claimed > 0;
            assert!(counts.iter().enumerate().all(|(i, c)| c.load(Ordering::Relaxed) == u32::from(i < claimed)), "wait {wait} ms: claimed {claimed}");
            // The team takes a next phase.
            team.for_each(3, |_| {});
        }
        team.dismiss();
        assert!(!cfg!(feature = "threads") || ran_some, "a helper ran items of a closed phase");
    }

    #[test]
    #[should_panic(expected = "another is open")]
    fn a_phase_cannot_open_while_one_is_open() {
        let team = Team::new();
        let _open = team.open(1, Arc::new(|_| {}));
        team.for_each(1, |_| {});
    }
}

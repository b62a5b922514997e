//! Threads for the SIMD+threads flavour. Rust cannot spawn threads on wasm32-unknown-unknown, so the
//! JS side starts workers that instantiate this module on the same shared memory and call
//! [`run_thread`]; [`build_thread_pool`] then hands each of them one rayon thread through a channel.
//!
//! The calling thread is thread 0 of the pool: it works alongside the helpers, and while it waits for
//! a job a helper took, it keeps looking for work. That is how a helper's panic reaches it: the build
//! aborts on panic (no unwinding), so a panicking helper dies without finishing its job and rayon cannot
//! carry the panic back. Instead the panic hook, on the helper, broadcasts a job that panics with the
//! same message when thread 0 runs it; the waiting caller picks it up and traps like any panic of its
//! own, instead of waiting forever for the dead helper's job.

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
compile_error!("the `threads` feature needs `-C target-feature=+atomics,+bulk-memory,+mutable-globals` and std rebuilt with them; without shared memory the pool would deadlock");

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Mutex, OnceLock};
use wasm_bindgen::prelude::*;

struct Handoff {
    sender: Mutex<Sender<rayon::ThreadBuilder>>,
    receiver: Mutex<Receiver<rayon::ThreadBuilder>>,
}

fn handoff() -> &'static Handoff {
    static HANDOFF: OnceLock<Handoff> = OnceLock::new();
    HANDOFF.get_or_init(|| {
        let (sender, receiver) = channel();
        Handoff { sender: Mutex::new(sender), receiver: Mutex::new(receiver) }
    })
}

/// Runs in a helper worker after it instantiated the module: waits for a rayon thread and runs it
/// (forever, until the pool is dropped). Blocks with `Atomics.wait`, so never on a browser main thread.
#[wasm_bindgen(js_name = runThread)]
pub fn run_thread() {
    let thread = handoff().receiver.lock().expect("thread handoff poisoned").recv();
    if let Ok(thread) = thread {
        thread.run();
    }
}

/// Builds the global rayon pool of `threads` threads: the calling thread (thread 0) and `threads - 1`
/// helper workers that are already waiting in [`run_thread`].
#[wasm_bindgen(js_name = buildThreadPool)]
pub fn build_thread_pool(threads: usize) -> Result<(), JsError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .use_current_thread()
        .spawn_handler(|thread| {
            handoff().sender.lock().expect("thread handoff poisoned").send(thread).map_err(|e| std::io::Error::other(e.to_string()))
        })
        .build_global()
        .map_err(|e| JsError::new(&format!("cannot start the thread pool: {e}")))
}

/// Threads in the pool (1 before [`build_thread_pool`]).
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    rayon::current_num_threads()
}

/// Called by the panic hook on every panic: on a helper thread, makes the calling thread (thread 0)
/// panic with `message` as soon as it looks for work (see the module docs). Once per instance.
pub(crate) fn relay_to_caller(message: &str) {
    static RELAYED: AtomicBool = AtomicBool::new(false);
    match rayon::current_thread_index() {
        Some(index) if index > 0 && !RELAYED.swap(true, Ordering::SeqCst) => {
            let message = message.to_owned();
            rayon::spawn_broadcast(move |context| {
                if context.index() == 0 {
                    panic!("{message}");
                }
            });
        }
        _ => {}
    }
}

/// For `debugPanic`: a job that panics on a helper thread while the calling thread waits for it (the
/// caller spins until a helper has taken the job, so it cannot run the job itself).
pub(crate) fn panic_on_helper() -> ! {
    let taken = AtomicBool::new(false);
    rayon::join(
        || {
            while !taken.load(Ordering::SeqCst) {
                std::hint::spin_loop();
            }
        },
        || {
            taken.store(true, Ordering::SeqCst);
            panic!("debug panic (requested on a helper thread)");
        },
    );
    unreachable!("the helper's job panicked");
}

//! Threads for the SIMD+threads flavour. Rust cannot spawn threads on wasm32-unknown-unknown, so the
//! JS side starts workers that instantiate this module on the same shared memory and call
//! [`run_thread`]; [`build_thread_pool`] then hands each of them one rayon thread through a channel.

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
compile_error!("the `threads` feature needs `-C target-feature=+atomics,+bulk-memory,+mutable-globals` and std rebuilt with them; without shared memory the pool would deadlock");

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

/// Builds the global rayon pool from `threads` helper workers that are already waiting in
/// [`run_thread`].
#[wasm_bindgen(js_name = buildThreadPool)]
pub fn build_thread_pool(threads: usize) -> Result<(), JsError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
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

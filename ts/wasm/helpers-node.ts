// Helper threads of the SIMD+threads kernels in Node, started before the kernels exist: a worker takes
// about 0.05 s to come up, which the CLI's entry overlaps with loading the program (ts/cli/main.ts). Every
// helper, early or not, takes its module and memory by message.
import { Worker } from 'node:worker_threads';

/** A helper waiting for its module and memory; it never keeps the process alive (it blocks in the pool). */
function startHelper(): Worker {
  const worker = new Worker(new URL('./wasm-thread.js', import.meta.url));
  worker.unref();
  return worker;
}

interface Early {
  worker: Worker;
  /** Why it can no longer be used (an error while starting, or an exit), if so. */
  broken?: unknown;
}
const early: Early[] = [];

/**
 * Starts `count` helpers that wait for kernels; unused ones never keep the process alive. Best effort: a
 * helper that cannot start now is started (and its failure reported) when the kernels ask for it.
 */
export function prestartHelpers(count: number): void {
  for (let i = 0; i < count; i++) {
    let worker: Worker;
    try {
      worker = startHelper();
    } catch {
      return;
    }
    const entry: Early = { worker };
    // Recorded, not thrown: a helper that failed to start is replaced by a fresh one when asked for.
    entry.worker.on('error', (error) => (entry.broken ??= error));
    entry.worker.on('exit', (code) => (entry.broken ??= code));
    early.push(entry);
  }
}

/** A helper on `module` and `memory`: an early one if one is waiting and sound, else a new one. */
export function helperThread(module: WebAssembly.Module, memory: WebAssembly.Memory): Worker {
  let entry = early.shift();
  while (entry?.broken !== undefined) entry = early.shift();
  const worker = entry?.worker ?? startHelper();
  worker.postMessage({ module, memory });
  return worker;
}

/** Helpers started early and not yet taken (for tests). */
export const waitingHelpers = () => early.filter((e) => e.broken === undefined).length;

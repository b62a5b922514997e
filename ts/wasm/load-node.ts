import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { type Flavour, instantiateKernels, type Kernels, startThreadPool, type ThreadedKernels } from './kernels.js';

function compile(flavour: Flavour): WebAssembly.Module {
  // V8 runs new wasm in its baseline tier and only swaps in optimised code on a function's next call;
  // our kernels are few long calls, so compile them optimised up front (measured 2-3x on the first call).
  setFlagsFromString('--no-liftoff');
  return new WebAssembly.Module(readFileSync(new URL(`./percolab-${flavour}.wasm`, import.meta.url)));
}

/** The first 16 hex digits of the SHA-256 of a flavour's wasm bytes: which kernels these are. */
export function kernelsDigest(flavour: Flavour = 'simd'): string {
  return createHash('sha256').update(readFileSync(new URL(`./percolab-${flavour}.wasm`, import.meta.url))).digest('hex').slice(0, 16);
}

/** The single-threaded SIMD kernels, from the `.wasm` file that the build places beside this bundle. */
export function loadKernels(): Kernels {
  return instantiateKernels(compile('simd'), 'simd');
}

/**
 * The SIMD+threads kernels with a pool of `threads` threads: the calling thread and `threads - 1` helpers
 * (worker_threads sharing the instance's memory). Calls block the calling thread, which works with the
 * pool. `close()` stops the helpers.
 */
export async function loadThreadedKernels(threads = availableParallelism()): Promise<ThreadedKernels> {
  const kernels = instantiateKernels(compile('simd-threads'), 'simd-threads');
  const stop = await startThreadPool(kernels, threads, (module, memory) => {
    const worker = new Worker(new URL('./wasm-thread.js', import.meta.url), { workerData: { module, memory } });
    worker.unref(); // helpers block forever in the pool; they must not keep the process alive
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`wasm helper thread exited with code ${code}`)));
    });
    return { ready, terminate: () => void worker.terminate() };
  });
  return Object.assign(kernels, { threads, close: stop, [Symbol.dispose]: stop });
}

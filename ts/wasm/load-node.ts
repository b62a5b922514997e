import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { type Flavour, instantiateKernels, type Kernels, startThreadPool, type ThreadedKernels } from './kernels.js';

const wasmBytes = (flavour: Flavour) => readFileSync(new URL(`./percolab-${flavour}.wasm`, import.meta.url));
const digestHex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function compile(flavour: Flavour): { module: WebAssembly.Module; sha256: string } {
  // V8 runs new wasm in its baseline tier and only swaps in optimised code on a function's next call;
  // our kernels are few long calls, so compile them optimised up front (measured 2-3x on the first call).
  setFlagsFromString('--no-liftoff');
  const bytes = wasmBytes(flavour);
  return { module: new WebAssembly.Module(bytes), sha256: digestHex(bytes) };
}

/** The first 16 hex digits of the SHA-256 of a flavour's wasm bytes: which kernels these are. */
export function kernelsDigest(flavour: Flavour = 'simd'): string {
  return digestHex(wasmBytes(flavour)).slice(0, 16);
}

/** The single-threaded SIMD kernels, from the `.wasm` file that the build places beside this bundle. */
export function loadKernels(): Kernels {
  const { module, sha256 } = compile('simd');
  return instantiateKernels(module, 'simd', sha256);
}

/**
 * The SIMD+threads kernels with a pool of `threads` threads: the calling thread and `threads - 1` helpers
 * (worker_threads sharing the instance's memory). Calls block the calling thread, which works with the
 * pool. `close()` stops the helpers.
 */
export async function loadThreadedKernels(threads = availableParallelism()): Promise<ThreadedKernels> {
  const { module: compiled, sha256 } = compile('simd-threads');
  const kernels = instantiateKernels(compiled, 'simd-threads', sha256);
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

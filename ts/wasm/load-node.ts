import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type Flavour, instantiateKernels, type Kernels, startThreadPool, type ThreadedKernels } from './kernels.js';
import { helperThread } from './helpers-node.js';
import { optimiseWasm } from './optimise-node.js';

const wasmBytes = (flavour: Flavour) => readFileSync(new URL(`./percolab-${flavour}.wasm`, import.meta.url));
const digestHex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function compile(flavour: Flavour): { module: WebAssembly.Module; sha256: string } {
  // Lazy: no function is compiled here, only on its first call.
  const bytes = wasmBytes(flavour);
  return { module: new WebAssembly.Module(bytes), sha256: digestHex(bytes) };
}

/** The first 16 hex digits of the SHA-256 of a flavour's wasm bytes: which kernels these are. */
export function kernelsDigest(flavour: Flavour = 'simd'): string {
  return digestHex(wasmBytes(flavour)).slice(0, 16);
}

/** The single-threaded SIMD kernels, from the `.wasm` file that the build places beside this bundle. */
export function loadKernels(): Kernels {
  optimiseWasm();
  const { module, sha256 } = compile('simd');
  return instantiateKernels(module, 'simd', sha256);
}

/**
 * The SIMD+threads kernels with a pool of `threads` threads: the calling thread and `threads - 1` helpers
 * (worker_threads sharing the instance's memory). Calls block the calling thread, which works with the
 * pool. `close()` stops the helpers.
 */
export async function loadThreadedKernels(threads = availableParallelism()): Promise<ThreadedKernels> {
  // Instantiating runs only the module's start-up code, which may stay in the baseline tier; optimisation is
  // on before this thread or a helper calls anything else (each helper turns it on first thing; with no
  // helper to start, this thread at once).
  if (threads <= 1) optimiseWasm();
  const { module: compiled, sha256 } = compile('simd-threads');
  const kernels = instantiateKernels(compiled, 'simd-threads', sha256);
  const stop = await startThreadPool(kernels, threads, (module, memory) => {
    const worker = helperThread(module, memory);
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => {
        optimiseWasm(); // set by the helper already; this thread relies on it from here on
        resolve();
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`wasm helper thread exited with code ${code}`)));
    });
    return { ready, terminate: () => void worker.terminate() };
  });
  return Object.assign(kernels, { threads, close: stop, [Symbol.dispose]: stop });
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type Flavour, type HelperThread, instantiateKernels, type Kernels, startThreadPool, type ThreadedKernels } from './kernels.js';
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
  const { kernels, helpers } = early ?? startKernels(0);
  early = undefined;
  const stop = await startThreadPool(kernels, threads, nodeHelper, helpers);
  return Object.assign(kernels, { threads, close: stop, [Symbol.dispose]: stop });
}

/** The threaded kernels instantiated before a command asked for them, with their helpers coming up. */
let early: ReturnType<typeof startKernels> | undefined;

/**
 * Instantiates the SIMD+threads kernels and starts `helpers` helper threads on them before a command asks
 * for them: the CLI's entry does, so that the helpers instantiate the module while this thread parses the
 * program (tens of ms of `percolab generate`'s start). The next `loadThreadedKernels` takes them and builds
 * the pool for the count it asks for (starting more helpers if it needs them). The wasm glue holds one
 * instance per flavour, so the threaded kernels load once per process either way.
 */
export function prestartThreadedKernels(helpers: number): void {
  try {
    early = startKernels(helpers);
  } catch {
    return; // the command's own load fails the same way, and says why
  }
  for (const helper of early.helpers) helper.ready.catch(() => {}); // reported by the load that takes them
}

function startKernels(helpers: number): { kernels: Kernels; helpers: HelperThread[] } {
  const { module, sha256 } = compile('simd-threads');
  const kernels = instantiateKernels(module, 'simd-threads', sha256);
  const shared = kernels.shared!;
  return { kernels, helpers: Array.from({ length: helpers }, () => nodeHelper(shared.module, shared.memory)) };
}

function nodeHelper(module: WebAssembly.Module, memory: WebAssembly.Memory): HelperThread {
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
}

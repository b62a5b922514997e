import { type Flavour, instantiateKernels, type Kernels, startThreadPool, threadsAvailable, type ThreadedKernels } from './kernels.js';

async function compile(flavour: Flavour): Promise<{ module: WebAssembly.Module; sha256: string }> {
  // Bytes first (not compileStreaming): results.json records their digest.
  const response = await fetch(new URL(`./percolab-${flavour}.wasm`, import.meta.url));
  if (!response.ok) throw new Error(`cannot load percolab-${flavour}.wasm: HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return { module: await WebAssembly.compile(bytes), sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
}

/** The single-threaded SIMD kernels, from the `.wasm` file that the build places beside this bundle. */
export async function loadKernels(): Promise<Kernels> {
  const { module, sha256 } = await compile('simd');
  return instantiateKernels(module, 'simd', sha256);
}

/**
 * The SIMD+threads kernels with a pool of `threads` threads (this one and `threads - 1` helper Web Workers)
 * when the page is cross-origin isolated;
 * otherwise the single-threaded kernels (same results, `threads` = 1). Must be used from a worker: the
 * pool blocks the calling thread, which a browser's main thread may not do.
 */
export async function loadThreadedKernels(threads = navigator.hardwareConcurrency || 1): Promise<ThreadedKernels> {
  if (!threadsAvailable()) {
    const stop = () => {};
    return Object.assign(await loadKernels(), { threads: 1, close: stop, [Symbol.dispose]: stop });
  }
  const { module: compiled, sha256 } = await compile('simd-threads');
  const kernels = instantiateKernels(compiled, 'simd-threads', sha256);
  const stop = await startThreadPool(kernels, threads, (module, memory) => {
    const worker = new Worker(new URL('./wasm-thread.js', import.meta.url), { type: 'module' });
    const ready = new Promise<void>((resolve, reject) => {
      worker.addEventListener('message', () => resolve(), { once: true });
      worker.addEventListener('error', (e) => reject(new Error(`wasm helper thread failed: ${e.message}`)), { once: true });
    });
    worker.postMessage({ module, memory });
    return { ready, terminate: () => worker.terminate() };
  });
  return Object.assign(kernels, { threads, close: stop, [Symbol.dispose]: stop });
}

// Browser entry point: the same API, with Web Workers.
import type { ConfigInput } from './config/schema.js';
import type { RunResults } from './results.js';
import { runOnNewPool } from './experiment/run.js';
import { createBrowserPool, defaultWorkers } from './pool/browser.js';

export * from './api.js';
export { createBrowserPool, defaultWorkers } from './pool/browser.js';
export { loadKernels, loadThreadedKernels } from './wasm/load-browser.js';
export { browserGpu } from './teachers/gpu-browser.js';

/** Validates `input`, runs it on a fresh pool of `workers` workers (else the config's, else one per core), and closes the pool. */
export function run(input: ConfigInput = {}, { workers }: { workers?: number } = {}): Promise<RunResults> {
  return runOnNewPool(input, (size) => createBrowserPool(size), workers, defaultWorkers());
}

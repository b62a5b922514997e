// Browser entry point: the same API, with Web Workers.
import type { ConfigInput } from './config/schema.js';
import type { RunResults } from './results.js';
import { runOnNewPool } from './experiment/run.js';
import { BROWSER_FILE_ERROR } from './experiment/file-data.js';
import { UsageError } from './errors.js';
import { createBrowserPool, defaultWorkers } from './pool/browser.js';

export * from './api.js';
export { createBrowserPool, defaultWorkers } from './pool/browser.js';
export { loadKernels, loadThreadedKernels } from './wasm/load-browser.js';
export { browserGpu } from './teachers/gpu-browser.js';

/** Validates `input`, runs it on a fresh pool of `options.workers` workers (else the config's, else one per core), and closes the pool. */
export async function run(input: ConfigInput = {}, options: { workers?: number } = {}): Promise<RunResults> {
  // No paths in a browser: file data is refused here, before any worker starts (the workers refuse it too).
  if (input.data?.kind === 'file') throw new UsageError(BROWSER_FILE_ERROR);
  return runOnNewPool(input, (size) => createBrowserPool(size), options.workers, defaultWorkers());
}

// Browser entry point: the same API, with Web Workers.
import { resolveConfig } from './config/load.js';
import type { ConfigInput } from './config/schema.js';
import type { RunResults } from './experiment/results.js';
import { runExperiment } from './experiment/run.js';
import { createBrowserPool, defaultWorkers } from './pool/browser.js';

export * from './api.js';
export { createBrowserPool, defaultWorkers } from './pool/browser.js';
export { loadKernels } from './wasm/load-browser.js';

/** Validates `input`, runs it on a fresh pool of `workers` Web Workers, and closes the pool. */
export async function run(input: ConfigInput = {}, { workers = defaultWorkers() } = {}): Promise<RunResults> {
  const config = resolveConfig(input);
  const pool = createBrowserPool(Math.min(workers, config.seeds));
  try {
    return await runExperiment(config, { pool });
  } finally {
    await pool.close();
  }
}

// Node entry point.
import { resolveConfig } from './config/load.js';
import type { ConfigInput } from './config/schema.js';
import type { RunResults } from './experiment/results.js';
import { runExperiment } from './experiment/run.js';
import { createNodePool, defaultWorkers } from './pool/node.js';

export * from './api.js';
export { writeRunFolder } from './experiment/output.js';
export { createNodePool, defaultWorkers } from './pool/node.js';
export { loadKernels } from './wasm/load-node.js';

/** Validates `input`, runs it on a fresh pool of `workers` worker threads, and closes the pool. */
export async function run(input: ConfigInput = {}, { workers = defaultWorkers() } = {}): Promise<RunResults> {
  const config = resolveConfig(input);
  const pool = createNodePool(Math.min(workers, config.seeds));
  try {
    return await runExperiment(config, { pool });
  } finally {
    await pool.close();
  }
}

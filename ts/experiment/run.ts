import { resolveConfig } from '../config/load.js';
import type { Config, ConfigInput } from '../config/schema.js';
import { fitScaling } from '../fit/scaling.js';
import type { WorkerPool } from '../pool/pool.js';
import { version } from '../version.js';
import type { RunResults } from './results.js';
import { theoryFor } from './theory.js';

export interface RunOptions {
  pool: WorkerPool;
  /** Called after each finished seed. */
  onProgress?: (done: number, total: number) => void;
}

/** The seeds of a run: `seed, seed + 1, ...`. */
export const seedsOf = (config: Config): number[] => Array.from({ length: config.seeds }, (_, i) => config.seed + i);

/** Runs every seed on the pool and fits the scaling exponent. */
export async function runExperiment(config: Config, { pool, onProgress }: RunOptions): Promise<RunResults> {
  const start = performance.now();
  const seeds = seedsOf(config);
  const perSeed = await pool.map(seeds, (api, seed) => api.runSeed(config, seed), onProgress);
  const points = perSeed.flat();
  return {
    percolab: version,
    config,
    seeds,
    points,
    fit: fitScaling(points, seeds, config.fit.window),
    theory: theoryFor(config),
    timing: { seconds: (performance.now() - start) / 1000 },
  };
}

/**
 * Validates `input`, runs it on a fresh pool from `createPool` (`workers` workers, else the config's
 * `workers`, else `fallbackWorkers`), and closes the pool.
 */
export async function runOnNewPool(input: ConfigInput, createPool: (size: number) => WorkerPool, workers: number | undefined, fallbackWorkers: number): Promise<RunResults> {
  const config = resolveConfig(input);
  const pool = createPool(Math.min(workers ?? config.workers ?? fallbackWorkers, config.seeds));
  try {
    return await runExperiment(config, { pool });
  } finally {
    await pool.close();
  }
}

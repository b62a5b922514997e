import { resolveConfig } from '../config/load.js';
import type { Config, ConfigInput } from '../config/schema.js';
import { fitScaling } from '../fit/scaling.js';
import type { WorkerPool } from '../pool/pool.js';
import { version } from '../version.js';
import type { DimensionMeasurement, RunResults, SeedResult } from '../results.js';
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
  // One pass over the pool: the dimension of the first seed's data (the longest task, so first: the
  // seeds then fill the other workers), then every seed's losses.
  type Task = { seed: number; measure: boolean };
  const measure = config.measure.points > 0;
  const tasks: Task[] = [...(measure ? [{ seed: seeds[0]!, measure: true }] : []), ...seeds.map((seed) => ({ seed, measure: false }))];
  let seedsDone = 0;
  const done = await pool.map(tasks, async (api, t): Promise<SeedResult | DimensionMeasurement> => {
    if (t.measure) return api.measureDimension(config, t.seed);
    const result = await api.runSeed(config, t.seed);
    onProgress?.(++seedsDone, seeds.length);
    return result;
  });
  const dimension = measure ? (done.shift() as DimensionMeasurement) : undefined;
  const results = done as SeedResult[];
  const points = results.flatMap((r) => r.losses);
  const teachers = results.map((r, i) => ({ seed: seeds[i]!, ...r.teacher }));
  return {
    percolab: version,
    config,
    seeds,
    points,
    fit: fitScaling(points, seeds, config.fit.window),
    teachers,
    theory: theoryFor(config),
    ...(dimension ? { dimension } : {}),
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

import { proxy } from 'comlink';
import { resolveConfig } from '../config/load.js';
import { stepsPerSize } from '../students/train.js';
import type { Config, ConfigInput } from '../config/schema.js';
import { fitScaling } from '../fit/scaling.js';
import type { WorkerPool } from '../pool/pool.js';
import { version } from '../version.js';
import type { CapacityMeasurement, DimensionMeasurement, RunResults, SeedResult, StudentRecord } from '../results.js';
import { theoryFor, withMeasured } from './theory.js';

export interface RunOptions {
  pool: WorkerPool;
  /** Called after each finished seed, or for students as training steps complete (`unit` says which). */
  onProgress?: (done: number, total: number, unit: 'seeds' | 'steps') => void;
  /** Receives each trained student's parameters (PyTorch layout, flat) with its layer sizes. */
  onWeights?: (seed: number, label: string, sizes: number[], parameters: Float32Array) => void;
}

/** The seeds of a run: `seed, seed + 1, ...`. */
export const seedsOf = (config: Config): number[] => Array.from({ length: config.seeds }, (_, i) => config.seed + i);

/** Runs every seed on the pool and fits the scaling exponent. */
export async function runExperiment(config: Config, { pool, onProgress, onWeights }: RunOptions): Promise<RunResults> {
  const start = performance.now();
  const seeds = seedsOf(config);
  // One pass over the pool: the dimension of the first seed's data (the longest task, so first: the
  // seeds then fill the other workers), then every seed's losses.
  type Task = { seed: number; measure?: 'dimension' | 'capacity' };
  const measure = config.measure.points > 0;
  const capacity = config.capacity.draws > 0;
  const tasks: Task[] = [
    ...(measure ? [{ seed: seeds[0]!, measure: 'dimension' as const }] : []),
    ...(capacity ? [{ seed: seeds[0]!, measure: 'capacity' as const }] : []),
    ...seeds.map((seed) => ({ seed })),
  ];
  let seedsDone = 0;
  // Students report training steps: every size and grid rate, plus the width check (about 4x the
  // largest size's steps at doubled width) on the first seed.
  const students = config.model.kind === 'mlp';
  const models = config.scaling === 'model' ? config.model.widthGrid.length : config.sizes.length;
  const totalSteps = students ? seeds.length * models * stepsPerSize(config) + (config.train.widthCheck && config.scaling === 'data' ? config.train.steps : 0) : 0;
  let stepsDone = 0;
  const onSteps = students && onProgress ? proxy((steps: number) => onProgress((stepsDone = Math.min(totalSteps, stepsDone + steps)), totalSteps, 'steps')) : undefined;
  const done = await pool.map(tasks, async (api, t): Promise<SeedResult | DimensionMeasurement | CapacityMeasurement> => {
    if (t.measure === 'dimension') return api.measureDimension(config, t.seed);
    if (t.measure === 'capacity') return api.measureCapacity(config, t.seed);
    const result = await api.runSeed(config, t.seed, onSteps);
    if (!students) onProgress?.(++seedsDone, seeds.length, 'seeds');
    return result;
  });
  const dimension = measure ? (done.shift() as DimensionMeasurement) : undefined;
  const capacityMeasurement = capacity ? (done.shift() as CapacityMeasurement) : undefined;
  const results = done as SeedResult[];
  const points = results.flatMap((r) => r.losses);
  const teachers = results.flatMap((r, i) => (r.teacher ? [{ seed: seeds[i]!, ...r.teacher }] : []));
  // Students are named by their size N (data scaling) or their parameter count P (model scaling).
  const label = (s: StudentRecord) => (config.scaling === 'model' ? `p-${s.summary.parameters}` : `n-${s.n}`);
  results.forEach((r, i) => r.weights?.forEach((w, j) => onWeights?.(seeds[i]!, label(r.students![j]!), r.students![j]!.summary.sizes, w)));
  const studentRecords = students ? results.map((r, i) => ({ seed: seeds[i]!, sizes: r.students ?? [] })) : undefined;
  const widthCheck = results.find((r) => r.widthCheck)?.widthCheck;
  // Which kernels computed the losses (all workers load the same file).
  const [wasm] = await pool.map([0], (api) => api.wasm()).catch(() => [undefined]);
  return {
    percolab: version,
    ...(wasm ? { wasm } : {}),
    config,
    seeds,
    points,
    fit: fitScaling(points, seeds, config.fit.window),
    teachers,
    theory: withMeasured(theoryFor(config, dimension), dimension),
    ...(studentRecords ? { students: studentRecords } : {}),
    ...(widthCheck ? { widthCheck } : {}),
    ...(dimension ? { dimension } : {}),
    ...(capacityMeasurement ? { capacity: { ...capacityMeasurement, ...(results[0]?.capacityLayers ? { layers: results[0].capacityLayers } : {}) } } : {}),
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

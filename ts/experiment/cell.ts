import type { Config } from '../config/schema.js';
import type { GpuEvaluator } from '../teachers/gpu.js';
import { createTeacher, type TeacherRecord } from '../teachers/teacher.js';
import { rowsPerSeed } from '../config/load.js';
import { UsageError } from '../errors.js';
import type { DataStream, DimensionEstimate, Kernels } from '../wasm/kernels.js';
import { measureCapacity, shuffledIds } from '../capacity/index.js';
import type { CapacityLayer, CapacityMeasurement } from '../results.js';
import { hiddenLayers } from '../capacity/layers.js';
import type { LossPoint, SeedResult, StudentRecord, WidthCheck } from '../results.js';
import { variance } from '../fit/scaling.js';
import { trainAtSize, widthCheck } from '../students/train.js';
import { fileSeedData } from './file-data.js';

/** Copies the rows `order[from..to)` of a row-major matrix, and their cluster ids when given. */
function gatherRows(points: Float32Array, d: number, order: Uint32Array, from: number, to: number, ids?: Uint32Array) {
  const x = new Float32Array((to - from) * d);
  const rowIds = ids ? new Uint32Array(to - from) : undefined;
  for (let i = from; i < to; i++) {
    const row = order[i]!;
    x.set(points.subarray(row * d, row * d + d), (i - from) * d);
    if (rowIds) rowIds[i - from] = ids![row]!;
  }
  return { x, ids: rowIds };
}

/** Reads `rows` rows of a data stream into one array, with their cluster ids when `ids` is set. */
export function readRows(stream: DataStream, rows: number, ids?: Uint32Array): Float32Array {
  const out = new Float32Array(rows * stream.dimension);
  for (let at = 0; at < rows; ) {
    const chunk = stream.next(Math.min(rows - at, 1 << 16));
    if (chunk.length === 0) throw new Error(`data stream ended after ${at} of ${rows} rows`);
    out.set(chunk, at * stream.dimension);
    ids?.set(stream.lastIds(), at);
    at += chunk.length / stream.dimension;
  }
  return out;
}

/** A seed's data set: row-major points and, for populations, each point's cluster id. */
export interface SeedData {
  points: Float32Array;
  ids?: Uint32Array;
  /** File data with labels (data.labels "file"): one per row, used instead of a teacher's. */
  labels?: Float32Array;
}

/** The data the experiment draws from for `seed`: `[rowsPerSeed(config), data.dimension]` points. */
export function seedData(kernels: Kernels, config: Config, seed: number): SeedData {
  const { kind, embedder, dimension: d, coordination, clusterSize, sampler } = config.data;
  // A file is the same rows for every seed; the seed only changes the split (runSeed's permutation).
  if (kind === 'file') return fileSeedData(config);
  if (kind === 'cluster' && embedder === 'naive') {
    // Breadth-first sampling and embedding (either sampler), as the experiment always has; the data stream
    // walks the exact sampler's cluster depth-first instead (same law, other numbers).
    const parents = kernels.sampleCluster(seed, 0, clusterSize, coordination, sampler);
    return { points: kernels.embedNaive(parents, d, seed, 0) };
  }
  const stream = kernels.dataStream(config.data, seed);
  try {
    const rows = rowsPerSeed(config) ?? stream.length;
    const needed = config.sizes[config.sizes.length - 1]! + config.testSize;
    if (rows < needed) throw new UsageError(`seed ${seed}: the data set has ${rows} points, fewer than the largest size plus testSize (${needed}); add clusters or raise their sizes`);
    const ids = kind === 'population' ? new Uint32Array(rows) : undefined;
    return { points: readRows(stream, rows, ids), ids };
  } finally {
    stream.free();
  }
}

/** The points of `seedData`. */
export const seedPoints = (kernels: Kernels, config: Config, seed: number): Float32Array => seedData(kernels, config, seed).points;

/**
 * Labels of `rows` (with their cluster ids) under the config's teacher for a seed's data set: the teacher
 * is standardized by, and drawn for the clusters of, the whole data set, whichever rows it labels.
 */
export async function labelSeed(kernels: Kernels, config: Config, seed: number, data: SeedData, rows: { x: Float32Array; ids?: Uint32Array } = { x: data.points, ids: data.ids }, gpu?: GpuEvaluator): Promise<{ labels: Float32Array; teacher: TeacherRecord }> {
  const teacher = createTeacher(config.teacher, kernels, config.data.dimension, seed, { reference: data.points, ids: data.ids, gpu });
  try {
    return { labels: await teacher.label(rows.x, rows.ids), teacher: teacher.record };
  } finally {
    teacher.free();
  }
}

/**
 * One repetition of the experiment: the seed's data set and labels; a test set and nested training sets
 * (prefixes of one random order of the remaining points); the test MSE at each size.
 */
export async function runSeed(kernels: Kernels, config: Config, seed: number, gpu?: GpuEvaluator, onSteps?: (steps: number) => void): Promise<SeedResult> {
  const d = config.data.dimension;
  const data = seedData(kernels, config, seed);
  const { points } = data;
  const rows = points.length / d;
  const order = kernels.permutation(seed, 0, rows);
  const largest = config.sizes[config.sizes.length - 1]!;
  // Only the rows the experiment uses are labelled: the test set, then the largest training set.
  const used = gatherRows(points, d, order, 0, config.testSize + largest, data.ids);
  // The file's own labels, in the split's order, when data.labels takes them; else the teacher's.
  const { labels, teacher } = data.labels ? { labels: gatherRows(data.labels, 1, order, 0, config.testSize + largest).x, teacher: undefined } : await labelSeed(kernels, config, seed, data, used, gpu);
  const test = { x: used.x.subarray(0, config.testSize * d), y: labels.subarray(0, config.testSize) };
  const train = { x: used.x.subarray(config.testSize * d), y: labels.subarray(config.testSize) };
  if (config.model.kind === 'mlp') {
    const trained = trainStudents(kernels, config, seed, train, test, onSteps);
    // Capacity per hidden layer of the first seed's last student (the largest N, or the widest).
    const last = trained.students.length - 1;
    const layers = config.capacity.draws > 0 && seed === config.seed && last >= 0 ? measureLayerCapacity(kernels, config, seed, data, trained.students[last]!.summary.sizes, trained.weights[last]!) : [];
    return { ...trained, ...(layers.length ? { capacityLayers: layers } : {}), ...(teacher ? { teacher } : {}) };
  }
  const testVariance = variance(test.y);
  const losses = config.sizes.map((n) => {
    const { k, weights, local, tangentDimension, tangentCutoff } = config.model;
    const fit = local === 'linear' ? { kind: local, tangentDimension, tangentCutoff } : { kind: local };
    const predictions = kernels.knnRegress(train.x.subarray(0, n * d), train.y.subarray(0, n), d, test.x, k, weights, fit);
    let sum = 0;
    predictions.forEach((p, i) => (sum += (p - test.y[i]!) ** 2));
    return { seed, n, loss: sum / predictions.length, relative: sum / predictions.length / testVariance };
  });
  return { losses, ...(teacher ? { teacher } : {}) };
}


/**
 * Students at every size (nested training sets, one test set) and the width check on the first seed; or,
 * for model scaling, students of every width of model.widthGrid on the largest training set.
 */
function trainStudents(kernels: Kernels, config: Config, seed: number, train: { x: Float32Array; y: Float32Array }, test: { x: Float32Array; y: Float32Array }, onSteps?: (steps: number) => void) {
  const d = config.data.dimension;
  const students: StudentRecord[] = [];
  const weights: Float32Array[] = [];
  let check: WidthCheck | undefined;
  const rowsOf = (n: number) => ({ x: train.x.subarray(0, n * d), y: train.y.subarray(0, n) });
  if (config.scaling === 'model') {
    const largest = config.sizes.length - 1;
    const rows = rowsOf(config.sizes[largest]!);
    config.model.widthGrid.forEach((w, j) => {
      const trained = trainAtSize(kernels, config, seed, largest, rows, test, { onSteps, widths: config.model.widths.map(() => w), variant: 2 + j });
      students.push(trained.record);
      weights.push(trained.weights);
    });
  } else {
    config.sizes.forEach((n, i) => {
      const rows = rowsOf(n);
      const trained = trainAtSize(kernels, config, seed, i, rows, test, { onSteps });
      students.push(trained.record);
      weights.push(trained.weights);
      if (config.train.widthCheck && seed === config.seed && i === config.sizes.length - 1) check = widthCheck(kernels, config, seed, i, rows, test, trained.record, onSteps);
    });
  }
  // Model scaling puts each student's parameter count where data scaling puts N.
  const x = (s: StudentRecord) => (config.scaling === 'model' ? s.summary.parameters : s.n);
  const losses: LossPoint[] = students.map((s) => ({ seed, n: x(s), loss: s.testLoss, relative: s.relative }));
  return { losses, students, weights, ...(check ? { widthCheck: check } : {}) };
}

/**
 * `m` rows of a row-major matrix in a random order drawn from `seed` (all rows if fewer). Split stream
 * index 1, so the subset is independent of the experiment's train/test order (index 0).
 */
export function randomRows(kernels: Kernels, points: Float32Array, d: number, m: number, seed: number): Float32Array {
  const rows = points.length / d;
  if (m >= rows) return points;
  const order = kernels.permutation(seed, 1, rows);
  const subset = new Float32Array(m * d);
  for (let i = 0; i < m; i++) subset.set(points.subarray(order[i]! * d, order[i]! * d + d), i * d);
  return subset;
}

/** Dimension estimates on a random subset of `measure.points` of the seed's points (all if fewer). */
export function measureDimension(kernels: Kernels, config: Config, seed: number): { points: number; estimates: DimensionEstimate[] } {
  const d = config.data.dimension;
  const subset = randomRows(kernels, seedPoints(kernels, config, seed), d, config.measure.points, seed);
  const m = subset.length / d;
  // CorrInt from 1000 centres: the exact all-pairs count is O(m^2). A method the data do not suit (too
  // few points for a scaling range, say) reports its error instead of failing the run.
  const estimates = (['twonn', 'mle', 'corrint', 'dq'] as const).map((method): DimensionEstimate => {
    try {
      return kernels.estimateDimension(subset, d, [method], seed, 50, { duplicates: 'drop', corrintCentres: 1000 })[0]!;
    } catch (error) {
      return { method, dimension: null, interval: null, error: (error as Error).message };
    }
  });
  return { points: m, estimates };
}

/**
 * The `capacity.clusters` largest clusters of a population's points (at least 2 points each; ties: lower
 * id first), every point of each (the capacity kernel subsamples `capacity.points` of them).
 */
export function largestClusters<T extends Float32Array | Float64Array>(points: T, ids: Uint32Array, d: number, clusters: number): { points: T; ids: Uint32Array; clusterIds: number[] } {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const chosen = [...counts].filter(([, n]) => n >= 2).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, clusters).map(([id]) => id);
  const keep = new Set(chosen);
  const rows = ids.reduce((n, id) => n + (keep.has(id) ? 1 : 0), 0);
  const out = { points: new (points.constructor as new (n: number) => T)(rows * d), ids: new Uint32Array(rows), clusterIds: chosen.sort((a, b) => a - b) };
  let at = 0;
  ids.forEach((id, r) => {
    if (!keep.has(id)) return;
    out.points.set(points.subarray(r * d, r * d + d), at * d);
    out.ids[at++] = id;
  });
  return out;
}

/** Split-stream index of the subsample of the `j`-th largest cluster measured by `capacity` (above the other splits). */
const CAPACITY_SPLIT_BASE = 0x10000;

/**
 * The points GLUE measures for a seed: the `capacity.clusters` largest clusters, at most `capacity.points`
 * seeded random points of each. The data and every student layer are measured on these same points.
 */
export function capacitySample(kernels: Kernels, config: Config, seed: number, data: SeedData): { points: Float32Array; ids: Uint32Array; clusterIds: number[] } | { error: string; clusterIds: number[] } {
  const d = config.data.dimension;
  if (!data.ids) return { clusterIds: [], error: 'the data have no clusters (data.kind "population" has)' };
  const chosen = largestClusters(data.points, data.ids, d, config.capacity.clusters);
  if (chosen.clusterIds.length < 2) return { clusterIds: chosen.clusterIds, error: `capacity needs at least 2 clusters of 2 or more points; the data have ${chosen.clusterIds.length}` };
  const rows: number[] = [];
  chosen.clusterIds.forEach((id, j) => {
    const members = [...chosen.ids.keys()].filter((r) => chosen.ids[r] === id);
    const m = config.capacity.points;
    const kept = members.length <= m ? members : Array.from(kernels.permutation(seed, CAPACITY_SPLIT_BASE + j, members.length).subarray(0, m), (p) => members[p]!).sort((a, b) => a - b);
    rows.push(...kept);
  });
  const gathered = gatherRows(chosen.points, d, Uint32Array.from(rows), 0, rows.length, chosen.ids);
  return { points: gathered.x, ids: gathered.ids!, clusterIds: chosen.clusterIds };
}

const capacityOptions = (config: Config, seed: number) => ({ draws: config.capacity.draws, dichotomy: config.capacity.dichotomy, centre: true, maxDimension: config.capacity.maxDimension, seed });

/** GLUE capacity of the seed's largest clusters (and the shuffled-label control), per the config's `capacity` section. */
export function measureClusterCapacity(kernels: Kernels, config: Config, seed: number): Omit<CapacityMeasurement, 'seed'> {
  const sample = capacitySample(kernels, config, seed, seedData(kernels, config, seed));
  if ('error' in sample) return sample;
  const options = capacityOptions(config, seed);
  return {
    clusterIds: sample.clusterIds,
    data: measureCapacity(kernels, sample.points, config.data.dimension, sample.ids, options),
    ...(config.capacity.control ? { control: measureCapacity(kernels, sample.points, config.data.dimension, shuffledIds(kernels, sample.ids, seed), options) } : {}),
  };
}

/** Capacity of each hidden layer of a trained student on the capacity sample (and the control per layer). */
export function measureLayerCapacity(kernels: Kernels, config: Config, seed: number, data: SeedData, sizes: number[], parameters: Float32Array): CapacityLayer[] {
  const sample = capacitySample(kernels, config, seed, data);
  if ('error' in sample) return [];
  const options = capacityOptions(config, seed);
  const shuffled = shuffledIds(kernels, sample.ids, seed);
  return hiddenLayers(kernels, sizes, parameters, config.model.activation, sample.points).map((h, l) => ({
    layer: l + 1,
    width: sizes[l + 1]!,
    data: measureCapacity(kernels, h, sizes[l + 1]!, sample.ids, options),
    ...(config.capacity.control ? { control: measureCapacity(kernels, h, sizes[l + 1]!, shuffled, options) } : {}),
  }));
}

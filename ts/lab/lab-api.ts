// The lab page's own worker: the threaded kernels (where the page is cross-origin isolated) for what the
// page measures itself: a dropped .npy's dimension, a seed's data for download, the PCA view.
import * as Comlink from 'comlink';
import { measureCapacity } from '../capacity/index.js';
import { populationData, populationPoints, type PopulationShape } from './capacity-population.js';
import type { Config } from '../config/schema.js';
import { analyseSuperposition, superpositionCurves, type SuperpositionCurves, type SuperpositionResult } from '../superposition/analysis.js';
import { labelSeed, randomRows, seedData } from '../experiment/cell.js';
import { encodeNpy } from '../io/npy.js';
import { createTeacher } from '../teachers/teacher.js';
import { axisRange, centralRow, slicePoints, type SliceGrid } from '../teachers/slice-grid.js';
import type { CapacityOptions, CapacityResult, DimensionEstimate, ThreadedKernels } from '../wasm/kernels.js';

export interface KernelInfo {
  flavour: string;
  threads: number;
  isolated: boolean;
}

export interface Projection {
  /** `[rows, 3]` coordinates on the first three principal axes. */
  coords: Float32Array;
  labels: Float32Array;
  rows: number;
  /** Fraction of the variance on each of the three axes. */
  explained: number[];
}

export interface LabApi {
  kernels(): Promise<KernelInfo>;
  /** TwoNN, MLE, CorrInt (1000 centres) and sandbox D_q of `[rows, d]` points, as a run measures its data. */
  estimate(points: Float32Array, d: number): Promise<DimensionEstimate[]>;
  /** The seed's whole data set as a float32 `.npy` file (the rows the experiment draws from). */
  dataNpy(config: Config, seed: number): Promise<Uint8Array>;
  /** `rows` random points of the seed's data with their teacher's labels, on their first principal axes. */
  project(config: Config, seed: number, rows: number): Promise<Projection>;
  /** The seed's teacher on the slice (x0, x1) through the data point nearest the mean, as `percolab teacher --slice 0,1` draws it. */
  slice(config: Config, seed: number, resolution: number): Promise<SliceGrid & { row: number }>;
  /** GLUE capacity of the clusters `ids` of `[rows, d]` points, as `percolab capacity --json` prints it. */
  capacity(points: Float64Array, d: number, ids: Uint32Array, options: CapacityOptions): Promise<CapacityResult>;
  /** A population of equal clusters (the points and ids `percolab generate` writes for it); throws the schema's message. */
  population(shape: PopulationShape, seed: number): Promise<{ points: Float32Array; ids: Uint32Array }>;
  /** `percolab superposition` at (n, m, p, seed), optionally trained (progress reported), and its report's curves. */
  superposition(shape: { n: number; m: number; p: number; seed: number }, train: false | { steps?: number }, onProgress?: (steps: number, total: number) => void): Promise<{ result: SuperpositionResult; curves: SuperpositionCurves }>;
  /** Stops a training in progress (it fails with "training cancelled"). */
  cancelTraining(): void;
}

const METHODS = ['twonn', 'mle', 'corrint', 'dq'] as const;

export function labApi(load: Promise<ThreadedKernels>, isolated: boolean): LabApi {
  let cancelled = false;
  return {
    kernels: async () => {
      const k = await load;
      return { flavour: k.flavour, threads: k.shared?.threadCount() ?? 1, isolated };
    },
    estimate: async (points, d) => {
      const k = await load;
      return METHODS.map((method): DimensionEstimate => {
        try {
          return k.estimateDimension(points, d, [method], 1, 50, { duplicates: 'drop', corrintCentres: 1000 })[0]!;
        } catch (error) {
          return { method, dimension: null, interval: null, error: (error as Error).message };
        }
      });
    },
    dataNpy: async (config, seed) => {
      const points = seedData(await load, config, seed).points;
      return encodeNpy({ dtype: 'float32', shape: [points.length / config.data.dimension, config.data.dimension], data: points });
    },
    project: async (config, seed, rows) => {
      const k = await load;
      const data = seedData(k, config, seed);
      const d = config.data.dimension;
      // The rows randomRows picks, with their cluster ids (per-cluster teachers label by them).
      const n = data.points.length / d;
      const order = rows < n ? k.permutation(seed, 1, n).subarray(0, rows) : undefined;
      const x = randomRows(k, data.points, d, rows, seed);
      const ids = data.ids && (order ? Uint32Array.from(order, (r) => data.ids![r]!) : data.ids);
      const { labels } = await labelSeed(k, config, seed, data, { x, ids });
      return { ...principalProjection(x, d, 3), labels, rows: x.length / d };
    },
    slice: async (config, seed, resolution) => {
      const k = await load;
      const data = seedData(k, config, seed);
      const d = config.data.dimension;
      const axes: [number, number] = [0, Math.min(1, d - 1)];
      const row = centralRow(data.points, d);
      const at = data.points.slice(row * d, row * d + d);
      const range = { i: axisRange(data.points, d, axes[0]), j: axisRange(data.points, d, axes[1]) };
      const teacher = createTeacher(config.teacher, k, d, seed, { reference: data.points, ids: data.ids });
      try {
        const clusterId = data.ids?.[row];
        const values = await teacher.label(slicePoints(at, axes, range, resolution), clusterId === undefined ? undefined : new Uint32Array(resolution ** 2).fill(clusterId));
        return { axes, values, resolution, range, at, row };
      } finally {
        teacher.free();
      }
    },
    capacity: async (points, d, ids, options) => measureCapacity(await load, points, d, ids, options),
    population: async (shape, seed) => {
      const out = populationPoints(await load, populationData(shape), seed);
      return Comlink.transfer(out, [out.points.buffer, out.ids.buffer]);
    },
    superposition: async (shape, train, onProgress) => {
      const k = await load;
      cancelled = false;
      const result = await analyseSuperposition(k, { ...shape, train: train && { steps: train.steps }, onProgress, cancelled: () => cancelled });
      return { result, curves: superpositionCurves(k, shape) };
    },
    cancelTraining: () => {
      cancelled = true;
    },
  };
}

/** Points on their first `m` principal axes (power iteration with deflation on the f64 covariance). */
export function principalProjection(x: Float32Array, d: number, m: number): { coords: Float32Array; explained: number[] } {
  const n = x.length / d;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c]! += x[i * d + c]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const va = x[i * d + a]! - mean[a]!;
      for (let b = a; b < d; b++) cov[a * d + b]! += (va * (x[i * d + b]! - mean[b]!)) / n;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a]!;
  let total = 0;
  for (let a = 0; a < d; a++) total += cov[a * d + a]!;
  const axes: Float64Array[] = [];
  const explained: number[] = [];
  for (let k = 0; k < Math.min(m, d); k++) {
    // A fixed start (not random) keeps the picture the same for the same data.
    let v = Float64Array.from({ length: d }, (_, i) => 1 + i / d);
    let lambda = 0;
    for (let iter = 0; iter < 300; iter++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) w[a]! += cov[a * d + b]! * v[b]!;
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      lambda = norm;
      v = w.map((e) => e / norm);
    }
    axes.push(v);
    explained.push(total > 0 ? lambda / total : 0);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b]! -= lambda * v[a]! * v[b]!;
  }
  const coords = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    axes.forEach((v, k) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += (x[i * d + c]! - mean[c]!) * v[c]!;
      coords[i * m + k] = s;
    });
  }
  return { coords, explained };
}

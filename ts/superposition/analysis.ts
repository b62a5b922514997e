// The Persian-rug toy model of superposition (Cowsik, Dolev & Infanger 2024): the closed form, the
// simulated Hadamard model, the baselines and (optionally) a trained model, from the wasm kernels.
import { UsageError } from '../errors.js';
import type { Kernels, SuperpositionAnalysis, WBlock } from '../wasm/kernels.js';

export type { SuperpositionAnalysis, WBlock };


export interface TrainedSuperposition {
  /** Held-out mean squared error per feature. */
  loss: number;
  steps: number;
  /** Mean training loss of each 250-step window. */
  windowLosses: number[];
  biasMean: number;
  /** Top-left block of W_out W_in. */
  w: WBlock;
}

export interface SuperpositionResult extends SuperpositionAnalysis {
  trained?: TrainedSuperposition;
}

export interface TrainSettings {
  /** Most Adam steps (default 4000); training stops earlier once a 250-step window improves by < 0.1%. */
  steps?: number;
  /** Rows per step (default 1024, fresh data every step). */
  batch?: number;
  /** Default 3e-3 / sqrt(n), the reference's. */
  learningRate?: number;
}

export interface SuperpositionOptions {
  n: number;
  m: number;
  p: number;
  seed?: number;
  /** Rows in each of the Hadamard model's two samples (default about 2^23 features). */
  rows?: number;
  train?: boolean | TrainSettings;
  /** Called after every window of training with the steps taken and the most allowed. */
  onProgress?: (steps: number, total: number) => void;
  /** Asked between training windows; true stops the training with a `TrainingCancelled` error. */
  cancelled?: () => boolean;
}

export class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled');
  }
}

/** Largest sample the Hadamard simulation draws (features), to keep its memory bounded. */
const MAX_SAMPLE_FEATURES = 2 ** 27;

const isPowerOfTwo = (x: number) => Number.isSafeInteger(x) && x >= 1 && (x & (x - 1)) === 0;

/** Checks the model's shape, with the CLI's flag names; the kernels check the same again. */
export function checkShape(n: number, m: number, p: number, rows = 0): void {
  if (!(isPowerOfTwo(n) && n >= 2 && n <= 65536)) throw new UsageError(`--n ${n}: expected a power of two from 2 to 65536 (the size of a Sylvester Hadamard matrix)`);
  if (!isPowerOfTwo(m)) throw new UsageError(`--m ${m}: expected a power of two (m rows of the Hadamard matrix)`);
  if (m > n) throw new UsageError(`--m ${m}: expected at most --n (${n})`);
  if (!(p > 0 && p <= 1)) throw new UsageError(`--p ${p}: expected a probability in (0, 1]`);
  if (rows * n > MAX_SAMPLE_FEATURES) throw new UsageError(`--rows ${rows}: rows x n must be at most 2^27 features (${MAX_SAMPLE_FEATURES / n} rows at n = ${n})`);
}

/**
 * Closed form, simulated Hadamard model, baselines and, with `train`, the trained model (in windows of
 * 250 steps, yielding to the event loop between them so progress can be shown).
 */
export async function analyseSuperposition(kernels: Kernels, options: SuperpositionOptions): Promise<SuperpositionResult> {
  const { n, m, p, seed = 0, rows = 0 } = options;
  checkShape(n, m, p, rows);
  const result: SuperpositionResult = kernels.superpositionAnalysis(n, m, p, seed, rows);
  if (options.train) {
    const settings: TrainSettings = options.train === true ? {} : options.train;
    const total = settings.steps ?? 4000;
    using training = kernels.superpositionTraining(n, m, p, seed, total, settings.batch ?? 0, settings.learningRate ?? 0);
    while (!training.advance(250)) {
      options.onProgress?.(training.steps, total);
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (options.cancelled?.()) throw new TrainingCancelled();
    }
    options.onProgress?.(training.steps, total);
    result.trained = training.finish();
  }
  return result;
}

export interface SuperpositionCurves {
  n: number;
  m: number;
  p: number;
  /** Loss against r = m/n at the fixed p: closed form on a fine grid, Hadamard simulations at m = n/2^k. */
  byRatio: { r: number; closedForm: number; linear: number; zero: number }[];
  hadamardByRatio: { r: number; loss: number }[];
  /** Loss against p at the fixed r. */
  byP: { p: number; closedForm: number; linear: number; zero: number }[];
  hadamardByP: { p: number; loss: number }[];
  /** Closed-form loss over (r, p), divided by the zero output's p/3. */
  grid: { r: number; p: number; loss: number; relative: number }[];
}

const linspace = (a: number, b: number, k: number) => Array.from({ length: k }, (_, i) => a + ((b - a) * i) / (k - 1));
const logspace = (a: number, b: number, k: number) => linspace(Math.log10(a), Math.log10(b), k).map((e) => 10 ** e);

/**
 * Everything the report plots, around the shape (n, m, p); `rows` per Hadamard simulation (default
 * about 2^21 features, from 16 to 2048 rows).
 */
export function superpositionCurves(kernels: Kernels, { n, m, p, seed = 0, rows = Math.min(2048, Math.max(16, 2 ** 21 / n)) }: { n: number; m: number; p: number; seed?: number; rows?: number }): SuperpositionCurves {
  checkShape(n, m, p);
  const r = m / n;
  const ratios = linspace(0.02, 0.98, 49);
  const ps = logspace(0.002, 1, 40);
  const linear = (ri: number, pi: number) => (1 - ri) * (pi / 3 - (pi * pi) / 4);
  const alongR = kernels.superpositionClosedForm(Float64Array.from(ratios), Float64Array.of(p));
  const alongP = kernels.superpositionClosedForm(Float64Array.of(Math.min(r, 0.999)), Float64Array.from(ps));
  const hadamardByRatio: { r: number; loss: number }[] = [];
  for (let mm = n / 2; mm >= Math.max(1, n / 64); mm /= 2) hadamardByRatio.push({ r: mm / n, loss: kernels.superpositionAnalysis(n, mm, p, seed, rows).hadamard.loss });
  const hadamardByP = m < n ? logspace(0.01, 0.5, 6).map((pi) => ({ p: pi, loss: kernels.superpositionAnalysis(n, m, pi, seed, rows).hadamard.loss })) : [];
  const gridR = linspace(0.05, 0.95, 12);
  const gridP = logspace(0.005, 1, 12);
  const gridLoss = kernels.superpositionClosedForm(Float64Array.from(gridR), Float64Array.from(gridP));
  return {
    n,
    m,
    p,
    byRatio: ratios.map((ri, i) => ({ r: ri, closedForm: alongR[i]!, linear: linear(ri, p), zero: p / 3 })),
    hadamardByRatio,
    byP: ps.map((pi, i) => ({ p: pi, closedForm: alongP[i]!, linear: linear(r, pi), zero: pi / 3 })),
    hadamardByP,
    grid: gridR.flatMap((ri, i) => gridP.map((pi, j) => ({ r: ri, p: pi, loss: gridLoss[i * gridP.length + j]!, relative: gridLoss[i * gridP.length + j]! / (pi / 3) }))),
  };
}

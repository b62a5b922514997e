// Students at one training size: the learning-rate grid chosen on the validation split, the learning
// curve, the test loss, the penultimate layer's dimension, the trained weights. The numerics live in
// crates/students; this decides what to train and what to keep.
import type { Config } from '../config/schema.js';
import { variance } from '../fit/scaling.js';
import type { GridPoint, PenultimateDimension, StudentRecord, WidthCheck } from '../results.js';
import { KernelError, type Kernels, type Student } from '../wasm/kernels.js';

export interface Rows {
  x: Float32Array;
  y: Float32Array;
}

/**
 * Stream index of a student: the size's position, plus `variant << 20` for a student that is not the
 * config's (1: the width check's doubled student; 2 + j: model scaling's j-th width).
 */
export const studentIndex = (sizeIndex: number, variant = 0) => sizeIndex + variant * (1 << 20);

const rates = (config: Config): number[] => (Array.isArray(config.train.learningRate) ? config.train.learningRate : [config.train.learningRate]);

/** Trains one student to the end, `chunk` steps at a time, reporting steps as they complete. */
function trainToEnd(student: Student, onSteps?: (steps: number) => void, chunk = 500): void {
  let before = student.step;
  while (!student.advance(chunk)) {
    onSteps?.(student.step - before);
    before = student.step;
  }
  onSteps?.(student.step - before);
}

/** Steps one size costs (every grid rate, trained to the end at most). */
export const stepsPerSize = (config: Config) => rates(config).length * config.train.steps;

export interface TrainedAtSize {
  record: StudentRecord;
  /** PyTorch-layout parameters of the kept student, standardization folded in. */
  weights: Float32Array;
}

/**
 * Trains the config's student on `train` (rows in random order) once per grid rate, keeps the one with
 * the lowest validation loss, and measures it on `test`.
 */
export function trainAtSize(
  kernels: Kernels,
  config: Config,
  seed: number,
  sizeIndex: number,
  train: Rows,
  test: Rows,
  { onSteps, widths, variant = 0, penultimate = true }: { onSteps?: (steps: number) => void; widths?: number[]; variant?: number; penultimate?: boolean } = {},
): TrainedAtSize {
  const d = config.data.dimension;
  const model = { ...config.model, widths: widths ?? config.model.widths };
  const grid: GridPoint[] = [];
  let kept: Student | undefined;
  let keptScore = Infinity;
  let keptRate = Number.NaN;
  try {
    for (const learningRate of rates(config)) {
      let student: Student | undefined;
      try {
        student = kernels.student({ model, train: { ...config.train, learningRate } }, d, seed, studentIndex(sizeIndex, variant), train, test);
        trainToEnd(student, onSteps);
      } catch (error) {
        // A rate that diverges loses the grid; a bad spec or data fails the run.
        const message = (error as Error).message;
        if (!(error instanceof KernelError) || !message.startsWith('diverged')) {
          student?.free();
          throw error;
        }
        onSteps?.(config.train.steps - (student?.step ?? 0));
        student?.free();
        grid.push({ learningRate, score: null, error: message });
        continue;
      }
      const summary = student.summary();
      const score = summary.bestValidation ?? student.history().at(-1)!.train;
      grid.push({ learningRate, score });
      if (score < keptScore) {
        kept?.free();
        kept = student;
        keptScore = score;
        keptRate = learningRate;
      } else {
        student.free();
      }
    }
    if (!kept) throw new KernelError(`every learning rate diverged at N = ${train.y.length} (${grid.map((g) => g.learningRate).join(', ')}); try smaller rates`);
    const summary = kept.summary();
    const n = train.y.length;
    const fitRows = summary.trainRows;
    const testLoss = kept.mse(test.x, test.y);
    const record: StudentRecord = {
      n,
      learningRate: keptRate,
      grid,
      testLoss,
      relative: testLoss / variance(test.y),
      trainLoss: kept.mse(train.x.subarray(0, fitRows * d), train.y.subarray(0, fitRows)),
      validationLoss: summary.validationRows > 0 ? kept.mse(train.x.subarray(fitRows * d), train.y.subarray(fitRows)) : null,
      summary,
      curve: kept.history(),
    };
    if (penultimate && model.widths.length > 0) record.penultimate = penultimateDimension(kernels, kept, test.x, model.widths.at(-1)!, seed);
    return { record, weights: kept.weights() };
  } finally {
    kept?.free();
  }
}

/** TwoNN and MLE of the last hidden layer's pre-activations on the test points (Sharma & Kaplan's check). */
function penultimateDimension(kernels: Kernels, student: Student, x: Float32Array, width: number, seed: number): PenultimateDimension {
  const h = student.penultimate(x);
  try {
    const [twonn, mle] = kernels.estimateDimension(h, width, ['twonn', 'mle'], seed, 0, { duplicates: 'drop' });
    return { twonn: twonn?.dimension ?? null, mle: mle?.dimension ?? null };
  } catch (error) {
    return { twonn: null, mle: null, error: (error as Error).message };
  }
}

/** The width-doubling check: the kept student against one with every width doubled, same data and rate. */
export function widthCheck(kernels: Kernels, config: Config, seed: number, sizeIndex: number, train: Rows, test: Rows, kept: StudentRecord, onSteps?: (steps: number) => void): WidthCheck {
  const doubledWidths = config.model.widths.map((w) => 2 * w);
  const single = { ...config, train: { ...config.train, learningRate: kept.learningRate } };
  const doubled = trainAtSize(kernels, single, seed, sizeIndex, train, test, { onSteps, widths: doubledWidths, variant: 1, penultimate: false }).record;
  return {
    seed,
    n: kept.n,
    widths: config.model.widths,
    testLoss: kept.testLoss,
    doubledWidths,
    doubledTestLoss: doubled.testLoss,
    change: doubled.testLoss / kept.testLoss - 1,
  };
}

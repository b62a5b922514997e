import type { Config } from '../config/schema.js';
import type { DimensionMeasurement, Theory } from '../results.js';
import { UsageError } from '../errors.js';

/**
 * Fractal dimension of a critical percolation cluster under a random-walk embedding: the mass within
 * chemical (graph) distance l of a critical tree grows as l^2, and a walk of unit mean squared step puts
 * distance l at Euclidean radius ~ sqrt(l), so mass ~ R^4 whatever the ambient dimension d.
 */
export const CLUSTER_DIMENSION = 4;

/**
 * Predicted exponent alpha = c / D. Nearest-neighbour regression (any fixed k) of a Lipschitz target
 * under MSE has c = 2: the nearest-neighbour distance shrinks as N^(-1/D) and the squared error with it
 * as N^(-2/D).
 * A student that is piecewise linear on that scale errs at second order: c = 4. So does a local-linear
 * fit on the k neighbours (`model.local = "linear"`) of a smooth teacher: its error is O(r^2) at
 * neighbourhood radius r ~ N^(-1/D).
 */
export function theoryFor(config: Config, measured?: DimensionMeasurement): Theory {
  // File data (its own block, additive): D is the user's data.intrinsicDimension, else the run's measurement.
  const file = config.data.kind === 'file' ? fileDimension(config, measured) : undefined;
  // A manifold's dimension is its own; the branching embedder stands in for a larger cluster (D = 4).
  const dimension = file ? file.dimension : config.data.kind === 'manifold' ? config.data.manifoldDimension : CLUSTER_DIMENSION;
  // Piecewise-linear approximators (ReLU networks; smooth students do at least as well) have c = 4
  // (Sharma & Kaplan 2022; Bahri et al. 2024) in the resolution-limited regime.
  const c = config.model.kind === 'knn' ? (config.model.local === 'linear' ? 4 : 2) : 4;
  const theory = { dimension, c, exponent: c / dimension, ...(file ? { dimensionSource: file.source } : {}) };
  if (config.data.kind !== 'population') return theory;
  return {
    ...theory,
    caveat: 'c/D is the law within one cluster; across a population the loss also depends on which clusters the training set has reached, so the exponent need not be c/D (1.8-2.3 measured with the defaults)',
  };
}

/** The methods whose median is a file's measured D (sandbox D_q is left out: it needs a scaling range). */
const MEASURED_BY = ['twonn', 'mle', 'corrint'] as const;

/**
 * File data's D: `data.intrinsicDimension` when given, else the median of the TwoNN, MLE and CorrInt
 * estimates on the first seed (`measure.points`); says which. The schema requires one of the two.
 */
export function fileDimension(config: Config, measured?: DimensionMeasurement): { dimension: number; source: string } {
  if (config.data.intrinsicDimension !== null) return { dimension: config.data.intrinsicDimension, source: 'given (data.intrinsicDimension)' };
  const values = (measured?.estimates ?? [])
    .filter((e) => (MEASURED_BY as readonly string[]).includes(e.method) && typeof e.dimension === 'number' && Number.isFinite(e.dimension) && e.dimension > 0)
    .map((e) => e.dimension as number)
    .sort((a, b) => a - b);
  if (values.length === 0) throw new UsageError('file data: no measured dimension for the theory (every estimate failed); set data.intrinsicDimension');
  const mid = values.length >> 1;
  const dimension = values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
  return { dimension, source: `measured: median of ${values.length} estimates (TwoNN, MLE, CorrInt) on ${measured!.points} points of seed ${measured!.seed}` };
}

import type { Config } from '../config/schema.js';
import type { DimensionMeasurement, MeasuredTheory, Theory } from '../results.js';
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

/**
 * The estimate the measured exponent uses: TwoNN (least squares, as scikit-dimension). 1-NN regression's
 * loss is set by nearest-neighbour distances, and TwoNN reads exactly those (the ratio of the 2nd to
 * the 1st neighbour distance) on `measure.points` (default 20 000) points, inside the training sizes
 * the fit spans; it is also the estimator Sharma & Kaplan tie their c/D to (science note §8). MLE
 * (k = 20) and CorrInt (10th to 20th neighbour) read larger scales, where a finite cluster's local
 * dimension is higher: on the default run TwoNN 3.76, MLE 3.90, CorrInt 3.93.
 */
export const MEASURED_METHOD = 'twonn';

/**
 * `theory` plus the exponent c/D expected from the dimension the run measured on its own data: on a
 * finite critical cluster the estimates read 3.6–3.9, not the asymptotic 4 (science note §1, §5), and
 * the 1-NN exponent follows the measured value. Returns `theory` unchanged when nothing was measured,
 * c is not known, or the estimate failed.
 */
export function withMeasured(theory: Theory, measurement: DimensionMeasurement | undefined): Theory {
  const estimate = measurement?.estimates.find((e) => e.method === MEASURED_METHOD);
  const dimension = estimate?.dimension;
  if (!Number.isFinite(theory.c) || typeof dimension !== 'number' || !Number.isFinite(dimension) || dimension <= 0) return theory;
  const interval = estimate!.interval && estimate!.interval.every((v) => Number.isFinite(v) && v > 0) ? estimate!.interval : null;
  const measured: MeasuredTheory = {
    dimension,
    method: MEASURED_METHOD,
    interval,
    exponent: theory.c / dimension,
    exponentInterval: interval ? [theory.c / interval[1], theory.c / interval[0]] : null,
  };
  return { ...theory, measured };
}

/**
 * File data's D: `data.intrinsicDimension` when given, else the run's own measurement on the first seed
 * (`measure.points`) by the same estimate as `theory.measured` (MEASURED_METHOD, TwoNN), so the two agree;
 * says which. The schema requires one of the two.
 */
export function fileDimension(config: Config, measured?: DimensionMeasurement): { dimension: number; source: string } {
  if (config.data.intrinsicDimension !== null) return { dimension: config.data.intrinsicDimension, source: 'given (data.intrinsicDimension)' };
  const estimate = measured?.estimates.find((e) => e.method === MEASURED_METHOD);
  const dimension = estimate?.dimension;
  if (typeof dimension !== 'number' || !Number.isFinite(dimension) || dimension <= 0) {
    throw new UsageError(`file data: no measured dimension for the theory (${MEASURED_METHOD}: ${String(estimate?.error ?? 'not measured')}); set data.intrinsicDimension`);
  }
  return { dimension, source: `measured: ${MEASURED_METHOD} on ${measured!.points} points of seed ${measured!.seed}` };
}

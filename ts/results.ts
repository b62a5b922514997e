// The shapes of what a run produces (results.json and what each seed's cell returns), in a module of
// their own so the experiment, the worker pool, the fit and the reports share them without importing
// one another.
import type { TeacherRecord } from './teachers/teacher.js';
import type { Config } from './config/schema.js';
import type { CapacityResult, CurvePoint, DimensionEstimate, StudentSummary, WasmIdentity } from './wasm/kernels.js';

/** The contents of a run's `results.json`. Field names are a contract with users' scripts. */
export interface RunResults {
  /** Version of percolab that produced the run. */
  percolab: string;
  /**
   * The kernels that computed the losses: the wasm flavour and the SHA-256 of its `.wasm` bytes (absent
   * only where the workers could not read them). `percolab verify` checks a bundle's wasm against it.
   */
  wasm?: WasmIdentity;
  /** The resolved (validated, defaults filled) config. */
  config: Config;
  /** The seed of each repetition, in order (`config.seed + i`). */
  seeds: number[];
  /** One test loss (mean squared error) per seed and training-set size. */
  points: LossPoint[];
  fit: ScalingFit;
  theory: Theory;
  /** Each seed's teacher, in seed order: device, draws, non-linearity score (and standardization). */
  teachers: (TeacherRecord & { seed: number })[];
  /** Students (model.kind "mlp"): per seed, one record per size (learning-rate grid, curve, losses). */
  students?: { seed: number; sizes: StudentRecord[] }[];
  /** The width-doubling check on the first seed's largest size. */
  widthCheck?: WidthCheck;
  /** Intrinsic dimension of the first seed's data (absent when `measure.points` is 0). */
  dimension?: DimensionMeasurement;
  /** GLUE manifold capacity of the first seed's clusters (present when `capacity.draws` > 0). */
  capacity?: CapacityMeasurement;
  timing: { seconds: number };
}

export interface CapacityMeasurement {
  seed: number;
  /** The clusters measured (the largest), by id. */
  clusterIds: number[];
  /** On the data's points; absent with `error` when the data have too few clusters. */
  data?: CapacityResult;
  /** The same points with their cluster ids shuffled (`capacity.control`). */
  control?: CapacityResult;
  /** Students (model.kind "mlp"): each hidden layer of the first seed's last student, on the same points. */
  layers?: CapacityLayer[];
  error?: string;
}

export interface CapacityLayer {
  /** 1 = the first hidden layer. */
  layer: number;
  width: number;
  /** On the layer's post-activations of the measured points. */
  data: CapacityResult;
  control?: CapacityResult;
}

export interface DimensionMeasurement {
  seed: number;
  /** Points measured (a random subset of the seed's data). */
  points: number;
  /** TwoNN, MLE, CorrInt (with the correlation integral and its local slopes), sandbox D_q and f(alpha). */
  estimates: DimensionEstimate[];
}

/** What one seed's cell returns. */
export interface SeedResult {
  losses: LossPoint[];
  /** Absent where no teacher labelled the points (file data with its own labels). */
  teacher?: TeacherRecord;
  students?: StudentRecord[];
  /** Trained weights per size (PyTorch layout, flat), for the run folder's `weights/`. */
  weights?: Float32Array[];
  widthCheck?: WidthCheck;
  /** Capacity of each hidden layer (the first seed, with `capacity.draws` > 0). */
  capacityLayers?: CapacityLayer[];
}

export interface LossPoint {
  seed: number;
  /** Training-set size. */
  n: number;
  /** Test mean squared error. */
  loss: number;
  /** The same divided by the variance of the test targets. */
  relative?: number;
}

export interface ScalingFit {
  /** Exponent alpha of loss ~ N^(-alpha): the median and 16th/84th percentiles of the per-seed fits. */
  exponent: { median: number; p16: number; p84: number };
  /** Least squares of ln(loss) on ln(n) per seed inside the window; exponent = -slope. */
  perSeed: { seed: number; exponent: number; intercept: number }[];
  /** The same fit on the per-size median loss across seeds: the line drawn in the report. */
  medianCurve: { exponent: number; intercept: number };
  /** Smallest and largest training-set size inside the fit window (inclusive). */
  window: [number, number];
}

export interface Theory {
  /** Intrinsic dimension D of the data. */
  dimension: number;
  /** c in alpha = c / D (2 for nearest-neighbour regression of a smooth target with MSE). */
  c: number;
  exponent: number;
  /** Why the prediction may not apply to this data (populations), when it may not. */
  caveat?: string;
  /** File data only: where D came from, "given (data.intrinsicDimension)" or "measured: ..." (the run's estimates). */
  dimensionSource?: string;
  /**
   * The same c over the dimension the run measured on its own data (`dimension` in results.json),
   * present when the run measured it and the method gave a finite value.
   */
  measured?: MeasuredTheory;
}

export interface MeasuredTheory {
  /** The measured intrinsic dimension. */
  dimension: number;
  /** Which estimate of `dimension.estimates` it is (see `MEASURED_METHOD` in experiment/theory.ts). */
  method: string;
  /** The estimate's bootstrap 16th–84th percentile interval, when it has one. */
  interval: [number, number] | null;
  /** c / dimension. */
  exponent: number;
  /** c over the interval's ends: [c / high, c / low]. */
  exponentInterval: [number, number] | null;
}

/** One candidate learning rate's outcome. */
export interface GridPoint {
  learningRate: number;
  /** Best validation MSE (or, with no validation split, the final training MSE); null if it diverged. */
  score: number | null;
  error?: string;
}

/** Two nearest-neighbour estimates of the penultimate activations' intrinsic dimension on the test points. */
export interface PenultimateDimension {
  twonn: number | null;
  mle: number | null;
  error?: string;
}

/** A trained student at one size: what results.json records per seed and size. */
export interface StudentRecord {
  n: number;
  /** The learning rate kept (the grid's best on validation). */
  learningRate: number;
  grid: GridPoint[];
  /** Test MSE (targets' units) and MSE / Var(test targets). */
  testLoss: number;
  relative: number;
  /** MSE on the whole training split and on the validation split, with the weights kept. */
  trainLoss: number;
  validationLoss: number | null;
  summary: StudentSummary;
  curve: CurvePoint[];
  penultimate?: PenultimateDimension;
}

/** The width-doubling check: the kept student against one with every width doubled, same data and rate. */
export interface WidthCheck {
  seed: number;
  n: number;
  widths: number[];
  testLoss: number;
  doubledWidths: number[];
  doubledTestLoss: number;
  /** doubled / original - 1: under 5% in magnitude means the student is resolution-limited. */
  change: number;
}

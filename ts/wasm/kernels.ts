// The TypeScript face of the wasm kernels: typed arrays in, typed arrays out, readable errors.
import type { Config } from '../config/schema.js';
import * as simd from './generated/simd/kernels.js';
import * as simdThreads from './generated/simd-threads/kernels.js';

/** Raised when a kernel rejects its arguments; the message names the argument and what is allowed. */
export class KernelError extends Error {
  override name = 'KernelError';
}

/** Raised when the wasm code panicked; the instance is unusable afterwards. */
export class KernelPanic extends Error {
  override name = 'KernelPanic';
}

export type Sampler = 'exact' | 'grow-cut';
export type KnnWeights = 'uniform' | 'distance';
/**
 * How k-NN regression turns the neighbours into a prediction: their (weighted) mean (`constant`, the
 * default), or an affine fit in their local tangent space evaluated at the query (`linear`), on the
 * `tangentDimension` leading principal axes of the neighbours or, without it, on every axis whose
 * eigenvalue exceeds `tangentCutoff` times the largest (at most k - 2 axes).
 */
export type KnnLocal = { kind: 'constant' } | { kind: 'linear'; tangentDimension?: number; tangentCutoff: number };

export interface BuildInfo {
  version: string;
  /** Which numbers a seed gives (`DATA_VERSION`, crates/random): 2 since the walker's normals take one ChaCha8 word each. */
  dataVersion: number;
  simd: boolean;
  threads: boolean;
}

/** Which kernels computed something: the flavour and the SHA-256 (hex) of its `.wasm` file's bytes. */
export interface WasmIdentity {
  flavour: Flavour;
  sha256: string;
}

/** Row-major `[queries, k]` neighbours, nearest first (ties: lower index first). */
export interface KnnResult {
  indices: Uint32Array;
  /** Euclidean distances. */
  distances: Float32Array;
}

/** A wasm-owned index. `free()` releases its memory at once; a finalizer is only a backstop. */
export interface KnnIndex {
  readonly points: number;
  /** Bytes held in wasm memory (the reordered copy of the points and the tree nodes). */
  readonly memoryBytes: number;
  search(queries: Float32Array, k: number): KnnResult;
  /** The k nearest other training points of every training point (self excluded by index). */
  searchSelf(k: number): KnnResult;
  free(): void;
  [Symbol.dispose](): void;
}

/**
 * Floats in wasm memory, filled in place (e.g. read straight from a file) and then consumed by a kernel
 * such as `knnIndex`: large inputs enter wasm without a second copy.
 */
export interface PointBuffer {
  readonly length: number;
  /** A view of the values. Take a fresh view after any other kernel call: memory may have grown. */
  view(): Float32Array;
  /** Releases the buffer if no kernel has consumed it. */
  free(): void;
}

/**
 * Where each parameter of one teacher sits in `parameters()` (offsets in floats from the start of the
 * teacher's block of `stride` floats), as the Rust crate defines it (crates/teachers/src/layout.rs).
 */
export type TeacherLayout =
  | { kind: 'linear'; stride: number; weights: number }
  | { kind: 'relu'; stride: number; layers: { fanIn: number; fanOut: number; weights: number; biases: number }[] }
  | {
      kind: 'fourier';
      stride: number;
      terms: number;
      /** Standardization offsets (d) and inverse scales (d). */
      offset: number;
      invScale: number;
      /** Term t's block starts at firstTerm + t * termStride; within it, its d frequencies, amplitude, phase. */
      firstTerm: number;
      termStride: number;
      frequencies: number;
      amplitude: number;
      phase: number;
    };

/** A drawn teacher in wasm memory (see crates/teachers). */
export interface TeacherModel {
  /** The layout of one teacher's block of `parameters()` (the same for every slot). */
  layout(): TeacherLayout;
  /** One label per row; per-cluster models need each row's cluster id. */
  evaluate(points: Float32Array, ids?: Uint32Array): Float32Array;
  /** Every teacher's f32 parameters in the GPU layout, slot after slot. */
  parameters(): Float32Array;
  /** Each point's teacher slot (0 for a single teacher). */
  slots(ids: Uint32Array): Uint32Array;
  /** Draws taken, the non-linearity score, a Fourier teacher's standardization, clusters. */
  record(): TeacherDraw;
  free(): void;
}

export interface TeacherDraw {
  draws: number;
  nonlinearity?: { score: number; standardError?: number; repetitions: number; slicePoints?: number; scoredClusters?: number };
  standardization?: { by: 'sd' | 'range'; offset: number[]; scale: number[] };
  clusters?: number;
}

/** One point of a student's learning curve: mean squared errors in the targets' units. */
export interface CurvePoint {
  step: number;
  learningRate: number;
  /** On (at most) the first 2048 training rows. */
  train: number;
  validation: number | null;
  test: number | null;
}

export interface StudentSummary {
  trainRows: number;
  validationRows: number;
  parameters: number;
  /** Layer sizes `[d, widths..., 1]`. */
  sizes: number[];
  steps: number;
  bestStep: number | null;
  bestValidation: number | null;
  targetMean: number;
  targetSd: number;
}

/** A neural-network student in wasm memory (see crates/students); the owner frees it. */
export interface Student {
  readonly step: number;
  readonly totalSteps: number;
  /** Trains at most `steps` more steps; true once finished (best weights restored). */
  advance(steps: number): boolean;
  history(): CurvePoint[];
  summary(): StudentSummary;
  /** Every parameter in PyTorch's layout, standardization folded in (raw inputs to raw targets). */
  weights(): Float32Array;
  predict(x: Float32Array): Float32Array;
  mse(x: Float32Array, y: Float32Array): number;
  /** Pre-activations of the last hidden layer, `[rows, widths[last]]`. */
  penultimate(x: Float32Array): Float32Array;
  free(): void;
  [Symbol.dispose](): void;
}

/** What a student is built from: the config's `model` and `train` sections, one learning rate. */
export interface StudentSpec {
  model: object;
  train: object & { learningRate: number };
}

/** A standardization read from a data stream in steps (`Kernels.standardizationRun`). */
export interface StandardizationRun {
  /** Reads up to `chunks` more chunks of 65536 rows; the fraction of the work done, 1 once it can finish. */
  advance(chunks: number): number;
  /** Offset then scale, 2 x dimension floats (frees the run). */
  finish(): Float32Array;
  free(): void;
}

/** Rows of a data set in chunks (see `DataSpec`); the owner frees it. */
export interface DataStream {
  readonly dimension: number;
  /** Rows in total (`Infinity` for a manifold sample). */
  readonly length: number;
  /** The next at most `rows` rows, row-major; empty once a finite stream is exhausted. */
  next(rows: number): Float32Array;
  /**
   * The next at most `rows` rows where the stream left them in wasm memory (no copy, no array per chunk);
   * empty once exhausted. The stream has two such buffers and fills them in turn, so a view's rows stay
   * unchanged through the next `nextView` (a chunk can be written out while the next one computes) and
   * are overwritten by the one after. Memory that is not shared (the SIMD flavour) may also move when a
   * call grows it, which empties the view: read it before calling in again.
   */
  nextView(rows: number): Float32Array;
  /**
   * The work before the first rows that goes in steps (a naive cluster's first draw of its offspring
   * counts: serial, about 0.1 s per 10^7 sites, so tens of seconds for billions): about `sites` sites
   * more of it here when it is this thread's to do (blocking for that long), else a look at a helper
   * thread's progress. Returns the fraction done, 1 once the first rows can be computed; between calls
   * the caller can show progress or stop. Optional: reading rows finishes it.
   */
  prepare(sites: number): number;
  /**
   * Cluster ids of the rows `next` returned last (populations only; empty otherwise); written into `out`
   * (one per row at least, reused by the caller) when given, else a new array.
   */
  lastIds(out?: Uint32Array): Uint32Array;
  /**
   * `model`'s labels of the rows `nextView` gave last (a model of the same kernels), read in wasm memory;
   * written into `out` (one float per row at least, reused by the caller) when given, else a new array.
   */
  labelFilled(model: TeacherModel, out?: Float32Array): Float32Array;
  free(): void;
  [Symbol.dispose](): void;
}

/**
 * What a data stream draws: the resolved `data` section of a config, handed across as it is. The wasm
 * side (crates/wasm/src/spec.rs) reads it by these names and rejects unknown keys; a naive cluster has
 * `clusterSize` sites (walked depth-first for the exact sampler, breadth-first in memory for grow-cut).
 */
/** The Persian-rug model in training (see crates/superposition); the owner frees it. */
export interface SuperpositionTraining {
  readonly steps: number;
  /** Up to `steps` more Adam steps; whether training has ended (step budget or a stalled window). */
  advance(steps: number): boolean;
  /** Held-out loss, steps taken, window losses, mean bias and the top-left block of W_out W_in. */
  finish(): { loss: number; steps: number; windowLosses: number[]; biasMean: number; w: { size: number; values: number[] } };
  free(): void;
  [Symbol.dispose](): void;
}

export type DataSpec = Config['data'];

/** What a teacher draws: the resolved `teacher` section of a config, handed across as it is. */
export type TeacherSpec = Config['teacher'];

/** What the threaded flavour needs to start helper threads on the instance's shared memory. */
export interface SharedInstance {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Builds a pool of `threads`: this thread and `threads - 1` helpers already waiting in `runThread`. */
  buildThreadPool(threads: number): void;
  /** Threads in the pool (1 before it is built). */
  threadCount(): number;
}

/** A top-left block of a superposition weight matrix, row-major. */
export interface WBlock {
  /** Side of the top-left block shown (min(n, 32)). */
  size: number;
  /** Row-major size x size values. */
  values: number[];
}

/** What the superposition kernel computes: closed form, simulated Hadamard model, baselines. */
export interface SuperpositionAnalysis {
  n: number;
  m: number;
  p: number;
  /** r = m / n. */
  r: number;
  seed: number;
  /** Of the Hadamard model's cross-talk (W x)_i - x_i: mean -p/2 (0 when m = n), variance (1/r - 1)(p/3 - p^2/4). */
  crosstalk: { mean: number; variance: number };
  /** min over A, c of E[(ReLU(A(x + c + sigma z)) - x)^2]; `mean` is the Hadamard model's parameter giving c. */
  closedForm: { loss: number; a: number; c: number; mean: number; sigma: number };
  /** The Hadamard model's two scalars fitted on `rows` rows; `loss` on `rows` held-out rows. */
  hadamard: { loss: number; fitLoss: number; a: number; mean: number; rows: number };
  /** Optimal affine rank-m model (1 - r)(p/3 - p^2/4); `referenceLoss` is the paper code's (n - m - 1)/n p/3. */
  linear: { loss: number; referenceLoss: number };
  /** Zero output: p/3. */
  zero: { loss: number };
  /** Top-left block of the Hadamard W = W_in^T W_in / m. */
  w: WBlock;
}

/** One initialised wasm instance. Every array returned is a copy owned by JS. */
export interface Kernels {
  readonly info: BuildInfo;
  readonly flavour: Flavour;
  /** SHA-256 (hex) of the `.wasm` bytes, where the loader read them (the Node and browser loaders do). */
  readonly sha256?: string;
  /** Present for the threaded flavour. */
  readonly shared?: SharedInstance;
  /** Current size of the instance's linear memory (it grows to the peak of any call, never shrinks). */
  memoryBytes(): number;
  /**
   * For tests: a Rust panic on this thread, or (`onHelper`, threaded flavour) on a helper thread while
   * this one waits. Throws `KernelPanic` naming it; the instance is unusable afterwards.
   */
  debugPanic(onHelper: boolean): void;
  sampleCluster(seed: number, index: number, size: number, coordination: number, sampler: Sampler): Uint32Array;
  embedNaive(parents: Uint32Array, dimension: number, seed: number, index: number): Float32Array;
  /** The first `count` normals of the embedding stream `(seed, index)`, as `dataStream`'s depth-first walk takes them. */
  standardNormals(seed: number, index: number, count: number): Float64Array;
  /**
   * The teacher of `spec` (the resolved `teacher` config section) for `seed`; a Fourier teacher is
   * standardized by `standardization` (offset then scale, 2 x dimension floats) when given, else by
   * `reference` (by `spec.standardize`); with `ids`, one teacher per cluster id. The owner frees it.
   */
  teacherModel(spec: TeacherSpec, dimension: number, seed: number, reference?: Float32Array, ids?: Uint32Array, standardization?: Float32Array): TeacherModel;
  /**
   * The standardization (offset then scale, 2 x dimension floats) that `by` gives the first `rows` rows of
   * the data stream `spec` for `seed`, read in chunks: what `teacherModel` computes from the same rows
   * in memory, without holding them.
   */
  streamStandardization(spec: DataSpec, seed: number, rows: number, by: TeacherSpec['standardize']): Float32Array;
  /** `streamStandardization` in steps, to show progress between them; the owner frees it unless finished. */
  standardizationRun(spec: DataSpec, seed: number, rows: number, by: TeacherSpec['standardize']): StandardizationRun;
  permutation(seed: number, index: number, n: number): Uint32Array;
  knnSearch(train: Float32Array, dimension: number, queries: Float32Array, k: number): KnnResult;
  /**
   * Weights mode: sandbox D_q of the network of dense layers `layers` (each `[outputs, inputs]` row-major,
   * PyTorch's `Linear.weight`), edges of length 1/|w|; method `weights`, plus NeuroMFA's view.
   */
  estimateWeights(layers: { values: Float32Array; outputs: number; inputs: number }[], seed: number, replicates: number): WeightsEstimate;
  /** The data set `spec` describes for `seed`, streamed in chunks. */
  dataStream(spec: DataSpec, seed: number): DataStream;
  /** `length` zeros in wasm memory, to fill and hand to a kernel. */
  pointBuffer(length: number): PointBuffer;
  /**
   * An exact k-NN index over a copy of `train`, or over a point buffer's values (consumed, no copy). The
   * caller owns the index and frees it (`using` or `free()`).
   */
  knnIndex(train: Float32Array | PointBuffer, dimension: number): KnnIndex;
  /**
   * Starts compiling, on a helper thread, what an index of `dimension` columns runs to be built and to
   * answer `k`-NN queries, and returns at once (V8 compiles each wasm function on its first call, about
   * 0.1 s for these). Call it before work a helper would sit out, such as reading the training file. Does
   * nothing without helpers.
   */
  warmKnn(dimension: number, k: number): void;
  /**
   * Starts compiling a naive cluster's first draw of its offspring counts on a helper thread (a small
   * draw, dropped) and returns at once: call it just before `dataStream` of such a cluster, whose helper
   * then makes its own draw with compiled code. Does nothing without helpers.
   */
  warmCluster(): void;
  /**
   * k-NN regression; `distance` weights are 1/distance, exact matches taking all the weight. `local` (default
   * `constant`, the mean) picks a local-linear fit instead.
   */
  knnRegress(train: Float32Array, targets: Float32Array, dimension: number, queries: Float32Array, k: number, weights?: KnnWeights, local?: KnnLocal): Float64Array;
  /**
   * A student for `spec` on `train` (rows in random order; the last `validationFraction` of them are its
   * validation split), with an optional test set for the learning curve and optional initial weights.
   */
  student(spec: StudentSpec, dimension: number, seed: number, index: number, train: { x: Float32Array; y: Float32Array }, test?: { x: Float32Array; y: Float32Array }, initial?: Float32Array): Student;
  /**
   * Parity checks: raw optimizer steps from `parameters`, batch `s` being rows `batches[s*batch..]` of
   * (x, y), no standardization; the parameters after every step, concatenated.
   */
  trainSteps(sizes: number[], activation: string, parameters: Float32Array, x: Float32Array, y: Float32Array, batches: Uint32Array, batch: number, optimizer: { kind: 'adam' | 'sgd'; learningRate: number; weightDecay?: number; momentum?: number }): Float32Array;
  /**
   * Persian rug: closed form, simulated Hadamard model (`rows` rows per sample, 0 for about 2^23
   * features), baselines and the Hadamard W's top-left block, as parsed JSON (see ts/superposition).
   */
  superpositionAnalysis(n: number, m: number, p: number, seed: number, rows: number): SuperpositionAnalysis;
  /** Closed-form losses, row-major [ratios, ps]. */
  superpositionClosedForm(ratios: Float64Array, ps: Float64Array): Float64Array;
  /** The full model `ReLU(W_out W_in x + b)` to train: at most `steps` steps; batch and rate 0 for defaults. */
  superpositionTraining(n: number, m: number, p: number, seed: number, steps: number, batch: number, learningRate: number): SuperpositionTraining;
  /** Benchmarks: `reps` products of the students' blocked f32 kernel (a checksum comes back). */
  gemmBench(m: number, n: number, k: number, reps: number): number;
  /** Gradient checks: the float64 MSE gradient at `parameters` on (x, y), the loss appended last. */
  gradient64(sizes: number[], activation: string, parameters: Float64Array, x: Float64Array, y: Float64Array): Float64Array;
  /** Float64 post-activations of every hidden layer of the network at `parameters` on `x`, concatenated. */
  hiddenLayers64(sizes: number[], activation: string, parameters: Float64Array, x: Float64Array): Float64Array;
  /** Relative error of the float64 analytic gradient against central differences with step `h`. */
  finiteDifferenceError(sizes: number[], activation: string, parameters: Float64Array, x: Float64Array, y: Float64Array, h: number): number;
  /**
   * Intrinsic and multifractal dimension estimates (exact neighbour distances; bootstrap 16th-84th
   * percentile intervals). `duplicates`: points with another point at distance 0 make TwoNN and MLE
   * fail naming how many (`error`, default), or are left out of them and counted (`drop`).
   * `corrintCentres`: CorrInt counts pairs from this many centres (0, default: all n^2 pairs, exactly
   * scikit-dimension's O(n^2) count).
   */
  estimateDimension(
    points: Float32Array,
    dimension: number,
    methods: DimensionMethod[],
    seed: number,
    replicates: number,
    options?: { duplicates?: DuplicatePolicy; corrintCentres?: number },
  ): DimensionEstimate[];
  /**
   * GLUE manifold capacity of the point clouds given by `ids` (one per row of `points`, `[rows,
   * dimension]` row-major): each draw's anchor problem solved exactly (NNLS on the Gram matrix).
   */
  measureCapacity(points: Float64Array, dimension: number, ids: Uint32Array, options?: CapacityOptions): CapacityResult;
}

/** Options of `measureCapacity` (defaults in brackets). */
export interface CapacityOptions {
  /** Gaussian draws, at least 2 [200]. */
  draws?: number;
  /** Labels per draw: independent fair ±1, or draw d labels manifold d mod P +1 and the rest -1 ['random']. */
  dichotomy?: 'random' | 'one-versus-rest';
  /** Subtract the mean of all points first [true]. */
  centre?: boolean;
  /** Random Gaussian projection to this many dimensions when the data have more [none]. */
  maxDimension?: number;
  /** At most this many points per manifold (a seeded uniform subset) [all]. */
  subsample?: number;
  seed?: number;
  /** Return every draw's labels, u = Z t, multipliers and quadratic forms a, b, c (cross-checks) [false]. */
  keepDraws?: boolean;
}

/** One GLUE measurement; each estimate `x` comes with `xStandardError` (jackknife over draws). */
export interface CapacityResult {
  capacity: number;
  capacityStandardError: number;
  dimension: number;
  dimensionStandardError: number;
  radius: number;
  radiusStandardError: number;
  utility: number;
  utilityStandardError: number;
  centreAlignment: number;
  centreAlignmentStandardError: number;
  axesAlignment: number;
  axesAlignmentStandardError: number;
  centreAxesAlignment: number;
  centreAxesAlignmentStandardError: number;
  /** Mean fraction of manifolds with a non-zero anchor. */
  participation: number;
  manifolds: number;
  /** The distinct ids, ascending (manifold i is the points with id ids[i]). */
  ids: number[];
  /** Points kept per manifold. */
  points: number[];
  ambientDimension: number;
  dimensionUsed: number;
  draws: number;
  dichotomy: 'random' | 'one-versus-rest';
  centred: boolean;
  anchors: string;
  drawsDetail?: { labels: number[]; projections: number[]; multipliers: number[]; a: number; b: number; c: number; objective: number }[];
}

export const dimensionMethods = ['twonn', 'mle', 'corrint', 'dq', 'box'] as const;
export type DimensionMethod = (typeof dimensionMethods)[number] | 'weights';
export type DuplicatePolicy = 'error' | 'drop';

/** A bootstrap 16th-84th percentile interval; null where there was none. */
export type EstimateInterval = [number, number] | null;

/**
 * What every estimator answers. JSON has no NaN or infinity: a value that is not finite is null. A
 * method that failed on the data (in a run's measurement) has only `error` beside these, so the
 * method-specific fields are optional.
 */
interface EstimateCommon {
  dimension: number | null;
  interval: EstimateInterval;
  /** Why the method gave no estimate on these data (runs record it instead of failing). */
  error?: string;
}

/** TwoNN: least squares (`dimension`) and maximum likelihood (`dimensionMl`) on the 2nd/1st neighbour ratios. */
export interface TwoNnEstimate extends EstimateCommon {
  method: 'twonn';
  dimensionMl?: number | null;
  intervalMl?: EstimateInterval;
  discardFraction?: number;
  points?: number;
  duplicatesDropped?: number;
}

/** Levina-Bickel maximum likelihood over `k` neighbours. */
export interface MleEstimate extends EstimateCommon {
  method: 'mle';
  k?: number;
  points?: number;
  duplicatesDropped?: number;
}

/** The correlation integral C(r) on [r1, r2] (the k1-th to k2-th neighbour distances), with the whole curve. */
export interface CorrIntEstimate extends EstimateCommon {
  method: 'corrint';
  k1?: number;
  k2?: number;
  r1?: number | null;
  r2?: number | null;
  centres?: number;
  curve?: {
    radii: (number | null)[];
    correlation: (number | null)[];
    slopeRadii: (number | null)[];
    localSlopes: (number | null)[];
    slope: number | null;
    centres: number;
  };
}

/** Sandbox generalized dimensions D_q, tau(q) and f(alpha); `dimension` is D_1. */
export interface SandboxEstimate extends EstimateCommon {
  method: 'dq' | 'weights';
  q?: number[];
  tau?: (number | null)[];
  tauIntervals?: EstimateInterval[];
  generalizedDimensions?: (number | null)[];
  dimensionIntervals?: EstimateInterval[];
  alpha?: (number | null)[];
  fAlpha?: (number | null)[];
  radii?: (number | null)[];
  logMass?: (number | null)[][];
  centres?: number;
  /** The smallest and largest radius the slopes were fitted over. */
  fitted?: [number | null, number | null];
}

/** The network of a model's dense layers (method `weights`): the sandbox on shortest paths, and NeuroMFA's view. */
export interface WeightsEstimate extends SandboxEstimate {
  method: 'weights';
  nodes: number;
  edges: number;
  neuromfa: { q: number[]; tau: (number | null)[]; alpha0: number | null };
}

/** Box counting D_0 (and D_q from box occupancies). */
export interface BoxEstimate extends EstimateCommon {
  method: 'box';
  sizes?: (number | null)[];
  counts?: number[];
  q?: number[];
  tau?: (number | null)[];
  generalizedDimensions?: (number | null)[];
}

/** One estimator's answer, told apart by `method`. */
export type DimensionEstimate = TwoNnEstimate | MleEstimate | CorrIntEstimate | SandboxEstimate | WeightsEstimate | BoxEstimate;

/** Kernels with a running thread pool; the owner calls `close()` (or `using`) to stop the helpers. */
export type ThreadedKernels = Kernels & { readonly threads: number; close(): void; [Symbol.dispose](): void };

/** Bytes or a compiled module of a flavour's `.wasm` file. */
export type WasmSource = BufferSource | WebAssembly.Module;

export const flavours = ['simd', 'simd-threads'] as const;
export type Flavour = (typeof flavours)[number];

/** Both flavours export the same kernels; the threaded one adds the pool handoff. */
type Glue = Omit<typeof simd, 'initSync' | 'default'> & { initSync(options: { module: WebAssembly.Module }): { memory: WebAssembly.Memory } };
const glues: Record<Flavour, Glue> = { simd, 'simd-threads': simdThreads };

/**
 * The threaded flavour needs shared memory: Node always has it; a browser only when the page is
 * cross-origin isolated (COOP/COEP). SIMD128 is required either way (every current engine has it).
 */
export function threadsAvailable(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

function guard<T>(glue: Glue, call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) {
      const message = glue.lastPanic();
      throw new KernelPanic(message ? `wasm kernel panicked: ${message}` : `wasm kernel trapped: ${error.message}`);
    }
    if (error instanceof Error) throw new KernelError(error.message);
    throw error;
  }
}

const big = (n: number) => BigInt(n);

/** Guards a wasm-owned object: `live()` returns it until `free()` (idempotent) releases it. */
function owned<T extends { free(): void }>(raw: T, what: string) {
  let freed = false;
  return {
    live: () => {
      if (freed) throw new KernelError(`this ${what} has been freed`);
      return raw;
    },
    free: () => {
      if (!freed) raw.free();
      freed = true;
    },
  };
}

/** Copies a wasm-owned result into JS arrays and frees it at once. */
function copyOut(result: { indices: Uint32Array; distances: Float32Array; free(): void }): KnnResult {
  try {
    return { indices: result.indices, distances: result.distances };
  } finally {
    result.free();
  }
}

/**
 * Instantiates the kernels synchronously from the flavour's wasm bytes or compiled module; `sha256` is
 * the digest of those bytes, for the record (results.json says which kernels computed a run).
 */
export function instantiateKernels(source: WasmSource, flavour: Flavour = 'simd', sha256?: string): Kernels {
  const glue = glues[flavour];
  /** The wasm object behind each teacher model of this instance (for `DataStream.labelFilled`). */
  const liveModels = new WeakMap<TeacherModel, () => simd.TeacherModel>();
  if (!glue) throw new KernelError(`unknown wasm flavour ${flavour}`);
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  const exports = glue.initSync({ module });
  const info = JSON.parse(glue.buildInfo()) as BuildInfo;
  const call = <T>(f: () => T) => guard(glue, f);
  // Point buffers of this instance, each with the function that hands its wasm object to a kernel.
  const buffers = new WeakMap<PointBuffer, () => InstanceType<Glue['PointBuffer']>>();
  const take = (buffer: PointBuffer) => {
    const handOver = buffers.get(buffer);
    if (!handOver) throw new KernelError('this point buffer belongs to another kernels instance');
    return handOver();
  };
  const shared: SharedInstance | undefined =
    flavour === 'simd-threads'
      ? {
          module,
          memory: exports.memory,
          buildThreadPool: (threads) => call(() => simdThreads.buildThreadPool(threads)),
          threadCount: () => simdThreads.threadCount(),
        }
      : undefined;
  return {
    info,
    flavour,
    ...(sha256 ? { sha256 } : {}),
    shared,
    memoryBytes: () => exports.memory.buffer.byteLength,
    debugPanic: (onHelper) => call(() => glue.debugPanic(onHelper)),
    sampleCluster: (seed, index, size, coordination, sampler) =>
      call(() => glue.sampleCluster(big(seed), big(index), size, coordination, sampler)),
    embedNaive: (parents, dimension, seed, index) => call(() => glue.embedNaive(parents, dimension, big(seed), big(index))),
    standardNormals: (seed, index, count) => call(() => glue.standardNormals(big(seed), big(index), count)),
    teacherModel: (spec, dimension, seed, reference, ids, standardization) => {
      const { live, free } = owned(call(() => new glue.TeacherModel(JSON.stringify(spec), dimension, big(seed), reference, ids, standardization)), 'teacher');
      const model: TeacherModel = {
        layout: () => JSON.parse(live().layout()) as TeacherLayout,
        evaluate: (points, pointIds) => call(() => live().evaluate(points, pointIds)),
        parameters: () => live().parameters(),
        slots: (pointIds) => call(() => live().slots(pointIds)),
        record: () => JSON.parse(live().record()) as TeacherDraw,
        free,
      };
      liveModels.set(model, live);
      return model;
    },
    permutation: (seed, index, n) => call(() => glue.permutation(big(seed), big(index), n)),
    knnSearch: (train, dimension, queries, k) => call(() => copyOut(glue.knnSearch(train, dimension, queries, k))),
    estimateWeights: (layers, seed, replicates) => {
      const values = new Float32Array(layers.reduce((n, l) => n + l.values.length, 0));
      let at = 0;
      for (const l of layers) {
        values.set(l.values, at);
        at += l.values.length;
      }
      const shapes = Uint32Array.from(layers.flatMap((l) => [l.outputs, l.inputs]));
      return JSON.parse(call(() => glue.estimateWeights(values, shapes, big(seed), replicates)));
    },
    streamStandardization: (spec, seed, rows, by) => call(() => glue.streamStandardization(JSON.stringify(spec), big(seed), rows, by)),
    standardizationRun: (spec, seed, rows, by) => {
      const raw = call(() => new glue.StandardizationRun(JSON.stringify(spec), big(seed), rows, by));
      return { advance: (chunks) => call(() => raw.advance(chunks)), finish: () => call(() => raw.finish()), free: () => raw.free() };
    },
    dataStream: (spec, seed) => {
      const raw = call(() => new glue.DataStream(JSON.stringify(spec), big(seed)));
      const free = () => raw.free();
      const nextView = (rows: number) => {
        const written = call(() => raw.fill(rows));
        return new Float32Array(exports.memory.buffer, raw.chunkPointer, written * raw.dimension);
      };
      // A view of wasm memory copied into the front of `out`, a buffer the caller reuses.
      const copyInto = <T extends Float32Array | Uint32Array>(view: T, out: T, what: string, unit: string): T => {
        if (out.length < view.length) throw new KernelError(`${what}: out holds ${out.length} ${unit}, fewer than the ${view.length} rows`);
        const into = out.subarray(0, view.length) as T;
        into.set(view);
        return into;
      };
      const labelFilled = (model: TeacherModel, out?: Float32Array) => {
        const live = liveModels.get(model);
        if (!live) throw new KernelError('labelFilled: a teacher model of other kernels');
        const count = call(() => raw.labelFilled(live()));
        const labels = new Float32Array(exports.memory.buffer, raw.labelsPointer, count);
        return out ? copyInto(labels, out, 'labelFilled', 'floats') : labels.slice();
      };
      const lastIds = (out?: Uint32Array) => (out ? copyInto(new Uint32Array(exports.memory.buffer, raw.idsPointer, raw.idsCount), out, 'lastIds', 'ids') : raw.lastIds());
      const prepare = (sites: number) => call(() => raw.prepare(sites));
      return { dimension: raw.dimension, length: raw.length, next: (rows) => call(() => raw.next(rows)), nextView, prepare, lastIds, labelFilled, free, [Symbol.dispose]: free };
    },
    pointBuffer: (length) => {
      const raw = call(() => new glue.PointBuffer(length));
      let state: 'live' | 'consumed' | 'freed' = 'live';
      const live = () => {
        if (state !== 'live') throw new KernelError(`this point buffer has been ${state}`);
        return raw;
      };
      const buffer: PointBuffer = {
        length: raw.length,
        view: () => new Float32Array(exports.memory.buffer, live().pointer, raw.length),
        free: () => {
          if (state !== 'live') return;
          raw.free();
          state = 'freed';
        },
      };
      buffers.set(buffer, () => {
        const r = live();
        state = 'consumed';
        return r;
      });
      return buffer;
    },
    warmKnn: (dimension, k) => call(() => glue.warmKnn(dimension, k)),
    warmCluster: () => call(() => glue.warmCluster()),
    knnIndex: (train, dimension) => {
      const raw = call(() =>
        train instanceof Float32Array ? new glue.KnnIndex(train, dimension) : glue.KnnIndex.fromBuffer(take(train), dimension),
      );
      const { live, free } = owned(raw, 'k-NN index');
      return {
        points: raw.points,
        memoryBytes: raw.memoryBytes,
        search: (queries, k) => call(() => copyOut(live().search(queries, k))),
        searchSelf: (k) => call(() => copyOut(live().searchSelf(k))),
        free,
        [Symbol.dispose]: free,
      };
    },
    knnRegress: (train, targets, dimension, queries, k, weights = 'uniform', local = { kind: 'constant' }) =>
      call(() =>
        local.kind === 'linear'
          ? glue.knnRegress(train, targets, dimension, queries, k, weights, 'linear', local.tangentDimension, local.tangentCutoff)
          : glue.knnRegress(train, targets, dimension, queries, k, weights),
      ),
    student: (spec, dimension, seed, index, train, test, initial) => {
      const raw = call(() => new glue.Student(JSON.stringify(spec), dimension, big(seed), big(index), train.x, train.y, test?.x, test?.y, initial));
      const { live, free } = owned(raw, 'student');
      return {
        get step() {
          return live().step;
        },
        get totalSteps() {
          return live().totalSteps;
        },
        advance: (steps) => call(() => live().advance(steps)),
        history: () => JSON.parse(live().history()) as CurvePoint[],
        summary: () => JSON.parse(live().summary()) as StudentSummary,
        weights: () => live().weights(),
        predict: (x) => call(() => live().predict(x)),
        mse: (x, y) => call(() => live().mse(x, y)),
        penultimate: (x) => call(() => live().penultimate(x)),
        free,
        [Symbol.dispose]: free,
      };
    },
    trainSteps: (sizes, activation, parameters, x, y, batches, batch, optimizer) =>
      call(() => glue.trainSteps(Uint32Array.from(sizes), activation, parameters, x, y, batches, batch, JSON.stringify(optimizer))),
    superpositionAnalysis: (n, m, p, seed, rows) => JSON.parse(call(() => glue.superpositionAnalysis(n, m, p, big(seed), rows))),
    superpositionClosedForm: (ratios, ps) => call(() => glue.superpositionClosedForm(ratios, ps)),
    superpositionTraining: (n, m, p, seed, steps, batch, learningRate) => {
      const raw = call(() => new glue.SuperpositionTraining(n, m, p, big(seed), steps, batch, learningRate));
      const { live, free } = owned(raw, 'superposition training');
      return {
        get steps() {
          return live().steps;
        },
        advance: (steps) => call(() => live().advance(steps)),
        finish: () => JSON.parse(call(() => live().finish())),
        free,
        [Symbol.dispose]: free,
      };
    },
    gemmBench: (m, n, k, reps) => glue.gemmBench(m, n, k, reps),
    gradient64: (sizes, activation, parameters, x, y) => call(() => glue.gradient64(Uint32Array.from(sizes), activation, parameters, x, y)),
    hiddenLayers64: (sizes, activation, parameters, x) => call(() => glue.hiddenLayers64(Uint32Array.from(sizes), activation, parameters, x)),
    finiteDifferenceError: (sizes, activation, parameters, x, y, h) => call(() => glue.finiteDifferenceError(Uint32Array.from(sizes), activation, parameters, x, y, h)),
    estimateDimension: (points, dimension, methods, seed, replicates, { duplicates = 'error', corrintCentres = 0 } = {}) =>
      JSON.parse(call(() => glue.estimateDimension(points, dimension, methods.join(','), big(seed), replicates, duplicates, corrintCentres))),
    measureCapacity: (points, dimension, ids, { draws = 200, dichotomy = 'random', centre = true, maxDimension, subsample, seed = 0, keepDraws = false } = {}) =>
      JSON.parse(call(() => glue.measureCapacity(points, dimension, ids, draws, dichotomy, centre, maxDimension, subsample, big(seed), keepDraws))),
  };
}

/** A started helper thread: resolves `ready` once it has instantiated the module and is waiting. */
export interface HelperThread {
  ready: Promise<void>;
  terminate(): void;
}

/**
 * Builds the rayon pool of `threads` threads: the calling thread (which works too while it waits, and so
 * receives a helper's panic) and `threads - 1` helpers started on the instance's shared memory, `started`
 * ones first (helpers spawned earlier; any beyond `threads - 1` wait unused until stopped).
 * Returns a function that stops the helpers (the pool is unusable afterwards).
 */
export async function startThreadPool(
  kernels: Kernels,
  threads: number,
  spawn: (module: WebAssembly.Module, memory: WebAssembly.Memory) => HelperThread,
  started: readonly HelperThread[] = [],
): Promise<() => void> {
  const shared = kernels.shared;
  if (!shared) throw new KernelError(`the ${kernels.flavour} flavour has no threads`);
  const helpers = [...started, ...Array.from({ length: Math.max(0, threads - 1 - started.length) }, () => spawn(shared.module, shared.memory))];
  const stop = () => helpers.forEach((h) => h.terminate());
  try {
    await Promise.all(helpers.map((h) => h.ready));
    shared.buildThreadPool(threads);
  } catch (error) {
    stop();
    throw error;
  }
  return stop;
}

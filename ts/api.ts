// What the Node and browser entry points share.
export { applySets, parseConfigText, resolveConfig, rowsPerSeed, UsageError } from './config/load.js';
export { configJsonSchema, referenceMarkdown } from './config/reference.js';
export { ConfigSchema, type Config, type ConfigInput } from './config/schema.js';
export { dataSpec, measureDimension, randomRows, readRows, runSeed, seedPoints } from './experiment/cell.js';
export type { LossPoint, RunResults, ScalingFit, Theory } from './experiment/results.js';
export { runExperiment, seedsOf, type RunOptions } from './experiment/run.js';
export { theoryFor } from './experiment/theory.js';
export { fitPowerLaw, fitScaling, percentile } from './fit/scaling.js';
export { readArrowPoints } from './io/arrow.js';
export { asFloat32Matrix, encodeNpy, parseNpy, parseNpyHeader, type NpyArray, type NpyDtype, type NpyHeader } from './io/npy.js';
export { WorkerPool, type CellApi } from './pool/pool.js';
export { createTeacher, type Teacher } from './teachers/teacher.js';
export { renderReport } from './report/index.js';
export { version } from './version.js';
export {
  dimensionMethods,
  KernelError,
  KernelPanic,
  threadsAvailable,
  type BuildInfo,
  type DataSpec,
  type DataStream,
  type DimensionEstimate,
  type DimensionMethod,
  type DuplicatePolicy,
  type Flavour,
  type Kernels,
  type KnnIndex,
  type KnnResult,
  type PointBuffer,
  type ThreadedKernels,
} from './wasm/kernels.js';

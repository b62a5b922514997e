// What the Node and browser entry points share.
export { applySets, parseConfigText, resolveConfig, rowsPerSeed } from './config/load.js';
export { UsageError } from './errors.js';
export { configJsonSchema, referenceMarkdown } from './config/reference.js';
export { ConfigSchema, type Config, type ConfigInput } from './config/schema.js';
export { labelSeed, measureDimension, randomRows, readRows, runSeed, seedData, seedPoints, type SeedData } from './experiment/cell.js';
export type { JsonValue } from './json.js';
export type { LossPoint, RunResults, ScalingFit, SeedResult, Theory } from './results.js';
export { measureCapacity, shuffledIds, type CapacityOptions, type CapacityResult } from './capacity/index.js';
export { largestClusters, measureClusterCapacity } from './experiment/cell.js';
export type { CapacityMeasurement } from './results.js';
export { capacitySpec, renderCapacityReport, type CapacityEntry } from './report/capacity.js';
export { runExperiment, seedsOf, type RunOptions } from './experiment/run.js';
export { theoryFor } from './experiment/theory.js';
export { fitPowerLaw, fitScaling, percentile } from './fit/scaling.js';
export { readArrowPoints, type PointsFile } from './io/arrow.js';
export { asFloat32Matrix, encodeNpy, parseNpy, parseNpyHeader, type NpyArray, type NpyDtype, type NpyHeader } from './io/npy.js';
export { WorkerPool, type CellApi } from './pool/pool.js';
export { createTeacher, type Teacher, type TeacherOptions, type TeacherRecord } from './teachers/teacher.js';
export { AGREEMENT_TOLERANCE, agreementError, chooseDevice, DeviceError, knownAnswerCheck, type CheckResult, type DeviceChoice, type DeviceSetting, type GpuCandidate, type GpuProvider } from './teachers/device.js';
export { GpuEvaluator, type GpuTeacher } from './teachers/gpu.js';
export { cpuModel, gpuTeacher, type TeacherSpec } from './teachers/model.js';
export { renderReport } from './report/index.js';
export { lossByRatioSpecSvg, renderSuperpositionReport, superpositionPlots } from './report/superposition.js';
export { analyseSuperposition, superpositionCurves, type SuperpositionCurves, type SuperpositionOptions, type SuperpositionResult } from './superposition/analysis.js';
export { version } from './version.js';
export {
  dimensionMethods,
  KernelError,
  KernelPanic,
  threadsAvailable,
  type BuildInfo,
  type DataSpec,
  type DataStream,
  type BoxEstimate,
  type CorrIntEstimate,
  type DimensionEstimate,
  type EstimateInterval,
  type MleEstimate,
  type SandboxEstimate,
  type TwoNnEstimate,
  type WasmIdentity,
  type WeightsEstimate,
  type DimensionMethod,
  type DuplicatePolicy,
  type Flavour,
  type Kernels,
  type KnnIndex,
  type KnnResult,
  type PointBuffer,
  type TeacherDraw,
  type TeacherLayout,
  type TeacherModel,
  type ThreadedKernels,
} from './wasm/kernels.js';

// Node entry point.
import type { ConfigInput } from './config/schema.js';
import type { RunResults } from './results.js';
import { runOnNewPool } from './experiment/run.js';
import { createNodePool, defaultWorkers } from './pool/node.js';
import { setPointsFileReader } from './experiment/file-data.js';
import { inspectPointsFile, readPointsFile } from './io/points-file.js';
import { absoluteDataPath, resolveFileConfig } from './experiment/file-config.js';

export * from './api.js';
export { writeRunFolder } from './io/atomic.js';
export { readFloat32Matrix, readFloat32MatrixInto, type Float32Target } from './io/npy-file.js';
export { readParquetPoints } from './io/parquet.js';
export { inspectPointsFile, readPointsFile } from './io/points-file.js';
export { resolveFileConfig } from './experiment/file-config.js';

// File data (data.kind "file") read on this thread too (e.g. `seedData`); runs read it in their workers.
setPointsFileReader(readPointsFile, inspectPointsFile);
export { createNodePool, defaultWorkers } from './pool/node.js';
export { loadKernels, loadThreadedKernels } from './wasm/load-node.js';
export { nodeGpu, prepareGpuEnvironment } from './teachers/gpu-node.js';

/** Validates `input`, runs it on a fresh pool of `options.workers` workers (else the config's, else one per core), and closes the pool. */
export function run(input: ConfigInput = {}, options: { workers?: number } = {}): Promise<RunResults> {
  // File data: a relative data.path is taken against the current folder; the dimension and labels come from the file.
  const resolved = resolveFileConfig(absoluteDataPath(input as Record<string, unknown>, process.cwd()));
  return runOnNewPool(resolved, (size) => createNodePool(size), options.workers, defaultWorkers());
}

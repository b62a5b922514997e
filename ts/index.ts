// Node entry point.
import type { ConfigInput } from './config/schema.js';
import type { RunResults } from './results.js';
import { runOnNewPool } from './experiment/run.js';
import { createNodePool, defaultWorkers } from './pool/node.js';

export * from './api.js';
export { writeRunFolder } from './io/atomic.js';
export { readFloat32Matrix, readFloat32MatrixInto, type Float32Target } from './io/npy-file.js';
export { readParquetPoints } from './io/parquet.js';
export { createNodePool, defaultWorkers } from './pool/node.js';
export { loadKernels, loadThreadedKernels } from './wasm/load-node.js';
export { nodeGpu, prepareGpuEnvironment } from './teachers/gpu-node.js';

/** Validates `input`, runs it on a fresh pool of `workers` workers (else the config's, else one per core), and closes the pool. */
export function run(input: ConfigInput = {}, { workers }: { workers?: number } = {}): Promise<RunResults> {
  return runOnNewPool(input, (size) => createNodePool(size), workers, defaultWorkers());
}

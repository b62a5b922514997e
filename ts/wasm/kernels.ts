// The TypeScript face of the wasm kernels: typed arrays in, typed arrays out, readable errors.
import * as simd from './generated/simd/kernels.js';

/** Raised when a kernel rejects its arguments; the message names the argument and what is allowed. */
export class KernelError extends Error {
  override name = 'KernelError';
}

/** Raised when the wasm code panicked; the instance is unusable afterwards. */
export class KernelPanic extends Error {
  override name = 'KernelPanic';
}

export type Sampler = 'exact' | 'grow-cut';

export interface BuildInfo {
  version: string;
  simd: boolean;
  threads: boolean;
}

/** One initialised wasm instance. Every array returned is a copy owned by JS. */
export interface Kernels {
  readonly info: BuildInfo;
  /** Current size of the instance's linear memory (it grows to the peak of any call, never shrinks). */
  memoryBytes(): number;
  sampleCluster(seed: number, index: number, size: number, coordination: number, sampler: Sampler): Uint32Array;
  embedNaive(parents: Uint32Array, dimension: number, seed: number, index: number): Float32Array;
  teacherLinear(points: Float32Array, dimension: number, seed: number, index: number): Float32Array;
  permutation(seed: number, index: number, n: number): Uint32Array;
  knnSearch(train: Float32Array, dimension: number, queries: Float32Array, k: number): { indices: Uint32Array; distances: Float32Array };
  knnRegress(train: Float32Array, targets: Float32Array, dimension: number, queries: Float32Array, k: number): Float64Array;
}

/** Bytes or a compiled module of a flavour's `.wasm` file. */
export type WasmSource = BufferSource | WebAssembly.Module;

export const flavours = ['simd'] as const;
export type Flavour = (typeof flavours)[number];

/** The flavour this runtime can run. SIMD128 is required (every current browser and Node has it). */
export function chooseFlavour(): Flavour {
  return 'simd';
}

function guard<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) {
      const message = simd.lastPanic();
      throw new KernelPanic(message ? `wasm kernel panicked: ${message}` : `wasm kernel trapped: ${error.message}`);
    }
    if (error instanceof Error) throw new KernelError(error.message);
    throw error;
  }
}

const big = (n: number) => BigInt(n);

/** Instantiates the kernels synchronously from the flavour's wasm bytes or module. */
export function instantiateKernels(source: WasmSource, flavour: Flavour = 'simd'): Kernels {
  if (flavour !== 'simd') throw new KernelError(`unknown wasm flavour ${flavour}`);
  const exports = simd.initSync({ module: source });
  const info = JSON.parse(simd.buildInfo()) as BuildInfo;
  return {
    info,
    memoryBytes: () => exports.memory.buffer.byteLength,
    sampleCluster: (seed, index, size, coordination, sampler) =>
      guard(() => simd.sampleCluster(big(seed), big(index), size, coordination, sampler)),
    embedNaive: (parents, dimension, seed, index) => guard(() => simd.embedNaive(parents, dimension, big(seed), big(index))),
    teacherLinear: (points, dimension, seed, index) =>
      guard(() => simd.teacherLinear(points, dimension, big(seed), big(index))),
    permutation: (seed, index, n) => guard(() => simd.permutation(big(seed), big(index), n)),
    knnSearch: (train, dimension, queries, k) =>
      guard(() => {
        const result = simd.knnSearch(train, dimension, queries, k);
        try {
          return { indices: result.indices, distances: result.distances };
        } finally {
          result.free();
        }
      }),
    knnRegress: (train, targets, dimension, queries, k) =>
      guard(() => simd.knnRegress(train, targets, dimension, queries, k)),
  };
}

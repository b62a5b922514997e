/* tslint:disable */
/* eslint-disable */

/**
 * Exact k nearest neighbours; owned by the caller, who copies the arrays out and calls `free()`.
 */
export class KnnResult {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Row-major `[queries, k]` Euclidean distances.
     */
    readonly distances: Float32Array;
    /**
     * Row-major `[queries, k]` training-point indices, nearest first (ties: lower index first).
     */
    readonly indices: Uint32Array;
}

/**
 * Which build this is: `{"version", "simd", "threads"}` as JSON.
 */
export function buildInfo(): string;

/**
 * Row-major `[n, dimension]` coordinates of the naive random-walk embedding of a parent array.
 */
export function embedNaive(parents: Uint32Array | number[], dimension: number, seed: bigint, index: bigint): Float32Array;

/**
 * k-NN regression with uniform weights: the mean target of each query's k nearest training points.
 */
export function knnRegress(train: Float32Array | number[], targets: Float32Array | number[], dimension: number, queries: Float32Array | number[], k: number): Float64Array;

export function knnSearch(train: Float32Array | number[], dimension: number, queries: Float32Array | number[], k: number): KnnResult;

/**
 * The message of the last Rust panic, if any (the instance must not be used after a panic).
 */
export function lastPanic(): string | undefined;

/**
 * A uniform permutation of `0..n` from the split stream `(seed, index)`.
 */
export function permutation(seed: bigint, index: bigint, n: number): Uint32Array;

/**
 * Parent array (breadth-first, root first with parent 0xFFFFFFFF) of a critical cluster of `size`
 * sites, from the cluster stream `(seed, index)`.
 */
export function sampleCluster(seed: bigint, index: bigint, size: number, coordination: number, sampler: string): Uint32Array;

export function start(): void;

/**
 * Labels of `points` under the linear teacher drawn from the teacher stream `(seed, index)`.
 */
export function teacherLinear(points: Float32Array | number[], dimension: number, seed: bigint, index: bigint): Float32Array;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_knnresult_free: (a: number, b: number) => void;
    readonly buildInfo: () => [number, number];
    readonly embedNaive: (a: number, b: number, c: number, d: bigint, e: bigint) => [number, number, number, number];
    readonly knnRegress: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number, number, number];
    readonly knnSearch: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number, number];
    readonly knnresult_distances: (a: number) => [number, number];
    readonly knnresult_indices: (a: number) => [number, number];
    readonly lastPanic: () => [number, number];
    readonly permutation: (a: bigint, b: bigint, c: number) => [number, number];
    readonly sampleCluster: (a: bigint, b: bigint, c: number, d: number, e: number, f: number) => [number, number, number, number];
    readonly start: () => void;
    readonly teacherLinear: (a: number, b: number, c: number, d: bigint, e: bigint) => [number, number, number, number];
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;

/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const __wbg_knnresult_free: (a: number, b: number) => void;
export const buildInfo: () => [number, number];
export const embedNaive: (a: number, b: number, c: number, d: bigint, e: bigint) => [number, number, number, number];
export const knnRegress: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number, number, number];
export const knnSearch: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number, number];
export const knnresult_distances: (a: number) => [number, number];
export const knnresult_indices: (a: number) => [number, number];
export const lastPanic: () => [number, number];
export const permutation: (a: bigint, b: bigint, c: number) => [number, number];
export const sampleCluster: (a: bigint, b: bigint, c: number, d: number, e: number, f: number) => [number, number, number, number];
export const start: () => void;
export const teacherLinear: (a: number, b: number, c: number, d: bigint, e: bigint) => [number, number, number, number];
export const __wbindgen_externrefs: WebAssembly.Table;
export const __wbindgen_free: (a: number, b: number, c: number) => void;
export const __wbindgen_malloc: (a: number, b: number) => number;
export const __externref_table_dealloc: (a: number) => void;
export const __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
export const __wbindgen_start: () => void;

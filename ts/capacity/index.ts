// GLUE manifold capacity from TypeScript: any float points (converted once to float64 for the kernel),
// and the shuffled-label control (the same points and cluster sizes, ids permuted).
import type { CapacityOptions, CapacityResult, Kernels } from '../wasm/kernels.js';

export type { CapacityOptions, CapacityResult } from '../wasm/kernels.js';

/** Stream index of the control's permutation (the split stream of `seed`; indices below are data splits). */
export const CONTROL_PERMUTATION_INDEX = 0xcafe;

/** Capacity of the clusters `ids` (one per row of `points`, `[rows, dimension]` row-major). */
export function measureCapacity(kernels: Kernels, points: Float32Array | Float64Array, dimension: number, ids: Uint32Array, options: CapacityOptions = {}): CapacityResult {
  return kernels.measureCapacity(points instanceof Float64Array ? points : Float64Array.from(points), dimension, ids, options);
}

/** The ids in a seeded random order: the same cluster sizes, with membership unrelated to the points. */
export function shuffledIds(kernels: Kernels, ids: Uint32Array, seed: number): Uint32Array {
  const order = kernels.permutation(seed, CONTROL_PERMUTATION_INDEX, ids.length);
  return Uint32Array.from(order, (i) => ids[i]!);
}

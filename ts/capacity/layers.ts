// A trained student's hidden representations, for capacity per layer: the post-activations of every hidden
// layer, computed in float64 by the students' own forward pass from the exported float32 weights (PyTorch
// layout, standardization folded in).
import type { Kernels } from '../wasm/kernels.js';

export type Activation = 'relu' | 'tanh' | 'gelu';

/** Row-major `[rows, width]` post-activations of each hidden layer of the network `sizes` on `x` (`[rows, sizes[0]]`). */
export function hiddenLayers(kernels: Kernels, sizes: readonly number[], parameters: Float32Array, activation: Activation, x: Float32Array | Float64Array): Float64Array[] {
  const rows = x.length / sizes[0]!;
  const all = kernels.hiddenLayers64([...sizes], activation, Float64Array.from(parameters), Float64Array.from(x));
  const out: Float64Array[] = [];
  let at = 0;
  for (const width of sizes.slice(1, -1)) {
    out.push(all.slice(at, at + rows * width));
    at += rows * width;
  }
  return out;
}

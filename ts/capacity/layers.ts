// A trained student's hidden representations, for capacity per layer: the post-activations of every hidden
// layer, computed in float64 from the exported float32 weights (PyTorch layout, standardization folded in).
export type Activation = 'relu' | 'tanh' | 'gelu';

/** erf to 1.5e-7 absolute (Abramowitz & Stegun 7.1.26), below float32 rounding of the weights themselves. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

const activations: Record<Activation, (z: number) => number> = {
  relu: (z) => (z > 0 ? z : 0),
  tanh: Math.tanh,
  gelu: (z) => 0.5 * z * (1 + erf(z / Math.SQRT2)),
};

/** Row-major `[rows, width]` post-activations of each hidden layer of the network `sizes` on `x` (`[rows, sizes[0]]`). */
export function hiddenLayers(sizes: readonly number[], parameters: Float32Array, activation: Activation, x: Float32Array | Float64Array): Float64Array[] {
  const rows = x.length / sizes[0]!;
  const out: Float64Array[] = [];
  let input: Float32Array | Float64Array = x;
  let at = 0;
  for (let l = 0; l + 2 < sizes.length; l++) {
    const [n, m] = [sizes[l]!, sizes[l + 1]!];
    const w = parameters.subarray(at, at + n * m);
    const b = parameters.subarray(at + n * m, at + n * m + m);
    at += n * m + m;
    const h = new Float64Array(rows * m);
    const f = activations[activation];
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < m; o++) {
        let z = b[o]!;
        for (let i = 0; i < n; i++) z += w[o * n + i]! * input[r * n + i]!;
        h[r * m + o] = f(z);
      }
    }
    out.push(h);
    input = h;
  }
  return out;
}

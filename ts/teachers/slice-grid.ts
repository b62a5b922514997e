// The grid of a teacher slice: which points to label, through which data point, over what range. No
// Node imports, so the lab page computes slices too (the picture itself is in slice.ts).
export interface SliceGrid {
  axes: [number, number];
  /** Row-major `[resolution, resolution]` labels; row 0 is the lowest value of axis j. */
  values: Float32Array;
  resolution: number;
  range: { i: [number, number]; j: [number, number] };
  /** The data point through which the slice passes. */
  at: Float32Array;
}

/** Points of the slice grid: `resolution^2` rows through `at`, axis i across, axis j up. */
export function slicePoints(at: Float32Array, axes: [number, number], range: SliceGrid['range'], resolution: number): Float32Array {
  const d = at.length;
  const out = new Float32Array(resolution * resolution * d);
  const step = (r: [number, number]) => (r[1] - r[0]) / (resolution - 1);
  for (let row = 0; row < resolution; row++) {
    for (let col = 0; col < resolution; col++) {
      const p = (row * resolution + col) * d;
      out.set(at, p);
      out[p + axes[0]] = range.i[0] + col * step(range.i);
      out[p + axes[1]] = range.j[0] + row * step(range.j);
    }
  }
  return out;
}

/** The 1st and 99th percentiles of column `axis` of row-major points: the data's extent along it. */
export function axisRange(points: Float32Array, d: number, axis: number): [number, number] {
  const n = points.length / d;
  const column = new Float32Array(n);
  for (let r = 0; r < n; r++) column[r] = points[r * d + axis]!;
  column.sort();
  const lo = column[Math.floor(0.01 * (n - 1))]!;
  const hi = column[Math.ceil(0.99 * (n - 1))]!;
  return hi > lo ? [lo, hi] : [lo - 1, lo + 1];
}

/** The data row nearest the data's mean (a central point of the cloud). */
export function centralRow(points: Float32Array, d: number): number {
  const n = points.length / d;
  const mean = new Float64Array(d);
  for (let i = 0; i < points.length; i++) mean[i % d] = mean[i % d]! + points[i]! / n;
  let best = 0;
  let bestDist = Infinity;
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += (points[r * d + c]! - mean[c]!) ** 2;
    if (s < bestDist) [best, bestDist] = [r, s];
  }
  return best;
}

// Shared by the suites that exercise the built bundles (run `npm run build` first; `npm test` does).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const distNode = `${root}dist/node/`;
export const cli = `${distNode}cli.js`;

if (!existsSync(cli)) throw new Error('dist/ is missing: run `npm run build` before these tests');

/** Float64 brute-force k-NN, the reference the kernels must match exactly (ties: lower index). */
export function referenceKnn(train: Float32Array, queries: Float32Array, d: number, k: number) {
  const n = train.length / d;
  const q = queries.length / d;
  const indices = new Uint32Array(q * k);
  const squared = new Float64Array(q * k);
  const dist = new Float64Array(n);
  const order = new Uint32Array(n);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (queries[i * d + c]! - train[j * d + c]!) ** 2;
      dist[j] = s;
      order[j] = j;
    }
    order.sort((a, b) => dist[a]! - dist[b]! || a - b);
    for (let t = 0; t < k; t++) {
      indices[i * k + t] = order[t]!;
      squared[i * k + t] = dist[order[t]!]!;
    }
  }
  return { indices, squared };
}

/** A small deterministic generator for test data (mulberry32). */
export function uniformSource(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

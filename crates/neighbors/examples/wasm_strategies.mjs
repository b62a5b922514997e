// Times each search strategy of the kd-tree (auto, tree only, f32 blocked scan, quantized scan) in one
// wasm32 + simd128 process, one thread, and checks they agree; writes bench/results/neighbors-strategies.json
// (or neighbors-strategies-uniform.json with `uniform`: the uniform cases only).
//   node crates/neighbors/examples/wasm_strategies.mjs [uniform]
// Seconds are the process's CPU time (one thread): on a shared machine they stay close to what an idle
// one gives, where wall time does not.
// Builds examples/wasm_bench.rs first (as wasm_bench.mjs does).
import { loadavg } from 'node:os';
import { buildWasmBench, cpuSeconds as time, writeExampleResult } from './wasm_kernel.mjs';

const { instance } = await WebAssembly.instantiate(buildWasmBench(), {});
const w = instance.exports;
const only = process.argv[2];
const cases = [['cluster', 1e6, 10, 1e4], ['cluster', 1e6, 32, 1e4], ['uniform', 1e5, 32, 2000], ['uniform', 1e5, 128, 1000]].filter(([data]) => !only || data === only);
const rows = [];
for (const [data, n, d, q] of cases) {
  w.generate(data === 'cluster' ? 0 : 1, n, q, d, 7);
  w.build(16);
  for (const k of [1, 10]) {
    const seconds = {};
    const sums = new Set();
    for (const [name, st] of [['auto', 0], ['tree', 1], ['blocked', 2], ['quantized', 3]]) {
      let best = Infinity;
      for (let r = 0; r < 2; r++) {
        const [sum, t] = time(() => w.query_with(k, q, st));
        sums.add(sum);
        best = Math.min(best, t);
      }
      seconds[name] = best;
    }
    const row = { data, n, d, q, k, seconds, sameResults: sums.size === 1, blockedGflops: (2 * n * q * d) / seconds.blocked / 1e9, quantizedGops: (2 * n * q * d) / seconds.quantized / 1e9 };
    process.stderr.write(`${JSON.stringify(row)}\n`);
    rows.push(row);
  }
}
writeExampleResult(only ? `neighbors-strategies-${only}` : 'neighbors-strategies', { threads: 1, note: 'shared 2-core machine: other jobs ran at the same time; seconds are CPU time', loadAverage: loadavg(), rows });

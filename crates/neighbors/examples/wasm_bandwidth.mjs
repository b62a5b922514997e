// Is the quantized scan bound by memory at N = 10^6, d = 128 (244 MiB of grid rows, far beyond the
// caches)? Times it on one thread for the same number of query-row pairs with rows that fit in L3
// (N = 10^5, Q = 2560) and rows that do not (N = 10^6, Q = 256), taking turns; writes
// bench/results/neighbors-quantized-bandwidth.json. Seconds are CPU time, the best of `rounds`.
//   node crates/neighbors/examples/wasm_bandwidth.mjs [rounds]
// Builds examples/wasm_bench.rs first (as wasm_strategies.mjs does).
import { loadavg } from 'node:os';
import { buildWasmBench, cpuSeconds, writeExampleResult } from './wasm_kernel.mjs';

const rounds = Number(process.argv[2] ?? 3);
const module = new WebAssembly.Module(buildWasmBench());
const time = (f) => cpuSeconds(f)[1];
const d = 128;
// One instance per size, so that both data sets stay in memory and the runs can alternate.
const cases = [[1e5, 2560], [1e6, 256]].map(([n, q]) => {
  const w = new WebAssembly.Instance(module, {}).exports;
  w.generate(1, n, q, d, 7);
  w.build(16);
  w.query_with(1, q, 3); // builds the grid, compiles and warms
  return { n, q, w, best: Infinity };
});
for (let r = 0; r < rounds; r++) {
  for (const c of cases) c.best = Math.min(c.best, time(() => c.w.query_with(1, c.q, 3)));
}
const rows = cases.map(({ n, q, best }) => ({ data: 'uniform', n, d, q, k: 1, gridMiB: (n * d * 2) / 2 ** 20, seconds: best,
  nsPerQueryRow: (best / (n * q)) * 1e9, gMultiplyAddsPerSecond: (n * q * d) / best / 1e9 }));
const note = 'quantized scan only (strategy 3), one thread, CPU seconds, best of rounds; same query-row pairs in both rows';
writeExampleResult('neighbors-quantized-bandwidth', { threads: 1, rounds, note, loadAverage: loadavg(), rows, largeOverSmall: rows[1].seconds / rows[0].seconds });
process.stdout.write(`${JSON.stringify(rows)}\n`);

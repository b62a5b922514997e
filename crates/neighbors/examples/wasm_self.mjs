// Times `search_self` (every point's k nearest other points, what TwoNN and MLE use) by each strategy in
// one wasm32 + simd128 process, one thread; process CPU time, best of several calls; checks the strategies
// agree. Writes bench/results/NAME.json (default neighbors-self):
//   node crates/neighbors/examples/wasm_self.mjs [--out NAME]
// Builds examples/wasm_bench.rs first (as wasm_bench.mjs does). Run it on two commits to compare them.
import { loadavg } from 'node:os';
import { buildWasmBench, cpuSeconds as cpu, writeExampleResult } from './wasm_kernel.mjs';

const at = process.argv.indexOf('--out');
const name = at === -1 ? 'neighbors-self' : process.argv[at + 1];
if (!/^[\w.-]+$/.test(name ?? '')) {
  process.stderr.write('wasm_self: --out takes a file name without a folder or extension\n');
  process.exit(2);
}
const { instance } = await WebAssembly.instantiate(buildWasmBench(), {});
const w = instance.exports;
// [data, n, d, k, strategies]; the blocked scan of every row is left out at 10^5 (about a minute).
const cases = [
  ['cluster', 1e4, 32, 20, ['auto', 'tree', 'blocked']],
  ['cluster', 1e4, 32, 2, ['auto', 'tree', 'blocked']],
  ['cluster', 1e4, 10, 20, ['auto', 'tree', 'blocked']],
  ['uniform', 1e4, 32, 20, ['auto', 'tree', 'blocked']],
  ['cluster', 1e5, 32, 20, ['auto', 'tree']],
];
const codes = { auto: 0, tree: 1, blocked: 2 };
const rows = [];
for (const [data, n, d, k, strategies] of cases) {
  w.generate(data === 'cluster' ? 0 : 1, n, 0, d, 7);
  w.build(16);
  const seconds = {};
  const sums = new Set();
  for (const s of strategies) {
    let best = Infinity;
    for (let r = 0; r < (n <= 1e4 ? 7 : 2); r++) {
      const [sum, t] = cpu(() => w.query_self_with(k, codes[s]));
      sums.add(sum);
      best = Math.min(best, t);
    }
    seconds[s] = best;
  }
  const row = { data, n, d, k, seconds, sameResults: sums.size === 1, loadAverage: loadavg() };
  process.stderr.write(`${JSON.stringify(row)}\n`);
  rows.push(row);
}
const file = writeExampleResult(name, { threads: 1, timing: 'process CPU seconds, best of 7 (10^4) or 2 (10^5) calls', rows });
process.stderr.write(`wrote ${file}\n`);

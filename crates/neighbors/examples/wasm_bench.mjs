// Times the kd-tree compiled to wasm32 + simd128 under Node:
//   node crates/neighbors/examples/wasm_bench.mjs [n] [d,d,...] [k,k,...] [data: cluster|uniform] [q]
// Builds examples/wasm_bench.rs with Debian's rustc-web first (std from source, as scripts/build.mjs does).
import { buildWasmBench } from './wasm_kernel.mjs';

const { instance } = await WebAssembly.instantiate(buildWasmBench(), {});
const w = instance.exports;

const [n = 1e6, ds = '10,32', ks = '1,10', data = 'cluster', q = 1e4] = process.argv.slice(2);
const time = (f) => { const t = performance.now(); const v = f(); return [v, (performance.now() - t) / 1e3]; };
console.log('| data | d | N | build s | memory (x raw) | k | query s | build+query s |');
console.log('|---|---|---|---|---|---|---|---|');
for (const d of ds.split(',').map(Number)) {
  w.generate(data === 'cluster' ? 0 : 1, +n, +q, d, 7);
  let best = Infinity, mem = 0;
  for (let r = 0; r < 3; r++) { const [m, t] = time(() => w.build(32)); best = Math.min(best, t); mem = m; }
  for (const k of ks.split(',').map(Number)) {
    let bq = Infinity;
    for (let r = 0; r < 3; r++) bq = Math.min(bq, time(() => w.query(k, +q))[1]);
    if (w.query(k, 200) !== w.brute(k, 200)) throw new Error(`d = ${d}, k = ${k}: tree and brute force disagree`);
    console.log(`| ${data} | ${d} | ${n} | ${best.toFixed(3)} | ${(mem / 1000).toFixed(3)} | ${k} | ${bq.toFixed(4)} | ${(best + bq).toFixed(3)} |`);
  }
}

// Does a second busy core slow the quantized scan down? Runs the one-thread scan (uniform data) alone,
// then two independent copies at once (two worker threads, each with its own module instance and data:
// no shared memory, no pool), at d = 32 and 128, and writes the per-copy time ratio to
// bench/results/neighbors-quantized-pair.json. A ratio well above 1 at d = 128 but not at d = 32 would put
// the 2-thread loss there on the hardware (cores sharing execution units or clocks), not on our pool.
// Needs an otherwise idle 2-core machine: the load average is recorded.
//   node crates/neighbors/examples/wasm_pair.mjs
// Builds examples/wasm_bench.rs first (as wasm_strategies.mjs does).
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { buildWasmBench, writeExampleResult } from './wasm_kernel.mjs';

const bytes = buildWasmBench();

// One copy: data and index made, then told to go; answers with the best wall time of 3 scans.
const source = `
const { parentPort, workerData } = require('node:worker_threads');
const { bytes, n, d, q } = workerData;
const w = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
w.generate(1, n, q, d, 7);
w.build(16);
w.query_with(1, q, 3);
parentPort.postMessage('ready');
parentPort.once('message', () => {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    w.query_with(1, q, 3);
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  parentPort.postMessage(best);
});`;

async function run(copies, n, d, q) {
  const workers = Array.from({ length: copies }, () => new Worker(source, { eval: true, workerData: { bytes, n, d, q } }));
  const next = (w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await Promise.all(workers.map(next));
  const done = workers.map(next);
  workers.forEach((w) => w.postMessage('go'));
  const seconds = await Promise.all(done);
  await Promise.all(workers.map((w) => w.terminate()));
  return Math.max(...seconds);
}

const rows = [];
for (const [n, d, q] of [[1e5, 32, 2000], [1e5, 128, 1000]]) {
  const alone = await run(1, n, d, q);
  const together = await run(2, n, d, q);
  const row = { data: 'uniform', n, d, q, k: 1, aloneSeconds: alone, togetherSeconds: together, togetherOverAlone: together / alone };
  process.stderr.write(`${JSON.stringify(row)}\n`);
  rows.push(row);
}
const note = 'quantized scan (strategy 3), wall seconds, best of 3 per copy; together = the slower of two concurrent copies';
writeExampleResult('neighbors-quantized-pair', { note, loadAverage: loadavg(), rows });

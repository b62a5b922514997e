// Science checks too heavy for `npm test`: the headline experiment and its dimension ablation, with wall
// time and peak memory. Writes bench/results/science-foundation.json.
import { cpus, totalmem } from 'node:os';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { run, version } from '../../dist/node/index.js';

const cases = [
  { name: 'default', set: {} },
  ...[8, 16, 32, 64].map((d) => ({ name: `d=${d}`, set: { data: { dimension: d } } })),
];
const rows = [];
for (const c of cases) {
  const start = performance.now();
  const results = await run(c.set, { workers: 2 });
  const seconds = (performance.now() - start) / 1000;
  const e = results.fit.exponent;
  const row = { case: c.name, dimension: results.config.data.dimension, clusterSize: results.config.data.clusterSize,
    seeds: results.config.seeds, sizes: results.config.sizes, exponent: e, theory: results.theory.exponent,
    withinBand: Math.abs(e.median - 0.5) <= (c.name === 'default' ? 0.05 : 0.06), seconds };
  rows.push(row);
  process.stderr.write(`${c.name}: exponent ${e.median.toFixed(3)} [${e.p16.toFixed(3)}, ${e.p84.toFixed(3)}] in ${seconds.toFixed(1)} s\n`);
}
const out = {
  percolab: version,
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
  peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(0),
  note: 'peakRssMiB is the whole process (main thread and worker threads) over all cases; workers = 2',
  rows,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/science-foundation.json.tmp', `${JSON.stringify(out, null, 2)}\n`);
renameSync('bench/results/science-foundation.json.tmp', 'bench/results/science-foundation.json');
if (rows.some((r) => !r.withinBand)) {
  process.stderr.write('science: some exponent is outside its band\n');
  process.exitCode = 1;
}

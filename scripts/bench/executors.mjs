// `npm run bench -- executors [--quick]`: the overhead per cell of each sweep executor against a local
// run, on the same small sweep in one run: local (--workers 1), Slurm (a private single-node cluster from
// scripts/slurm/start.sh, one task at a time, and two at a time), and http (the edge worker in workerd
// through miniflare, one request at a time). Writes bench/results/executors.json.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Miniflare } from 'miniflare';
import { machine, median, writeResult } from './lib/common.mjs';

const quick = process.argv.includes('--quick');
const cells = quick ? 4 : 8;
const repeats = quick ? 1 : 3;
const cli = resolve('dist/node/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'percolab-bench-executors-'));
// Its own temporary folder: munged (the munge user) must be able to enter it.
const cluster = mkdtempSync(join(tmpdir(), 'percolab-bench-slurm-'));
// Small cells (about a second of work each): what is measured is what an executor adds per cell.
const base = { seeds: 2, sizes: [50, 100, 200], testSize: 50, data: { kind: 'manifold', manifoldDimension: 2, dimension: 4 }, measure: { points: 0 } };
writeFileSync(join(dir, 's.json'), JSON.stringify({ base, grid: { seed: Array.from({ length: cells }, (_, i) => 1 + 10 * i) } }));

const sweep = (out, args, env) =>
  new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, 'sweep', 's.json', '--out', out, ...args], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (status) => (status === 0 ? done((performance.now() - t0) / 1000) : fail(new Error(`sweep ${args.join(' ')}: status ${status}\n${stderr}`))));
  });
const computeSeconds = (out) => JSON.parse(readFileSync(join(dir, out, 'sweep.json'), 'utf8')).cells.reduce((s, c) => s + c.seconds, 0);

const started = execFileSync('bash', ['scripts/slurm/start.sh', cluster], { encoding: 'utf8' });
const slurmEnv = { ...process.env, SLURM_CONF: /SLURM_CONF=(.*)/.exec(started)[1], PERCOLAB_SLURM_POLL_SECONDS: '0.2' };
const edge = new Miniflare({ modules: true, scriptPath: resolve('dist/edge/worker.js'), modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }], compatibilityDate: '2026-04-26', host: '127.0.0.1', port: 0 });
const endpoint = (await edge.ready).href.replace(/\/$/, '');
const executors = {
  local: { args: ['--workers', '1'] },
  'slurm (1 task at a time)': { args: ['--executor', 'slurm', '--max-parallel', '1'], env: slurmEnv },
  'slurm (2 tasks at a time)': { args: ['--executor', 'slurm', '--max-parallel', '2'], env: slurmEnv },
  'http (edge worker in workerd, 1 request at a time)': { args: ['--executor', 'http', '--endpoint', endpoint, '--concurrency', '1'] },
};
const runs = Object.fromEntries(Object.keys(executors).map((name) => [name, { seconds: [], computeSeconds: [] }]));
const load = [loadavg()[0]];
try {
  // Interleaved, so that a change in the shared machine's load falls on every executor alike.
  for (let r = 0; r < repeats; r++) {
    for (const [name, { args, env }] of Object.entries(executors)) {
      const out = `out-${r}-${name.split(' ')[0]}-${args.join('')}`;
      runs[name].seconds.push(await sweep(out, args, env ?? process.env));
      runs[name].computeSeconds.push(computeSeconds(out));
      process.stderr.write(`${name}: ${runs[name].seconds.at(-1).toFixed(2)} s\n`);
    }
    load.push(loadavg()[0]);
  }
} finally {
  await edge.dispose();
  execFileSync('bash', ['scripts/slurm/stop.sh', cluster]);
  rmSync(dir, { recursive: true, force: true });
  rmSync(cluster, { recursive: true, force: true });
}
const local = median(runs.local.seconds);
const rows = Object.entries(runs).map(([name, r]) => ({
  executor: name,
  sweepSeconds: r.seconds,
  medianSweepSeconds: median(r.seconds),
  // Time inside the runs themselves (results.timing), summed over the cells.
  medianComputeSeconds: median(r.computeSeconds),
  overheadPerCellSeconds: name === 'local' ? 0 : (median(r.seconds) - local) / cells,
  ratioToLocal: median(r.seconds) / local,
}));
writeResult('executors', {
  machine: machine(),
  loadAverage1m: load,
  sweep: { cells, repeats, cell: base, note: 'one sweep of small cells per executor and repeat, interleaved; overhead per cell = (median sweep time - local median) / cells' },
  rows,
});
for (const r of rows) process.stdout.write(`${r.executor}: ${r.medianSweepSeconds.toFixed(2)} s for ${cells} cells, ${r.overheadPerCellSeconds.toFixed(2)} s per cell over local\n`);

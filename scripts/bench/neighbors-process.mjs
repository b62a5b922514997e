// `npm run bench -- neighbors-process [--n 1000000] [--d 32] [--k 1] [--repeats 3]`: the whole
// `percolab neighbors` process (start-up, reading the .npy files, the index, the query, writing the
// results) against the same job in one Python process with scipy's cKDTree(workers=2), on percolation-
// cluster data, side by side; the best of `repeats` wall times each. Also times our phases in-process.
// Writes bench/results/neighbors-process.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeNpy, loadKernels } from '../../dist/node/index.js';
import { machine, writeResult } from './lib/common.mjs';

const { values: opts } = parseArgs({ options: { n: { type: 'string' }, d: { type: 'string' }, q: { type: 'string' }, k: { type: 'string' }, repeats: { type: 'string' } } });
const n = Number(opts.n ?? 1_000_000);
const d = Number(opts.d ?? 32);
const Q = Number(opts.q ?? 10_000);
const k = Number(opts.k ?? 1);
const repeats = Number(opts.repeats ?? 3);
const python = execFileSync('bash', ['scripts/python/env.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const anchorEnv = { ...process.env };
delete anchorEnv.OPENBLAS_CORETYPE;
delete anchorEnv.OPENBLAS_L2_SIZE;

const kernels = loadKernels();
const total = n + Q;
const points = kernels.embedNaive(kernels.sampleCluster(7, 0, total, 2 * d, 'exact'), d, 7, 0);
const order = kernels.permutation(7, 0, total);
const shuffled = new Float32Array(total * d);
order.forEach((row, i) => shuffled.set(points.subarray(row * d, row * d + d), i * d));

const dir = mkdtempSync(join(tmpdir(), 'percolab-bench-'));
try {
  const train = join(dir, 'train.npy');
  const query = join(dir, 'query.npy');
  writeFileSync(train, encodeNpy({ dtype: 'float32', shape: [n, d], data: shuffled.subarray(0, n * d) }));
  writeFileSync(query, encodeNpy({ dtype: 'float32', shape: [Q, d], data: shuffled.subarray(n * d) }));
  const wall = (cmd, args, env) => {
    const t = performance.now();
    const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    return (performance.now() - t) / 1000;
  };
  const ours = [];
  const anchor = [];
  for (let r = 0; r < repeats; r++) {
    ours.push(wall('node', ['dist/node/cli.js', 'neighbors', train, query, '--k', String(k), '--threads', '2', '--out', join(dir, 'ours'), '--force'], process.env));
    anchor.push(wall(python, ['scripts/python/bench_neighbors_process.py', train, query, String(k), join(dir, 'ckdtree')], anchorEnv));
  }
  const same = Buffer.compare(readFileSync(join(dir, 'ours.indices.npy')).subarray(128), readFileSync(join(dir, 'ckdtree.indices.npy')).subarray(128)) === 0;
  // Where our time goes: the same steps, timed inside one process.
  const phases = JSON.parse(execFileSync('node', ['scripts/bench/lib/neighbors-phases.mjs', train, query, String(k), join(dir, 'phases')], { encoding: 'utf8' }).trim().split('\n').pop());
  const best = (v) => Math.min(...v);
  const result = { data: 'cluster', n, d, q: Q, k, repeats, oursSeconds: ours, ckdtreeSeconds: anchor, best: { ours: best(ours), ckdtree: best(anchor) },
    speedup: best(anchor) / best(ours), sameIndicesAsCkdtree: same, oursPhases: phases };
  process.stderr.write(`${JSON.stringify(result)}\n`);
  // The load says whether other jobs ran beside the bench (this one alone keeps it near 1 on 2 cores).
  const loadAverage = loadavg();
  const note = loadAverage[0] > 1.5 ? { note: 'other jobs ran at the same time (see loadAverage); ratios within the run are what to compare' } : {};
  writeResult('neighbors-process', { machine: machine(), loadAverage, ...note, ...result });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

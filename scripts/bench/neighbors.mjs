// `npm run bench -- neighbors [--quick] [--reps N]`: our exact k-NN (1 and 2 threads) beside scipy cKDTree,
// scikit-learn (kd_tree, ball_tree, brute) and FAISS IndexFlatL2, on the same .npy files, in one run.
// Writes bench/results/neighbors.json and prints a table of build/query seconds and ratios to cKDTree.
// Each side's query is its best of three batches in one process; what the first batch takes beyond that
// best (one-time work, such as the grid our brute-force scan builds on first use) counts in its build
// (`firstQueryExcess`), so build + query is an index built and its first batch answered.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeNpy, loadKernels } from '../../dist/node/index.js';
import { machine, mulberry, writeResult } from './lib/common.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    kinds: { type: 'string' },
    dims: { type: 'string' },
    sizes: { type: 'string' },
    ks: { type: 'string' },
    methods: { type: 'string' },
    out: { type: 'string' },
    // Brute-force anchors are skipped above this N * d unless given here (N = 10^6, d = 128 takes minutes).
    'brute-limit': { type: 'string' },
    // Runs of every method per row, taking turns; each method's best (fastest build + query) is reported,
    // with every run's total beside it. One run per method was at the mercy of the moment: FAISS took
    // 0.40 s in one run of a row and 1.04 s in another.
    reps: { type: 'string', default: '1' },
  },
});
const reps = Number(opts.reps);
if (!Number.isInteger(reps) || reps < 1) {
  process.stderr.write(`bench neighbors: --reps takes a positive whole number, got ${opts.reps}\n`);
  process.exit(2);
}
const quick = opts.quick;
const list = (text, fallback, parse = Number) => (text ? text.split(',').map(parse) : fallback);
const python = execFileSync('bash', ['scripts/python/env.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
// Time the anchors with their best BLAS kernels: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE may be set on a
// machine and slow numpy, so this one command unsets them; tests never do this.
const anchorEnv = { ...process.env };
delete anchorEnv.OPENBLAS_CORETYPE;
delete anchorEnv.OPENBLAS_L2_SIZE;

const Q = 10_000;
// The matrix by default; --quick or the options pick a part of it (recorded in the results).
const kinds = list(opts.kinds, ['cluster', 'uniform'], String);
const dims = list(opts.dims, quick ? [10, 32] : [10, 32, 128]);
const sizes = list(opts.sizes, quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]);
const ks = list(opts.ks, [1, 10]);
const kernels = loadKernels();


/** N training and Q query points: sites of one critical cluster, or uniform in the unit cube. */
function dataset(kind, n, d) {
  const total = n + Q;
  let points;
  if (kind === 'cluster') {
    points = kernels.embedNaive(kernels.sampleCluster(7, 0, total, 2 * d, 'exact'), d, 7, 0);
    const order = kernels.permutation(7, 0, total);
    const shuffled = new Float32Array(total * d);
    order.forEach((row, i) => shuffled.set(points.subarray(row * d, row * d + d), i * d));
    points = shuffled;
  } else {
    const next = mulberry(7);
    points = Float32Array.from({ length: total * d }, next);
  }
  return { train: points.subarray(0, n * d), query: points.subarray(n * d) };
}

const allMethods = [
  { name: 'percolab (1 thread)', run: (f, k) => ['node', ['scripts/bench/lib/neighbors-ours.mjs', '--train', f.train, '--query', f.query, '--k', k, '--threads', '1']] },
  { name: 'percolab (2 threads)', run: (f, k) => ['node', ['scripts/bench/lib/neighbors-ours.mjs', '--train', f.train, '--query', f.query, '--k', k, '--threads', '2']] },
  ...['ckdtree', 'sk_kd_tree', 'sk_ball_tree', 'sk_brute', 'faiss_flat'].map((m) => ({
    name: m,
    anchor: true,
    run: (f, k) => [python, ['scripts/python/bench_neighbors.py', '--method', m, '--train', f.train, '--query', f.query, '--k', k, '--threads', '2']],
  })),
  // The float64 reference (numpy, brute force) on the first queries, for the equality check.
  { name: 'reference64', anchor: true, check: true, run: (f, k) => [python, ['scripts/python/bench_neighbors.py', '--method', 'reference64', '--train', f.train, '--query', f.query, '--k', k]] },
];
const methods = opts.methods ? allMethods.filter((m) => m.check || opts.methods.split(',').includes(m.name)) : allMethods;
const bruteLimit = Number(opts['brute-limit'] ?? 1e8);

const rows = [];
const dir = mkdtempSync(join(tmpdir(), 'percolab-bench-'));
try {
  for (const kind of kinds) {
    for (const d of dims) {
      for (const n of sizes) {
        const data = dataset(kind, n, d);
        const files = { train: join(dir, 'train.npy'), query: join(dir, 'query.npy') };
        writeFileSync(files.train, encodeNpy({ dtype: 'float32', shape: [n, d], data: data.train }));
        writeFileSync(files.query, encodeNpy({ dtype: 'float32', shape: [Q, d], data: data.query }));
        for (const k of ks) {
          const results = {};
          const totals = {};
          for (let rep = 0; rep < reps; rep++) {
            for (const m of methods) {
              // Brute force grows as N*Q*d: skip the slowest anchors at the largest sizes.
              if ((m.name === 'sk_brute' || m.name === 'faiss_flat') && n * d > bruteLimit) continue;
              if (m.check && rep > 0) continue; // the reference's neighbours do not change between runs
              if (results[m.name]?.error || results[m.name]?.failedRun) continue;
              const [cmd, args] = m.run(files, String(k));
              let run;
              try {
                const out = execFileSync(cmd, args, { encoding: 'utf8', env: m.anchor ? anchorEnv : process.env, maxBuffer: 1 << 26, timeout: 900_000 });
                run = JSON.parse(out.trim().split('\n').pop());
              } catch (error) {
                // A failed run stops that method for this row; a best from an earlier run is kept.
                if (!results[m.name]) results[m.name] = { error: String(error.message).split('\n')[0] };
                else results[m.name].failedRun = String(error.message).split('\n')[0];
                continue;
              }
              if (m.check) {
                results[m.name] = run;
                continue;
              }
              (totals[m.name] ??= []).push(Number((run.build + run.query).toFixed(4)));
              const best = results[m.name];
              if (!best || run.build + run.query < best.build + best.query) results[m.name] = run;
            }
          }
          const base = results.ckdtree;
          const ours = results['percolab (2 threads)'];
          const reference = results.reference64;
          const same = (a, b) => (a?.firstNeighbours && b?.firstNeighbours ? a.firstNeighbours.length === b.firstNeighbours.length && a.firstNeighbours.every((v, i) => v === b.firstNeighbours[i]) : null);
          const row = {
            data: kind, d, n, q: Q, k, rawMiB: (n * d * 4) / 2 ** 20,
            sameNeighboursAsCkdtree: same(ours, base),
            // Every neighbour of the first 50 queries equals the float64 brute-force reference's.
            sameNeighboursAsFloat64: Object.fromEntries(Object.entries(results).filter(([name]) => name !== 'reference64').map(([name, r]) => [name, same(r, reference)])),
            methods: Object.fromEntries(Object.entries(results).filter(([name]) => name !== 'reference64').map(([name, r]) => [name, r.error ? r : {
              build: r.build, firstQueryExcess: r.firstQueryExcess, query: r.query, total: r.build + r.query, peakRssMiB: r.peakRssMiB, baselineRssMiB: r.baselineRssMiB,
              // What the data, the index and the results added to the loaded runtime, over the raw float32 data.
              memoryOverRaw: (r.peakRssMiB - r.baselineRssMiB) / ((n * d * 4) / 2 ** 20), indexMiB: r.indexMiB,
              ...(reps > 1 ? { totalEachRun: totals[name] } : {}),
              ...(r.failedRun ? { failedRun: r.failedRun } : {}),
              speedupVsCkdtree: base && !base.error ? (base.build + base.query) / (r.build + r.query) : null,
              speedupVsFaiss: results.faiss_flat && !results.faiss_flat.error ? (results.faiss_flat.build + results.faiss_flat.query) / (r.build + r.query) : null,
            }])),
          };
          rows.push(row);
          const fmt = (r) => (r && !r.error ? `${r.total.toFixed(3)}s` : '—');
          process.stderr.write(`${kind} d=${d} n=${n} k=${k}: ` + Object.entries(row.methods).map(([name, r]) => `${name} ${fmt(r)}`).join(' | ') + '\n');
        }
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeResult(opts.out ?? 'neighbors', { machine: machine(), quick, reps, matrix: { kinds, dims, sizes, ks, q: Q }, rows });

// `npm run crosscheck`: our estimators against scikit-dimension on the same files (project-local
// Python environment). Writes bench/results/crosscheck-estimators.json and exits 1 beyond 1%.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, loadKernels } from '../../dist/node/index.js';
import { machine, mulberry, writeResult } from '../bench/lib/common.mjs';

const kernels = loadKernels();
const python = execFileSync('bash', ['scripts/python/env.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();


/** Named test sets: uniform cubes, a 2-sphere in R^3 padded with zeros, and a percolation cluster. */
function datasets() {
  const next = mulberry(5);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const cube = (n, dim, d) => Float32Array.from({ length: n * d }, (_, i) => (i % d < dim ? next() : 0));
  const sphere = (n, d) => {
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const v = [gauss(), gauss(), gauss()];
      const r = Math.hypot(...v);
      v.forEach((c, j) => (x[i * d + j] = c / r));
    }
    return x;
  };
  const n = 4000;
  const cluster = (d) => kernels.embedNaive(kernels.sampleCluster(3, 0, n, 2 * d, 'exact'), d, 3, 0);
  return [
    { name: 'cube2-in-R10', d: 10, data: cube(n, 2, 10) },
    { name: 'cube5-in-R10', d: 10, data: cube(n, 5, 10) },
    { name: 'sphere2-in-R8', d: 8, data: sphere(n, 8) },
    { name: 'cluster-R16', d: 16, data: cluster(16) },
  ];
}

const dir = mkdtempSync(join(tmpdir(), 'percolab-crosscheck-'));
try {
  const sets = datasets().map((s) => ({ ...s, file: join(dir, `${s.name}.npy`) }));
  for (const s of sets) writeFileSync(s.file, encodeNpy({ dtype: 'float32', shape: [s.data.length / s.d, s.d], data: s.data }));
  const reference = JSON.parse(execFileSync(python, ['scripts/python/crosscheck_estimators.py', ...sets.map((s) => s.file)], { encoding: 'utf8' }));
  const rows = [];
  let worst = 0;
  for (const [i, s] of sets.entries()) {
    const ours = Object.fromEntries(kernels.estimateDimension(s.data, s.d, ['twonn', 'mle', 'corrint'], 0, 0).map((e) => [e.method, e.dimension]));
    for (const method of ['twonn', 'mle', 'corrint']) {
      const theirs = reference[i][method];
      const relative = Math.abs(ours[method] - theirs) / Math.abs(theirs);
      worst = Math.max(worst, relative);
      rows.push({ data: s.name, method, percolab: ours[method], skdim: theirs, relativeDifference: relative });
      process.stderr.write(`${s.name.padEnd(14)} ${method.padEnd(8)} percolab ${ours[method].toFixed(4)}  skdim ${theirs.toFixed(4)}  ${(100 * relative).toFixed(3)}%\n`);
    }
  }
  writeResult('crosscheck-estimators', { machine: machine(), tolerance: 0.01, worstRelativeDifference: worst, rows });
  if (worst > 0.01) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

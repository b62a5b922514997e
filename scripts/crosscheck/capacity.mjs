// `npm run crosscheck -- capacity`: GLUE capacity against an independent Python reference that solves
// each draw's anchor problem with a general QP solver (cvxopt). Accuracy: percolab's own draws replayed
// (labels and u = Z t), every output compared. Speed: 10 clusters of 50 points in R^1000, 200 draws,
// ours in wasm single-threaded (SIMD flavour) and on 2 threads (SIMD + threads flavour) beside the reference (its time per draw on REFERENCE_DRAWS draws,
// scaled to 200). Writes bench/results/crosscheck-capacity.json; exits 1 beyond 1e-8.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, loadKernels, loadThreadedKernels } from '../../dist/node/index.js';
import { machine, mulberry, writeResult } from '../bench/lib/common.mjs';

const TOLERANCE = 1e-8;
const REFERENCE_DRAWS = Number(process.env.CAPACITY_REFERENCE_DRAWS ?? 20);
// PERCOLAB_PYTHON: an interpreter that already has the pinned requirements (skips the environment check).
const python = process.env.PERCOLAB_PYTHON ?? execFileSync('bash', ['scripts/python/env.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const quantities = ['capacity', 'dimension', 'radius', 'utility', 'centreAlignment', 'axesAlignment', 'centreAxesAlignment'];

/** `p` Gaussian clouds of `m` points in R^n: centres N(0, I), spread `spread` around them. */
function clouds(p, m, n, spread, seed) {
  const next = mulberry(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const points = new Float64Array(p * m * n);
  const ids = new Uint32Array(p * m);
  for (let i = 0; i < p; i++) {
    const centre = Array.from({ length: n }, gauss);
    for (let r = 0; r < m; r++) {
      const row = i * m + r;
      ids[row] = 10 * i + 3;
      for (let j = 0; j < n; j++) points[row * n + j] = centre[j] + spread * gauss();
    }
  }
  return { points, ids, dimension: n };
}

// `unique`: the dual optimum (the multipliers, hence the anchors) is unique on every draw, so every output
// must agree. Where it is not (case 3: 150 points in R^12, where most dichotomies leave v = 0 and any
// multipliers with A^T lambda = -t are optimal), only alpha is defined by the problem: D, R, Psi and the
// alignments then depend on the solver's choice (percolab: Lawson-Hanson's basic solution).
const cases = [
  { name: '12 clouds x 10 points in R^200, random dichotomies', data: clouds(12, 10, 200, 0.7, 1), options: { draws: 30, seed: 1 }, unique: true },
  { name: '8 clouds x 15 points in R^40 (120 points: rank-deficient Gram matrix), one-versus-rest', data: clouds(8, 15, 40, 0.5, 3), options: { draws: 24, seed: 3, dichotomy: 'one-versus-rest' }, unique: true },
  { name: '5 clouds x 30 points in R^12 (non-separable: multipliers not unique), random dichotomies', data: clouds(5, 30, 12, 1.0, 2), options: { draws: 30, seed: 2 }, unique: false },
];

const relative = (x, y) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-300);
const dir = mkdtempSync(join(tmpdir(), 'percolab-crosscheck-capacity-'));
const kernels1 = loadKernels(); // the single-threaded SIMD flavour (one threaded instance per process)
const kernels2 = await loadThreadedKernels(2);
try {
  const accuracy = [];
  let worst = 0;
  for (const c of cases) {
    const ours = kernels1.measureCapacity(c.data.points, c.data.dimension, c.data.ids, { ...c.options, keepDraws: true });
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify({ dimension: c.data.dimension, points: Array.from(c.data.points), ids: Array.from(c.data.ids), centre: true, draws: ours.drawsDetail.map(({ labels, projections }) => ({ labels, projections })) }));
    const ref = JSON.parse(execFileSync(python, ['scripts/python/crosscheck_capacity.py', 'accuracy', file], { encoding: 'utf8', maxBuffer: 1 << 28 }));
    const perDrawRaw = Math.max(...ours.drawsDetail.map((d, i) => relative(d.a, ref.rawA[i])));
    const outputs = Object.fromEntries(quantities.map((q) => [q, { percolab: ours[q], cvxopt: ref.raw[q], relative: relative(ours[q], ref.raw[q]) }]));
    const compared = c.unique ? quantities : ['capacity'];
    const caseWorst = Math.max(perDrawRaw, ...compared.map((q) => outputs[q].relative));
    worst = Math.max(worst, caseWorst);
    accuracy.push({ case: c.name, draws: ours.draws, uniqueMultipliers: c.unique, compared, cvxoptTolerances: ref.cvxoptTolerances, worstRelativeA: perDrawRaw, worstRelative: caseWorst, outputs });
    process.stderr.write(`${c.name}: worst relative difference ${caseWorst.toExponential(2)} over per-draw a and ${compared.join(', ')}\n`);
  }

  // Speed: the case.
  const big = clouds(10, 50, 1000, 1.0, 4);
  const pointsFile = join(dir, 'points.npy');
  const idsFile = join(dir, 'ids.npy');
  writeFileSync(pointsFile, encodeNpy({ dtype: 'float64', shape: [500, 1000], data: big.points }));
  writeFileSync(idsFile, encodeNpy({ dtype: 'uint32', shape: [500], data: big.ids }));
  const time = (kernels) => {
    const seconds = [];
    let result;
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now();
      result = kernels.measureCapacity(big.points, 1000, big.ids, { draws: 200, seed: 5 });
      seconds.push((performance.now() - t0) / 1000);
    }
    return { seconds: Math.min(...seconds), all: seconds, capacity: result.capacity, capacityStandardError: result.capacityStandardError, result };
  };
  const one = time(kernels1);
  const two = time(kernels2);
  if (JSON.stringify(one.result) !== JSON.stringify(two.result)) throw new Error('1 and 2 threads disagree');
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const reference = JSON.parse(execFileSync(python, ['scripts/python/crosscheck_capacity.py', 'timing', pointsFile, idsFile, String(REFERENCE_DRAWS), '5'], { encoding: 'utf8', env }));
  const referenceFor200 = (reference.seconds / REFERENCE_DRAWS) * 200;
  const speed = {
    input: '10 Gaussian clouds of 50 points in R^1000 (centres N(0, I), spread 1), 200 draws, random dichotomies, centred',
    percolabWasmSimd1Thread: { seconds: one.seconds, runs: one.all },
    percolabWasm2Threads: { seconds: two.seconds, runs: two.all },
    capacity: one.capacity,
    capacityStandardError: one.capacityStandardError,
    reference: { solver: `cvxopt ${reference.cvxopt} qp, numpy ${reference.numpy}`, cvxoptTolerances: reference.cvxoptTolerances, draws: REFERENCE_DRAWS, seconds: reference.seconds, secondsPer200Draws: referenceFor200, capacityOnItsOwnDraws: reference.capacity, note: 'its own few draws: Monte-Carlo noise (a draw with all labels equal has a ~ N), not a check' },
    speedup2Threads: referenceFor200 / two.seconds,
  };
  process.stderr.write(`speed: percolab wasm ${one.seconds.toFixed(3)} s (1 thread), ${two.seconds.toFixed(3)} s (2 threads); cvxopt reference ${referenceFor200.toFixed(1)} s per 200 draws (timed on ${REFERENCE_DRAWS}): ${speed.speedup2Threads.toFixed(0)}x\n`);
  process.stderr.write(`capacity ${one.capacity.toFixed(4)} ± ${one.capacityStandardError.toFixed(4)} (reference on its own draws: ${reference.capacity.toFixed(4)})\n`);
  writeResult('crosscheck-capacity', { machine: machine(), loadAverage: loadavg(), tolerance: TOLERANCE, worstRelativeDifference: worst, accuracy, speed });
  if (!(worst <= TOLERANCE)) process.exitCode = 1;
} finally {
  kernels2.close();
  rmSync(dir, { recursive: true, force: true });
}

// `npm run crosscheck -- students`: the wasm trainer against PyTorch CPU from the same initial weights and
// batches (100 optimizer steps, float32), float64 gradients against torch autograd, and our float64
// gradient against central finite differences. Writes bench/results/crosscheck-students.json; exits 1
// when a bound is missed (parameter vector 1e-5 relative after 100 steps; gradients 1e-6).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, loadKernels, parseNpy } from '../../dist/node/index.js';
import { machine, mulberry, writeResult } from '../bench/lib/common.mjs';

const kernels = loadKernels();
const python = execFileSync('bash', ['scripts/python/env.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const dir = mkdtempSync(join(tmpdir(), 'percolab-students-'));

const STEPS = 100;
const ROWS = 512;
const cases = [
  { name: 'adam-relu', sizes: [16, 64, 64, 1], activation: 'relu', batch: 64, optimizer: { kind: 'adam', learningRate: 1e-3 } },
  { name: 'adam-gelu', sizes: [16, 64, 64, 1], activation: 'gelu', batch: 64, optimizer: { kind: 'adam', learningRate: 1e-3 } },
  { name: 'adam-tanh-wd', sizes: [16, 32, 32, 32, 1], activation: 'tanh', batch: 50, optimizer: { kind: 'adam', learningRate: 3e-3, weightDecay: 1e-3 } },
  { name: 'sgd-relu', sizes: [16, 64, 1], activation: 'relu', batch: 32, optimizer: { kind: 'sgd', learningRate: 1e-2, momentum: 0.9 } },
];

const write = (name, array) => {
  const file = join(dir, name);
  writeFileSync(file, encodeNpy(array));
  return file;
};
const read = (file) => parseNpy(readFileSync(file), file).data;

try {
  const rows = [];
  const jobs = cases.map((c, k) => {
    const next = mulberry(100 + k);
    const d = c.sizes[0];
    const x = Float32Array.from({ length: ROWS * d }, () => next() * 2 - 1);
    const y = Float32Array.from({ length: ROWS }, (_, i) => Math.sin(3 * x[i * d]) * x[i * d + 1] + 0.5 * x[i * d + 2]);
    const params = [];
    for (let l = 0; l + 1 < c.sizes.length; l++) {
      const bound = 1 / Math.sqrt(c.sizes[l]);
      for (let i = 0; i < (c.sizes[l] + 1) * c.sizes[l + 1]; i++) params.push((next() * 2 - 1) * bound);
    }
    const p0 = Float32Array.from(params);
    const batches = Uint32Array.from({ length: STEPS * c.batch }, () => Math.floor(next() * ROWS));
    return {
      ...c,
      x,
      y,
      p0,
      batches,
      files: {
        x: write(`${c.name}.x.npy`, { dtype: 'float32', shape: [ROWS, d], data: x }),
        y: write(`${c.name}.y.npy`, { dtype: 'float32', shape: [ROWS], data: y }),
        params: write(`${c.name}.p0.npy`, { dtype: 'float32', shape: [p0.length], data: p0 }),
        batches: write(`${c.name}.batches.npy`, { dtype: 'int32', shape: [batches.length], data: Int32Array.from(batches) }),
        out: join(dir, `${c.name}.torch.npy`),
        out64: join(dir, `${c.name}.torch64.npy`),
      },
    };
  });
  const spec = jobs.map((j) => ({ ...j.files, sizes: j.sizes, activation: j.activation, batch: j.batch, optimizer: j.optimizer }));
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(spec));
  const env = { ...process.env };
  const torchInfo = JSON.parse(execFileSync(python, ['scripts/python/crosscheck_students.py', join(dir, 'cases.json')], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] }));
  let failed = false;
  for (const j of jobs) {
    const ours = kernels.trainSteps(j.sizes, j.activation, j.p0, j.x, j.y, j.batches, j.batch, j.optimizer);
    const torch = read(j.files.out);
    const P = j.p0.length;
    // Relative error of the parameter vector after step s: ||ours - torch|| / ||torch|| (Euclidean), and
    // the worst single parameter, max |ours - torch| / max |torch|. Adam divides by sqrt(v) + 1e-8, so a
    // parameter whose gradient is near 1e-8 turns float32 rounding of that gradient into a visible step
    // difference: the worst-parameter figure shows that, the norm bounds the whole network.
    const relative = (s) => {
      let d2 = 0;
      let n2 = 0;
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < P; i++) {
        const diff = Math.abs(ours[s * P + i] - torch[s * P + i]);
        d2 += diff ** 2;
        n2 += torch[s * P + i] ** 2;
        worst = Math.max(worst, diff);
        scale = Math.max(scale, Math.abs(torch[s * P + i]));
      }
      return { norm: Math.sqrt(d2 / n2), worst: worst / scale };
    };
    const afterStep = Object.fromEntries([1, 10, STEPS].map((s) => [s, relative(s - 1)]));
    const x64 = Float64Array.from(j.x);
    const y64 = Float64Array.from(j.y);
    const p64 = Float64Array.from(j.p0);
    const grad = kernels.gradient64(j.sizes, j.activation, p64, x64, y64);
    const torchGrad = read(j.files.out64);
    let d2 = 0;
    let n2 = 0;
    for (let i = 0; i < P; i++) {
      d2 += (grad[i] - torchGrad[i]) ** 2;
      n2 += torchGrad[i] ** 2;
    }
    const gradientVsTorch = Math.sqrt(d2 / n2);
    const lossVsTorch = Math.abs(grad[P] - torchGrad[P]) / torchGrad[P];
    // Finite differences on 64 rows (the check costs 2 passes per parameter).
    const d = j.sizes[0];
    const finiteDifferences = kernels.finiteDifferenceError(j.sizes, j.activation, p64, x64.subarray(0, 64 * d), y64.subarray(0, 64), 1e-6);
    const pass = afterStep[STEPS].norm <= 1e-5 && gradientVsTorch <= 1e-6 && finiteDifferences <= 1e-6;
    failed ||= !pass;
    rows.push({ case: j.name, sizes: j.sizes, activation: j.activation, batch: j.batch, optimizer: j.optimizer, parametersRelativeAfterStep: afterStep, gradientVsTorch, lossVsTorch, finiteDifferences, pass });
    process.stderr.write(`${j.name}: params rel. error after 1/10/${STEPS} steps ${Object.values(afterStep).map((v) => v.norm.toExponential(2)).join(' / ')} (worst parameter ${afterStep[STEPS].worst.toExponential(2)}); float64 gradient vs torch ${gradientVsTorch.toExponential(2)}, vs finite differences ${finiteDifferences.toExponential(2)} ${pass ? 'ok' : 'FAIL'}\n`);
  }
  writeResult('crosscheck-students', {
    machine: machine(),
    anchor: torchInfo,
    note: 'parametersRelativeAfterStep: norm = ||ours - torch|| / ||torch||, worst = max |ours - torch| / max |torch| (a parameter whose gradient is near Adam\'s eps 1e-8 turns float32 rounding into a visible difference); gradients: Euclidean norms, over the whole 512-row set (torch) and 64 rows (finite differences, h = 1e-6)',
    rows,
  });
  if (failed) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// `npm run bench -- students [--quick]`: training throughput of our wasm trainer (1 thread: simd flavour;
// 2 threads: simd-threads) against PyTorch CPU (2 threads, float32), Adam on [16, w, w, 1] ReLU students
// at batch 64 and 256, in one run, each side in its own process (peak RSS is its own). Also the blocked
// matrix kernel's own throughput on a cache-resident product, the practical wasm SIMD peak here.
// Writes bench/results/students.json.
import { execFileSync } from 'node:child_process';
import { loadKernels } from '../../dist/node/index.js';
import { machine, writeResult } from './lib/common.mjs';

const quick = process.argv.includes('--quick');
const python = execFileSync('bash', ['scripts/python/env.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const anchorEnv = { ...process.env };
delete anchorEnv.OPENBLAS_CORETYPE;
delete anchorEnv.OPENBLAS_L2_SIZE;
const run = (cmd, args, env = process.env) => {
  try {
    return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', env, cwd: process.cwd(), timeout: 1_800_000, stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop());
  } catch (error) {
    return { error: String(error.message).split('\n')[0] };
  }
};

// The kernel alone: C[64, 256] += A[64, 256] B[256, 256], repeated (all in L2).
const kernels = loadKernels();
const reps = quick ? 50 : 400;
kernels.gemmBench(64, 256, 256, 10);
const t0 = performance.now();
kernels.gemmBench(64, 256, 256, reps);
const kernelGflops = (2 * 64 * 256 * 256 * reps) / ((performance.now() - t0) / 1000) / 1e9;
process.stderr.write(`blocked f32x4 kernel alone: ${kernelGflops.toFixed(1)} GFLOP/s (1 thread)\n`);

const rows = [];
for (const width of [64, 256]) {
  for (const batch of [64, 256]) {
    const sizes = [16, width, width, 1];
    // About 4e10 floating-point operations per measurement (a few seconds), whatever the shape.
    const flopsPerStep = 6 * batch * sizes.slice(1).reduce((s, out, i) => s + sizes[i] * out, 0);
    const steps = Math.max(100, Math.round((quick ? 4e9 : 4e10) / flopsPerStep));
    const args = ['--sizes', JSON.stringify(sizes), '--batch', String(batch), '--steps', String(steps)];
    const results = {
      'percolab wasm (1 thread)': run('node', ['scripts/bench/lib/students-ours.mjs', ...args, '--threads', '1']),
      'percolab wasm (2 threads)': run('node', ['scripts/bench/lib/students-ours.mjs', ...args, '--threads', '2']),
      'pytorch cpu (1 thread)': run(python, ['scripts/python/bench_students.py', ...args, '--threads', '1'], anchorEnv),
      'pytorch cpu (2 threads)': run(python, ['scripts/python/bench_students.py', ...args, '--threads', '2'], anchorEnv),
    };
    // The anchor is PyTorch's faster setting on this machine (2 threads can lose to 1 on a busy 2-core box).
    const anchors = ['pytorch cpu (1 thread)', 'pytorch cpu (2 threads)'].map((k) => results[k]).filter((r) => !r.error);
    const torch = anchors.length ? anchors.reduce((a, b) => (a.samplesPerSecond >= b.samplesPerSecond ? a : b)) : { error: 'no anchor' };
    const ratio = (k) => (results[k].error || torch.error ? null : results[k].samplesPerSecond / torch.samplesPerSecond);
    const row = { sizes, batch, steps, results, oursOverTorch: { '1 thread': ratio('percolab wasm (1 thread)'), '2 threads': ratio('percolab wasm (2 threads)') } };
    rows.push(row);
    const fmt = (r) => (r.error ? r.error : `${Math.round(r.samplesPerSecond).toLocaleString('en')} samples/s (${r.gflops.toFixed(1)} GFLOP/s, ${Math.round(r.peakRssMiB)} MiB)`);
    process.stderr.write(`[16, ${width}, ${width}, 1] batch ${batch}: ${Object.entries(results).map(([k, r]) => `${k} ${fmt(r)}`).join(' | ')} | ours/torch ${row.oursOverTorch['2 threads']?.toFixed(2)}\n`);
  }
}
writeResult('students', {
  machine: machine(),
  quick,
  kernelGflops,
  note: 'oursOverTorch divides by the faster of PyTorch 1 and 2 threads; samples/s = steps x batch / seconds of Adam steps (forward, backward, update), after 20 warm-up steps; GFLOP/s counts 6 x batch x weights per step; kernelGflops is the blocked f32x4 matrix product alone on a cache-resident 64x256x256 problem, single thread',
  rows,
});

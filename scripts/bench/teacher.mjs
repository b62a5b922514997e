// `npm run bench -- teacher [--quick]`: points per second of every teacher kind on the CPU twin (1 and 2
// threads) and on the WebGPU path (this machine: Dawn's OpenGL ES on llvmpipe, a software adapter), and
// numpy evaluating the same ReLU network d = 16 -> 512 -> 1 on the same 10^6 points, in one run.
// Writes bench/results/teacher.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../../dist/node/index.js';
import { machine, mulberry, writeResult } from './lib/common.mjs';

const quick = process.argv.includes('--quick');
const python = execFileSync('bash', ['scripts/python/env.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const d = 16;
const n = quick ? 100_000 : 1_000_000;
// The software adapter runs the wide network at ~10^4 points/s: time it on a slice.
const gpuRows = quick ? 5_000 : 50_000;
const teachers = [
  { name: 'linear', spec: { kind: 'linear' } },
  { name: 'relu 16-512-1', spec: { kind: 'relu', depth: 1, width: 512 }, anchor: true },
  { name: 'relu 16-100x4-1', spec: { kind: 'relu', depth: 4, width: 100 } },
  { name: 'fourier 20 terms', spec: { kind: 'fourier', terms: 20, maxFreq: 1 } },
];
const anchorEnv = { ...process.env };
// These may be set on this machine kind and slow OpenBLAS: not for the anchor's timing.
delete anchorEnv.OPENBLAS_CORETYPE;
delete anchorEnv.OPENBLAS_L2_SIZE;

const run = (cmd, args, env = process.env) => {
  try {
    return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 26, timeout: 1_800_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop());
  } catch (error) {
    return { error: String(error.message).split('\n')[0] };
  }
};

const dir = mkdtempSync(join(tmpdir(), 'percolab-bench-teacher-'));
const rows = [];
try {
  const next = mulberry(3);
  const pointsFile = join(dir, 'points.npy');
  writeFileSync(pointsFile, encodeNpy({ dtype: 'float32', shape: [n, d], data: new Float32Array(n * d).map(() => (next() - 0.5) * 4) }));
  for (const t of teachers) {
    const results = {};
    const labels = join(dir, 'labels.npy');
    const params = join(dir, 'params.npy');
    const ours = (threads, device, extra = []) => run('node', ['scripts/bench/lib/teacher-ours.mjs', '--teacher', JSON.stringify(t.spec), '--points', pointsFile, '--threads', String(threads), '--device', device, ...extra]);
    results['percolab cpu (1 thread)'] = ours(1, 'cpu');
    results['percolab cpu (2 threads)'] = ours(2, 'cpu', ['--labels', labels, '--params', params]);
    results['percolab webgpu (software adapter)'] = ours(1, 'gpu', ['--rows', String(gpuRows), '--repeats', '1']);
    if (t.anchor) results['numpy float32 (2 threads)'] = run(python, ['scripts/python/bench_teacher.py', '--points', pointsFile, '--params', params, '--labels', labels, '--depth', String(t.spec.depth), '--width', String(t.spec.width)], anchorEnv);
    const cpu2 = results['percolab cpu (2 threads)'];
    const numpy = results['numpy float32 (2 threads)'];
    const row = { teacher: t.name, spec: t.spec, d, n, results, ...(numpy && !numpy.error && !cpu2.error ? { numpyOverOurs: cpu2.seconds / numpy.seconds } : {}) };
    rows.push(row);
    const fmt = (r) => (r && !r.error ? `${(r.pointsPerSecond / 1e6).toFixed(2)} M pts/s` : r?.error ?? '—');
    process.stderr.write(`${t.name}: ${Object.entries(results).map(([k, r]) => `${k} ${fmt(r)}`).join(' | ')}${row.numpyOverOurs ? ` | ours/numpy time ${row.numpyOverOurs.toFixed(2)}` : ''}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeResult('teacher', { machine: machine(), quick, rows });

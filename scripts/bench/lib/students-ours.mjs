// One measurement of our trainer, in its own process (so peak RSS is its own): Adam steps of a student
// on random data, single-threaded (simd flavour) or on N threads (simd-threads flavour). Prints JSON.
import { loadKernels, loadThreadedKernels, resolveConfig } from '../../../dist/node/index.js';
import { mulberry, peakRssMiB } from './common.mjs';

const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
const sizes = JSON.parse(arg('--sizes'));
const batch = Number(arg('--batch'));
const steps = Number(arg('--steps'));
const threads = Number(arg('--threads'));
const kernels = threads > 1 ? await loadThreadedKernels(threads) : loadKernels();
const d = sizes[0];
const rows = 20_000;
const next = mulberry(7);
const x = Float32Array.from({ length: rows * d }, () => next() * 2 - 1);
const y = Float32Array.from({ length: rows }, (_, i) => Math.sin(x[i * d]) + x[i * d + 1]);
// One evaluation at the start and one at the end (each 2048 rows): the rest is training.
const config = resolveConfig({
  model: { kind: 'mlp', widths: sizes.slice(1, -1), activation: 'relu' },
  train: { learningRate: 1e-3, batchSize: batch, steps: steps + 20, schedule: 'constant', validationFraction: 0, evalEvery: steps + 20, widthCheck: false },
});
const spec = { model: config.model, train: { ...config.train, learningRate: 1e-3 } };
const student = kernels.student(spec, d, 1, 0, { x, y });
student.advance(20); // warm-up (and the first evaluation)
const start = performance.now();
student.advance(steps);
const seconds = (performance.now() - start) / 1000;
student.free();
kernels.close?.();
const flopsPerStep = 6 * batch * sizes.slice(1).reduce((s, out, i) => s + sizes[i] * out, 0);
process.stdout.write(`${JSON.stringify({ seconds, steps, stepsPerSecond: steps / seconds, samplesPerSecond: (steps * batch) / seconds, gflops: (flopsPerStep * steps) / seconds / 1e9, peakRssMiB: peakRssMiB() })}\n`);

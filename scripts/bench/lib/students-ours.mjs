// One measurement of our trainer, in its own process (so peak RSS is its own): Adam steps of a student
// on random data, single-threaded (simd flavour) or on N threads (simd-threads flavour). Prints JSON.
import { loadKernels, loadThreadedKernels } from '../../../dist/node/index.js';
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
const spec = {
  model: { kind: 'mlp', widths: sizes.slice(1, -1), activation: 'relu', k: 1, weights: 'uniform' },
  // One evaluation at the start and one at the end (each 2048 rows): the rest is training.
  train: { optimizer: 'adam', learningRate: 1e-3, momentum: 0.9, weightDecay: 0, batchSize: batch, steps: steps + 20, schedule: 'constant', anneal: 1, validationFraction: 0, evalEvery: steps + 20, widthCheck: false },
};
const student = kernels.student(spec, d, 1, 0, { x, y });
student.advance(20); // warm-up (and the first evaluation)
const start = performance.now();
student.advance(steps);
const seconds = (performance.now() - start) / 1000;
student.free();
kernels.close?.();
const flopsPerStep = 6 * batch * sizes.slice(1).reduce((s, out, i) => s + sizes[i] * out, 0);
process.stdout.write(`${JSON.stringify({ seconds, steps, stepsPerSecond: steps / seconds, samplesPerSecond: (steps * batch) / seconds, gflops: (flopsPerStep * steps) / seconds / 1e9, peakRssMiB: peakRssMiB() })}\n`);

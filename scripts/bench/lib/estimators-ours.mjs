// One timing of our TwoNN or MLE for `npm run bench -- estimators`, in its own process (peak RSS is ours).
import { parseArgs } from 'node:util';
import { loadThreadedKernels, readFloat32Matrix } from '../../../dist/node/index.js';
import { peakRssMiB } from './common.mjs';

const { values } = parseArgs({ options: { method: { type: 'string' }, points: { type: 'string' }, threads: { type: 'string' } } });
const kernels = await loadThreadedKernels(Number(values.threads));
// Warm up (V8 compiles each wasm function on first use).
kernels.estimateDimension(Float32Array.from({ length: 3000 * 4 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1), 4, [values.method], 0, 0);
const baselineRssMiB = peakRssMiB();
const { data, cols } = readFloat32Matrix(values.points, 'points file');
const t0 = performance.now();
// No bootstrap: scikit-dimension gives none, so time the same work.
const [estimate] = kernels.estimateDimension(data, cols, [values.method], 0, 0);
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, dimension: estimate.dimension, baselineRssMiB, peakRssMiB: peakRssMiB() }));
kernels.close();

// One timing of a teacher on our CPU twin or WebGPU path for `npm run bench -- teacher`, in its own
// process. Labels (and, with --params, the drawn ReLU network's layers) are written for the anchor.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chooseDevice, createTeacher, encodeNpy, loadThreadedKernels, nodeGpu, prepareGpuEnvironment, readFloat32Matrix, resolveConfig } from '../../../dist/node/index.js';
import { peakRssMiB } from './common.mjs';

const { values } = parseArgs({ options: { teacher: { type: 'string' }, points: { type: 'string' }, rows: { type: 'string' }, threads: { type: 'string' }, device: { type: 'string' }, labels: { type: 'string' }, params: { type: 'string' }, repeats: { type: 'string' } } });
prepareGpuEnvironment();
const kernels = await loadThreadedKernels(Number(values.threads));
const spec = resolveConfig({ teacher: { ...JSON.parse(values.teacher), repetitions: 0, device: values.device } }).teacher;
const choice = await chooseDevice(values.device, nodeGpu, kernels);
const all = readFloat32Matrix(values.points, 'points file');
const d = all.cols;
const rows = Math.min(all.rows, Number(values.rows ?? all.rows));
const points = all.data.subarray(0, rows * d);
const teacher = createTeacher(spec, kernels, d, 1, { reference: points, gpu: choice.gpu });
// Warm-up on a small batch (wasm tier-up, shader compilation), then the best of the repeats.
await teacher.label(points.subarray(0, Math.min(rows, 4096) * d));
const baselineRssMiB = peakRssMiB();
let best = Infinity;
let labels;
for (let r = 0; r < Number(values.repeats ?? 3); r++) {
  const t0 = performance.now();
  labels = await teacher.label(points);
  best = Math.min(best, (performance.now() - t0) / 1000);
}
if (values.labels) writeFileSync(values.labels, encodeNpy({ dtype: 'float32', shape: [rows], data: labels }));
if (values.params) {
  // The twin's parameter layout [W_0, b_0, W_1, b_1, ...] with weights [fan_in, fan_out].
  const model = kernels.teacherModel(spec, d, 1);
  writeFileSync(values.params, encodeNpy({ dtype: 'float32', shape: [model.parameters().length], data: model.parameters() }));
  model.free();
}
teacher.free();
console.log(JSON.stringify({ seconds: best, rows, pointsPerSecond: rows / best, device: choice.device, adapter: choice.gpu?.description, baselineRssMiB, peakRssMiB: peakRssMiB() }));
kernels.close();
process.exit(0);

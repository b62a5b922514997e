// One timing of our exact k-NN for `npm run bench -- neighbors`, in its own process (peak RSS is ours).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { asFloat32Matrix, loadThreadedKernels, parseNpy } from '../../../dist/node/index.js';

const { values } = parseArgs({ options: { train: { type: 'string' }, query: { type: 'string' }, k: { type: 'string' }, threads: { type: 'string' } } });
const read = (path) => asFloat32Matrix(parseNpy(readFileSync(path), path), path);
const train = read(values.train);
const query = read(values.query);
const kernels = await loadThreadedKernels(Number(values.threads));
const t0 = performance.now();
const index = kernels.knnIndex(train.data, train.cols);
const t1 = performance.now();
const found = index.search(query.data, Number(values.k));
const t2 = performance.now();
const k = Number(values.k);
console.log(JSON.stringify({
  build: (t1 - t0) / 1000,
  query: (t2 - t1) / 1000,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  indexMiB: index.memoryBytes / 2 ** 20,
  firstNeighbours: Array.from({ length: Math.min(50, query.rows) }, (_, i) => found.indices[i * k]),
}));
index.free();
kernels.close();

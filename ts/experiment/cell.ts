import type { Config } from '../config/schema.js';
import { createTeacher } from '../teachers/teacher.js';
import type { Kernels } from '../wasm/kernels.js';
import type { LossPoint } from './results.js';

/** Copies the rows `order[from..to)` of a row-major matrix and their labels. */
function gatherRows(points: Float32Array, labels: Float32Array, d: number, order: Uint32Array, from: number, to: number) {
  const x = new Float32Array((to - from) * d);
  const y = new Float32Array(to - from);
  for (let i = from; i < to; i++) {
    const row = order[i]!;
    x.set(points.subarray(row * d, row * d + d), (i - from) * d);
    y[i - from] = labels[row]!;
  }
  return { x, y };
}

/**
 * One repetition of the experiment: a cluster, its embedding and labels from `seed`; a test set and
 * nested training sets (prefixes of one random order of the remaining sites); the test MSE at each size.
 */
export function runSeed(kernels: Kernels, config: Config, seed: number): LossPoint[] {
  const { dimension: d, coordination, clusterSize, sampler } = config.data;
  const parents = kernels.sampleCluster(seed, 0, clusterSize, coordination, sampler);
  const points = kernels.embedNaive(parents, d, seed, 0);
  const labels = createTeacher(config.teacher, kernels, seed).label(points, d);
  const order = kernels.permutation(seed, 0, clusterSize);
  const test = gatherRows(points, labels, d, order, 0, config.testSize);
  const largest = config.sizes[config.sizes.length - 1]!;
  const train = gatherRows(points, labels, d, order, config.testSize, config.testSize + largest);
  return config.sizes.map((n) => {
    const predictions = kernels.knnRegress(train.x.subarray(0, n * d), train.y.subarray(0, n), d, test.x, config.model.k, config.model.weights);
    let sum = 0;
    predictions.forEach((p, i) => (sum += (p - test.y[i]!) ** 2));
    return { seed, n, loss: sum / predictions.length };
  });
}

// The config's `capacity` section in a real run: the largest clusters of a population, the shuffled-label
// control, results.json and the report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, distNode, uniformSource } from './helpers.js';

describe('run config: capacity', () => {
  it('measures the 10 largest clusters of 50 points, above the shuffled-label control, into results.json and the report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cap-run-'));
    const sets = ['data.kind=population', 'data.clusters=300', 'data.dimension=8', 'seeds=1', 'sizes=[200,400]', 'testSize=100', 'measure.points=0', 'capacity.draws=200'];
    const result = spawnSync(process.execPath, [cli, 'run', ...sets.flatMap((s) => ['--set', s]), '--out', 'run'], { cwd: dir, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const { capacity } = JSON.parse(readFileSync(join(dir, 'run', 'results.json'), 'utf8'));
    expect(capacity.seed).toBe(1);
    expect(capacity.clusterIds).toHaveLength(10);
    expect(capacity.data.points).toEqual(Array(10).fill(50));
    expect(capacity.control.points).toEqual(capacity.data.points);
    const { data, control } = capacity;
    // 10 anchors in R^8 span the space: b = |t|^2 on every draw, so D = N / P (= 0.8) to Monte-Carlo error.
    expect(Math.abs(data.dimension - 0.8)).toBeLessThan(3 * data.dimensionStandardError);
    // Clusters sit apart in space; shuffled, every manifold spans the whole population.
    expect(control.radius - data.radius).toBeGreaterThan(3 * (data.radiusStandardError + control.radiusStandardError));
    expect(data.capacity - control.capacity).toBeGreaterThan(2 * (data.capacityStandardError + control.capacityStandardError));
    expect(readFileSync(join(dir, 'run', 'report.html'), 'utf8')).toContain('Manifold capacity of the clusters');
  });
});

describe('capacity of a student\'s hidden layers', () => {
  it('computes each hidden layer as the student does (GELU of its penultimate pre-activations)', async () => {
    const lib = await import(`${distNode}index.js`);
    const { hiddenLayers } = await import('../ts/capacity/layers.js');
    const kernels = lib.loadKernels();
    const next = uniformSource(9);
    const d = 4;
    const x = Float32Array.from({ length: 300 * d }, () => next() * 6 - 3);
    const y = Float32Array.from({ length: 300 }, (_, i) => Math.sin(x[i * d]!) * x[i * d + 1]!);
    const config = lib.resolveConfig({ model: { kind: 'mlp', widths: [12, 10], activation: 'gelu' }, train: { steps: 200 } });
    const student = kernels.student({ model: config.model, train: { ...config.train, learningRate: 0.003 } }, d, 1, 0, { x, y });
    try {
      while (!student.advance(100));
      const layers = hiddenLayers(kernels, student.summary().sizes, student.weights(), 'gelu', x);
      expect(layers.map((h: Float64Array) => h.length)).toEqual([300 * 12, 300 * 10]);
      const z = student.penultimate(x);
      // GELU(z) = z Phi(z); the reference normal CDF by a fine midpoint rule on [-8, z].
      const phi = (v: number) => { let s = 0; const n = 4000, lo = -8, h = (v - lo) / n; for (let i = 0; i < n; i++) { const t = lo + (i + 0.5) * h; s += Math.exp(-t * t / 2); } return (s * h) / Math.sqrt(2 * Math.PI); };
      const scale = Math.max(...Array.from(z, Math.abs));
      let worst = 0;
      for (let i = 0; i < z.length; i += 7) worst = Math.max(worst, Math.abs(layers[1]![i]! - z[i]! * phi(z[i]!)));
      // float32 weights and activations: about 1e-6 of the scale.
      expect(worst).toBeLessThan(1e-5 * scale);
    } finally {
      student.free();
    }
  });

  it('measures every hidden layer of the first seed\'s last student on the same points as the data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cap-run-'));
    const sets = ['data.kind=population', 'data.clusters=300', 'data.dimension=8', 'seeds=1', 'sizes=[200,400]', 'testSize=100', 'measure.points=0', 'capacity.draws=40', 'capacity.clusters=6', 'capacity.points=20', 'model.kind=mlp', 'model.widths=[16,12]', 'train.steps=300', 'train.widthCheck=false', 'train.learningRate=[0.003]'];
    const result = spawnSync(process.execPath, [cli, 'run', ...sets.flatMap((s) => ['--set', s]), '--out', 'run'], { cwd: dir, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const { capacity } = JSON.parse(readFileSync(join(dir, 'run', 'results.json'), 'utf8'));
    expect(capacity.layers.map((l: { layer: number; width: number }) => [l.layer, l.width])).toEqual([[1, 16], [2, 12]]);
    for (const l of capacity.layers) {
      expect(l.data.points).toEqual(capacity.data.points);
      expect(l.data.ambientDimension).toBe(l.width);
      expect(l.control.points).toEqual(l.data.points);
      expect(Math.abs((l.data.utility * (1 + l.data.radius ** -2)) / l.data.dimension - l.data.capacity)).toBeLessThan(1e-12 * l.data.capacity);
    }
    expect(readFileSync(join(dir, 'run', 'report.html'), 'utf8')).toContain('hidden layer 2, shuffled');
  });
});

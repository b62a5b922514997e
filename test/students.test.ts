// Neural-network students through the built bundles: the wasm trainer (both flavours), experiments with
// model.kind "mlp", and `percolab train` on files, bad input included.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, distNode, uniformSource } from './helpers.js';

const lib = await import(`${distNode}index.js`);
const kernels = lib.loadKernels();
const dir = mkdtempSync(join(tmpdir(), 'percolab-students-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (train: Record<string, unknown> = {}, model: Record<string, unknown> = {}) => {
  const config = lib.resolveConfig({ model: { kind: 'mlp', widths: [24, 24], ...model }, train: { steps: 400, ...train } });
  return { model: config.model, train: { ...config.train, learningRate: 0.003 } };
};

function data(n: number, d: number, seed: number) {
  const next = uniformSource(seed);
  const x = Float32Array.from({ length: n * d }, () => next() * 2 - 1);
  const y = Float32Array.from({ length: n }, (_, i) => Math.sin(2 * x[i * d]!) + x[i * d + 1]! * (d > 2 ? x[i * d + 2]! : 1));
  return { x, y };
}

/** A plain float64 forward pass of PyTorch-layout weights: what a user's code does with the files. */
function forward(sizes: number[], params: Float32Array, x: Float32Array, activation = (v: number) => Math.max(0, v)) {
  const d = sizes[0]!;
  const rows = x.length / d;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let h = Array.from(x.subarray(r * d, r * d + d));
    let at = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [i, o] = [sizes[l]!, sizes[l + 1]!];
      const next = new Array<number>(o);
      for (let j = 0; j < o; j++) {
        let s = params[at + i * o + j]!;
        for (let k = 0; k < i; k++) s += params[at + j * i + k]! * h[k]!;
        next[j] = l + 2 < sizes.length ? activation(s) : s;
      }
      at += i * o + o;
      h = next;
    }
    out[r] = h[0]!;
  }
  return out;
}

describe('the wasm trainer', () => {
  it('gives bit-identical students on the single-threaded and the 2-thread flavour', async () => {
    const threaded = await lib.loadThreadedKernels(2);
    try {
      const { x, y } = data(3000, 5, 1);
      const test = data(500, 5, 2);
      // Batch 200: seven 32-row chunks, and 200 rows x 17 409 parameters is above the work at which the
      // pool takes the chunks (2^20), so the threads really split the gradient.
      const s = spec({ batchSize: 200, validationFraction: 0.2 }, { widths: [128, 128] });
      const a = kernels.student(s, 5, 1, 0, { x, y }, test);
      const b = threaded.student(s, 5, 1, 0, { x, y }, test);
      a.advance(300);
      b.advance(300);
      expect(a.weights()).toEqual(b.weights());
      expect(a.history()).toEqual(b.history());
      expect(a.penultimate(test.x)).toEqual(b.penultimate(test.x));
      a.free();
      b.free();
    } finally {
      threaded.close();
    }
  });

  it('learns: the test loss falls 10x below the target variance, and the exported weights predict in raw units', () => {
    const { x, y } = data(2000, 3, 3);
    const scaled = { x: x.map((v) => 1000 + 50 * v), y: y.map((v) => -7 + 100 * v) };
    const test = data(500, 3, 4);
    const testScaled = { x: test.x.map((v) => 1000 + 50 * v), y: test.y.map((v) => -7 + 100 * v) };
    const student = kernels.student(spec({ steps: 2000 }, { activation: 'tanh' }), 3, 5, 0, scaled, testScaled);
    while (!student.advance(300));
    const mse = student.mse(testScaled.x, testScaled.y);
    let mean = 0;
    testScaled.y.forEach((v: number) => (mean += v / testScaled.y.length));
    const variance = testScaled.y.reduce((s: number, v: number) => s + (v - mean) ** 2, 0) / testScaled.y.length;
    expect(mse).toBeLessThan(variance / 10);
    const history = student.history();
    expect(history[0].step).toBe(0);
    expect(history.at(-1).step).toBe(2000);
    // The exported network maps raw inputs to raw targets: a plain forward pass gives student.predict.
    const mine = forward(student.summary().sizes, student.weights(), testScaled.x, Math.tanh);
    const theirs = student.predict(testScaled.x);
    mine.forEach((v, i) => expect(Math.abs(v - theirs[i]!)).toBeLessThan(1e-3 * 100));
    student.free();
  });

  it('rejects specs that drift from the config and data that cannot train, naming the problem', () => {
    const { x, y } = data(100, 2, 5);
    const s = spec();
    expect(() => kernels.student({ ...s, train: { ...s.train, learningRateGrid: 1 } }, 2, 1, 0, { x, y })).toThrow(/unknown field `learningRateGrid`/);
    const { patience: _p, ...withoutEvalEvery } = { ...s.train, evalEvery: undefined };
    expect(() => kernels.student({ ...s, train: withoutEvalEvery }, 2, 1, 0, { x, y })).toThrow(/missing field `evalEvery`/);
    expect(() => kernels.student(s, 3, 1, 0, { x, y })).toThrow(/not 100 rows of dimension 3/);
    const bad = x.slice();
    bad[7] = Number.NaN;
    expect(() => kernels.student(s, 2, 1, 0, { x: bad, y })).toThrow(/input row 3 column 1 is NaN/);
    const diverging = kernels.student({ ...s, train: { ...s.train, learningRate: 1e6, optimizer: 'sgd', momentum: 0 } }, 2, 1, 0, { x, y });
    expect(() => diverging.advance(400)).toThrow(/^diverged: the training loss became/);
    diverging.free();
  });
});

describe('experiments with students', () => {
  it('train at every size, choose a learning rate, check the width, and write weights and a report', () => {
    const out = join(dir, 'run');
    const config = join(dir, 'student.json');
    writeFileSync(
      config,
      JSON.stringify({ seeds: 2, sizes: [200, 400, 800], testSize: 300, measure: { points: 0 }, teacher: { kind: 'fourier', repetitions: 0 }, model: { kind: 'mlp', widths: [16, 16] }, train: { steps: 300, learningRate: [0.001, 0.01] } }),
    );
    execFileSync('node', [cli, 'run', config, '--out', out, '--workers', '2', '--no-progress'], { stdio: 'pipe' });
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.theory).toMatchObject({ c: 4, dimension: 4, exponent: 1 });
    expect(results.students).toHaveLength(2);
    for (const s of results.students) {
      expect(s.sizes.map((r: any) => r.n)).toEqual([200, 400, 800]);
      for (const r of s.sizes) {
        expect([0.001, 0.01]).toContain(r.learningRate);
        expect(r.grid).toHaveLength(2);
        // The kept rate is the grid's best on validation.
        expect(r.grid.find((g: any) => g.learningRate === r.learningRate).score).toBe(Math.min(...r.grid.map((g: any) => g.score)));
        expect(r.summary.trainRows + r.summary.validationRows).toBe(r.n);
        expect(r.summary.validationRows).toBe(Math.floor(0.1 * r.n));
        expect(r.relative).toBeCloseTo(results.points.find((p: any) => p.seed === s.seed && p.n === r.n).relative, 12);
      }
    }
    expect(results.widthCheck).toMatchObject({ seed: 1, n: 800, widths: [16, 16], doubledWidths: [32, 32] });
    expect(results.widthCheck.change).toBeCloseTo(results.widthCheck.doubledTestLoss / results.widthCheck.testLoss - 1, 12);
    const weights = join(out, 'weights', 'seed-2', 'n-400');
    expect(readdirSync(weights).sort()).toEqual(['0.bias.npy', '0.weight.npy', '1.bias.npy', '1.weight.npy', '2.bias.npy', '2.weight.npy']);
    const w0 = lib.parseNpy(readFileSync(join(weights, '0.weight.npy')), 'w0');
    expect(w0.shape).toEqual([16, 16]); // [out, in] with d = 16
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Students</h2>');
    expect(html).toContain('Width check (seed 1, N = 800)');
  });
});

describe('model scaling', () => {
  it('trains one student per width at the largest size and fits loss against parameter count', async () => {
    const config = { scaling: 'model', seeds: 2, sizes: [100, 600], testSize: 300, measure: { points: 0 }, teacher: { kind: 'fourier', repetitions: 0 }, model: { kind: 'mlp', widths: [8, 8], widthGrid: [2, 4, 8] }, train: { steps: 200, learningRate: 0.01 } };
    const results = await lib.run(config, { workers: 2 });
    const params = [2, 4, 8].map((w) => 16 * w + w + (w * w + w) + w + 1);
    expect(results.config.fit.window).toEqual([params[0], params[2]]);
    expect(results.points.filter((p: any) => p.seed === 1).map((p: any) => p.n)).toEqual(params);
    expect(results.students[0].sizes.map((r: any) => [r.n, r.summary.sizes])).toEqual([2, 4, 8].map((w) => [600, [16, w, w, 1]]));
    expect(results.widthCheck).toBeUndefined();
    expect(results.theory.exponent).toBe(1);
    expect(Number.isFinite(results.fit.exponent.median)).toBe(true);
  });

  it('is rejected without students, or with widths that do not grow', () => {
    expect(() => lib.resolveConfig({ scaling: 'model' })).toThrow('invalid config: scaling = "model": needs model.kind "mlp"');
    expect(() => lib.resolveConfig({ scaling: 'model', model: { kind: 'mlp', widthGrid: [8, 8] } })).toThrow('model.widthGrid[1] = 8: must be greater than the previous width 8');
  });
});

describe('percolab train', () => {
  const write = (name: string, shape: number[], values: Float32Array) => {
    const file = join(dir, name);
    writeFileSync(file, lib.encodeNpy({ dtype: 'float32', shape, data: values }));
    return file;
  };
  const train = data(1500, 4, 7);
  const test = data(400, 4, 8);
  const X = write('x.npy', [1500, 4], train.x);
  const Y = write('y.npy', [1500], train.y);
  const XT = write('xt.npy', [400, 4], test.x);
  const YT = write('yt.npy', [400, 1], test.y);
  const percolab = (...args: string[]) => spawnSync('node', [cli, 'train', ...args, '--no-progress'], { encoding: 'utf8' });

  it('writes PyTorch-layout weights and train.json, and the weights reproduce its test loss', () => {
    const out = join(dir, 'trained');
    const r = percolab(X, Y, '--widths', '32,16', '--steps', '600', '--batch', '64', '--lr', '3e-3', '--test', XT, YT, '--seed', '4', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'train.json'), 'utf8'));
    expect(record.sizes).toEqual([4, 32, 16, 1]);
    expect(record.history.at(-1).step).toBe(600);
    expect(record.testLoss).toBeLessThan(record.history[0].test);
    const files = readdirSync(join(out, 'weights')).sort();
    expect(files).toEqual(['0.bias.npy', '0.weight.npy', '1.bias.npy', '1.weight.npy', '2.bias.npy', '2.weight.npy']);
    const shapes = files.map((f) => lib.parseNpy(readFileSync(join(out, 'weights', f)), f).shape);
    expect(shapes).toEqual([[32], [32, 4], [16], [16, 32], [1], [1, 16]]);
    const params = new Float32Array(files.length === 6 ? 4 * 32 + 32 + 32 * 16 + 16 + 16 + 1 : 0);
    let at = 0;
    for (const l of [0, 1, 2]) for (const kind of ['weight', 'bias']) {
      const a = lib.parseNpy(readFileSync(join(out, 'weights', `${l}.${kind}.npy`)), kind).data as Float32Array;
      params.set(a, at);
      at += a.length;
    }
    const predictions = forward([4, 32, 16, 1], params, test.x);
    const mse = predictions.reduce((s, p, i) => s + (p - test.y[i]!) ** 2, 0) / test.y.length;
    expect(Math.abs(mse / record.testLoss - 1)).toBeLessThan(1e-4);
    // Same seed, same bits.
    const again = join(dir, 'again');
    expect(percolab(X, Y, '--widths', '32,16', '--steps', '600', '--batch', '64', '--lr', '3e-3', '--test', XT, YT, '--seed', '4', '--out', again).status).toBe(0);
    expect(readFileSync(join(again, 'weights', '1.weight.npy'))).toEqual(readFileSync(join(out, 'weights', '1.weight.npy')));
  });

  it.each([
    ['a target count that does not match', () => [X, YT], /has 400 targets but the inputs have 1500 rows/],
    ['a test file of another dimension', () => [X, Y, '--test', write('xt3.npy', [400, 3], test.x.subarray(0, 1200)), YT], /has 3 columns but .* has 4/],
    ['NaN in the inputs', () => [write('nan.npy', [1500, 4], train.x.map((v, i) => (i === 9 ? Number.NaN : v))), Y], /NaN|not finite/],
    ['a zero width', () => [X, Y, '--widths', '32,0'], /--widths = "32,0": expected hidden widths as integers >= 1/],
    ['a negative learning rate', () => [X, Y, '--lr', '-1'], /train\.learningRate/],
    ['an unknown activation', () => [X, Y, '--activation', 'swish'], /model\.activation = "swish"/],
    ['a negative seed', () => [X, Y, '--seed', '-5'], /--seed = "-5": expected an integer >= 0/],
    ['patience without validation', () => [X, Y, '--patience', '10'], /--patience needs a validation split/],
    ['a directory for the inputs', () => [dir, Y], /cannot read input file|EISDIR|not a file/],
    ['an output inside a file', () => [X, Y, '--out', join(X, 'out')], /cannot write output folder .* is not a folder/],
  ])('rejects %s with status 2, one line and no output', (_name, args, message) => {
    const out = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    const given = args();
    const r = percolab(...given, ...(given.includes('--out') ? [] : ['--out', out]));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});

mkdirSync(dir, { recursive: true });

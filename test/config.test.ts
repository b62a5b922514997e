import { describe, expect, it } from 'vitest';
import { applySets, parseConfigText, resolveConfig } from '../ts/config/load.js';
import { UsageError } from '../ts/errors.js';
import { referenceMarkdown } from '../ts/config/reference.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const fail = (input: unknown) => {
  try {
    resolveConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`config ${JSON.stringify(input)} was accepted`);
};

describe('config', () => {
  it('fills every default, including the derived ones', () => {
    const c = resolveConfig({});
    expect(c.seeds).toBe(10);
    expect(c.data.dimension).toBe(16);
    expect(c.data.coordination).toBe(32);
    expect(c.data.clusterSize).toBe(c.data.clusterFactor * (c.sizes.at(-1)! + c.testSize));
    expect(c.fit.window).toEqual([c.sizes[0], c.sizes.at(-1)]);
    expect(c.model).toEqual({ kind: 'knn', k: 1, weights: 'uniform', local: 'constant', tangentCutoff: 1e-3, widths: [128, 128], widthGrid: [8, 16, 32, 64, 128], activation: 'gelu' });
    expect(c.train).toEqual({ optimizer: 'adam', learningRate: [0.001, 0.003], momentum: 0.9, weightDecay: 0, batchSize: 64, steps: 20000, schedule: 'cosine', anneal: 0.01, validationFraction: 0.1, evalEvery: 200, widthCheck: true });
    expect(c.measure).toEqual({ points: 20000 });
    // A resolved config is itself a valid input and resolves to itself.
    expect(resolveConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it('derives coordination from the dimension unless given', () => {
    expect(resolveConfig({ data: { dimension: 8 } }).data.coordination).toBe(16);
    expect(resolveConfig({ data: { dimension: 8, coordination: 3 } }).data.coordination).toBe(3);
  });

  it('applies dotted --set overrides with JSON or bare-string values', () => {
    const out = applySets({ data: { dimension: 4 } }, ['data.dimension=32', 'sizes=[10,20]', 'data.sampler=grow-cut', 'model.k=3']);
    expect(out).toEqual({ data: { dimension: 32, sampler: 'grow-cut' }, sizes: [10, 20], model: { k: 3 } });
    expect(() => applySets({}, ['nonsense'])).toThrow(/expected path=value/);
    expect(() => applySets({ seed: 3 }, ['seed.x=1'])).toThrow(/seed is not an object/);
  });

  it('defaults k to 1 for the local mean and to 2(m + 1) for a local-linear fit', () => {
    expect(resolveConfig({}).model).toMatchObject({ k: 1, local: 'constant' });
    expect(resolveConfig({ model: { local: 'linear' } }).model.k).toBe(34); // clusters: m = d = 16
    expect(resolveConfig({ model: { local: 'linear', k: 10, tangentDimension: 4 } }).model.k).toBe(10);
    expect(resolveConfig({ model: { local: 'linear' }, data: { kind: 'manifold', manifoldDimension: 2 } }).model.k).toBe(6);
    expect(resolveConfig({ model: { local: 'linear', tangentDimension: 3 } }).model.k).toBe(8);
    expect(resolveConfig({ model: { local: 'linear', k: 40 } }).model.k).toBe(40);
  });

  it('ignores the record a run writes into config.json', () => {
    const c = resolveConfig({ percolab: { version: '0.1.0', seeds: [1, 2] } });
    expect('percolab' in c).toBe(false);
  });

  // Every class of bad value: the message names the path, the value and what is allowed.
  it.each([
    [{ data: { dimension: 0 } }, 'data.dimension = 0: expected a value at least 1'],
    [{ data: { dimension: 2.5 } }, 'data.dimension = 2.5: expected an integer'],
    [{ data: { dimension: '16' } }, 'data.dimension = "16": expected number'],
    [{ model: { k: 0 } }, 'model.k = 0: expected a value at least 1'],
    [{ model: { k: 5 }, sizes: [4, 8] }, 'model.k = 5: must be at most the smallest training size 4'],
    [{ model: { local: 'linear', k: 10 } }, 'model.k = 10: must exceed m + 1 = 17 for a local-linear fit in tangent dimension m = 16 (data.dimension: a fractal\'s neighbourhoods span every direction'],
    [{ model: { local: 'linear', k: 4 }, data: { kind: 'manifold', manifoldDimension: 3 } }, 'model.k = 4: must exceed m + 1 = 4 for a local-linear fit in tangent dimension m = 3 (data.manifoldDimension)'],
    [{ model: { local: 'linear', k: 3, tangentDimension: 2 } }, 'model.k = 3: must exceed m + 1 = 3 for a local-linear fit in tangent dimension m = 2 (model.tangentDimension)'],
    [{ model: { local: 'linear', tangentDimension: 12 }, sizes: [20, 40] }, 'model.k = missing: must be at most the smallest training size 20 (the local-linear default 2(m + 1) = 26 with m = 12'],
    [{ model: { local: 'linear', tangentDimension: 20 } }, 'model.tangentDimension = 20: must be at most data.dimension (16)'],
    [{ model: { tangentDimension: 2 } }, 'model.tangentDimension = 2: needs model.local "linear"'],
    [{ model: { kind: 'mlp', widths: [64, 0] } }, 'model.widths[1] = 0: expected a value at least 1'],
    [{ model: { kind: 'mlp', activation: 'swish' } }, 'model.activation = "swish": expected one of "relu", "tanh", "gelu"'],
    [{ train: { learningRate: -0.1 } }, 'train.learningRate = -0.1'],
    [{ train: { validationFraction: 1 } }, 'train.validationFraction = 1: expected a value less than 1'],
    [{ train: { schedule: 'linear' } }, 'train.schedule = "linear": expected one of "constant", "cosine", "step"'],
    [{ train: { lr: 0.1 } }, 'train.lr = 0.1: unknown key'],
    [{ train: { batchSize: 0 } }, 'train.batchSize = 0: expected a value at least 1'],
    [{ model: { local: 'linear', tangentCutoff: 1 } }, 'model.tangentCutoff = 1: expected a value less than 1'],
    [{ model: { local: 'quadratic' } }, 'model.local = "quadratic": expected one of "constant", "linear"'],
    [{ model: { kind: 'mlp', local: 'linear' } }, 'model.local = "linear": needs model.kind "knn"'],
    [{ sizes: [10, 30, 20] }, 'sizes[2] = 20: must be greater than the previous size 30'],
    [{ sizes: [10, 10] }, 'sizes[1] = 10: must be greater than the previous size 10'],
    [{ sizes: [10] }, 'sizes = [10]: expected at least 2 entries'],
    [{ testSize: 0 }, 'testSize = 0: expected a value at least 1'],
    [{ workers: 0 }, 'workers = 0: expected a value at least 1'],
    [{ data: { kind: 'manifold', manifold: 'torus', manifoldDimension: 10, dimension: 16 } }, 'data.dimension = 16: must be at least 20 to hold a torus of dimension 10'],
    [{ data: { kind: 'sheet' } }, 'data.kind = "sheet"'],
    [{ data: { embedder: 'branching', branches: 10, branchSize: 100 } }, 'data.branchSize = 100: gives 1000 points (branches^levels x branchSize), fewer than the largest size plus testSize (34000)'],
    [{ data: { embedder: 'branching', branchSize: 5000, baseSize: 4000 } }, 'data.branchSize = 5000: must be below baseSize (4000)'],
    [{ data: { levels: 16 } }, 'data.levels = 16: expected a value at most 15'],
    [{ seeds: 0 }, 'seeds = 0: expected a value at least 1'],
    [{ seed: -1 }, 'seed = -1: expected a value at least 0'],
    [{ dimension: 16 }, 'dimension = 16: unknown key'],
    [{ data: { dimensions: 16 } }, 'data.dimensions = 16: unknown key'],
    [{ data: { sampler: 'fast' } }, 'data.sampler = "fast": expected one of "exact", "grow-cut"'],
    [{ teacher: { kind: 'cubic' } }, 'teacher.kind = "cubic": expected one of "linear", "relu", "fourier"'],
    [{ teacher: { perCluster: true } }, 'teacher.perCluster = true: needs data.kind "population"'],
    [{ capacity: { draws: 50 } }, 'capacity.draws = 50: needs data.kind "population"'],
    [{ data: { kind: 'population' }, capacity: { draws: 1 } }, 'capacity.draws = 1: must be 0 (skip) or at least 2'],
    [{ capacity: { dichotomy: 'pairs' } }, 'capacity.dichotomy = "pairs": expected one of "random", "one-versus-rest"'],
    [{ teacher: { minNonlinearity: 1.5 } }, 'teacher.minNonlinearity = 1.5: expected a value at most 1'],
    [{ teacher: { device: 'tpu' } }, 'teacher.device = "tpu": expected one of "auto", "gpu", "cpu"'],
    [{ data: { clusterSize: 100 }, sizes: [10, 90], testSize: 20 }, 'data.clusterSize = 100: must be at least the largest size plus testSize (110)'],
    [{ fit: { window: [5000, 6000] } }, 'fit.window = [5000,6000]: must be [min, max] with min <= max containing at least two sizes'],
    [[1, 2], 'expected a JSON object'],
  ])('rejects %j', (input, message) => {
    const text = fail(input);
    expect(text).toContain(message);
    expect(text.split('\n')).toHaveLength(1);
  });

  it('rejects malformed JSON naming the source', () => {
    expect(() => parseConfigText('{"seeds": 3,', 'my.json')).toThrow(/my\.json is not valid JSON/);
    expect(() => parseConfigText('3', 'my.json')).toThrow(/my\.json must hold a JSON object, got 3/);
  });

  it('docs/config.md carries the config reference generated from the schema (run `npm run docs` after schema edits)', () => {
    const reference = readFileSync(new URL('../docs/config.md', import.meta.url), 'utf8');
    expect(reference).toContain(referenceMarkdown());
  });
});

describe('API reference', () => {
  it('docs/api is what TypeDoc makes of the sources now (run `npm run docs:api` after changing public types)', () => {
    const out = mkdtempSync(join(tmpdir(), 'percolab-api-'));
    try {
      const run = spawnSync(process.execPath, ['node_modules/typedoc/bin/typedoc', '--out', out], { encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      const files = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
      expect(files(out)).toEqual(files('docs/api'));
      const stale = files(out).filter((f) => readFileSync(join(out, f), 'utf8') !== readFileSync(join('docs/api', f), 'utf8'));
      expect(stale).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});

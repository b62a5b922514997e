// The typed boundary between TypeScript and Rust: the resolved `data` and `teacher` config sections cross
// as they are, and the Rust structs (crates/wasm/src/spec.rs) read exactly the zod schema's keys and enum
// values. Every key of the schema must be accepted, every key must be required (no default repeated in
// Rust), and an unknown or renamed key must fail in one line naming it: so a key renamed on either side
// fails here. The teacher's parameter layout comes from Rust, and the stream's standardization is the
// teacher's own.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, DataSchema, TeacherSchema } from '../ts/config/schema.js';
import { distNode, root } from './helpers.js';

const lib = await import(`${distNode}index.js`);
const kernels = lib.loadKernels();

type Section = 'data' | 'teacher';
type Any = { def: { type: string; innerType?: Any }; options?: unknown[] };

/** The schema under its defaults and optionals. */
function unwrap(schema: Any): Any {
  let s = schema;
  while (['default', 'prefault', 'optional', 'nullable'].includes(s.def.type)) s = s.def.innerType!;
  return s;
}

const shapes = { data: DataSchema.shape, teacher: TeacherSchema.shape } as unknown as Record<Section, Record<string, Any>>;

/** Small sizes, so every stream and teacher is quick to build. */
const small = { sizes: [10, 20], testSize: 10, data: { dimension: 6, clusters: 40, maxClusterSize: 200 }, teacher: { repetitions: 0 } };

/** The resolved config of `small` with `section.key = value` (and what that value needs to be valid). */
function configWith(section: Section, key: string, value: unknown) {
  const needs: Record<string, Record<string, unknown>> = {
    'data.sampler=grow-cut': { embedder: 'naive', kind: 'cluster' },
    'teacher.perCluster=true': { kind: 'population' },
    // File data: a path (never read here: resolveConfig does not open files) for the kind and its keys.
    'data.kind=file': { path: '/nonexistent/points.npy' },
    'data.labels=auto': { kind: 'file', path: '/nonexistent/points.npy' },
    'data.labels=file': { kind: 'file', path: '/nonexistent/points.npy' },
    'data.labels=teacher': { kind: 'file', path: '/nonexistent/points.npy' },
  };
  const extra = needs[`${section}.${key}=${String(value)}`];
  const input = structuredClone(small) as unknown as Record<string, Record<string, unknown>>;
  input[section] = { ...input[section], [key]: value };
  if (extra) input.data = { ...input.data, ...extra };
  return lib.resolveConfig(input);
}

/** Builds the Rust side of a section (and frees it): throws what Rust says. */
function cross(section: Section, config: ReturnType<typeof lib.resolveConfig>, spec: Record<string, unknown> = config[section]) {
  const d = config.data.dimension;
  if (section === 'data') {
    // File data has no Rust stream: Rust parses the spec (a bad key would fail first, as "data spec: ...")
    // and then says so; anything else is an error.
    try {
      kernels.dataStream(spec, 3).free();
    } catch (error) {
      if (spec.kind === 'file' && /^data\.kind "file": .*no generated data stream$/.test((error as Error).message)) return;
      throw error;
    }
    return;
  }
  const points = new Float32Array(50 * d).map((_, i) => Math.sin(i));
  const ids = spec.perCluster ? Uint32Array.from({ length: 50 }, (_, i) => i % 3) : undefined;
  kernels.teacherModel(spec, d, 3, points, ids).free();
}

describe('the spec boundary', () => {
  it('hands every resolved default section across unchanged, with every schema key present', () => {
    const defaults = lib.resolveConfig({});
    expect(ConfigSchema.shape.data).toBeDefined();
    for (const section of ['data', 'teacher'] as const) {
      // minNonlinearity is the one key that stays optional once resolved (absent: no vetting).
      const keys = Object.keys(shapes[section]).filter((k) => k !== 'minNonlinearity');
      expect(Object.keys(defaults[section]).sort()).toEqual(keys.sort());
    }
    // The defaults themselves (a 1.7-million-site cluster is only sized here, not walked).
    expect(() => cross('data', defaults)).not.toThrow();
    expect(() => cross('teacher', defaults)).not.toThrow();
  });

  it('hands across the resolved config of every example run', () => {
    const cells = readdirSync(join(root, 'examples/sweeps')).flatMap((sweep) => {
      const dir = join(root, 'examples/sweeps', sweep, 'cells');
      return existsSync(dir) ? readdirSync(dir).map((cell) => join(dir, cell, 'config.json')) : [];
    });
    expect(cells.length).toBeGreaterThan(10);
    for (const file of cells) {
      const config = lib.resolveConfig(JSON.parse(readFileSync(file, 'utf8')));
      expect(() => cross('data', config), file).not.toThrow();
      expect(() => cross('teacher', { ...config, teacher: { ...config.teacher, repetitions: 0 } }), file).not.toThrow();
    }
  });

  for (const section of ['data', 'teacher'] as const) {
    it(`accepts every enum value and boolean of the ${section} schema`, () => {
      let tried = 0;
      for (const [key, field] of Object.entries(shapes[section])) {
        const inner = unwrap(field);
        const values = inner.def.type === 'enum' ? inner.options! : inner.def.type === 'boolean' ? [false, true] : [];
        for (const value of values) {
          const config = configWith(section, key, value);
          expect(() => cross(section, config), `${section}.${key} = ${JSON.stringify(value)}`).not.toThrow();
          tried++;
        }
      }
      // data: kind 4, sampler 2, embedder 2, placement 2, manifold 3, labels 3; teacher: kind 3, standardize 2, device 3, perCluster 2.
      expect(tried).toBe(section === 'data' ? 16 : 10);
      if (section === 'data') {
        // The nullable keys, set.
        expect(() => cross('data', lib.resolveConfig({ ...small, data: { ...small.data, kind: 'file', path: '/x.parquet', intrinsicDimension: 2.5 } }))).not.toThrow();
      }
      // Vetting's optional key, set.
      if (section === 'teacher') expect(() => cross('teacher', configWith('teacher', 'minNonlinearity', 1))).not.toThrow();
    });

    it(`requires every key of the ${section} schema (no default repeated in Rust)`, () => {
      const config = lib.resolveConfig(structuredClone(small));
      for (const key of Object.keys(config[section])) {
        const { [key]: _dropped, ...rest } = config[section] as Record<string, unknown>;
        expect(() => cross(section, config, rest), key).toThrow(`${section} spec: missing field \`${key}\``);
      }
    });
  }

  it('rejects an unknown or renamed key in one line naming it', () => {
    const config = lib.resolveConfig(structuredClone(small));
    const { minClusterSize, ...data } = config.data;
    const failure = (section: Section, spec: Record<string, unknown>) => {
      try {
        cross(section, config, spec);
      } catch (error) {
        expect(error).toBeInstanceOf(lib.KernelError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const renamed = failure('data', { ...data, minSize: minClusterSize });
    expect(renamed).toMatch(/^data spec: unknown field `minSize`, expected one of `kind`, .*`minClusterSize`/);
    expect(renamed).not.toMatch(/\n|at line/);
    expect(failure('teacher', { ...config.teacher, standardization: null })).toMatch(/^teacher spec: unknown field `standardization`/);
    expect(failure('teacher', { ...config.teacher, kind: 'sine' })).toBe('teacher spec: unknown variant `sine`, expected one of `linear`, `relu`, `fourier`');
    expect(failure('data', { ...config.data, dimension: 2.5 })).toMatch(/^data spec: invalid type: floating point `2.5`, expected u32$/);
    expect(failure('data', { ...config.data, labels: 'mine' })).toBe('data spec: unknown variant `mine`, expected one of `auto`, `file`, `teacher`');
  });
});

describe('the naive cluster stream honours data.sampler', () => {
  it('grow-cut: the experiment\'s own points (breadth-first, in memory); exact: a depth-first walk of another cluster', () => {
    const grow = lib.resolveConfig({ ...small, data: { ...small.data, sampler: 'grow-cut', clusterSize: 3000 } });
    const stream = kernels.dataStream(grow.data, 5);
    expect(stream.length).toBe(3000);
    const rows = [stream.next(1000), stream.next(5000), stream.next(10)];
    stream.free();
    expect(rows.map((r) => r.length / 6)).toEqual([1000, 2000, 0]);
    const whole = Float32Array.from(rows.flatMap((r) => Array.from(r)));
    expect(whole).toEqual(lib.seedData(kernels, grow, 5).points);
    const exact = kernels.dataStream({ ...grow.data, sampler: 'exact' }, 5);
    expect(exact.next(3000)).not.toEqual(whole);
    exact.free();
  });

  it('rejects grow-cut where only exact clusters exist, in the config and at the boundary', () => {
    expect(() => lib.resolveConfig({ data: { embedder: 'branching', sampler: 'grow-cut' } })).toThrow(
      'invalid config: data.sampler = "grow-cut": applies to the naive embedder only: the branching embedder draws exact clusters',
    );
    expect(() => lib.resolveConfig({ data: { kind: 'population', sampler: 'grow-cut' } })).toThrow(/data\.sampler = "grow-cut": .*a population draws exact clusters/);
    const config = lib.resolveConfig({ ...small, data: { ...small.data, embedder: 'branching' } });
    expect(() => kernels.dataStream({ ...config.data, sampler: 'grow-cut' }, 1)).toThrow(/^data\.sampler "grow-cut" applies to the naive embedder only; the branching embedder draws exact clusters/);
    const huge = lib.resolveConfig({ data: { sampler: 'grow-cut', dimension: 64, clusterSize: 5_000_000 } });
    expect(() => kernels.dataStream(huge.data, 1)).toThrow(/holds the whole cluster in memory/);
  });
});

describe('one definition of what Rust and the GPU share', () => {
  it('the teacher layout comes from Rust and covers its parameters, slot by slot', () => {
    const d = 5;
    const points = new Float32Array(200 * d).map((_, i) => Math.cos(i * 0.37) * 3);
    for (const kind of ['linear', 'relu', 'fourier'] as const) {
      const config = lib.resolveConfig({ teacher: { kind, depth: 3, width: 7, terms: 4, repetitions: 0, perCluster: true }, data: { kind: 'population', dimension: d } });
      const ids = Uint32Array.from({ length: 200 }, (_, i) => i % 4);
      const model = kernels.teacherModel(config.teacher, d, 2, points, ids);
      const layout = model.layout();
      const parameters = model.parameters();
      expect(layout.kind).toBe(kind);
      expect(parameters.length).toBe(4 * layout.stride);
      if (layout.kind === 'relu') {
        expect(layout.layers.map((l: { fanIn: number; fanOut: number }) => [l.fanIn, l.fanOut])).toEqual([[d, 7], [7, 7], [7, 7], [7, 1]]);
        expect(layout.layers.at(-1).biases + 1).toBe(layout.stride);
      }
      if (layout.kind === 'fourier') {
        // Slot 2's standardization offsets where the layout says: the data's per-coordinate minimum.
        const s = model.record().standardization;
        expect(Array.from(parameters.subarray(2 * layout.stride + layout.offset, 2 * layout.stride + layout.offset + d))).toEqual(Array.from(Float32Array.from(s.offset)));
        expect(layout.firstTerm + layout.terms * layout.termStride).toBe(layout.stride);
      }
      expect(lib.gpuTeacher(model, config.teacher, d, true).shape.layout).toEqual(layout);
      model.free();
    }
  });

  it('the stream standardization is the bits the teacher computes from the same rows in memory', () => {
    // 150000 rows of a 4-d manifold sample: three chunks in wasm, one array here.
    const config = lib.resolveConfig({ data: { kind: 'manifold', manifold: 'sphere', manifoldDimension: 2, dimension: 4 } });
    const n = 150_000;
    const stream = kernels.dataStream(config.data, 8);
    const rows = stream.next(n);
    stream.free();
    for (const by of ['range', 'sd'] as const) {
      const streamed = kernels.streamStandardization(config.data, 8, n, by);
      const teacher = lib.resolveConfig({ teacher: { kind: 'fourier', standardize: by, repetitions: 0 } }).teacher;
      const model = kernels.teacherModel(teacher, 4, 8, rows);
      const { offset, scale } = model.record().standardization;
      model.free();
      expect(streamed).toEqual(Float32Array.from([...offset, ...scale]));
      // In steps (what generate shows progress between): the fraction rises to 1, then the same bits.
      const run = kernels.standardizationRun(config.data, 8, n, by);
      const fractions: number[] = [];
      for (let f = 0; f < 1; ) fractions.push((f = run.advance(1)));
      // Three chunks per pass (65536, 65536, 18928 rows); sd takes two passes.
      const passes = by === 'sd' ? 2 : 1;
      expect(fractions).toEqual([65536, 131072, 150_000, 215536, 281072, 300_000].slice(0, 3 * passes).map((r) => r / (passes * n)));
      expect(run.finish()).toEqual(streamed);
    }
    expect(() => kernels.standardizationRun(config.data, 8, 0, 'range')).toThrow('rows must be a positive integer, got 0');
    expect(() => kernels.streamStandardization(config.data, 8, n, 'mad' as 'sd')).toThrow('teacher.standardize: unknown variant `mad`, expected `range` or `sd`');
  });
});

describe('the student spec: the resolved model and train sections, crossing as they are', () => {
  const config = lib.resolveConfig({ ...small, model: { kind: 'mlp', widths: [4] }, train: { steps: 2 } });
  const x = new Float32Array(40 * 6).map((_, i) => Math.sin(i));
  const y = new Float32Array(40).map((_, i) => Math.cos(i));
  const build = (model: Record<string, unknown>, train: Record<string, unknown>) =>
    kernels.student({ model, train: { ...train, learningRate: 0.01 } }, 6, 1, 0, { x, y }).free();

  it('accepts the resolved sections and every enum value of the student keys', () => {
    expect(() => build(config.model, config.train)).not.toThrow();
    for (const activation of ['relu', 'tanh', 'gelu']) expect(() => build({ ...config.model, activation }, config.train)).not.toThrow();
    for (const optimizer of ['adam', 'sgd']) expect(() => build(config.model, { ...config.train, optimizer })).not.toThrow();
    for (const schedule of ['constant', 'cosine', 'step']) expect(() => build(config.model, { ...config.train, schedule })).not.toThrow();
    expect(() => build(config.model, { ...config.train, patience: 5 })).not.toThrow();
  });

  it('requires every key of both sections and rejects unknown ones in one line', () => {
    // learningRate is always the one rate of this student; the config's optional keys stay optional.
    for (const [section, keys] of [['model', Object.keys(config.model)], ['train', Object.keys(config.train).filter((k) => k !== 'learningRate')]] as const) {
      for (const key of keys) {
        const model = section === 'model' ? Object.fromEntries(Object.entries(config.model).filter(([k]) => k !== key)) : config.model;
        const train = section === 'train' ? Object.fromEntries(Object.entries(config.train).filter(([k]) => k !== key)) : config.train;
        expect(() => build(model, train), `${section}.${key}`).toThrow(`student spec: missing field \`${key}\``);
      }
    }
    expect(() => build({ ...config.model, depth: 2 }, config.train)).toThrow(/^student spec: unknown field `depth`/);
    expect(() => build(config.model, { ...config.train, lr: 1 })).toThrow(/^student spec: unknown field `lr`/);
  });
});

// The fuzz suite (issue 12, item 4): property-based generation (fast-check, fixed seed, bounded number of
// runs) of configs, `--set` overrides and malformed .npy / Arrow / Parquet bytes. Every case must end in
// a result or a one-line UsageError: never a TypeError or RangeError from deep inside a reader, a hang,
// or (through the built CLI) exit status 1, a stack trace or a partial output. Counts are printed at the
// end. The Rust side is crates/percolation/tests/properties.rs and crates/neighbors/tests/properties.rs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySets, resolveConfig } from '../ts/config/load.js';
import { UsageError } from '../ts/errors.js';
import { arrowFileWriter, pointsBatch, pointsSchema, readArrowPoints } from '../ts/io/arrow.js';
import { asFloat32Matrix, encodeNpy, parseNpy } from '../ts/io/npy.js';
import { readParquetPoints, writeParquetStream } from '../ts/io/parquet.js';
import { readPointsFile } from '../ts/io/points-file.js';
import { cli } from './helpers.js';

const seed = 42;
const counts: Record<string, number> = {};
const tally = (kind: string) => (counts[kind] = (counts[kind] ?? 0) + 1);

afterAll(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`fuzz: ${total} cases: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
});

/** The error must be a UsageError with a one-line, non-empty message (optionally with this prefix). */
function expectUsageError(error: unknown, what: string, prefix?: RegExp) {
  if (!(error instanceof UsageError)) throw new Error(`${what}: expected a UsageError, got ${(error as Error)?.name}: ${(error as Error)?.message}\n${(error as Error)?.stack}`);
  expect(error.message, what).not.toMatch(/[\n\r]/);
  expect(error.message.length, what).toBeGreaterThan(0);
  if (prefix) expect(error.message, what).toMatch(prefix);
}

/** Runs `body`; a throw must be a one-line UsageError. Returns whether it returned. */
function resultOrUsageError(body: () => unknown, what: string, prefix?: RegExp): boolean {
  try {
    body();
    return true;
  } catch (error) {
    expectUsageError(error, what, prefix);
    return false;
  }
}

// ---- configs -------------------------------------------------------------------------------------------

const valid = { seeds: 2, sizes: [10, 20], testSize: 10, data: { dimension: 4 }, measure: { points: 0 } };
const paths = [
  'seed', 'seeds', 'sizes', 'testSize', 'workers', 'scaling', 'data.kind', 'data.dimension', 'data.coordination', 'data.sampler',
  'data.embedder', 'data.branches', 'data.levels', 'data.branchSize', 'data.baseSize', 'data.clusters', 'data.minClusterSize',
  'data.maxClusterSize', 'data.sizeExponent', 'data.placement', 'data.manifold', 'data.manifoldDimension', 'data.clusterSize',
  'data.clusterFactor', 'teacher.kind', 'teacher.depth', 'teacher.width', 'teacher.sigmaW', 'teacher.sigmaB', 'teacher.terms',
  'teacher.maxFreq', 'teacher.standardize', 'teacher.scale', 'teacher.perCluster', 'teacher.device', 'teacher.minNonlinearity',
  'teacher.maxDraws', 'teacher.repetitions', 'model.kind', 'model.k', 'model.weights', 'model.local', 'model.tangentDimension',
  'model.tangentCutoff', 'model.widths', 'model.widthGrid', 'model.activation', 'train.optimizer', 'train.learningRate',
  'train.momentum', 'train.weightDecay', 'train.batchSize', 'train.steps', 'train.schedule', 'train.anneal',
  'train.validationFraction', 'train.patience', 'train.evalEvery', 'train.widthCheck', 'fit.window', 'measure.points', 'percolab',
  'capacity.draws', 'capacity.clusters', 'capacity.points', 'capacity.maxDimension', 'capacity.dichotomy', 'capacity.control',
];

/** Values a user might write: wrong types, out-of-range and NaN-like numbers, odd strings, huge arrays. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '', ' ', 'null', 'true', '0x10', '1_000', '\n', 'é', '__proto__'),
  fc.constantFrom(-1, 0, 0.5, 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, Number.MIN_VALUE, -0),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.array(fc.integer({ min: 1, max: 1e6 }), { maxLength: 50 }),
  fc.constant(Array.from({ length: 5000 }, (_, i) => i + 1)),
  fc.constant([2 ** 32, 2 ** 33]),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

function setAt(root: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.');
  let node = root;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object' || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

describe('configs', () => {
  it('arbitrary JSON resolves or is one "invalid config:" line', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fc.oneof(fc.constantFrom(...paths.map((p) => p.split('.')[0]!)), fc.string()), fc.jsonValue({ maxDepth: 3 }))), (input) => {
        tally('config (arbitrary JSON)');
        resultOrUsageError(() => resolveConfig(input), JSON.stringify(input).slice(0, 200), /^invalid config: /);
      }),
      { seed, numRuns: 1500 },
    );
  });

  it('mutated valid configs resolve or are one "invalid config:" line', () => {
    const mutation = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...paths), fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('data.\n', 'data.x y', 'teacher.k\u0000', 'model.__proto__')), oddValue), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(mutation, (changes) => {
        tally('config (mutated)');
        const input = structuredClone(valid) as Record<string, unknown>;
        for (const [path, value] of changes) setAt(input, path, value);
        resultOrUsageError(() => resolveConfig(input), JSON.stringify(changes).slice(0, 200), /^invalid config: /);
      }),
      { seed, numRuns: 2500 },
    );
  });

  it('--set path=value strings apply and resolve, or are one line', () => {
    const segment = fc.oneof(
      fc.constantFrom(...new Set(paths.flatMap((p) => p.split('.')))),
      fc.constantFrom('', '__proto__', 'constructor', 'prototype', 'toString', ' ', '0', 'a b', '\u00e9'),
      fc.string({ maxLength: 6 }),
    );
    const path = fc.oneof(fc.constantFrom(...paths), fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.')), fc.string({ maxLength: 10 }));
    const value = fc.oneof(oddValue.map((v) => JSON.stringify(v) ?? ''), fc.string({ maxLength: 12 }), fc.constantFrom('', '=', '{', '[1,', '"x', '1e999', 'NaN'));
    const set = fc.oneof(fc.tuple(path, value).map(([p, v]) => `${p}=${v}`), fc.string({ maxLength: 20 }));
    fc.assert(
      fc.property(fc.array(set, { minLength: 1, maxLength: 4 }), (sets) => {
        tally('--set');
        resultOrUsageError(() => resolveConfig(applySets(structuredClone(valid), sets)), JSON.stringify(sets), /^invalid (config: |--set )/);
        // Nothing leaks onto every object.
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(({} as Record<string, unknown>).dimension).toBeUndefined();
      }),
      { seed, numRuns: 2500 },
    );
  });
});

// ---- malformed files ------------------------------------------------------------------------------------

/** Mutations of a valid file's bytes: truncation, byte flips (dense in the header), splices, appends. */
function mutated(base: fc.Arbitrary<Uint8Array>, headerBytes: number): fc.Arbitrary<Uint8Array> {
  const flip = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean());
  return fc.oneof(
    fc.tuple(base, fc.nat()).map(([b, at]) => b.slice(0, at % (b.length + 1))),
    fc.tuple(base, fc.array(flip, { minLength: 1, maxLength: 8 })).map(([b, flips]) => {
      const out = b.slice();
      for (const [at, value, inHeader] of flips) out[at % (inHeader ? Math.min(headerBytes, out.length) : out.length)] = value;
      return out;
    }),
    fc.tuple(base, fc.uint8Array({ maxLength: 64 })).map(([b, tail]) => Uint8Array.from([...b, ...tail])),
    fc.tuple(base, fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 16 })).map(([b, from, len, insert]) => {
      const at = from % (b.length + 1);
      return Uint8Array.from([...b.subarray(0, at), ...insert, ...b.subarray(Math.min(b.length, at + (len % 32)))]);
    }),
    fc.uint8Array({ maxLength: 256 }),
  );
}

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const fromLatin1 = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

/** A valid .npy of a small array of one of the supported dtypes. */
const npyBase: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom('float32', 'float64', 'int64', 'uint32'), fc.boolean(), fc.double())
  .map(([rows, cols, dtype, flat, special]) => {
    const n = rows * cols;
    const shape = flat ? [n] : [rows, cols];
    const values = Array.from({ length: n }, (_, i) => (i === 1 ? special : i * 0.5));
    const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'float64' ? Float64Array.from(values) : dtype === 'int64' ? BigInt64Array.from(values, (v) => BigInt(Math.trunc(Number.isFinite(v) ? v : 0))) : Uint32Array.from(values);
    return encodeNpy({ dtype, shape, data } as Parameters<typeof encodeNpy>[0]);
  });

/** Header rewrites: a wrong or odd descr, a shape that does not match the data, odd versions. */
const npyHeaderEdits: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    npyBase,
    fc.oneof(
      fc.constantFrom("'<f2'", "'>f4'", "'|b1'", "'toString'", "'__proto__'", "'constructor'", "'<f4\n'", "''", "'<U4'", "'O'"),
      fc.constant(null),
    ),
    fc.oneof(
      fc.constantFrom('()', '(0,)', '(-1, 2)', '(1e400,)', '(3, x)', '(3,\n4)', '(9007199254740993, 2)', '(4294967296, 4294967296)', '(0x10,)', '(1,2,3)', '(,)', '(2, 2'),
      fc.tuple(fc.nat(100), fc.nat(100)).map(([a, b]) => `(${a}, ${b})`),
      fc.constant(null),
    ),
    fc.oneof(fc.constantFrom(0, 2, 3, 4, 255), fc.constant(null)),
  )
  .map(([bytes, descr, shape, version]) => {
    let text = latin1(bytes);
    if (descr !== null) text = text.replace(/'descr': '[^']*'/, `'descr': ${descr}`);
    if (shape !== null) text = text.replace(/'shape': \([^)]*\)/, `'shape': ${shape}`);
    const out = fromLatin1(text);
    if (version !== null) out[6] = version;
    return out;
  });

describe('malformed .npy bytes', () => {
  it('regressions the fuzzer found or aimed at: short version-2 headers, a descr naming an Object method', () => {
    const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
    const header = (descr: string) => fromLatin1(latin1(encodeNpy({ dtype: 'float32', shape: [1], data: new Float32Array(1) })).replace("'<f4'", descr));
    for (const bytes of [Uint8Array.from([...magic, 2, 0, 0, 0]), Uint8Array.from([...magic, 3, 0, 0, 0, 0]), header("'toString'"), header("'__proto__'"), header("'<f4\n'")]) {
      tally('.npy (in process)');
      expect(resultOrUsageError(() => parseNpy(bytes, 'r.npy'), latin1(bytes))).toBe(false);
    }
  });

  it('parseNpy and asFloat32Matrix return or throw one UsageError line', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(npyBase, 80), npyHeaderEdits, npyBase), (bytes) => {
        tally('.npy (in process)');
        resultOrUsageError(() => asFloat32Matrix(parseNpy(bytes, 'fuzz.npy'), 'fuzz.npy'), `bytes ${Buffer.from(bytes.subarray(0, 96)).toString('base64')}`);
      }),
      { seed, numRuns: 4000 },
    );
  });
});

/** An Arrow IPC file and a Parquet file as `percolab generate` writes them, 40 rows at d = 3. */
async function writtenFiles(withIds: boolean) {
  const d = 3;
  const rows = 40;
  const schema = pointsSchema(d, withIds, JSON.stringify({ percolab: 'fuzz', seed: 1 }));
  const batch = () => pointsBatch(schema, Float32Array.from({ length: rows * d }, (_, i) => i / 7), Float32Array.from({ length: rows }, (_, i) => i), withIds ? Uint32Array.from({ length: rows }, (_, i) => i % 3) : undefined);
  const arrowChunks: Uint8Array[] = [];
  const writer = arrowFileWriter(schema, (bytes) => arrowChunks.push(bytes.slice()));
  await writer.write(batch());
  await writer.write(batch());
  await writer.finish();
  const parquetChunks: Uint8Array[] = [];
  await writeParquetStream(schema, (async function* () {
    yield batch();
    yield batch();
  })(), (bytes) => parquetChunks.push(bytes.slice()));
  return { arrow: Buffer.concat(arrowChunks), parquet: Buffer.concat(parquetChunks) };
}

describe('malformed Arrow and Parquet bytes', () => {
  let files: { arrow: Uint8Array; parquet: Uint8Array }[] = [];
  beforeAll(async () => {
    files = [await writtenFiles(false), await writtenFiles(true)];
    // The unmutated files read back.
    for (const f of files) {
      expect(readArrowPoints(f.arrow).points.length).toBe(240);
      expect(readParquetPoints(f.parquet).points.length).toBe(240);
    }
  });

  it('readArrowPoints returns or throws one UsageError line (byte flips anywhere, inserts; the messages read through the footer)', () => {
    // Byte 39 of the d = 3 file set to 102 once sent apache-arrow 21.2.0's sequential file reader into a
    // loop that never ended (a block whose message is not a record batch is retried forever).
    const known = new Uint8Array(files[0]!.arrow);
    known[39] = 102;
    expect(resultOrUsageError(() => readArrowPoints(known, 'fuzz.arrow'), 'byte 39 = 102')).toBe(false);
    // The same bytes as a run's data file (data.kind "file") take the same checked reader.
    const path = join(mkdtempSync(join(tmpdir(), 'percolab-fuzz-arrow-')), 'known.arrow');
    writeFileSync(path, known);
    expect(resultOrUsageError(() => readPointsFile(path), 'data file with byte 39 = 102')).toBe(false);
    rmSync(dirname(path), { recursive: true });
    // Flips mostly within the first message and the footer (the file's structure), some anywhere.
    const base = fc.constantFrom(0, 1).map((i) => new Uint8Array(files[i]!.arrow));
    const region = fc.constantFrom('head', 'tail', 'any');
    const flip = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), region);
    const cases = fc.tuple(base, fc.array(flip, { minLength: 1, maxLength: 4 })).map(([b, flips]) => {
      const out = b.slice();
      for (const [at, value, where] of flips) {
        const i = where === 'head' ? at % 320 : where === 'tail' ? out.length - 1 - (at % 400) : at % out.length;
        out[i] = value;
      }
      return out;
    });
    fc.assert(
      fc.property(cases, (bytes) => {
        tally('Arrow flips (in process)');
        resultOrUsageError(() => readArrowPoints(bytes, 'fuzz.arrow'), `arrow bytes ${Buffer.from(bytes).toString('base64')}`);
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('readArrowPoints returns or throws one UsageError line (truncations, appends, random bytes)', () => {
    const base = fc.constantFrom(0, 1).map((i) => new Uint8Array(files[i]!.arrow));
    const cases = fc.oneof(
      fc.tuple(base, fc.nat()).map(([b, at]) => b.slice(0, at % (b.length + 1))),
      fc.tuple(base, fc.uint8Array({ maxLength: 64 })).map(([b, tail]) => Uint8Array.from([...b, ...tail])),
      fc.uint8Array({ maxLength: 256 }),
      fc.uint8Array({ maxLength: 256 }).map((b) => Uint8Array.from([...Buffer.from('ARROW1\0\0'), ...b])),
    );
    fc.assert(
      fc.property(cases, (bytes) => {
        tally('Arrow (in process)');
        resultOrUsageError(() => readArrowPoints(bytes, 'fuzz.arrow'), `arrow bytes of length ${bytes.length}`);
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('readParquetPoints returns or throws one UsageError line', () => {
    const base = fc.constantFrom(0, 1).map((i) => new Uint8Array(files[i]!.parquet));
    fc.assert(
      fc.property(mutated(base, 64), (bytes) => {
        tally('Parquet (in process)');
        resultOrUsageError(() => readParquetPoints(bytes, 'fuzz.parquet'), `parquet bytes of length ${bytes.length}`);
      }),
      { seed, numRuns: 1000 },
    );
  });
});

// ---- the built CLI on a sample of the file cases -------------------------------------------------------

describe('the built CLI on malformed .npy files', () => {
  const env = { ...process.env, PERCOLAB_DEBUG: '', PERCOLAB_GPU: 'none' };
  const good = encodeNpy({ dtype: 'float32', shape: [30, 2], data: Float32Array.from({ length: 60 }, (_, i) => (i * 0.618) % 1) });
  const targets = encodeNpy({ dtype: 'float32', shape: [30], data: Float32Array.from({ length: 30 }, (_, i) => i % 5) });
  const commands: [string, (f: string) => string[], string][] = [
    ['estimate', (f) => ['estimate', f, '--method', 'twonn', '--replicates', '5', '--report', 'out.html'], 'out.html'],
    ['neighbors', (f) => ['neighbors', 'good.npy', f, '--k', '2', '--out', 'nn', '--threads', '1'], 'nn.indices.npy'],
    ['neighbors (training)', (f) => ['neighbors', f, 'good.npy', '--k', '1', '--out', 'nn', '--threads', '1'], 'nn.indices.npy'],
    ['train', (f) => ['train', f, 'y.npy', '--widths', '4', '--steps', '5', '--out', 'trained', '--threads', '1'], 'trained'],
  ];

  it('status 0 or 2, one stderr line on failure, no output left behind', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(fc.constant(good), 80), npyHeaderEdits), fc.nat(commands.length - 1), (bytes, which) => {
        tally('CLI (.npy)');
        const [name, args, output] = commands[which]!;
        const dir = mkdtempSync(join(tmpdir(), 'percolab-fuzz-'));
        try {
          writeFileSync(join(dir, 'x.npy'), bytes);
          writeFileSync(join(dir, 'good.npy'), good);
          writeFileSync(join(dir, 'y.npy'), targets);
          const result = spawnSync(process.execPath, [cli, ...args('x.npy')], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
          const what = `${name} on ${Buffer.from(bytes.subarray(0, 96)).toString('base64')}: ${result.stderr}`;
          expect([0, 2], what).toContain(result.status);
          expect(result.stderr, what).not.toMatch(/internal error|\n\s+at /);
          if (result.status === 2) {
            expect(result.stderr.trim().split('\n'), what).toHaveLength(1);
            expect(existsSync(join(dir, output)), what).toBe(false);
            expect(readdirSync(dir).sort(), what).toEqual(['good.npy', 'x.npy', 'y.npy']);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { seed, numRuns: 20 },
    );
  });
});

// `percolab neighbors` as a user runs it: exact results in .npy, and every bad input class exiting 2
// with one line and no output files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../ts/io/npy.js';
import { cli, referenceKnn, uniformSource } from './helpers.js';

const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'neighbors', ...args], { cwd, encoding: 'utf8' });
const f32 = (rows: number, cols: number, values: Float32Array) => encodeNpy({ dtype: 'float32', shape: [rows, cols], data: values });

function workdir(files: Record<string, Uint8Array | string>) {
  const dir = mkdtempSync(join(tmpdir(), 'percolab-nn-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

describe('percolab neighbors', () => {
  it('writes int64 indices and float32 distances equal to the float64 reference', () => {
    const next = uniformSource(21);
    const d = 5;
    // Duplicated rows make ties: the lower training index must come first.
    const train = new Float32Array(800 * d);
    for (let i = 0; i < 400 * d; i++) train[i] = next();
    train.copyWithin(400 * d, 0, 400 * d);
    const queries = Float32Array.from({ length: 60 * d }, (_, i) => (i < 10 * d ? train[i]! : next()));
    const dir = workdir({ 'train.npy': f32(800, d, train), 'queries.npy': f32(60, d, queries) });
    const result = percolab(['train.npy', 'queries.npy', '--k', '6', '--out', 'nn', '--threads', '2'], dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const indices = parseNpy(readFileSync(join(dir, 'nn.indices.npy')), 'i');
    const distances = parseNpy(readFileSync(join(dir, 'nn.distances.npy')), 'd');
    expect(indices.dtype).toBe('int64');
    expect(indices.shape).toEqual([60, 6]);
    expect(distances.dtype).toBe('float32');
    expect(distances.shape).toEqual([60, 6]);
    const want = referenceKnn(train, queries, d, 6);
    expect(Array.from(indices.data as BigInt64Array, Number)).toEqual(Array.from(want.indices));
    expect(Array.from(distances.data as Float32Array)).toEqual(Array.from(want.squared, (s) => Math.fround(Math.sqrt(s))));
  });

  it('gives the same answers from a training file large enough to warm the index on a helper first', () => {
    // 34.6 MB: above the size from which the command has a helper compile the index's code while it reads.
    const next = uniformSource(5);
    const [n, q, d] = [270_000, 40, 32];
    const train = Float32Array.from({ length: n * d }, next);
    const queries = Float32Array.from({ length: q * d }, next);
    const dir = workdir({ 'train.npy': f32(n, d, train), 'queries.npy': f32(q, d, queries) });
    const result = percolab(['train.npy', 'queries.npy', '--k', '3', '--out', 'nn', '--threads', '2'], dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const want = referenceKnn(train, queries, d, 3);
    expect(Array.from(parseNpy(readFileSync(join(dir, 'nn.indices.npy')), 'i').data as BigInt64Array, Number)).toEqual(Array.from(want.indices));
  });

  const train = f32(10, 3, Float32Array.from({ length: 30 }, (_, i) => i));
  const cases: [string, Record<string, Uint8Array | string>, string[], RegExp][] = [
    ['mismatched d', { 't.npy': train, 'q.npy': f32(2, 4, new Float32Array(8)) }, ['t.npy', 'q.npy'], /q\.npy has 4 columns but t\.npy has 3/],
    ['wrong dtype', { 't.npy': train, 'q.npy': encodeNpy({ dtype: 'float64', shape: [2, 3], data: new Float64Array(6) }) }, ['t.npy', 'q.npy'], /q\.npy: dtype float64, expected float32/],
    ['k > N', { 't.npy': train, 'q.npy': f32(2, 3, new Float32Array(6)) }, ['t.npy', 'q.npy', '--k', '11'], /--k = 11: expected at most the number of training points \(10\)/],
    ['empty file', { 't.npy': train, 'q.npy': '' }, ['t.npy', 'q.npy'], /q\.npy: file is empty/],
    ['no points', { 't.npy': f32(0, 3, new Float32Array(0)), 'q.npy': f32(2, 3, new Float32Array(6)) }, ['t.npy', 'q.npy'], /t\.npy: holds no points/],
    ['non-finite values', { 't.npy': f32(2, 3, Float32Array.of(0, 1, 2, 3, NaN, 5)), 'q.npy': f32(1, 3, new Float32Array(3)) }, ['t.npy', 'q.npy'], /t\.npy: row 1, column 1 is NaN/],
    ['not a .npy file', { 't.npy': 'hello', 'q.npy': train }, ['t.npy', 'q.npy'], /t\.npy: not a \.npy file/],
    ['missing file', { 't.npy': train }, ['t.npy', 'q.npy'], /cannot read query file q\.npy: ENOENT/],
    ['k < 1', { 't.npy': train, 'q.npy': train }, ['t.npy', 'q.npy', '--k', '0'], /--k = "0": expected an integer >= 1/],
    // The training file is read straight into wasm memory: the same checks on that path.
    ['wrong dtype (training file)', { 't.npy': encodeNpy({ dtype: 'int32', shape: [2, 3], data: new Int32Array(6) }), 'q.npy': train }, ['t.npy', 'q.npy'], /t\.npy: dtype int32, expected float32/],
    ['truncated training file', { 't.npy': train.subarray(0, train.length - 4), 'q.npy': train }, ['t.npy', 'q.npy'], /t\.npy: holds 116 data bytes, but shape \(10, 3\) of float32 needs 120/],
    ['empty training file', { 't.npy': '', 'q.npy': train }, ['t.npy', 'q.npy'], /t\.npy: file is empty/],
    ['non-finite query', { 't.npy': train, 'q.npy': f32(1, 3, Float32Array.of(0, Infinity, 0)) }, ['t.npy', 'q.npy'], /q\.npy: row 0, column 1 is Infinity/],
    // Finiteness is checked on the float bits: -Infinity and a NaN with other payload bits are caught too.
    ['-Infinity in training', { 't.npy': f32(2, 3, Float32Array.of(0, 1, 2, 3, 4, -Infinity)), 'q.npy': f32(1, 3, new Float32Array(3)) }, ['t.npy', 'q.npy'], /t\.npy: row 1, column 2 is -Infinity/],
    ['NaN payload in training', { 't.npy': f32(2, 3, new Float32Array(Uint32Array.of(0, 0, 0xffc00001, 0, 0, 0).buffer)), 'q.npy': f32(1, 3, new Float32Array(3)) }, ['t.npy', 'q.npy'], /t\.npy: row 0, column 2 is NaN/],
  ];
  it('reads arrays whose bytes sit inside a larger buffer (Node Buffer pooling)', () => {
    const small = f32(2, 3, Float32Array.of(1, 2, 3, 4, 5, 6));
    const pooled = Buffer.from(small); // small Buffers share a pooled ArrayBuffer at an offset
    expect(Array.from(parseNpy(pooled, 'p.npy').data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.each(cases)('%s: status 2, one line, nothing written', (_name, files, args, message) => {
    const dir = workdir(files);
    const before = readdirSync(dir).sort();
    const result = percolab([...args, '--out', 'nn'], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

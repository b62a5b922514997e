// `percolab capacity` as a user runs it: a known answer through the CLI, the report, the shuffled-label
// control, and a one-line error (exit 2, nothing written) for every bad-input class.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapacityInputs } from '../ts/cli/capacity-inputs.js';
import { encodeNpy } from '../ts/io/npy.js';
import { cli, uniformSource } from './helpers.js';

const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'capacity', ...args], { cwd, encoding: 'utf8' });

/** P orthonormal points (a random rotation of the standard basis, Gram-Schmidt), one per cluster. */
function orthonormal(p: number, seed: number): Float64Array {
  const next = uniformSource(seed);
  const q = Float64Array.from({ length: p * p }, () => next() - 0.5);
  for (let i = 0; i < p; i++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let k = 0; k < p; k++) dot += q[i * p + k]! * q[j * p + k]!;
        for (let k = 0; k < p; k++) q[i * p + k]! -= dot * q[j * p + k]!;
      }
    }
    let norm = 0;
    for (let k = 0; k < p; k++) norm += q[i * p + k]! ** 2;
    for (let k = 0; k < p; k++) q[i * p + k]! /= Math.sqrt(norm);
  }
  return q;
}

/** `p` clouds of `m` points in R^n around well-separated centres (uniform noise of half-width `spread`). */
function clouds(p: number, m: number, n: number, spread: number, seed: number) {
  const next = uniformSource(seed);
  const centres = Array.from({ length: p * n }, () => 4 * (next() - 0.5));
  const points = Float32Array.from({ length: p * m * n }, (_, i) => centres[Math.floor(i / (m * n)) * n + (i % n)]! + spread * 2 * (next() - 0.5));
  return { points, ids: Uint32Array.from({ length: p * m }, (_, r) => Math.floor(r / m)) };
}

describe('percolab capacity', () => {
  it("gives Cover's capacity 2 for orthonormal points, the same bits on 1 and 2 threads, and a report with a plot", () => {
    const [p, draws] = [30, 400];
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cap-'));
    writeFileSync(join(dir, 'p.npy'), encodeNpy({ dtype: 'float64', shape: [p, p], data: orthonormal(p, 3) }));
    writeFileSync(join(dir, 'ids.npy'), encodeNpy({ dtype: 'int64', shape: [p], data: BigInt64Array.from({ length: p }, (_, i) => BigInt(7 * i)) }));
    const args = ['p.npy', '--ids', 'ids.npy', '--no-centre', '--draws', String(draws), '--seed', '4', '--json'];
    const one = percolab([...args, '--threads', '1', '--report', 'cap.html'], dir);
    expect(one.stderr).toBe('');
    expect(one.status).toBe(0);
    const r = JSON.parse(one.stdout);
    // Monte-Carlo standard deviation of alpha for points: sqrt(5 / (P draws)) relative; allow 3.
    const sd = Math.sqrt(5 / (p * draws));
    expect(Math.abs(r.capacity / 2 - 1)).toBeLessThan(3 * sd);
    expect(r.capacityStandardError / r.capacity / sd).toBeGreaterThan(0.8);
    expect(r.capacityStandardError / r.capacity / sd).toBeLessThan(1.2);
    for (const key of ['dimension', 'radius', 'utility']) {
      expect(Math.abs(r[key] - 1)).toBeLessThan(3 * sd); // zero anchors: D = R = Psi = 1
      expect(r[`${key}StandardError`]).toBeGreaterThan(0);
    }
    expect(Math.abs((r.utility * (1 + r.radius ** -2)) / r.dimension - r.capacity)).toBeLessThan(1e-12 * r.capacity);
    expect(r).toMatchObject({ manifolds: p, draws, dimensionUsed: p, centred: false });
    const two = percolab([...args, '--threads', '2'], dir);
    expect(two.stdout).toBe(one.stdout);
    const html = readFileSync(join(dir, 'cap.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain(r.capacity.toFixed(4));
  });

  it('measures true clusters above the shuffled-label control', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cap-'));
    const { points, ids } = clouds(6, 20, 30, 0.5, 5);
    writeFileSync(join(dir, 'p.npy'), encodeNpy({ dtype: 'float32', shape: [ids.length, 30], data: points }));
    writeFileSync(join(dir, 'ids.npy'), encodeNpy({ dtype: 'uint32', shape: [ids.length], data: ids }));
    const result = percolab(['p.npy', '--ids', 'ids.npy', '--draws', '60', '--control', '--json'], dir);
    expect(result.stderr).toBe('');
    const r = JSON.parse(result.stdout);
    expect(r.control.points).toEqual(r.points); // same cluster sizes
    // Tight clouds far apart are easy to separate; shuffled, every "manifold" spans the whole data.
    expect(r.capacity - r.control.capacity).toBeGreaterThan(5 * (r.capacityStandardError + r.control.capacityStandardError));
    expect(r.radius).toBeLessThan(r.control.radius);
  });

  it('rejects every bad input with one line, exit 2, and no report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cap-'));
    const { points, ids } = clouds(3, 4, 5, 0.5, 6);
    const npy = (name: string, array: Parameters<typeof encodeNpy>[0]) => writeFileSync(join(dir, name), encodeNpy(array));
    npy('p.npy', { dtype: 'float32', shape: [12, 5], data: points });
    npy('ids.npy', { dtype: 'uint32', shape: [12], data: ids });
    npy('short.npy', { dtype: 'uint32', shape: [11], data: ids.subarray(0, 11) });
    npy('one.npy', { dtype: 'uint32', shape: [12], data: new Uint32Array(12).fill(4) });
    npy('float-ids.npy', { dtype: 'float32', shape: [12], data: Float32Array.from(ids) });
    npy('negative-ids.npy', { dtype: 'int32', shape: [12], data: Int32Array.from(ids, (v) => v - 1) });
    const nan = points.slice();
    nan[13] = NaN;
    npy('nan.npy', { dtype: 'float32', shape: [12, 5], data: nan });
    mkdirSync(join(dir, 'folder'));
    // File problems, checked in-process (the CLI turns these UsageErrors into exit 2, as the first case shows).
    const files: [string, string, RegExp][] = [
      ['p.npy', 'short.npy', /short\.npy has 11 ids but \S*p\.npy has 12 points/],
      ['nan.npy', 'ids.npy', /row 2, column 3 is NaN/],
      ['missing.npy', 'ids.npy', /cannot read points file \S*missing\.npy: ENOENT/],
      ['folder', 'ids.npy', /cannot read points file \S*folder: it is a folder/],
      ['p.npy', 'float-ids.npy', /expected integer cluster ids/],
      ['p.npy', 'negative-ids.npy', /id -1 at row 0/],
    ];
    for (const [points, ids, message] of files) expect(() => readCapacityInputs(join(dir, points), join(dir, ids))).toThrow(message);
    const cases: [string[], RegExp][] = [
      [['p.npy', '--ids', 'short.npy'], /short\.npy has 11 ids but p\.npy has 12 points/],
      [['p.npy', '--ids', 'one.npy'], /at least 2 clusters.*got 1/],
      [['p.npy', '--ids', 'ids.npy', '--draws', '-3'], /--draws = "-3": expected an integer >= 2/],
      [['p.npy', '--ids', 'one.npy', '--clusters', '5'], /--clusters 5: one\.npy has 1 cluster\(s\) of 2 or more points; capacity needs at least 2/],
      [['p.npy', '--ids', 'ids.npy', '--report', 'folder'], /cannot write report file folder: it is a folder/],
    ];
    for (const [args, message] of cases) {
      const result = percolab([...args, '--report', 'out.html'].slice(0, args.includes('--report') ? args.length : undefined), dir);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stdout).toBe('');
      expect(existsSync(join(dir, 'out.html'))).toBe(false);
    }
  });
});

// `percolab estimate` as a user runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy } from '../ts/io/npy.js';
import { cli, uniformSource } from './helpers.js';

const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'estimate', ...args], { cwd, encoding: 'utf8' });

describe('percolab estimate', () => {
  it('prints TwoNN, MLE and CorrInt with intervals as JSON; a uniform square comes out near 2', () => {
    const next = uniformSource(8);
    const n = 3000;
    const d = 6; // a unit square in the first two coordinates of R^6
    const data = Float32Array.from({ length: n * d }, (_, i) => (i % d < 2 ? next() : 0));
    const dir = mkdtempSync(join(tmpdir(), 'percolab-est-'));
    writeFileSync(join(dir, 'p.npy'), encodeNpy({ dtype: 'float32', shape: [n, d], data }));
    const result = percolab(['p.npy', '--json', '--replicates', '50'], dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const estimates = JSON.parse(result.stdout);
    expect(estimates.map((e: { method: string }) => e.method)).toEqual(['twonn', 'mle', 'corrint']);
    for (const e of estimates) {
      // Boundary effects bias a finite square low by a few percent (see the estimators crate).
      expect(e.dimension).toBeGreaterThan(1.85);
      expect(e.dimension).toBeLessThan(2.1);
      expect(e.interval[0]).toBeLessThanOrEqual(e.interval[1]);
    }
  });

  it.each([
    ['duplicates', Float32Array.of(0, 0, 0, 0, 1, 1, 2, 2.5, 3, 1, 4, 4), /duplicate|distance 0/i],
    ['too few points', Float32Array.of(0, 0, 1, 1), /exceeds the number of other training points|at least|too few/i],
  ])('%s: status 2 with one line', (_name, data, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-est-'));
    writeFileSync(join(dir, 'p.npy'), encodeNpy({ dtype: 'float32', shape: [data.length / 2, 2], data }));
    const result = percolab(['p.npy', '--method', 'twonn'], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(dir)).toEqual(['p.npy']);
  });
});

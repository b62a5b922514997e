// `percolab estimate` as a user runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy } from '../ts/io/npy.js';
import { cli, uniformSource } from './helpers.js';

const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'estimate', ...args], { cwd, encoding: 'utf8' });

describe('percolab estimate', () => {
  it('prints TwoNN, MLE, CorrInt and sandbox D_1 with intervals and plot inputs as JSON; a uniform square comes out near 2', () => {
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
    expect(estimates.map((e: { method: string }) => e.method)).toEqual(['twonn', 'mle', 'corrint', 'dq']);
    for (const e of estimates) {
      // Boundary effects bias a finite square low by a few percent (see the estimators crate).
      expect(e.dimension).toBeGreaterThan(1.85);
      expect(e.dimension).toBeLessThan(2.1);
      // The bootstrap resamples: a real spread (percentiles of one sample are ordered by construction, so
      // only the width says something), and a narrow one at n = 3000.
      expect(e.interval[1] - e.interval[0]).toBeGreaterThan(0);
      expect(e.interval[1] - e.interval[0]).toBeLessThan(0.3);
    }
    // Plot inputs: the correlation integral rises strictly with r (a cumulative count cannot fall, so only
    // a strict rise says each radius adds pairs) and its local slopes sit near 2 mid-range.
    const curve = estimates[2].curve;
    expect(curve.radii.length).toBe(curve.correlation.length);
    for (let i = 1; i < curve.radii.length; i++) expect(curve.radii[i]).toBeGreaterThan(curve.radii[i - 1]);
    for (let i = 1; i < curve.correlation.length; i++) expect(curve.correlation[i]).toBeGreaterThan(curve.correlation[i - 1]);
    const mid = curve.localSlopes.slice(5, 15);
    expect(mid.reduce((a: number, b: number) => a + b, 0) / mid.length).toBeGreaterThan(1.8);
    expect(mid.reduce((a: number, b: number) => a + b, 0) / mid.length).toBeLessThan(2.2);
    // The multifractal spectrum of a uniform measure: D_q flat near 2 for q >= 0, f(alpha) peaking near 2.
    const dq = estimates[3];
    expect(dq.q.length).toBe(dq.generalizedDimensions.length);
    for (const [i, q] of dq.q.entries()) if (q >= 0) expect(Math.abs(dq.generalizedDimensions[i] - 2)).toBeLessThan(0.2);
    expect(Math.max(...dq.fAlpha)).toBeGreaterThan(1.8);
    expect(Math.max(...dq.fAlpha)).toBeLessThan(2.2);
  });

  it('box counting (on request) finds D_0 near 2 for a square in the plane', () => {
    const next = uniformSource(12);
    const n = 20000;
    const dir = mkdtempSync(join(tmpdir(), 'percolab-est-'));
    writeFileSync(join(dir, 'p.npy'), encodeNpy({ dtype: 'float32', shape: [n, 2], data: Float32Array.from({ length: 2 * n }, next) }));
    const result = percolab(['p.npy', '--method', 'box', '--json', '--replicates', '20'], dir);
    expect(result.stderr).toBe('');
    const [box] = JSON.parse(result.stdout);
    expect(box.method).toBe('box');
    // Box sizes run up to half the diameter, where a handful of boxes cover the square and its edges
    // pull the slope down (measured 1.85 here): a known finite-size bias of box counting.
    expect(Math.abs(box.dimension - 2)).toBeLessThan(0.2);
    expect(box.counts.length).toBe(box.sizes.length);
  });

  it('measures the data an experiment config generates: a percolation cluster comes out near 4', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-est-'));
    const sets = ['--set', 'data.dimension=8', '--set', 'sizes=[100,200]', '--set', 'testSize=100', '--set', 'data.clusterSize=30000'];
    const result = percolab([...sets, '--points', '10000', '--method', 'mle', '--json', '--replicates', '20', '--report', 'r.html'], dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const [mle] = JSON.parse(result.stdout);
    // D = 4 asymptotically; at 10^4 points the neighbourhoods are pre-asymptotic (the crate's tests say how).
    expect(mle.dimension).toBeGreaterThan(3.2);
    expect(mle.dimension).toBeLessThan(4.4);
    expect(readdirSync(dir)).toEqual(['r.html']);
  });

  it('drops duplicate points when asked, and says how many', () => {
    const next = uniformSource(13);
    const rows = Float32Array.from({ length: 2000 * 3 }, next);
    const data = new Float32Array(2100 * 3);
    data.set(rows);
    data.set(rows.subarray(0, 100 * 3), 2000 * 3); // the first 100 points twice
    const dir = mkdtempSync(join(tmpdir(), 'percolab-est-'));
    writeFileSync(join(dir, 'p.npy'), encodeNpy({ dtype: 'float32', shape: [2100, 3], data }));
    const failed = percolab(['p.npy', '--method', 'twonn'], dir);
    expect(failed.status).toBe(2);
    expect(failed.stderr).toMatch(/200 points have a duplicate/);
    const result = percolab(['p.npy', '--method', 'twonn', '--duplicates', 'drop', '--json', '--replicates', '20'], dir);
    expect(result.status).toBe(0);
    const [twonn] = JSON.parse(result.stdout);
    expect(twonn.duplicatesDropped).toBe(200);
    expect(twonn.points).toBe(1900);
  });

  it('writes a report with the correlation integral, its local slopes and f(alpha)', () => {
    const next = uniformSource(14);
    const dir = mkdtempSync(join(tmpdir(), 'percolab-est-'));
    writeFileSync(join(dir, 'p.npy'), encodeNpy({ dtype: 'float32', shape: [3000, 3], data: Float32Array.from({ length: 9000 }, next) }));
    const result = percolab(['p.npy', '--replicates', '20', '--report', 'out.html'], dir);
    expect(result.status).toBe(0);
    const html = readFileSync(join(dir, 'out.html'), 'utf8');
    for (const mark of ['correlation_integral', 'local_slopes', 'f_alpha', 'generalized_dimensions']) expect(html).toContain(mark);
    // The sandbox says which radii its slopes were fitted over (a uniform cube: the whole grid).
    expect(html).toMatch(/Sandbox slopes fitted over r = \d\.\d{3} to \d\.\d{3} \(a factor \d\.\d\d in r\)/);
  });

  it('weights mode: the network of weight matrices, with nodes, edges and NeuroMFA\'s alpha_0', () => {
    const next = uniformSource(15);
    const dir = mkdtempSync(join(tmpdir(), 'percolab-est-'));
    // Two layers 40 -> 60 -> 30 (PyTorch's [outputs, inputs]); a tenth of the weights are zero (no edge).
    const layer = (outputs: number, inputs: number) => {
      const w = Float32Array.from({ length: outputs * inputs }, () => { const u = next(); return u < 0.1 ? 0 : u - 0.55; });
      return { w, edges: w.filter((v) => v !== 0).length, npy: encodeNpy({ dtype: 'float32', shape: [outputs, inputs], data: w }) };
    };
    const [a, b] = [layer(60, 40), layer(30, 60)];
    writeFileSync(join(dir, 'w1.npy'), a.npy);
    writeFileSync(join(dir, 'w2.npy'), b.npy);
    const result = percolab(['--weights', 'w1.npy,w2.npy', '--json', '--replicates', '20'], dir);
    expect(result.stderr).toBe('');
    const [e] = JSON.parse(result.stdout);
    expect(e.method).toBe('weights');
    expect(e.nodes).toBe(130);
    expect(e.edges).toBe(a.edges + b.edges);
    expect(e.neuromfa.alpha0).toBe(e.dimension);
    expect(e.neuromfa.q).toEqual(e.q.map((q: number) => q - 1));
    // Mismatched layers: status 2, one line.
    const bad = percolab(['--weights', 'w2.npy,w1.npy'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  const f32 = (rows: number, cols: number, values: ArrayLike<number>) => encodeNpy({ dtype: 'float32', shape: [rows, cols], data: Float32Array.from(values) });
  const square = f32(50, 2, Array.from({ length: 100 }, (_, i) => (i * 0.618) % 1));
  it.each([
    ['duplicates', { 'p.npy': f32(6, 2, [0, 0, 0, 0, 1, 1, 2, 2.5, 3, 1, 4, 4]) }, ['p.npy', '--method', 'twonn'], /2 points have a duplicate/],
    ['too few points', { 'p.npy': f32(2, 2, [0, 0, 1, 1]) }, ['p.npy', '--method', 'twonn'], /twonn needs at least 3 points \(2 neighbours each\), got 2/],
    ['too few points for MLE', { 'p.npy': f32(15, 2, Array.from({ length: 30 }, (_, i) => (i * 0.618) % 1)) }, ['p.npy', '--method', 'mle'], /mle needs at least 21 points \(20 neighbours each\), got 15/],
    ['NaN', { 'p.npy': f32(3, 2, [0, 0, 1, NaN, 2, 2]) }, ['p.npy'], /p\.npy: row 1, column 1 is NaN; values must be finite/],
    ['wrong shape', { 'p.npy': encodeNpy({ dtype: 'float32', shape: [2, 2, 2], data: new Float32Array(8) }) }, ['p.npy'], /p\.npy: shape \(2, 2, 2\), expected \[N, d\] or \[N\]/],
    ['wrong dtype', { 'p.npy': encodeNpy({ dtype: 'float64', shape: [2, 2], data: new Float64Array(4) }) }, ['p.npy'], /p\.npy: dtype float64, expected float32/],
    ['empty file', { 'p.npy': '' }, ['p.npy'], /p\.npy: file is empty/],
    ['missing file', {}, ['p.npy'], /cannot read points file p\.npy: ENOENT/],
    ['no input', {}, [], /give a points file \(\.npy\), --config\/--set to measure generated data, or --weights/],
    ['file and config', { 'p.npy': square }, ['p.npy', '--set', 'seeds=1'], /give one of: a points file, --config\/--set, or --weights/],
    ['bad config value', {}, ['--set', 'data.dimension=0'], /data\.dimension = 0: expected a value at least 1/],
    ['unknown method', { 'p.npy': square }, ['p.npy', '--method', 'pca'], /argument 'pca' is invalid/],
    ['bad duplicates policy', { 'p.npy': square }, ['p.npy', '--duplicates', 'keep'], /argument 'keep' is invalid/],
    ['unwritable report', { 'p.npy': square }, ['p.npy', '--report', 'p.npy/r.html'], /cannot write report file p\.npy\/r\.html: .*p\.npy is not a folder/],
  ])('%s: status 2 with one line, nothing written', (_name, files, args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-est-'));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    const before = readdirSync(dir).sort();
    const result = percolab(args, dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

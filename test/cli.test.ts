// The `percolab` command as a user runs it: bad input exits 2 with one line and writes nothing; a good
// run writes the documented files atomically.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const percolab = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, PERCOLAB_DEBUG: '', PERCOLAB_GPU: 'software' } });

const small = { seeds: 2, sizes: [50, 100, 200], testSize: 50, data: { dimension: 8, clusterSize: 20000 }, measure: { points: 3000 } };

describe('percolab run: bad input', () => {
  const cases: [string, string[], (dir: string) => void, RegExp][] = [
    ['malformed JSON', ['run', 'c.json'], (dir) => writeFileSync(join(dir, 'c.json'), '{"seeds": 3,'), /c\.json is not valid JSON/],
    ['unknown key', ['run', '--set', 'data.dimensions=8'], () => {}, /data\.dimensions = 8: unknown key/],
    ['wrong type', ['run', '--set', 'seeds="ten"'], () => {}, /seeds = "ten": expected number/],
    ['dimension < 1', ['run', '--set', 'data.dimension=0'], () => {}, /data\.dimension = 0: expected a value at least 1/],
    ['k < 1', ['run', '--set', 'model.k=0'], () => {}, /model\.k = 0: expected a value at least 1/],
    ['k > smallest size', ['run', '--set', 'model.k=2000'], () => {}, /model\.k = 2000: must be at most the smallest training size 1000/],
    ['non-increasing sizes', ['run', '--set', 'sizes=[100,100,300]'], () => {}, /sizes\[1\] = 100: must be greater than the previous size 100/],
    ['test size < 1', ['run', '--set', 'testSize=0'], () => {}, /testSize = 0: expected a value at least 1/],
    // --no-progress: on a loaded machine the progress bar (kept in non-TTY logs by design) may start before the error.
    ['population too small for the sizes', ['run', '--no-progress', '--set', 'data.kind=population', '--set', 'data.clusters=10'], () => {}, /seed 1: the data set has \d+ points, fewer than the largest size plus testSize \(34000\)/],
    ['seeds < 1', ['run', '--set', 'seeds=0'], () => {}, /seeds = 0: expected a value at least 1/],
    ['unreadable file', ['run', 'missing.json'], () => {}, /cannot read config missing\.json: ENOENT/],
    ['config not an object', ['run', 'c.json'], (dir) => writeFileSync(join(dir, 'c.json'), '[1]'), /c\.json must hold a JSON object/],
    ['bad --set syntax', ['run', '--set', 'seeds'], () => {}, /invalid --set "seeds": expected path=value/],
    ['bad --workers', ['run', '--workers', '0'], () => {}, /--workers = "0": expected an integer >= 1/],
    ['unknown option', ['run', '--frobnicate'], () => {}, /unknown option '--frobnicate'/],
  ];
  it.each(cases)('%s: status 2, one line, nothing written', (_name, args, prepare, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cli-'));
    prepare(dir);
    const before = readdirSync(dir).sort();
    const result = percolab([...args, '--out', 'out'], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('refuses to overwrite an existing run folder without --force', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cli-'));
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify(small));
    const result = percolab(['run', 'c.json', '--out', 'out'], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/output folder out already exists/);
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });

  it('reports an unwritable output location with status 2 and leaves nothing behind', () => {
    // A path through a regular file cannot be created, whoever runs the test (root included).
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cli-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify(small));
    writeFileSync(join(dir, 'plain-file'), '');
    const result = percolab(['run', 'c.json', '--out', 'plain-file/out'], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot write output folder plain-file\/out: .*plain-file is not a folder/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual(['c.json', 'plain-file']);
  });
});

describe('percolab run: a small experiment', () => {
  it('writes results.json, config.json and report.html with the documented fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cli-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify(small));
    const result = percolab(['run', 'c.json', '--out', 'runs/a', '--workers', '2', '--no-progress'], dir);
    // teacher.device "auto": one line saying which device and why (PERCOLAB_GPU=software: whatever this
    // machine has, no hardware adapter is offered, so auto takes the CPU twin).
    expect(result.stderr).toBe('percolab: teacher device: CPU twin: no hardware GPU qualifies (hardware adapters not probed: PERCOLAB_GPU=software)\n');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/report: .*runs\/a\/report\.html/);
    expect(result.stdout).toMatch(/exponent \d\.\d{3} \(16th-84th percentile .* vs theory 0\.500/);
    expect(readdirSync(join(dir, 'runs')).sort()).toEqual(['a']); // no temporary folder left behind
    const results = JSON.parse(readFileSync(join(dir, 'runs/a/results.json'), 'utf8'));
    expect(Object.keys(results)).toEqual(expect.arrayContaining(['percolab', 'config', 'points', 'fit', 'theory', 'timing']));
    expect(results.points).toHaveLength(6);
    expect(results.points[0]).toEqual({ seed: 1, n: 50, loss: expect.any(Number), relative: expect.any(Number) });
    expect(results.fit.exponent).toEqual({ median: expect.any(Number), p16: expect.any(Number), p84: expect.any(Number) });
    expect(results.fit.perSeed.map((s: { seed: number }) => s.seed)).toEqual([1, 2]);
    expect(results.fit.window).toEqual([50, 200]);
    // theory.measured: c over the TwoNN dimension the run measured on its own data (below).
    const twonn = results.dimension.estimates[0];
    expect(results.theory).toEqual({
      dimension: 4, c: 2, exponent: 0.5,
      measured: { dimension: twonn.dimension, method: 'twonn', interval: twonn.interval, exponent: 2 / twonn.dimension, exponentInterval: [2 / twonn.interval[1], 2 / twonn.interval[0]] },
    });
    expect(results.timing.seconds).toBeGreaterThan(0);
    // The dimension of seed 1's data, measured on 3000 of its points: near D = 4 (pre-asymptotic, so loosely).
    expect(results.dimension.seed).toBe(1);
    expect(results.dimension.points).toBe(3000);
    expect(results.dimension.estimates.map((e: { method: string }) => e.method)).toEqual(['twonn', 'mle', 'corrint', 'dq']);
    const mle = results.dimension.estimates[1];
    expect(mle.dimension).toBeGreaterThan(3);
    expect(mle.dimension).toBeLessThan(4.5);
    const config = JSON.parse(readFileSync(join(dir, 'runs/a/config.json'), 'utf8'));
    expect(config.percolab).toEqual({ version: results.percolab, seeds: [1, 2] });
    expect(config.data).toMatchObject({ dimension: 8, coordination: 16, clusterSize: 20000 });
    const html = readFileSync(join(dir, 'runs/a/report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Intrinsic dimension of the data');

    // The written config.json is a valid config that reproduces the run bit for bit, with 1 worker.
    const again = percolab(['run', 'runs/a/config.json', '--out', 'runs/b', '--workers', '1'], dir);
    expect(again.status).toBe(0);
    const repeat = JSON.parse(readFileSync(join(dir, 'runs/b/results.json'), 'utf8'));
    expect(repeat.points).toEqual(results.points);
    expect(repeat.fit).toEqual(results.fit);
    expect(repeat.dimension).toEqual(results.dimension);
  });

  it('prints help with the config reference', () => {
    const result = percolab(['run', '--help'], tmpdir());
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--set <path=value>/);
    expect(result.stdout).toMatch(/data\.dimension\s+Ambient dimension d/);
    expect(existsSync(join(tmpdir(), 'results'))).toBe(false);
  });
});

// `percolab sweep`: grids of ordinary runs, cached by config hash (resume), one combined report.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../ts/config/load.js';
import { canonicalJson, cellHash, differences, expandSweep, SweepSchema } from '../ts/sweep/sweep.js';
import { cli, distNode } from './helpers.js';

const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'sweep', ...args], { cwd, encoding: 'utf8' });
const tiny = { seeds: 2, sizes: [50, 100, 200], testSize: 50, data: { kind: 'manifold', manifoldDimension: 2, dimension: 4 }, measure: { points: 0 } };

describe('percolab sweep', () => {
  it('expands the grid (last path fastest) and hashes resolved configs independently of key order and workers', () => {
    const sweep = SweepSchema.parse({ base: tiny, grid: { 'data.manifoldDimension': [2, 3], seeds: [2, 3] } });
    const cells = expandSweep(sweep, tiny, 'v1');
    expect(cells.map((c) => c.values)).toEqual([
      { 'data.manifoldDimension': 2, seeds: 2 },
      { 'data.manifoldDimension': 2, seeds: 3 },
      { 'data.manifoldDimension': 3, seeds: 2 },
      { 'data.manifoldDimension': 3, seeds: 3 },
    ]);
    expect(new Set(cells.map((c) => c.hash)).size).toBe(4);
    const a = resolveConfig({ seeds: 2, data: { dimension: 8, kind: 'cluster' } });
    const b = resolveConfig({ data: { kind: 'cluster', dimension: 8 }, seeds: 2, workers: 7 });
    expect(cellHash(a, 'v1')).toBe(cellHash(b, 'v1'));
    expect(cellHash(a, 'v1')).not.toBe(cellHash(resolveConfig({ seeds: 3, data: { dimension: 8 } }), 'v1'));
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}');
  });

  it('hashes what the config sets apart from the defaults, and the code that computes the cell', () => {
    const set = resolveConfig({ seeds: 2, data: { dimension: 8 } });
    // A key given its default value is the same cell as the key left out (so is a key added later with a
    // default: it is not in the hash until someone sets it).
    expect(cellHash(resolveConfig({ seeds: 2, data: { dimension: 8, sampler: 'exact' }, model: { k: 1 } }), 'v1')).toBe(cellHash(set, 'v1'));
    expect(differences(set, resolveConfig({}))).toEqual({ seeds: 2, data: { dimension: 8, coordination: 16 } });
    expect(differences(resolveConfig({}), resolveConfig({}))).toBeUndefined();
    // Other kernels (another version, or rebuilt wasm) give other cells: stale results are never reused.
    expect(cellHash(set, 'v1')).not.toBe(cellHash(set, 'v2'));
    expect(cellHash(resolveConfig({ seeds: 2, data: { dimension: 8, sampler: 'grow-cut' } }), 'v1')).not.toBe(cellHash(set, 'v1'));
  });

  it('names its code fingerprint in sweep.json: the version and a hash of the kernels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-sweep-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ base: tiny, grid: { seeds: [2] } }));
    expect(percolab(['s.json', '--out', 'out'], dir).status).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'out/sweep.json'), 'utf8'));
    const wasm = readFileSync(join(distNode, 'percolab-simd.wasm'));
    expect(summary.code).toBe(`${summary.percolab}+${createHash('sha256').update(wasm).digest('hex').slice(0, 16)}`);
    expect(summary.cells[0].hash).toBe(cellHash(resolveConfig(tiny), summary.code));
  });

  it('runs every cell once, resumes from the cells it has, and writes a combined report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-sweep-'));
    writeFileSync(join(dir, 'base.json'), JSON.stringify(tiny));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ name: 'tiny', base: 'base.json', grid: { 'data.manifoldDimension': [2, 3, 4] } }));
    const first = percolab(['s.json', '--out', 'out', '--workers', '2'], dir);
    expect(first.status).toBe(0);
    expect(first.stderr.match(/running/g)).toHaveLength(3);
    const summary = JSON.parse(readFileSync(join(dir, 'out/sweep.json'), 'utf8'));
    expect(summary.cells.map((c: { values: object }) => c.values)).toEqual([2, 3, 4].map((D) => ({ 'data.manifoldDimension': D })));
    expect(summary.cells.map((c: { theory: { exponent: number } }) => c.theory.exponent)).toEqual([1, 2 / 3, 0.5]);
    const html = readFileSync(join(dir, 'out/report.html'), 'utf8');
    for (const c of summary.cells) expect(html).toContain(`cells/${c.hash}/report.html`);
    expect(html).toContain('theory_line');
    // Lose one cell (as if interrupted): only that one runs again, with the same numbers.
    const lost = summary.cells[1];
    const before = readFileSync(join(dir, 'out', lost.folder, 'results.json'), 'utf8');
    rmSync(join(dir, 'out', lost.folder), { recursive: true });
    const second = percolab(['s.json', '--out', 'out', '--workers', '1'], dir);
    expect(second.status).toBe(0);
    expect(second.stderr.match(/running/g)).toHaveLength(1);
    expect(second.stderr.match(/\(cached\)/g)).toHaveLength(2);
    const again = JSON.parse(readFileSync(join(dir, 'out', lost.folder, 'results.json'), 'utf8'));
    expect(again.points).toEqual(JSON.parse(before).points);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['cells', 'report.html', 'sweep.json']); // no temporary files left
  });

  it('recomputes a cell whose cached results.json is corrupt, and takes workers from the config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-sweep-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ base: { ...tiny, workers: 1 }, grid: { 'data.manifoldDimension': [2, 3] } }));
    const first = percolab(['s.json', '--out', 'out'], dir);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/cell 1\/2 data\.manifoldDimension=2: running 2 seeds on 1 worker\n/);
    expect(percolab(['s.json', '--out', 'out', '--workers', '2'], dir).stderr).toMatch(/\(cached\)/);
    const [cell] = JSON.parse(readFileSync(join(dir, 'out/sweep.json'), 'utf8')).cells;
    const before = readFileSync(join(dir, 'out', cell.folder, 'results.json'), 'utf8');
    writeFileSync(join(dir, 'out', cell.folder, 'results.json'), '{"fit": ');
    const again = percolab(['s.json', '--out', 'out', '--workers', '2'], dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/cell 1\/2 .*: cached .*results\.json is unreadable \(.*\); recomputing it\n.*running 2 seeds on 2 workers/);
    expect(again.stderr.match(/running/g)).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, 'out', cell.folder, 'results.json'), 'utf8')).points).toEqual(JSON.parse(before).points);
  });

  it('--force keeps every cached cell until its new results are complete (an interrupted forced sweep loses nothing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-sweep-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ base: tiny, grid: { 'data.manifoldDimension': [2, 3] } }));
    expect(percolab(['s.json', '--out', 'out'], dir).status).toBe(0);
    const folders = () => readdirSync(join(dir, 'out/cells')).sort();
    const cached = folders();
    expect(cached).toHaveLength(2);
    // Interrupt a forced sweep as soon as it starts its first cell: both cells are still there.
    const child = spawn(process.execPath, [cli, 'sweep', 's.json', '--out', 'out', '--force'], { cwd: dir });
    await new Promise<void>((resolve) => {
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/running/.test(stderr)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    expect(folders()).toEqual(cached);
    for (const folder of cached) expect(existsSync(join(dir, 'out/cells', folder, 'results.json'))).toBe(true);
    // Run to the end, it recomputes both and replaces them in place.
    const forced = percolab(['s.json', '--out', 'out', '--force'], dir);
    expect(forced.status).toBe(0);
    expect(forced.stderr.match(/running/g)).toHaveLength(2);
    expect(folders()).toEqual(cached);
  });

  it.each([
    ['malformed JSON', '{"grid": ', /s\.json: malformed JSON/],
    ['unknown key', JSON.stringify({ grid: { seeds: [1] }, bases: {} }), /invalid sweep: bases = \{\}: unknown key/],
    ['empty grid', JSON.stringify({ grid: {} }), /give at least one swept path/],
    ['no values', JSON.stringify({ grid: { seeds: [] } }), /grid\.seeds = \[\]/],
    ['bad value in one cell', JSON.stringify({ base: tiny, grid: { 'data.manifoldDimension': [2, 9] } }), /sweep cell data\.manifoldDimension=9: invalid config: data\.dimension = 4: must be at least 9/],
    ['unknown path', JSON.stringify({ base: tiny, grid: { 'data.colour': ['red'] } }), /sweep cell data\.colour="red": invalid config: data\.colour = "red": unknown key/],
    ['missing base file', JSON.stringify({ base: 'nope.json', grid: { seeds: [1] } }), /cannot read base config .*nope\.json: ENOENT/],
  ])('%s: status 2, one line, nothing written', (_name, text, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-sweep-'));
    writeFileSync(join(dir, 's.json'), text);
    const result = percolab(['s.json', '--out', 'out'], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

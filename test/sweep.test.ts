// `percolab sweep`: grids of ordinary runs, cached by config hash (resume), one combined report.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../ts/config/load.js';
import { canonicalJson, cellHash, expandSweep, SweepSchema } from '../ts/sweep/sweep.js';
import { cli } from './helpers.js';

const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'sweep', ...args], { cwd, encoding: 'utf8' });
const tiny = { seeds: 2, sizes: [50, 100, 200], testSize: 50, data: { kind: 'manifold', manifoldDimension: 2, dimension: 4 }, measure: { points: 0 } };

describe('percolab sweep', () => {
  it('expands the grid (last path fastest) and hashes resolved configs independently of key order and workers', () => {
    const sweep = SweepSchema.parse({ base: tiny, grid: { 'data.manifoldDimension': [2, 3], seeds: [2, 3] } });
    const cells = expandSweep(sweep, tiny);
    expect(cells.map((c) => c.values)).toEqual([
      { 'data.manifoldDimension': 2, seeds: 2 },
      { 'data.manifoldDimension': 2, seeds: 3 },
      { 'data.manifoldDimension': 3, seeds: 2 },
      { 'data.manifoldDimension': 3, seeds: 3 },
    ]);
    expect(new Set(cells.map((c) => c.hash)).size).toBe(4);
    const a = resolveConfig({ seeds: 2, data: { dimension: 8, kind: 'cluster' } });
    const b = resolveConfig({ data: { kind: 'cluster', dimension: 8 }, seeds: 2, workers: 7 });
    expect(cellHash(a)).toBe(cellHash(b));
    expect(cellHash(a)).not.toBe(cellHash(resolveConfig({ seeds: 3, data: { dimension: 8 } })));
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}');
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

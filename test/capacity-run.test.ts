// The config's `capacity` section in a real run: the largest clusters of a population, the shuffled-label
// control, results.json and the report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

describe('run config: capacity', () => {
  it('measures the 10 largest clusters of 50 points, above the shuffled-label control, into results.json and the report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-cap-run-'));
    const sets = ['data.kind=population', 'data.clusters=300', 'data.dimension=8', 'seeds=1', 'sizes=[200,400]', 'testSize=100', 'measure.points=0', 'capacity.draws=200'];
    const result = spawnSync(process.execPath, [cli, 'run', ...sets.flatMap((s) => ['--set', s]), '--out', 'run'], { cwd: dir, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const { capacity } = JSON.parse(readFileSync(join(dir, 'run', 'results.json'), 'utf8'));
    expect(capacity.seed).toBe(1);
    expect(capacity.clusterIds).toHaveLength(10);
    expect(capacity.data.points).toEqual(Array(10).fill(50));
    expect(capacity.control.points).toEqual(capacity.data.points);
    const { data, control } = capacity;
    // 10 anchors in R^8 span the space: b = |t|^2 on every draw, so D = N / P (= 0.8) to Monte-Carlo error.
    expect(Math.abs(data.dimension - 0.8)).toBeLessThan(3 * data.dimensionStandardError);
    // Clusters sit apart in space; shuffled, every manifold spans the whole population.
    expect(control.radius - data.radius).toBeGreaterThan(3 * (data.radiusStandardError + control.radiusStandardError));
    expect(data.capacity - control.capacity).toBeGreaterThan(2 * (data.capacityStandardError + control.capacityStandardError));
    expect(readFileSync(join(dir, 'run', 'report.html'), 'utf8')).toContain('Manifold capacity of the clusters');
  });
});

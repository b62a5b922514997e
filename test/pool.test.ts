// The worker pool in Node: results in task order, errors crossing with name and message, and a dead
// worker failing the run instead of hanging it.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { distNode } from './helpers.js';

// No WebGPU adapter for the workers (they inherit the environment), whatever this machine has.
process.env.PERCOLAB_GPU = 'none';
const lib = await import(`${distNode}index.js`);
const workerScript = pathToFileURL(`${distNode}worker.js`);
const config = lib.resolveConfig({ seeds: 3, sizes: [20, 40], testSize: 20, data: { dimension: 4, clusterSize: 3000 } });

describe('worker pool', () => {
  it('gives the same numbers as running the cells in this thread, for 1 and 2 workers', async () => {
    const kernels = lib.loadKernels();
    const inline = await Promise.all([1, 2, 3].map((seed) => lib.runSeed(kernels, config, seed)));
    // Workers add how they chose the teacher's device; the numbers are the inline ones.
    const withoutWhy = (results: any[]) => results.map(({ teacher: { why, ...teacher }, ...r }) => (expect(why).toBe('CPU twin: no hardware GPU qualifies (WebGPU turned off by PERCOLAB_GPU=none)'), { ...r, teacher }));
    for (const size of [1, 2]) {
      const pool = lib.createNodePool(size, workerScript);
      try {
        expect(withoutWhy(await pool.map([1, 2, 3], (api: any, seed: number) => api.runSeed(config, seed)))).toEqual(inline);
      } finally {
        await pool.close();
      }
    }
  });

  it('passes a kernel error across the worker boundary with its name and message', async () => {
    const pool = lib.createNodePool(1, workerScript);
    try {
      const bad = { ...config, data: { ...config.data, coordination: 1 } };
      await expect(pool.map([1], (api: any, seed: number) => api.runSeed(bad, seed))).rejects.toMatchObject({
        name: 'KernelError',
        message: expect.stringMatching(/coordination must be an integer >= 2, got 1/),
      });
    } finally {
      await pool.close();
    }
  });

  it('rejects instead of hanging when a worker dies', async () => {
    const dying = join(tmpdir(), `percolab-dying-worker-${process.pid}.mjs`);
    writeFileSync(dying, 'process.exit(3);\n');
    const pool = lib.createNodePool(1, pathToFileURL(dying));
    try {
      await expect(pool.map([1], (api: any, seed: number) => api.runSeed(config, seed))).rejects.toThrow(/worker exited with code 3/);
    } finally {
      await pool.close();
    }
  });
});

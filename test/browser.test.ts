// The browser build in headless Chromium (Debian's, driven by playwright-core): the same experiment
// through Web Workers gives bit-identical numbers to Node.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from './browser/serve.js';
import { distNode, root } from './helpers.js';

const executablePath = '/usr/bin/chromium';
const lib = await import(`${distNode}index.js`);
const input = { seeds: 3, sizes: [100, 200, 400], testSize: 100, data: { dimension: 8, clusterSize: 30000 } };

let browser: Browser;
let site: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  if (!existsSync(executablePath)) throw new Error('Chromium is missing: run scripts/bootstrap.sh');
  site = await serve(`${root}dist/browser`);
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  site?.server.close();
});

describe('browser build', () => {
  it('runs an experiment in Web Workers with the same numbers as Node', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(site.url);
    // A string, so the test runner's transform leaves the page's dynamic import alone.
    const fromBrowser = await page.evaluate(`(async () => {
      const percolab = await import('/index.js');
      const results = await percolab.run(${JSON.stringify(input)}, { workers: 2 });
      return { results, isolated: crossOriginIsolated };
    })()`) as { results: any; isolated: boolean };
    expect(errors).toEqual([]);
    expect(fromBrowser.isolated).toBe(true);
    const fromNode = await lib.run(input, { workers: 2 });
    expect(fromBrowser.results.points).toEqual(fromNode.points);
    expect(fromBrowser.results.fit).toEqual(fromNode.fit);
    expect(fromBrowser.results.config).toEqual(fromNode.config);
    await page.close();
  });

  it('loads the kernels on the page thread too, with bit-identical clusters and points', async () => {
    const page = await browser.newPage();
    await page.goto(site.url);
    const fromBrowser = await page.evaluate(`(async () => {
      const percolab = await import('/index.js');
      const kernels = await percolab.loadKernels();
      const parents = kernels.sampleCluster(42, 0, 2000, 12, 'grow-cut');
      return { info: kernels.info, parents: Array.from(parents), points: Array.from(kernels.embedNaive(parents, 6, 42, 0)) };
    })()`) as { info: unknown; parents: number[]; points: number[] };
    const kernels = lib.loadKernels();
    const parents = kernels.sampleCluster(42, 0, 2000, 12, 'grow-cut');
    expect(fromBrowser.info).toEqual(kernels.info);
    expect(fromBrowser.parents).toEqual(Array.from(parents));
    expect(fromBrowser.points).toEqual(Array.from(kernels.embedNaive(parents, 6, 42, 0)));
    await page.close();
  });
});

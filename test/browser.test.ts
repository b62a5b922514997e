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

// The threaded kernels block their caller, which a page's main thread may not do: check them in a worker.
const threadsCheckWorker = `
import { loadKernels, loadThreadedKernels } from '/index.js';
const single = await loadKernels();
const threaded = await loadThreadedKernels(2);
const parents = single.sampleCluster(3, 0, 20000, 16, 'exact');
const points = single.embedNaive(parents, 8, 3, 0);
const train = points.subarray(0, 15000 * 8), queries = points.subarray(15000 * 8);
const a = single.knnSearch(train, 8, queries, 5), b = threaded.knnSearch(train, 8, queries, 5);
postMessage({ flavour: threaded.flavour, threads: threaded.shared?.threadCount(),
  same: a.indices.every((v, i) => v === b.indices[i]) && a.distances.every((v, i) => v === b.distances[i]) });
threaded.close();
`;

let browser: Browser;
let site: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  if (!existsSync(executablePath)) throw new Error('Chromium is missing: run scripts/bootstrap.sh');
  site = await serve(`${root}dist/browser`, { '/threads-check.js': threadsCheckWorker });
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

  it('trains students in Web Workers with bit-identical losses and curves to Node', async () => {
    const student = { seeds: 2, sizes: [200, 400], testSize: 200, measure: { points: 0 }, teacher: { kind: 'fourier', repetitions: 0 }, model: { kind: 'mlp', widths: [16, 16] }, train: { steps: 300, learningRate: [0.003, 0.01], widthCheck: false } };
    const page = await browser.newPage();
    await page.goto(site.url);
    const fromBrowser = await page.evaluate(`(async () => {
      const percolab = await import('/index.js');
      return percolab.run(${JSON.stringify(student)}, { workers: 2 });
    })()`) as any;
    const fromNode = await lib.run(student, { workers: 2 });
    expect(fromBrowser.points).toEqual(fromNode.points);
    expect(fromBrowser.students).toEqual(fromNode.students);
    expect(fromNode.students[0].sizes[1].curve.length).toBeGreaterThan(10);
    await page.close();
  });

  it('refuses file data (no paths in a browser) in one clear error, before any worker starts', async () => {
    const page = await browser.newPage();
    await page.goto(site.url);
    const refused = await page.evaluate(`(async () => {
      const percolab = await import('/index.js');
      const config = { sizes: [10, 20], testSize: 10, data: { kind: 'file', path: 'x.npy', intrinsicDimension: 2 } };
      const viaRun = await percolab.run(config).then(() => 'accepted', (error) => error.name + ': ' + error.message);
      // A resolved file config handed straight to the seed's data set (what a worker would do).
      let viaSeed = 'accepted';
      try { percolab.seedData(await percolab.loadKernels(), percolab.resolveConfig(config), 1); } catch (error) { viaSeed = error.name + ': ' + error.message; }
      return { viaRun, viaSeed };
    })()`) as { viaRun: string; viaSeed: string };
    const message = 'UsageError: data.kind "file" reads data.path from disk, which only the Node CLI and API do; in the browser use generated data (data.kind "cluster", "population" or "manifold")';
    expect(refused).toEqual({ viaRun: message, viaSeed: message });
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

  const threadsCheck = async (url: string) => {
    const page = await browser.newPage();
    await page.goto(url);
    const outcome = await page.evaluate(`new Promise((resolve, reject) => {
      const worker = new Worker('/threads-check.js', { type: 'module' });
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
    })`);
    await page.close();
    return outcome;
  };

  it('runs the SIMD+threads kernels in a cross-origin-isolated page, with the single-threaded results', async () => {
    expect(await threadsCheck(site.url)).toEqual({ flavour: 'simd-threads', threads: 2, same: true });
  });

  it('falls back to the SIMD kernels, same results, when the page is not cross-origin isolated', async () => {
    const plain = await serve(`${root}dist/browser`, { '/threads-check.js': threadsCheckWorker }, false);
    try {
      expect(await threadsCheck(plain.url)).toEqual({ flavour: 'simd', same: true });
    } finally {
      plain.server.close();
    }
  });
});

describe('teachers on WebGPU in headless Chromium', () => {
  it('agree with the CPU twin on SwiftShader, after the known-answer check', async () => {
    // WebGPU needs the GPU process: no --disable-gpu here; --enable-unsafe-webgpu exposes SwiftShader.
    const gpuBrowser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await gpuBrowser.newPage();
      await page.goto(site.url);
      const outcome = await page.evaluate(`(async () => {
        const percolab = await import('/index.js');
        const kernels = await percolab.loadKernels();
        const choice = await percolab.chooseDevice('gpu', percolab.browserGpu, kernels);
        const d = 12, rows = 20000;
        let s = 7;
        const points = new Float32Array(rows * d).map(() => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 8);
        const errors = {};
        for (const teacher of [{ kind: 'linear' }, { kind: 'relu', depth: 4, width: 100, sigmaB: 0.2 }, { kind: 'fourier', terms: 30, maxFreq: 3 }]) {
          const spec = percolab.resolveConfig({ teacher: { ...teacher, repetitions: 0 } }).teacher;
          const cpu = await percolab.createTeacher(spec, kernels, d, 5, { reference: points }).label(points);
          const gpu = await percolab.createTeacher(spec, kernels, d, 5, { reference: points, gpu: choice.gpu }).label(points);
          errors[teacher.kind] = percolab.agreementError(gpu, cpu);
        }
        // Per-cluster ReLU teachers: each point by its own cluster's parameters.
        const ids = Uint32Array.from({ length: rows }, (_, i) => [4, 9, 9, 123][i % 4]);
        const spec = percolab.resolveConfig({ data: { kind: 'population' }, teacher: { kind: 'relu', perCluster: true, repetitions: 0 } }).teacher;
        const cpu = await percolab.createTeacher(spec, kernels, d, 5, { reference: points, ids }).label(points, ids);
        const gpu = await percolab.createTeacher(spec, kernels, d, 5, { reference: points, ids, gpu: choice.gpu }).label(points, ids);
        errors['relu per cluster'] = percolab.agreementError(gpu, cpu);
        return { device: choice.device, why: choice.why, errors, tolerance: percolab.AGREEMENT_TOLERANCE };
      })()`) as { device: string; why: string; errors: Record<string, number>; tolerance: number };
      expect(outcome.device, outcome.why).toBe('gpu');
      expect(outcome.why).toMatch(/known-answer check passed/);
      for (const [kind, error] of Object.entries(outcome.errors)) expect(error, kind).toBeLessThanOrEqual(outcome.tolerance);
      console.log(`browser WebGPU vs CPU twin: ${outcome.why}; max relative errors ${JSON.stringify(outcome.errors)}`);
    } finally {
      await gpuBrowser.close();
    }
  });
});

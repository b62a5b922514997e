// The lab page: its config model in Node, `percolab lab` as a user starts it, and the page itself in
// headless Chromium (Debian's, driven by playwright-core) served by that command.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../ts/config/schema.js';
import { formatIssues } from '../ts/config/load.js';
import { configFromQuery, configQuery, formFields, parseFieldText, setPath, sweepPlan, validate } from '../ts/lab/model.js';
import { fileFor } from '../ts/lab/server.js';
import { principalProjection } from '../ts/lab/lab-api.js';
import { populationData } from '../ts/lab/capacity-population.js';
import { serve } from './browser/serve.js';
import { cli, distNode, root, uniformSource } from './helpers.js';

const lib = await import(`${distNode}index.js`);
const executablePath = '/usr/bin/chromium';
const artifacts = join(root, 'results', 'test-artifacts', 'lab');

describe('the lab page model (Node)', () => {
  it('has a form field for every config key a browser can use, with the schema default', () => {
    const keys = formFields().map((f) => f.key);
    expect(keys).toContain('data.dimension');
    expect(keys).toContain('train.learningRate');
    expect(keys).not.toContain('data.path'); // file data reads from disk: Node only
    expect(formFields().find((f) => f.key === 'data.kind')!.options).toEqual(['cluster', 'population', 'manifold']);
    const defaults = ConfigSchema.parse({}) as unknown as Record<string, Record<string, unknown>>;
    for (const f of formFields()) if (f.default !== undefined) expect(f.default, f.key).toEqual(f.path.length === 1 ? defaults[f.path[0]!] : defaults[f.path[0]!]![f.path[1]!]);
  });

  it('says each problem at its field in the words of the CLI, and only a valid config resolves', () => {
    const fields = formFields();
    const dim = fields.find((f) => f.key === 'data.dimension')!;
    const input = setPath({}, dim.path, parseFieldText(dim, '0'));
    const v = validate(input);
    expect(v.config).toBeUndefined();
    const cli = formatIssues(ConfigSchema.safeParse(input).error!, input);
    expect(cli).toBe('invalid config: data.dimension = 0: expected a value at least 1');
    expect(v.fields.get('data.dimension')).toBe('expected a value at least 1');
    // An element of a list is owned by the list's field; text where a number belongs is named as such.
    expect(validate({ sizes: [100, 50] }).fields.get('sizes')).toBe('must be greater than the previous size 100 (sizes strictly increase)');
    expect(validate({ seeds: 'ten' }).fields.get('seeds')).toBe('expected number');
    expect(validate({ seeds: 2.5 }).fields.get('seeds')).toBe('expected an integer');
    expect(validate({ data: { kind: 'file' } }).fields.get('data.kind')).toMatch(/^data.kind "file" reads data.path from disk/);
    expect(validate({ colour: 'red' }).general).toEqual(['colour: unknown key; see `percolab --help` for the config reference']);
    expect(validate({ seeds: 3 }).config?.seeds).toBe(3);
    expect(setPath(setPath({}, ['data', 'dimension'], 8), ['data', 'dimension'], undefined)).toEqual({});
  });

  it('plans a sweep as one validated config per value, or names the first bad cell', () => {
    const plan = sweepPlan({ seeds: 2 }, 'data.dimension', '[8, 16]');
    expect(plan.cells!.map((c) => [c.value, c.config.data.dimension, c.config.seeds])).toEqual([[8, 8, 2], [16, 16, 2]]);
    expect(sweepPlan({}, '', '')).toEqual({});
    expect(sweepPlan({}, 'data.dimension', '[8]')).toEqual({ error: 'expected a JSON list of 2 to 16 values, e.g. [8, 16, 32]' });
    expect(sweepPlan({}, 'data.dimension', '8, 16')).toEqual({ error: 'expected a JSON list of values, e.g. [8, 16, 32]' });
    expect(sweepPlan({}, 'data.colour', '[1, 2]')).toEqual({ error: 'data.colour: not a config key' });
    expect(sweepPlan({ sizes: [10, 20] }, 'model.k', '[5, 30]')).toEqual({ error: 'model.k = 30: must be at most the smallest training size 10' });
  });

  it('carries a config in the URL and back, and refuses a link it cannot read', () => {
    const input = { seeds: 3, sizes: [100, 200], data: { dimension: 8, kind: 'manifold' as const } };
    expect(configFromQuery(configQuery(input))).toEqual({ input, run: false });
    expect(configFromQuery(`${configQuery(input, true)}`)).toEqual({ input, run: true });
    expect(configFromQuery('?config=%7Bseeds')).toMatchObject({ run: false, error: expect.stringMatching(/^the link's config is not valid JSON/) });
    expect(configFromQuery('?config=[1]&run')).toEqual({ run: false, error: "the link's config is not a JSON object; the form shows the defaults" });
    expect(configFromQuery('')).toEqual({ run: false });
    // A sweep travels as its key and the text of its list; no key, no sweep.
    const sweep = { path: 'data.dimension', values: '[4, 8, 16]' };
    expect(configFromQuery(configQuery(input, true, sweep))).toEqual({ input, run: true, sweep });
    expect(configQuery(input, false, { path: '', values: '[1, 2]' })).toBe(configQuery(input));
    expect(configFromQuery('?sweep=seeds&values=%5B2%2C3%5D')).toEqual({ run: false, sweep: { path: 'seeds', values: '[2,3]' } });
  });

  it('refuses a generated population larger than the capacity kernel takes before making it, and a bad one in the config\'s words', () => {
    expect(() => populationData({ clusters: 100, points: 100, dimension: 8 })).toThrow('100 clusters of 100 points: 10000 points in all, more than 8192 (the capacity kernel\'s limit)');
    expect(() => populationData({ clusters: 10, points: 10, dimension: 0 })).toThrow('invalid config: data.dimension = 0: expected a value at least 1');
    expect(populationData({ clusters: 10, points: 10, dimension: 4 })).toMatchObject({ kind: 'population', clusters: 10, minClusterSize: 10, maxClusterSize: 10 });
  });

  it('serves only files inside the lab folder', () => {
    expect(fileFor('/srv/lab', '/')).toBe('/srv/lab/index.html');
    expect(fileFor('/srv/lab', '/lab.js?x=1')).toBe('/srv/lab/lab.js');
    expect(fileFor('/srv/lab', '/%2e%2e/secret')).toBe('/srv/lab/secret'); // URL parsing drops the ..
    expect(fileFor('/srv/lab', '/..%2fsecret')).toBeUndefined();
    expect(fileFor('/srv/lab', '/%E0%A4%A')).toBeUndefined();
  });

  it('projects onto the principal axes: a line in R^3 has all its variance on PC 1', () => {
    const next = uniformSource(3);
    const x = new Float32Array(300 * 3);
    for (let i = 0; i < 300; i++) {
      const t = next() * 10;
      x.set([t, 2 * t + 1, -t], i * 3);
    }
    const { coords, explained } = principalProjection(x, 3, 3);
    expect(explained[0]).toBeGreaterThan(1 - 1e-9);
    // Distances along the line are kept: |PC1| spread equals the points' spread along (1, 2, -1).
    const pc1 = Array.from({ length: 300 }, (_, i) => coords[i * 3]!);
    expect(Math.max(...pc1) - Math.min(...pc1)).toBeCloseTo((Math.max(...Array.from({ length: 300 }, (_, i) => x[i * 3]!)) - Math.min(...Array.from({ length: 300 }, (_, i) => x[i * 3]!))) * Math.sqrt(6), 3);
  });
});

/** Starts `percolab lab --port 0` and resolves with its URL. */
function startLab(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [cli, 'lab', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /^lab: (http:\S+) /m.exec(out);
      if (m) resolve({ url: m[1]!, child });
    });
    child.on('exit', (code) => reject(new Error(`percolab lab exited with ${code}: ${out}`)));
  });
}

const runCli = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
/** The CLI run in `cwd` without blocking, so the page works meanwhile. */
const cliIn = (cwd: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => execFile(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
    if (error && typeof error.code !== 'number') reject(error);
    else resolve({ status: error ? (error.code as number) : 0, stdout, stderr });
  }));

describe('percolab lab', () => {
  let lab: Awaited<ReturnType<typeof startLab>>;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(() => {
    lab?.child.kill('SIGTERM');
  });

  it('serves the page with the cross-origin isolation headers, and 404 for anything else', async () => {
    const page = await fetch(lab.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await page.text()).toMatch(/<title>percolab lab<\/title>/);
    expect((await fetch(`${lab.url}lab.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${lab.url}percolab-simd.wasm`)).headers.get('content-type')).toBe('application/wasm');
    expect((await fetch(`${lab.url}missing.js`)).status).toBe(404);
    expect((await fetch(`${lab.url}%2e%2e/package.json`)).status).toBe(404);
  });

  it('refuses a bad --port and a port in use in one line, status 2', () => {
    const negative = runCli('lab', '--port', '-1');
    expect(negative.status).toBe(2);
    expect(negative.stderr).toBe('percolab: --port = "-1": expected an integer >= 0 and <= 65535\n');
    const port = new URL(lab.url).port;
    const busy = runCli('lab', '--port', port);
    expect(busy.status).toBe(2);
    expect(busy.stderr).toBe(`percolab: --port ${port}: the port is in use; pick another (or --port 0 for any free one)\n`);
  });

  it('stops on SIGTERM with status 0', async () => {
    await fetch(lab.url, { keepalive: true });
    const exited = new Promise((resolve) => lab.child.once('exit', (code, signal) => resolve({ code, signal })));
    lab.child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  });
});

describe('the lab page in headless Chromium', () => {
  let browser: Browser;
  let lab: Awaited<ReturnType<typeof startLab>>;
  const consoleProblems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(executablePath)) throw new Error('Chromium is missing: run scripts/bootstrap.sh');
    mkdirSync(artifacts, { recursive: true });
    lab = await startLab();
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    lab?.child.kill('SIGTERM');
  });

  const open = async (path = '', viewport = { width: 1400, height: 1000 }): Promise<Page> => {
    const page = await browser.newPage({ viewport, acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() !== 'info' && m.type() !== 'log' && m.type() !== 'debug') consoleProblems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleProblems.push(`pageerror: ${e.message}`));
    await page.goto(`${lab.url}${path}`);
    await page.waitForSelector('body[data-ready="true"]');
    return page;
  };
  let firstRun: { link: string; input: Record<string, unknown>; points: unknown; exponent: number } | undefined;
  const finished = (page: Page) => page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.body.dataset.state ?? ''), null, { timeout: 60_000 });

  it('runs a small experiment set up in the form, with results bit-identical to the Node run', async () => {
    const page = await open();
    const input = { seeds: 3, sizes: [100, 200, 400], testSize: 100, data: { dimension: 8, clusterSize: 30000 }, measure: { points: 0 } };
    await page.fill('#field-seeds', '3');
    await page.fill('#field-sizes', '[100, 200, 400]');
    await page.fill('#field-testSize', '100');
    await page.fill('#field-data-dimension', '8');
    await page.fill('#field-data-clusterSize', '30000');
    await page.fill('#field-measure-points', '0');
    expect(JSON.parse(await page.inputValue('#config-json'))).toEqual(input);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, 'setup.png') });
    await page.click('#run');
    await finished(page);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a.download:text-is("results.json")')]);
    const fromPage = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    const fromNode = await lib.run(input, { workers: 2 });
    expect(fromPage.points).toEqual(fromNode.points);
    expect(fromPage.fit).toEqual(fromNode.fit);
    expect(fromPage.config).toEqual(fromNode.config);
    expect(fromPage.theory).toEqual(fromNode.theory);
    expect(await page.textContent('#headline')).toContain(`Fitted exponent ${fromNode.fit.exponent.median.toFixed(3)}`);
    // Every seed's bar full; the other downloads named by their files.
    expect(await page.$$eval('ul.seeds progress', (bars) => bars.map((b) => (b as HTMLProgressElement).value))).toEqual([1, 1, 1]);
    expect(await page.$$eval('a.download', (links) => links.map((a) => [a.textContent, a.getAttribute('download')]))).toEqual(
      ['results.json', 'config.json', 'report.html', 'data-seed-1.npy'].map((name) => [name, name]));
    const [npy] = await Promise.all([page.waitForEvent('download'), page.click('a.download:text-is("data-seed-1.npy")')]);
    const data = lib.parseNpy(readFileSync((await npy.path())!), 'data-seed-1.npy');
    expect(data.shape).toEqual([30000, 8]);
    expect(Array.from(data.data.subarray(0, 64))).toEqual(Array.from(lib.seedPoints(lib.loadKernels(), lib.resolveConfig(input), 1).subarray(0, 64)));
    firstRun = { link: (await page.getAttribute('#share-run', 'href'))!, input, points: fromNode.points, exponent: fromNode.fit.exponent.median };
    await page.waitForSelector('#pca-plot svg', { timeout: 30_000 });
    await page.waitForSelector('#slice-plot svg', { timeout: 30_000 });
    await page.screenshot({ path: join(artifacts, 'results.png'), fullPage: true });
    // Dropping the downloaded results.json on a fresh page shows the same run without computing it.
    const fresh = await open();
    await drop(fresh, 'results.json', JSON.stringify(fromPage), 'application/json');
    await fresh.waitForSelector('body[data-results="shown"]');
    expect(await fresh.textContent('#headline')).toBe(await page.textContent('#headline'));
    expect(JSON.parse(await fresh.inputValue('#config-json'))).toEqual(JSON.parse(JSON.stringify(fromPage.config)));
    await fresh.close();
    await page.close();
  });

  it('shows an invalid field\'s message beside it and does not run', async () => {
    const page = await open();
    await page.fill('#field-data-dimension', '0');
    expect(await page.textContent('#field-data-dimension-error')).toBe('expected a value at least 1');
    expect(await page.getAttribute('#field-data-dimension', 'aria-invalid')).toBe('');
    expect(await page.isDisabled('#run')).toBe(true);
    await page.click('#run', { force: true });
    expect(await page.getAttribute('body', 'data-state')).toBe('idle');
    expect(page.workers().filter((w) => w.url().endsWith('/worker.js'))).toEqual([]);
    // The JSON view is validated the same way.
    await page.fill('#field-data-dimension', '');
    await page.click('details.json summary');
    await page.fill('#config-json', '{"sizes": [100, 50]}');
    expect(await page.textContent('#field-sizes-error')).toBe('must be greater than the previous size 100 (sizes strictly increase)');
    expect(await page.isDisabled('#run')).toBe(true);
    await page.fill('#config-json', '{"seeds": 2');
    expect(await page.textContent('#config-json-error')).toMatch(/^not valid JSON/);
    await page.close();
  });

  it('cancel stops the workers', async () => {
    const page = await open();
    await page.fill('#field-seeds', '4');
    await page.fill('#field-sizes', '[2000, 4000, 8000, 16000]');
    const started = page.waitForEvent('worker', (w) => w.url().endsWith('/worker.js'));
    await page.click('#run');
    await started;
    await page.waitForFunction(() => document.querySelector('ul.seeds li span:last-child')?.textContent === 'running');
    const cells = page.workers().filter((w) => w.url().endsWith('/worker.js'));
    expect(cells.length).toBeGreaterThan(0);
    const closed = Promise.all(cells.map((w) => new Promise((resolve) => w.once('close', resolve))));
    await page.click('#cancel');
    await closed;
    await finished(page);
    expect(await page.getAttribute('body', 'data-state')).toBe('cancelled');
    expect(await page.textContent('#run-status')).toMatch(/^Cancelled: \d+ workers stopped after \d of 4 seeds\.$/);
    expect(page.workers().filter((w) => w.url().endsWith('/worker.js'))).toEqual([]);
    expect(await page.isDisabled('#run')).toBe(false);
    await page.close();
  });

  it('a shared link restores the config, and with &run reproduces the run bit for bit', async () => {
    const { link, input, points } = firstRun!;
    expect(new URL(link).search).toBe(configQuery(input, true));
    const shared = await open(new URL(link).search);
    expect(JSON.parse(await shared.inputValue('#config-json'))).toEqual(input);
    expect(await shared.inputValue('#field-sizes')).toBe('[100,200,400]');
    expect(await shared.inputValue('#field-data-dimension')).toBe('8');
    await finished(shared);
    const [download] = await Promise.all([shared.waitForEvent('download'), shared.click('a.download:text-is("results.json")')]);
    expect(JSON.parse(readFileSync((await download.path())!, 'utf8')).points).toEqual(points);
    // A sweep over data.dimension from the same setup: each value is validated first, then one run per value.
    await shared.selectOption('#sweep-path', 'data.dimension');
    await shared.fill('#sweep-values', '[0, 8]');
    expect(await shared.textContent('#sweep-error')).toBe('data.dimension = 0: expected a value at least 1');
    expect(await shared.isDisabled('#run')).toBe(true);
    await shared.fill('#sweep-values', '[4, 8]');
    // The sweep travels in the link too: the link that runs it sets it up on a fresh page and runs it.
    const sweepLink = new URL((await shared.getAttribute('#share-run', 'href'))!);
    expect(sweepLink.search).toBe(configQuery(input, true, { path: 'data.dimension', values: '[4, 8]' }));
    await shared.close();
    const swept = await open(sweepLink.search);
    expect(await swept.inputValue('#sweep-path')).toBe('data.dimension');
    expect(await swept.inputValue('#sweep-values')).toBe('[4, 8]');
    await finished(swept);
    expect(await swept.textContent('#run-status')).toMatch(/^Sweep done: 2 cells/);
    const table = await swept.$$eval('#sweep-table tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]));
    expect(table.map((r) => r[0])).toEqual(['4', '8']);
    expect(table[1]![1]).toBe(firstRun!.exponent.toFixed(3)); // the d = 8 cell is the first test's run
    expect(await swept.$$eval('#sweep-plot svg', (svgs) => svgs.length)).toBe(1);
    await swept.close();
    // A sweep key the lab cannot sweep is reported and nothing runs.
    const unknown = await open(`${configQuery(input, true, { path: 'data.colour', values: '[1, 2]' })}`);
    expect(await unknown.textContent('#config-errors')).toMatch(/the link's sweep key data\.colour is not one the lab sweeps/);
    expect(await unknown.textContent('#run-status')).toBe('The link asked to run a sweep the lab cannot set up (see above); nothing was run.');
    await unknown.close();
    // A sweep whose values fail validation is marked and does not run.
    const bad = await open(`${configQuery(input, true, { path: 'data.dimension', values: '[0, 8]' })}`);
    expect(await bad.textContent('#sweep-error')).toBe('data.dimension = 0: expected a value at least 1');
    expect(await bad.textContent('#run-status')).toBe('The link asked to run, but its config or sweep has problems (marked above); fix them and press Run.');
    await bad.close();
    // A link whose config is broken says so and runs nothing.
    const broken = await open('?config=%7Bseeds&run');
    expect(await broken.textContent('#config-errors')).toMatch(/the link's config is not valid JSON/);
    expect(await broken.getAttribute('body', 'data-state')).toBe('idle');
    await broken.close();
  });

  it('runs the threaded kernels under the isolation headers, and says it fell back without them', async () => {
    const page = await open();
    await page.waitForSelector('#kernels[data-flavour]');
    expect(await page.getAttribute('#kernels', 'data-flavour')).toBe('simd-threads');
    expect(Number(await page.getAttribute('#kernels', 'data-threads'))).toBeGreaterThanOrEqual(2);
    // The threaded kernels measure a dropped .npy: the same estimates as Node's kernels on the same points.
    const next = uniformSource(11);
    const rows = 1500, d = 5;
    const points = new Float32Array(rows * d);
    for (let i = 0; i < rows; i++) {
      const [u, v] = [next(), next()];
      points.set([u, v, u + v, u - v, 0.5 * u], i * d); // a plane in R^5: D = 2
    }
    const npy = lib.encodeNpy({ dtype: 'float32', shape: [rows, d], data: points });
    await drop(page, 'plane.npy', Buffer.from(npy).toString('base64'), 'application/octet-stream', true);
    await page.waitForFunction(() => document.body.dataset.measure === 'done' || document.body.dataset.measure === 'error');
    expect(await page.textContent('#measure-status')).toMatch(/^plane\.npy: 1500 points in d = 5, measured/);
    const shown = await page.$$eval('#estimates tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]));
    const node = lib.loadKernels();
    const expected = ['twonn', 'mle', 'corrint', 'dq'].map((m) => {
      try {
        const e = node.estimateDimension(points, d, [m], 1, 50, { duplicates: 'drop', corrintCentres: 1000 })[0];
        return [m, e.dimension === null ? 'n/a' : e.dimension.toFixed(3)];
      } catch {
        return [m, 'n/a'];
      }
    });
    expect(shown).toEqual(expected);
    expect(Math.abs(Number(shown[0]![1]) - 2)).toBeLessThan(0.3);
    await page.close();

    const plain = await serve(join(root, 'dist/lab'), {}, false);
    try {
      const page2 = await browser.newPage();
      await page2.goto(`${plain.url}index.html`);
      await page2.waitForSelector('#kernels[data-flavour]');
      expect(await page2.getAttribute('#kernels', 'data-flavour')).toBe('simd');
      expect(await page2.textContent('#kernels')).toMatch(/not cross-origin isolated .* fell back to the single-threaded kernels/);
      await page2.close();
    } finally {
      plain.server.close();
    }
  });

  it('measures manifold capacity of a generated population and of dropped files: the numbers of percolab capacity --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-lab-capacity-'));
    try {
      const sets = ['data.kind=population', 'data.clusters=8', 'data.minClusterSize=30', 'data.maxClusterSize=30', 'data.dimension=12'].flatMap((s) => ['--set', s]);
      const fromCli = cliIn(dir, 'generate', ...sets, '--seed', '3', '--points', '240', '--out', 'pop.npy').then(async (generated) => {
        expect(generated.status).toBe(0);
        return cliIn(dir, 'capacity', 'pop.npy', '--ids', 'pop.ids.npy', '--draws', '50', '--seed', '3', '--json');
      });

      const page = await open('#capacity');
      for (const [id, value] of [['clusters', '8'], ['cluster-points', '30'], ['dimension', '12'], ['draws', '50'], ['seed', '3']]) await page.fill(`#capacity-${id}`, value!);
      await page.click('#capacity-generate');
      await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.capacity ?? ''), null, { timeout: 30_000 });
      const capacity = await fromCli;
      expect(capacity.stderr).toBe('');
      const expected = JSON.parse(capacity.stdout);
      expect(expected.manifolds).toBe(8);
      expect(await page.textContent('#capacity-status')).toMatch(new RegExp(`^the generated population: capacity ${expected.capacity.toFixed(4)} ± ${expected.capacityStandardError.toFixed(4)} \\(8 manifolds, 50 draws\\)`));
      const download = async (name: string) => {
        const [file] = await Promise.all([page.waitForEvent('download'), page.click(`a.download:text-is("${name}")`)]);
        return JSON.parse(readFileSync((await file.path())!, 'utf8'));
      };
      expect(await download('population.capacity.json')).toEqual(expected);
      // The report's plot: one panel per quantity, each estimate with its error bar.
      expect(await page.$$eval('#capacity-results figure svg', (svgs) => svgs.length)).toBe(1);
      await page.screenshot({ path: join(artifacts, 'capacity.png'), fullPage: true });

      // The CLI's files dropped together give the same numbers; a mismatched ids file gets the CLI's message.
      const file = (name: string) => ({ name, content: readFileSync(join(dir, name)).toString('base64') });
      await dropFiles(page, [file('pop.npy'), file('pop.ids.npy')]);
      await page.waitForFunction(() => document.body.dataset.capacity === 'done' && document.querySelector('a.download')?.textContent === 'pop.capacity.json', null, { timeout: 30_000 });
      expect(await download('pop.capacity.json')).toEqual(expected);
      const ids = lib.parseNpy(readFileSync(join(dir, 'pop.ids.npy')), 'pop.ids.npy');
      writeFileSync(join(dir, 'short.ids.npy'), lib.encodeNpy({ dtype: 'uint32', shape: [239], data: ids.data.subarray(0, 239) }));
      const refusing = cliIn(dir, 'capacity', 'pop.npy', '--ids', 'short.ids.npy');
      await dropFiles(page, [file('pop.npy'), file('short.ids.npy')]);
      await page.waitForFunction(() => document.body.dataset.capacity === 'error');
      const refused = await refusing;
      expect(refused.status).toBe(2);
      expect(`percolab: ${(await page.textContent('#capacity-status'))!.replace(/^Cannot measure pop\.npy: /, '')}\n`).toBe(refused.stderr);
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the Persian-rug model as percolab superposition --json does, refuses a bad shape in its words, and cancels training', async () => {
    const fromCli = cliIn(root, 'superposition', '--n', '64', '--m', '16', '--p', '0.05', '--seed', '1', '--train', '--steps', '500', '--json');
    const refusing = cliIn(root, 'superposition', '--n', '64', '--m', '128', '--p', '0.05');
    const page = await open('#superposition');
    const shape = async (n: string, m: string, p: string) => {
      await page.fill('#sp-n', n);
      await page.fill('#sp-m', m);
      await page.fill('#sp-p', p);
    };
    await shape('64', '128', '0.05');
    await page.click('#sp-run');
    const refused = await refusing;
    expect(refused.status).toBe(2);
    expect(`percolab: ${await page.textContent('#sp-error')}\n`).toBe(refused.stderr);
    expect(await page.getAttribute('body', 'data-superposition')).toBe('invalid');

    await shape('64', '16', '0.05');
    await page.fill('#sp-seed', '1');
    await page.check('#sp-train');
    await page.fill('#sp-steps', '500');
    await page.click('#sp-run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.superposition ?? ''), null, { timeout: 30_000 });
    expect(await page.textContent('#sp-error')).toBe('');
    const expected = JSON.parse((await fromCli).stdout);
    expect(expected.trained.steps).toBe(500);
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('a.download:text-is("superposition-n64-m16-p0.05-seed1.json")')]);
    expect(JSON.parse(readFileSync((await file.path())!, 'utf8'))).toEqual(expected);
    // The report's four plots, and its table's rows.
    expect(await page.$$eval('#sp-results figure svg', (svgs) => svgs.length)).toBe(4);
    expect(await page.$$eval('#superposition-table tbody th', (ths) => ths.map((th) => th.textContent))).toEqual(['closed form', 'Hadamard (simulated)', 'trained', 'optimal linear', 'zero output']);
    await page.screenshot({ path: join(artifacts, 'superposition.png'), fullPage: true });

    // A long training stops on cancel, after some progress.
    await page.fill('#sp-steps', '1000000');
    await page.click('#sp-run');
    await page.waitForFunction(() => Number((document.getElementById('sp-progress') as HTMLProgressElement).value) > 0, null, { timeout: 20_000 });
    await page.click('#sp-cancel');
    await page.waitForFunction(() => document.body.dataset.superposition !== 'running', null, { timeout: 20_000 });
    expect(await page.getAttribute('body', 'data-superposition')).toBe('cancelled');
    expect(await page.textContent('#sp-status')).toBe('Training cancelled.');
    expect(await page.isDisabled('#sp-run')).toBe(false);
    await page.close();
  });

  it('printed nothing to the console but information', () => {
    expect(consoleProblems).toEqual([]);
  });
});

/** Drops a file on the page through the page's own drop handler. */
async function drop(page: Page, name: string, content: string, type: string, base64 = false) {
  await page.evaluate(({ name, content, type, base64 }) => {
    const bytes = base64 ? Uint8Array.from(atob(content), (c) => c.charCodeAt(0)) : new TextEncoder().encode(content);
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, { name, content, type, base64 });
}

/** Drops files together (base64 contents) on the page through its own drop handler. */
async function dropFiles(page: Page, files: { name: string; content: string }[]) {
  await page.evaluate((files) => {
    const transfer = new DataTransfer();
    for (const { name, content } of files) transfer.items.add(new File([Uint8Array.from(atob(content), (c) => c.charCodeAt(0))], name, { type: 'application/octet-stream' }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
}

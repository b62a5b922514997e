// The edge worker (dist/edge/worker.js) in workerd, started through miniflare on localhost, and
// `percolab sweep --executor http` against it: the cells and the combined report match a local run; an
// endpoint that is down or answers 500 fails the sweep with status 2 and leaves no partial cell.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, root } from './helpers.js';

const workerScript = join(root, 'dist/edge/worker.js');
const startWorker = (bindings: Record<string, string> = {}) =>
  new Miniflare({ modules: true, scriptPath: workerScript, modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }], compatibilityDate: '2026-04-26', host: '127.0.0.1', port: 0, bindings });

let edge: Miniflare;
let endpoint: string;
beforeAll(async () => {
  edge = startWorker();
  endpoint = (await edge.ready).href.replace(/\/$/, '');
}, 30_000);
afterAll(async () => {
  await edge?.dispose();
});

const tiny = { seeds: 2, sizes: [50, 100, 200], testSize: 50, data: { kind: 'manifold', manifoldDimension: 2, dimension: 4 }, measure: { points: 0 } };
/** Runs the CLI without blocking this process (the worker's server may need its event loop). */
const percolab = (args: string[], cwd: string) =>
  new Promise<{ status: number | null; stderr: string; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, 'sweep', ...args], { cwd });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.stdout.on('data', (c) => (stdout += c));
    child.on('exit', (status) => resolve({ status, stderr, stdout }));
  });
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const withoutTiming = (path: string) => {
  const summary = json(path);
  for (const cell of summary.cells) delete cell.seconds;
  return summary;
};
const sweepDir = (grid: object) => {
  const dir = mkdtempSync(join(tmpdir(), 'percolab-edge-'));
  writeFileSync(join(dir, 's.json'), JSON.stringify({ base: tiny, grid }));
  return dir;
};

describe('edge worker in workerd', () => {
  it('GET / names the version and the kernels; POST /run answers a bad config with 400 and the schema\'s message', async () => {
    const about = await (await fetch(`${endpoint}/`)).json();
    const pkg = json(join(root, 'package.json'));
    expect(about).toMatchObject({ percolab: pkg.version, kernels: 'simd', threads: 1 });
    expect(about.code).toMatch(new RegExp(`^${pkg.version}\\+[0-9a-f]{16}$`));
    const bad = await fetch(`${endpoint}/run`, { method: 'POST', body: JSON.stringify({ seeds: -1 }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe('invalid config: seeds = -1: expected a value at least 1');
    const malformed = await fetch(`${endpoint}/run`, { method: 'POST', body: '{"seeds": ' });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error).toMatch(/^malformed JSON/);
    expect((await fetch(`${endpoint}/run`)).status).toBe(405);
  });

  it('refuses with 507 and a clear message a run that outgrows the memory limit', async () => {
    const small = startWorker({ MEMORY_LIMIT_MB: '8' });
    try {
      const url = (await small.ready).href;
      const response = await fetch(new URL('/run', url), { method: 'POST', body: JSON.stringify({ ...tiny, sizes: [1000, 100000], testSize: 1000, data: { ...tiny.data, dimension: 16 } }) });
      expect(response.status).toBe(507);
      expect((await response.json()).error).toMatch(/^the run needs more than the worker's 8\.0 MB of memory \(101000 points of dimension 16 per seed, held twice: 12\.3 MB\): run this cell with --executor local or slurm/);
      // Refused before allocating: the next small run works.
      expect((await fetch(new URL('/run', url), { method: 'POST', body: JSON.stringify({ ...tiny, sizes: [20, 40], testSize: 20 }) })).status).toBe(200);
    } finally {
      await small.dispose();
    }
  }, 30_000);
});

describe('percolab sweep --executor http', () => {
  it('sends the pending cells to the worker; cells and combined report identical to a local run', async () => {
    const dir = sweepDir({ 'data.manifoldDimension': [2, 3] });
    const local = await percolab(['s.json', '--out', 'local', '--workers', '1'], dir);
    expect(local.status, local.stderr).toBe(0);
    const http = await percolab(['s.json', '--out', 'edge', '--executor', 'http', '--endpoint', endpoint, '--concurrency', '2', '--header', 'X-Trace: test'], dir);
    expect(http.status, http.stderr).toBe(0);
    expect(http.stderr).toMatch(/http: 2 cells to http:\/\/127\.0\.0\.1:\d+, 2 at a time/);
    expect(withoutTiming(join(dir, 'edge/sweep.json'))).toEqual(withoutTiming(join(dir, 'local/sweep.json')));
    for (const cell of json(join(dir, 'local/sweep.json')).cells) {
      // Every number is the same; only the wall-clock time and the teacher's device note (why the CPU ran
      // it, which names the runtime) differ.
      const [a, b] = ['local', 'edge'].map((side) => {
        const results = json(join(dir, side, cell.folder, 'results.json'));
        for (const teacher of results.teachers) expect(teacher.why).toMatch(/^CPU twin: /);
        return { ...results, timing: undefined, teachers: results.teachers.map((t: object) => ({ ...t, why: undefined })) };
      });
      expect(b).toEqual(a);
      expect(readFileSync(join(dir, 'edge', cell.folder, 'config.json'), 'utf8')).toBe(readFileSync(join(dir, 'local', cell.folder, 'config.json'), 'utf8'));
    }
  }, 60_000);

  it('an endpoint that is down: status 2 after the retries, nothing written', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r)); // a port nothing listens on
    const dir = sweepDir({ seeds: [2] });
    const result = await percolab(['s.json', '--out', 'out', '--executor', 'http', '--endpoint', `http://127.0.0.1:${port}`], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/endpoint http:\/\/127\.0\.0\.1:\d+ is not usable: fetch failed \(.*ECONNREFUSED.*\) \(after 3 tries\)/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  }, 30_000);

  it('an endpoint answering 500: each cell retried, then status 2 naming the cells, no partial cell', async () => {
    const about = await (await fetch(`${endpoint}/`)).text();
    let runs = 0;
    const server: Server = createServer((request, response) => {
      if (request.url === '/') return void response.end(about);
      runs++;
      response.writeHead(500).end('{"error": "internal error: boom"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dir = sweepDir({ seeds: [2, 3] });
      const result = await percolab(['s.json', '--out', 'out', '--executor', 'http', '--endpoint', `http://127.0.0.1:${(server.address() as { port: number }).port}`], dir);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/2 of 2 pending cells did not finish on http:\/\/127\.0\.0\.1:\d+.*\n  cell 1\/2 seeds=2: HTTP 500: internal error: boom \(after 3 tries\)\n  cell 2\/2 seeds=3: HTTP 500/);
      expect(runs).toBe(6);
      expect(existsSync(join(dir, 'out/cells'))).toBe(false);
      expect(existsSync(join(dir, 'out/sweep.json'))).toBe(false);
    } finally {
      server.close();
    }
  }, 30_000);

  it.each([
    ['--endpoint without http', ['--endpoint', 'http://x'], /--endpoint does not apply without --executor http/],
    ['http without --endpoint', ['--executor', 'http'], /--executor http needs --endpoint URL/],
    ['a bad header', ['--executor', 'http', '--endpoint', 'http://127.0.0.1:1', '--header', 'no colon'], /--header "no colon": expected 'Name: value'/],
    ['a bad endpoint', ['--executor', 'http', '--endpoint', 'ftp://x'], /--endpoint "ftp:\/\/x": expected an http or https URL/],
    ['--workers with http', ['--executor', 'http', '--endpoint', 'http://x', '--workers', '2'], /--workers does not apply to --executor http/],
  ])('%s: status 2, one line, nothing written', async (_name, args, message) => {
    const dir = sweepDir({ seeds: [2] });
    const result = await percolab(['s.json', '--out', 'out', ...args], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

// The npm package as a user gets it: `npm pack`, installed into a fresh folder from the local npm cache
// with no network, with cargo and rustc unavailable; then the same small experiment through `npx
// percolab run`, `import { run } from 'percolab'` in Node, Deno and Bun, and the installed browser
// bundle in Chromium. Every route must give the same exponent bits and name the same wasm.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../ts/results.js';
import { serve } from './browser/serve.js';
import { distNode, root } from './helpers.js';

const config = { seeds: 2, sizes: [100, 200, 400], testSize: 100, measure: { points: 0 } };
const work = mkdtempSync(join(tmpdir(), 'percolab-package-'));
const app = join(work, 'app');
const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// cargo and rustc "unavailable": the rustup shims leave PATH, and stand-ins that fail and leave a mark
// come first (Debian's live in /usr/bin beside node, so they cannot simply be left off PATH).
const fakeBin = join(work, 'bin');
const called = join(work, 'rust-called');
mkdirSync(fakeBin);
for (const tool of ['cargo', 'rustc']) writeFileSync(join(fakeBin, tool), `#!/bin/sh\necho ${tool} >> '${called}'\nexit 127\n`, { mode: 0o755 });
const PATH = [fakeBin, ...(process.env.PATH ?? '').split(delimiter).filter((p) => !p.includes('.cargo') && !p.includes('node_modules'))].join(delimiter);
const env = { ...process.env, PATH, PERCOLAB_GPU: 'none', npm_config_update_notifier: 'false' };
const sh = (command: string, args: string[], cwd = app) => {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
  return result.stdout;
};

/**
 * A user's lockfile for a project depending on the tarball: the tarball, and our lockfile's entries for
 * everything it depends on (not our dev tools). With it npm installs from its cache alone; without one
 * it would ask the registry for every package's metadata.
 */
function consumerLock(tarball: string) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const spec = `file:../${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { percolab: spec } },
    'node_modules/percolab': {
      version: ours.version, resolved: spec, license: ours.license, dependencies: ours.dependencies, bin: ours.bin, engines: ours.engines,
      integrity: `sha512-${createHash('sha512').update(readFileSync(join(work, tarball))).digest('base64')}`,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean; link?: boolean }>)) if (key.startsWith('node_modules/') && !entry.dev && !entry.link) packages[key] = entry;
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

const exponentBits = (x: number) => Buffer.from(new Float64Array([x]).buffer).toString('hex');
let tarball: string;

beforeAll(() => {
  tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: root, env, encoding: 'utf8' }).trim().split('\n').pop()!;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { percolab: `file:../${tarball}` } }));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLock(tarball)));
  sh('npm', ['ci', '--offline', '--no-audit', '--no-fund']);
  writeFileSync(join(app, 'run.mjs'), `import { run } from 'percolab';\nconst r = await run(${JSON.stringify(config)});\nconsole.log(JSON.stringify({ median: r.fit.exponent.median, wasm: r.wasm }));\n`);
}, 90_000);

describe('the packed package, installed offline without Rust', () => {
  it('holds the bundles, both wasm flavours and the types, nothing built from source, no install script', () => {
    const installed = join(app, 'node_modules/percolab');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(pkg.scripts?.install ?? pkg.scripts?.preinstall ?? pkg.scripts?.postinstall).toBeUndefined();
    for (const file of ['dist/node/cli.js', 'dist/node/index.js', 'dist/browser/index.js', 'dist/types/index.d.ts', 'dist/types/browser.d.ts',
      ...['node', 'browser'].flatMap((b) => ['simd', 'simd-threads'].map((f) => `dist/${b}/percolab-${f}.wasm`))]) expect(existsSync(join(installed, file)), file).toBe(true);
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'dist', 'package.json']);
    expect(existsSync(join(installed, 'dist/node/index.js.map'))).toBe(false);
  });

  it("type-checks a user's TypeScript against the installed declarations, library checks on", () => {
    writeFileSync(join(app, 'typed.ts'), `import { run, type RunResults } from 'percolab';
const results: RunResults = await run({ seeds: 2 });
const exponent: number = results.fit.exponent.median;
const sha256: string | undefined = results.wasm?.sha256;
const twonn = results.dimension?.estimates.find((e) => e.method === 'twonn');
const ml: number | null | undefined = twonn?.method === 'twonn' ? twonn.dimensionMl : undefined;
// @ts-expect-error a misspelt field of the results is an error
results.fit.exponant;
console.log(exponent, sha256, ml);
`);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['typed.ts'] }));
    sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
  }, 60_000);

  it('gives the same exponent bits from npx percolab run, Node, Deno, Bun and Chromium, with the same wasm', async () => {
    sh('npx', ['--no-install', 'percolab', 'run', '--set', 'seeds=2', '--set', 'sizes=[100,200,400]', '--set', 'testSize=100', '--set', 'measure.points=0', '--out', 'r', '--no-progress']);
    const cliRun = JSON.parse(readFileSync(join(app, 'r/results.json'), 'utf8')) as RunResults;
    const routes: Record<string, { median: number; wasm: RunResults['wasm'] }> = { 'npx percolab run': { median: cliRun.fit.exponent.median, wasm: cliRun.wasm } };
    routes.node = JSON.parse(sh(process.execPath, ['run.mjs']));
    routes.deno = JSON.parse(sh(join(root, 'node_modules/.bin/deno'), ['run', '--allow-read', '--allow-env', '--allow-sys', '--allow-ffi', 'run.mjs']));
    routes.bun = JSON.parse(sh(join(root, 'node_modules/.bin/bun'), ['run.mjs']));

    // The browser bundle as the exports map's "browser" condition names it, served from the install.
    const entry = join(app, 'node_modules/percolab', ours.exports['.'].browser.default);
    const site = await serve(dirname(entry));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.goto(site.url);
      routes.chromium = (await page.evaluate(`(async () => {
        const { run } = await import('/index.js');
        const r = await run(${JSON.stringify(config)}, { workers: 2 });
        return { median: r.fit.exponent.median, wasm: r.wasm };
      })()`)) as { median: number; wasm: RunResults['wasm'] };
    } finally {
      await browser.close();
      site.server.close();
    }

    const wasm = { flavour: 'simd', sha256: createHash('sha256').update(readFileSync(join(distNode, 'percolab-simd.wasm'))).digest('hex') };
    const bits = Object.fromEntries(Object.entries(routes).map(([name, r]) => [name, exponentBits(r.median)]));
    expect(new Set(Object.values(bits)).size, JSON.stringify(bits)).toBe(1);
    for (const [name, r] of Object.entries(routes)) expect(r.wasm, name).toEqual(wasm);
    expect(Number.isFinite(routes.node!.median) && routes.node!.median > 0).toBe(true);
    expect(existsSync(called), 'cargo or rustc was called').toBe(false);
  }, 90_000);
});

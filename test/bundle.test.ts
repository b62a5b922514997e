// percolab pack / verify on the built CLI: a bundle re-runs from another folder with the network
// unavailable and reproduces every loss bit for bit (exit 0); a consistent bundle whose recorded loss
// differs by one byte is caught and named (exit 1); an altered or truncated bundle is refused (exit 2).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDifferences, sha256, type BundleManifest } from '../ts/bundle/run-bundle.js';
import { readTarGz, writeTarGz } from '../ts/io/tar.js';
import type { RunResults } from '../ts/results.js';
import { cli, distNode } from './helpers.js';

const env = { ...process.env, PERCOLAB_DEBUG: '', PERCOLAB_GPU: 'none' };
// Where this host allows it, verify runs in a fresh network namespace: no network at all.
const offline = spawnSync('unshare', ['-rn', 'true']).status === 0 ? ['unshare', '-rn'] : [];
const percolab = (args: string[], cwd: string, isolate = false) => {
  const [command, ...prefix] = isolate && offline.length ? [...offline, process.execPath] : [process.execPath];
  return spawnSync(command!, [...prefix, cli, ...args], { cwd, encoding: 'utf8', env });
};

const dir = mkdtempSync(join(tmpdir(), 'percolab-bundle-'));
let bundle: Uint8Array;

beforeAll(() => {
  const made = percolab(['run', '--set', 'seeds=2', '--set', 'sizes=[100,200,400]', '--set', 'testSize=100', '--set', 'measure.points=0', '--out', 'run', '--no-progress'], dir);
  expect(made.status, made.stderr).toBe(0);
  const packed = percolab(['pack', 'run', '--out', 'run.tgz'], dir);
  expect(packed.status, packed.stderr).toBe(0);
  bundle = readFileSync(join(dir, 'run.tgz'));
}, 60_000);

/** Status 2 and exactly one line on stderr matching `message`, no stack trace. */
function expectOneLine(result: ReturnType<typeof percolab>, message: RegExp) {
  expect(result.stderr).toMatch(message);
  expect(result.status, result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
}

/** The bundle with `results.json`'s first recorded loss changed in its last digit (one byte). */
function withOneByteChanged(files: Map<string, Uint8Array>, updateManifest: boolean): Uint8Array {
  const text = new TextDecoder().decode(files.get('run/results.json'));
  const results = JSON.parse(text) as RunResults;
  const literal = JSON.stringify(results.points[0]!.loss);
  const changed = literal.slice(0, -1) + ((Number(literal.at(-1)) + 1) % 10);
  const edited = new TextEncoder().encode(text.replace(`"loss": ${literal}`, `"loss": ${changed}`));
  expect(edited.length).toBe(new TextEncoder().encode(text).length);
  const out = new Map(files).set('run/results.json', edited);
  if (updateManifest) {
    const manifest = JSON.parse(new TextDecoder().decode(files.get('bundle.json'))) as BundleManifest;
    manifest.files['run/results.json'] = sha256(edited);
    out.set('bundle.json', new TextEncoder().encode(JSON.stringify(manifest)));
  }
  return writeTarGz(Object.fromEntries(out));
}

describe('percolab verify', () => {
  it('re-runs a bundle copied to another folder, network unavailable: every loss and the exponent bit-identical (exit 0)', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'percolab-elsewhere-'));
    cpSync(join(dir, 'run.tgz'), join(elsewhere, 'copy.tgz'));
    const result = percolab(['verify', 'copy.tgz'], elsewhere, true);
    expect(result.status, result.stderr).toBe(0);
    const recorded = JSON.parse(readFileSync(join(dir, 'run/results.json'), 'utf8')) as RunResults;
    expect(result.stdout).toContain(`identical: ${recorded.points.length} losses and the exponent ${recorded.fit.exponent.median} `);
    // Verify cleans up: nothing but the bundle in the folder.
    expect(readdirSync(elsewhere)).toEqual(['copy.tgz']);
  }, 30_000);

  it('a consistent bundle whose recorded loss differs by one byte: exit 1, naming that loss', () => {
    const files = readTarGz(bundle, 'run.tgz');
    writeFileSync(join(dir, 'differs.tgz'), withOneByteChanged(files, true));
    const result = percolab(['verify', 'differs.tgz'], dir, true);
    const first = (JSON.parse(readFileSync(join(dir, 'run/results.json'), 'utf8')) as RunResults).points[0]!;
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^differs: 1 of the recorded values/);
    expect(result.stdout).toContain(`loss at seed ${first.seed}, N = ${first.n}: recorded `);
    expect(result.stdout).toContain(`re-run ${first.loss}`);
  }, 30_000);

  it('one byte of a result changed (bundle.json not updated): exit 2, one line', () => {
    writeFileSync(join(dir, 'altered.tgz'), withOneByteChanged(readTarGz(bundle, 'run.tgz'), false));
    expectOneLine(percolab(['verify', 'altered.tgz'], dir), /altered\.tgz is not an intact percolab bundle: run\/results\.json does not match its SHA-256/);
  });

  it('a bundle whose wasm is not the one results.json names: exit 2, one line', () => {
    const files = readTarGz(bundle, 'run.tgz');
    const manifest = JSON.parse(new TextDecoder().decode(files.get('bundle.json'))) as BundleManifest;
    const wasm = files.get('code/percolab-simd.wasm')!.slice();
    wasm[wasm.length - 1]! ^= 1;
    manifest.files['code/percolab-simd.wasm'] = sha256(wasm);
    files.set('code/percolab-simd.wasm', wasm).set('bundle.json', new TextEncoder().encode(JSON.stringify(manifest)));
    writeFileSync(join(dir, 'wasm.tgz'), writeTarGz(Object.fromEntries(files)));
    expectOneLine(percolab(['verify', 'wasm.tgz'], dir), /code\/percolab-simd\.wasm is not the wasm that results\.json says computed the run/);
  });

  it.each([0.999])('a bundle truncated to %s of its bytes (every cut point: the tar test below): exit 2, one line', (fraction) => {
    writeFileSync(join(dir, 'cut.tgz'), bundle.subarray(0, Math.floor(bundle.length * fraction)));
    expectOneLine(percolab(['verify', 'cut.tgz'], dir), /cut\.tgz is not an intact percolab bundle: gzip: /);
  });

  it('a file that is not a bundle, a missing file, a folder: exit 2, one line', () => {
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    expectOneLine(percolab(['verify', 'notes.txt'], dir), /notes\.txt is not an intact percolab bundle: gzip: /);
    expectOneLine(percolab(['verify', 'nothing.tgz'], dir), /cannot read bundle nothing\.tgz: ENOENT/);
    expectOneLine(percolab(['verify', 'run'], dir), /cannot read bundle run: it is a folder/);
  });
});

describe('percolab pack', () => {
  it('writes the run, the code that ran it with its wasm, a README and hashes of everything', () => {
    const files = readTarGz(bundle, 'run.tgz');
    const manifest = JSON.parse(new TextDecoder().decode(files.get('bundle.json'))) as BundleManifest;
    expect([...files.keys()].sort()).toEqual(['README.md', 'bundle.json', 'rerun.mjs', ...['config.json', 'report.html', 'results.json'].map((f) => `run/${f}`),
      ...['index.js', 'percolab-simd-threads.wasm', 'percolab-simd.wasm', 'wasm-thread.js', 'worker.js'].map((f) => `code/${f}`)].sort());
    for (const [name, digest] of Object.entries(manifest.files)) expect(sha256(files.get(name)!), name).toBe(digest);
    // (Digests, not toEqual: element-wise comparison of megabytes is slow.)
    for (const name of ['index.js', 'worker.js', 'wasm-thread.js', 'percolab-simd.wasm', 'percolab-simd-threads.wasm']) expect(sha256(files.get(`code/${name}`)!), name).toBe(sha256(readFileSync(join(distNode, name))));
    const results = JSON.parse(new TextDecoder().decode(files.get('run/results.json'))) as RunResults;
    expect(results.wasm).toEqual({ flavour: 'simd', sha256: sha256(readFileSync(join(distNode, 'percolab-simd.wasm'))) });
    expect(manifest.wasm).toEqual(results.wasm);
    // The same run packs to the same bytes.
    expect(percolab(['pack', 'run', '--out', 'again.tgz'], dir).status).toBe(0);
    expect(sha256(readFileSync(join(dir, 'again.tgz')))).toBe(sha256(bundle));
  });

  it('refuses, in one line and writing nothing: a missing run, a file as the run, an output folder, an existing bundle, a run of other kernels or with no record of them', () => {
    const work = mkdtempSync(join(tmpdir(), 'percolab-pack-'));
    cpSync(join(dir, 'run'), join(work, 'run'), { recursive: true });
    mkdirSync(join(work, 'folder.tgz'));
    writeFileSync(join(work, 'taken.tgz'), 'x');
    const results = JSON.parse(readFileSync(join(work, 'run/results.json'), 'utf8')) as RunResults;
    cpSync(join(work, 'run'), join(work, 'other'), { recursive: true });
    writeFileSync(join(work, 'other/results.json'), JSON.stringify({ ...results, wasm: { flavour: 'simd', sha256: '0'.repeat(64) } }));
    cpSync(join(work, 'run'), join(work, 'old'), { recursive: true });
    writeFileSync(join(work, 'old/results.json'), JSON.stringify({ ...results, wasm: undefined }));
    const before = readdirSync(work).sort();
    expectOneLine(percolab(['pack', 'missing', '--out', 'a.tgz'], work), /cannot read run folder missing: ENOENT/);
    expectOneLine(percolab(['pack', 'taken.tgz', '--out', 'a.tgz'], work), /cannot read run folder taken\.tgz: it is a file/);
    expectOneLine(percolab(['pack', 'run', '--out', 'folder.tgz', '--force'], work), /cannot write output file folder\.tgz: it is a folder/);
    expectOneLine(percolab(['pack', 'run', '--out', 'taken.tgz'], work), /taken\.tgz already exists/);
    expectOneLine(percolab(['pack', 'other', '--out', 'a.tgz'], work), /with kernels 0000000000000000, this is .* pack it with the percolab that ran it/);
    expectOneLine(percolab(['pack', 'old', '--out', 'a.tgz'], work), /does not say which kernels computed it/);
    expect(readdirSync(work).sort()).toEqual(before);
  });
});

describe('runDifferences', () => {
  const base: RunResults = JSON.parse(JSON.stringify({
    percolab: '0', wasm: { flavour: 'simd', sha256: 'a' }, config: {}, seeds: [1], teachers: [], theory: { dimension: 4, c: 2, exponent: 0.5 }, timing: { seconds: 0 },
    points: [{ seed: 1, n: 10, loss: 0.1, relative: 0.2 }, { seed: 1, n: 20, loss: 0.05, relative: 0.1 }],
    fit: { exponent: { median: 1, p16: 1, p84: 1 }, perSeed: [], medianCurve: { exponent: 1, intercept: 0 }, window: [10, 20] },
  }));
  it('is empty for the same bits, and names each loss, relative loss, exponent and kernel that differs', () => {
    expect(runDifferences(base, structuredClone(base))).toEqual([]);
    const other = structuredClone(base);
    other.points[1]!.loss = 0.05000000000000001;
    other.points[0]!.relative = 0.2000000000000001;
    other.fit.exponent.p84 = 1.0000000000000002;
    other.wasm = { flavour: 'simd', sha256: 'b' };
    other.points.push({ seed: 1, n: 40, loss: 0.01 });
    expect(runDifferences(base, other)).toEqual([
      'kernels: recorded a, re-run b',
      'relative loss at seed 1, N = 10: recorded 0.2, re-run 0.2000000000000001',
      'loss at seed 1, N = 20: recorded 0.05, re-run 0.05000000000000001',
      'loss at seed 1, N = 40: not recorded, re-run 0.01',
      'exponent (p84): recorded 1, re-run 1.0000000000000002',
    ]);
  });
});

describe('tar', () => {
  it('round-trips files and refuses every truncation', () => {
    const files = { 'a.txt': 'x'.repeat(700), 'sub/b.bin': new Uint8Array([0, 1, 2, 255]), 'empty': '' };
    const archive = writeTarGz(files);
    const back = readTarGz(archive, 't');
    expect([...back.keys()]).toEqual(Object.keys(files));
    expect(new TextDecoder().decode(back.get('a.txt'))).toBe(files['a.txt']);
    expect(back.get('sub/b.bin')).toEqual(files['sub/b.bin']);
    for (let cut = 0; cut < archive.length; cut += 7) expect(() => readTarGz(archive.subarray(0, cut), 't')).toThrow(/^t is not an intact percolab bundle/);
  });
  it('refuses names that leave the folder', () => {
    expect(() => readTarGz(writeTarGz({ '../evil': 'x' }), 't')).toThrow(/unsafe entry name/);
    expect(() => readTarGz(writeTarGz({ '/abs': 'x' }), 't')).toThrow(/unsafe entry name/);
  });
});

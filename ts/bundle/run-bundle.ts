// Run bundles: one .tgz holding a run's record and the code that computed it (the Node library bundle
// and both wasm flavours), so it can be re-run years later with Node alone, no network and no install.
// bundle.json lists every other file with its SHA-256; a file that does not match is a damaged bundle.
import { createHash } from 'node:crypto';
import type { RunResults } from '../results.js';
import type { WasmIdentity } from '../wasm/kernels.js';
import { UsageError } from '../errors.js';
import { readTarGz, writeTarGz } from '../io/tar.js';

export const BUNDLE_FORMAT = 'percolab-run-bundle/1';

/** The files of a run folder that a bundle carries. */
export const RUN_FILES = ['config.json', 'results.json', 'report.html'] as const;
/** The files of the Node library bundle (dist/node) that a re-run needs. */
export const CODE_FILES = ['index.js', 'worker.js', 'wasm-thread.js', 'percolab-simd.wasm', 'percolab-simd-threads.wasm'] as const;

/** bundle.json: what made the bundle and the SHA-256 of every other file in it. */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  /** The percolab version that ran the experiment (and whose code is bundled). */
  percolab: string;
  /** The kernels that computed the losses, as results.json records them. */
  wasm: WasmIdentity;
  /** Path inside the bundle to the SHA-256 (hex) of its bytes. */
  files: Record<string, string>;
}

export const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

// Run by `percolab verify` and by hand (`node rerun.mjs`): only Node and the bundle's own files.
const RERUN = `// Re-runs this bundle's experiment with the percolab code inside it: node rerun.mjs [OUT.json]
import { readFileSync, writeFileSync } from 'node:fs';
const here = new URL('.', import.meta.url);
const { run } = await import(new URL('code/index.js', here).href);
const recorded = JSON.parse(readFileSync(new URL('run/results.json', here), 'utf8'));
const results = JSON.stringify(await run(recorded.config), null, 2) + '\\n';
if (process.argv[2]) writeFileSync(process.argv[2], results);
else process.stdout.write(results);
`;

const readme = (results: RunResults) => `# A percolab run bundle

An experiment run by percolab ${results.percolab} (${results.seeds.length} seeds, sizes ${results.config.sizes.join(', ')}),
with everything needed to compute it again: no network, no install, no Rust.

- \`run/\`: the run folder as percolab wrote it (config.json, results.json, report.html).
- \`code/\`: the Node build of percolab that ran it (index.js, worker.js, wasm-thread.js) and its wasm
  kernels; \`percolab-${results.wasm!.flavour}.wasm\` has the SHA-256 that results.json records under \`wasm\`.
- \`bundle.json\`: the SHA-256 of every other file.
- \`rerun.mjs\`: \`node rerun.mjs out.json\` runs results.json's config again with \`code/\` (Node >= 20).

\`percolab verify THIS.tgz\` checks the hashes, re-runs it in a temporary folder and says whether every
loss and the fitted exponent came out bit-identical (exit 0) or which did not (exit 1).
`;

/**
 * The bundle's bytes for a run folder's files and the code that ran it. Refuses a run that no bundled
 * code computed: one without a wasm record, by other kernels than `code`'s, or on file data (the data
 * file is not bundled).
 */
export function packRun(run: Record<string, Uint8Array>, code: Record<string, Uint8Array>, runName: string, codeVersion: string): Uint8Array {
  let results: RunResults;
  try {
    results = JSON.parse(new TextDecoder().decode(run['results.json']!)) as RunResults;
  } catch (error) {
    throw new UsageError(`cannot read ${runName}/results.json: ${(error as Error).message}`);
  }
  if (!results || typeof results !== 'object' || !Array.isArray(results.points) || !results.config) throw new UsageError(`${runName}/results.json is not a percolab run's results`);
  if (!results.wasm) throw new UsageError(`${runName}/results.json does not say which kernels computed it (made before percolab recorded them): run it again, then pack it`);
  if (results.config.data?.kind === 'file') throw new UsageError(`${runName} ran on file data (${results.config.data.path}): a bundle does not carry data files`);
  const wasm = code[`percolab-${results.wasm.flavour}.wasm`];
  if (!wasm) throw new UsageError(`${runName}/results.json names an unknown wasm flavour ${JSON.stringify(results.wasm.flavour)}`);
  const ours = sha256(wasm);
  if (results.percolab !== codeVersion || ours !== results.wasm.sha256) {
    throw new UsageError(
      `${runName} was computed by percolab ${results.percolab} with kernels ${results.wasm.sha256.slice(0, 16)}, this is ${codeVersion} with ${ours.slice(0, 16)}: pack it with the percolab that ran it`,
    );
  }
  const files: Record<string, Uint8Array | string> = { 'README.md': readme(results), 'rerun.mjs': RERUN };
  for (const name of RUN_FILES) files[`run/${name}`] = run[name]!;
  for (const name of CODE_FILES) files[`code/${name}`] = code[name]!;
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    percolab: results.percolab,
    wasm: results.wasm,
    files: Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, sha256(bytes)])),
  };
  return writeTarGz({ 'bundle.json': `${JSON.stringify(manifest, null, 2)}\n`, ...files });
}

/** An intact bundle's files and recorded results; any damage (a changed, missing or extra file) is a UsageError. */
export function openBundle(bytes: Uint8Array, source: string): { files: Map<string, Uint8Array>; manifest: BundleManifest; results: RunResults } {
  const files = readTarGz(bytes, source);
  const fail = (why: string): never => {
    throw new UsageError(`${source} is not an intact percolab bundle: ${why}`);
  };
  const json = <T>(name: string): T => {
    const raw = files.get(name) ?? fail(`${name} is missing`);
    try {
      return JSON.parse(new TextDecoder().decode(raw)) as T;
    } catch (error) {
      return fail(`${name}: ${(error as Error).message}`);
    }
  };
  const manifest = json<BundleManifest>('bundle.json');
  if (manifest?.format !== BUNDLE_FORMAT || typeof manifest.files !== 'object' || !manifest.files) fail(`bundle.json is not a ${BUNDLE_FORMAT} manifest`);
  for (const [name, digest] of Object.entries(manifest.files)) {
    const content = files.get(name) ?? fail(`${name} is missing`);
    if (sha256(content) !== digest) fail(`${name} does not match its SHA-256 in bundle.json (altered)`);
  }
  for (const name of files.keys()) if (name !== 'bundle.json' && !(name in manifest.files)) fail(`${name} is not listed in bundle.json`);
  for (const name of [...RUN_FILES.map((f) => `run/${f}`), ...CODE_FILES.map((f) => `code/${f}`), 'rerun.mjs']) if (!files.has(name)) fail(`${name} is missing`);
  const results = json<RunResults>('run/results.json');
  const wasm = results.wasm ?? fail('run/results.json does not record its kernels');
  if (wasm.sha256 !== manifest.wasm?.sha256 || sha256(files.get(`code/percolab-${wasm.flavour}.wasm`) ?? fail(`code/percolab-${wasm.flavour}.wasm is missing`)) !== wasm.sha256) {
    fail(`code/percolab-${wasm.flavour}.wasm is not the wasm that results.json says computed the run`);
  }
  return { files, manifest, results };
}

/** Every recorded loss and exponent the re-run did not reproduce bit for bit, one line each (empty: identical). */
export function runDifferences(recorded: RunResults, rerun: RunResults): string[] {
  const out: string[] = [];
  const same = (a: number | null | undefined, b: number | null | undefined) => Object.is(a, b);
  if (recorded.wasm?.sha256 !== rerun.wasm?.sha256) out.push(`kernels: recorded ${recorded.wasm?.sha256 ?? 'none'}, re-run ${rerun.wasm?.sha256 ?? 'none'}`);
  const rerunPoints = new Map(rerun.points.map((p) => [`${p.seed}/${p.n}`, p]));
  for (const p of recorded.points) {
    const q = rerunPoints.get(`${p.seed}/${p.n}`);
    if (!q) out.push(`loss at seed ${p.seed}, N = ${p.n}: recorded ${p.loss}, missing from the re-run`);
    else if (!same(p.loss, q.loss)) out.push(`loss at seed ${p.seed}, N = ${p.n}: recorded ${p.loss}, re-run ${q.loss}`);
    else if (!same(p.relative, q.relative)) out.push(`relative loss at seed ${p.seed}, N = ${p.n}: recorded ${p.relative}, re-run ${q.relative}`);
    rerunPoints.delete(`${p.seed}/${p.n}`);
  }
  for (const q of rerunPoints.values()) out.push(`loss at seed ${q.seed}, N = ${q.n}: not recorded, re-run ${q.loss}`);
  for (const key of ['median', 'p16', 'p84'] as const) {
    const [a, b] = [recorded.fit.exponent[key], rerun.fit.exponent[key]];
    if (!same(a, b)) out.push(`exponent (${key}): recorded ${a}, re-run ${b}`);
  }
  return out;
}

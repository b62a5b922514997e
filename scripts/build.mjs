// Builds the wasm kernels (every flavour), their JS bindings, and the Node and browser bundles.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import { flavours, root, wasmBindgenBin, wasmLinker, wasmPackBin, wasmPackVersion, wasmRustc } from './toolchain.mjs';
import { buildEdge } from './build-edge.mjs';
import { zodEnglishOnly } from './esbuild-plugins.mjs';

const log = (msg) => process.stderr.write(`build: ${msg}\n`);

function buildWasm(flavour) {
  const targetDir = join(root, 'target', `wasm-${flavour.name}`);
  const rustflags = [
    `-C target-feature=${flavour.targetFeatures.join(',')}`,
    ...flavour.linkArgs.map((a) => `-C link-arg=${a}`),
  ].join(' ');
  const outDir = join(root, 'ts', 'wasm', 'generated', flavour.name);
  if (!existsSync(wasmPackBin)) throw new Error(`wasm-pack ${wasmPackVersion} is missing (${wasmPackBin}): run scripts/bootstrap.sh`);
  log(`wasm (${flavour.name}): wasm-pack build (cargo build --release, std from source; wasm-bindgen --target web)`);
  rmSync(outDir, { recursive: true, force: true });
  // --weak-refs: wasm-owned objects a caller forgets to free() are released by a finalizer (a backstop).
  // Everything after `--` goes to cargo build.
  execFileSync(
    wasmPackBin,
    ['build', join(root, 'crates', 'wasm'), '--mode', 'force', '--no-opt', '--no-pack', '--no-gitignore', '--weak-refs', '--target', 'web', '--release',
      '--out-dir', outDir, '--out-name', 'kernels',
      '--', '--locked', '-Z', 'build-std=std,panic_abort', '--target-dir', targetDir,
      ...(flavour.cargoFeatures.length ? ['--features', flavour.cargoFeatures.join(',')] : [])],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        // Debian's cargo and the pinned wasm-bindgen CLI first (rustup's shims cannot build for wasm32).
        PATH: `${dirname(wasmBindgenBin)}:/usr/bin:${process.env.PATH}`,
        RUSTC: wasmRustc,
        RUSTC_BOOTSTRAP: '1',
        RUSTFLAGS: rustflags,
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER: wasmLinker,
      },
    },
  );
  return join(outDir, 'kernels_bg.wasm');
}

async function bundle(wasmFiles) {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const common = {
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
    define: { __PERCOLAB_VERSION__: JSON.stringify(version) },
    plugins: [zodEnglishOnly],
  };
  // CommonJS dependencies bundled into ESM need a `require` for Node built-ins.
  const nodeBanner = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
  const nodeExternal = ['webgpu', '@resvg/resvg-js', 'parquet-wasm'];
  const builds = [
    // The library and its workers are whole files (a run bundle carries them, ts/bundle); the CLI loads
    // what only some commands use (each command's module, the plots' vega) as split chunks, since V8 parses
    // all it loads at start-up.
    { platform: 'node', outdir: 'dist/node', entries: { index: 'ts/index.ts', worker: 'workers/node.ts', 'wasm-thread': 'workers/wasm-thread-node.ts' },
      banner: { js: nodeBanner }, external: nodeExternal },
    { platform: 'node', outdir: 'dist/node', keep: true, entries: { cli: 'ts/cli/main.ts' }, splitting: true, chunkNames: 'cli-[name]-[hash]',
      banner: { js: nodeBanner }, external: nodeExternal, minifyWhitespace: true, minifySyntax: true },
    { platform: 'browser', outdir: 'dist/browser', entries: { index: 'ts/browser.ts', worker: 'workers/browser.ts', 'wasm-thread': 'workers/wasm-thread-browser.ts' } },
    // The lab page (static files): the plots load as a split chunk after the form is up; chunks sit beside
    // the entries, so every `new URL('./…', import.meta.url)` still finds its file.
    { platform: 'browser', outdir: 'dist/lab', entries: { lab: 'ts/lab/page.ts', worker: 'workers/browser.ts', 'lab-worker': 'workers/lab-browser.ts', 'wasm-thread': 'workers/wasm-thread-browser.ts' },
      splitting: true, minify: true, files: { 'ts/lab/index.html': 'index.html' } },
  ];
  for (const b of builds) {
    if (!b.keep) rmSync(join(root, b.outdir), { recursive: true, force: true });
    log(`bundle ${b.outdir}`);
    await esbuild.build({
      ...common,
      platform: b.platform,
      outdir: join(root, b.outdir),
      entryPoints: b.entries,
      banner: b.banner,
      external: b.external,
      splitting: b.splitting,
      chunkNames: b.chunkNames,
      minify: b.minify,
      minifyWhitespace: b.minifyWhitespace,
      minifySyntax: b.minifySyntax,
    });
    for (const [from, to] of Object.entries(b.files ?? {})) copyFileSync(join(root, from), join(root, b.outdir, to));
    for (const [name, file] of Object.entries(wasmFiles)) copyFileSync(file, join(root, b.outdir, `percolab-${name}.wasm`));
  }
  const cli = join(root, 'dist/node/cli.js');
  writeFileSync(cli, `#!/usr/bin/env node\n${readFileSync(cli, 'utf8')}`, { mode: 0o755 });
}

// The package's `.d.ts` files (dist/types), from tsconfig.types.json; skipped while newer than every source
// (the wasm-bindgen glue, rewritten by every build, does not reach the public types).
function declarations() {
  const newest = (dir) => readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !(e.parentPath ?? e.path).includes('generated'))
    .reduce((t, e) => Math.max(t, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs), 0);
  const stamp = join(root, 'dist/types/index.d.ts');
  if (existsSync(stamp) && statSync(stamp).mtimeMs > Math.max(newest(join(root, 'ts')), statSync(join(root, 'tsconfig.types.json')).mtimeMs)) return;
  log('declarations dist/types (tsc)');
  rmSync(join(root, 'dist/types'), { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.types.json')], { stdio: 'inherit' });
}

const wasmFiles = {};
for (const flavour of flavours) wasmFiles[flavour.name] = buildWasm(flavour);
await bundle(wasmFiles);
log('bundle dist/edge');
await buildEdge(root, wasmFiles.simd, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
declarations();
log('done');

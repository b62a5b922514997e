// Builds the wasm kernels (every flavour), their JS bindings, and the Node and browser bundles.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { flavours, root, wasmBindgenBin, wasmCargo, wasmLinker, wasmRustc } from './toolchain.mjs';
import { buildEdge } from './build-edge.mjs';

const log = (msg) => process.stderr.write(`build: ${msg}\n`);

function buildWasm(flavour) {
  const targetDir = join(root, 'target', `wasm-${flavour.name}`);
  const rustflags = [
    `-C target-feature=${flavour.targetFeatures.join(',')}`,
    ...flavour.linkArgs.map((a) => `-C link-arg=${a}`),
  ].join(' ');
  log(`wasm (${flavour.name}): cargo build --release, std from source`);
  execFileSync(
    wasmCargo,
    ['build', '--release', '--locked', '-p', 'percolab-wasm', '--target', 'wasm32-unknown-unknown',
      '-Z', 'build-std=std,panic_abort', '--target-dir', targetDir,
      ...(flavour.cargoFeatures.length ? ['--features', flavour.cargoFeatures.join(',')] : [])],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        PATH: `/usr/bin:${process.env.PATH}`,
        RUSTC: wasmRustc,
        RUSTC_BOOTSTRAP: '1',
        RUSTFLAGS: rustflags,
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER: wasmLinker,
      },
    },
  );
  const wasm = join(targetDir, 'wasm32-unknown-unknown', 'release', 'percolab_wasm.wasm');
  const outDir = join(root, 'ts', 'wasm', 'generated', flavour.name);
  rmSync(outDir, { recursive: true, force: true });
  // --weak-refs: wasm-owned objects a caller forgets to free() are released by a finalizer (a backstop).
  execFileSync(wasmBindgenBin, ['--target', 'web', '--weak-refs', '--out-dir', outDir, '--out-name', 'kernels', wasm], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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
  };
  // CommonJS dependencies bundled into ESM need a `require` for Node built-ins.
  const nodeBanner = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
  const builds = [
    { platform: 'node', outdir: 'dist/node', entries: { cli: 'ts/cli/main.ts', index: 'ts/index.ts', worker: 'workers/node.ts', 'wasm-thread': 'workers/wasm-thread-node.ts' },
      banner: { js: nodeBanner }, external: ['webgpu', '@resvg/resvg-js', 'parquet-wasm'] },
    { platform: 'browser', outdir: 'dist/browser', entries: { index: 'ts/browser.ts', worker: 'workers/browser.ts', 'wasm-thread': 'workers/wasm-thread-browser.ts' } },
    // The lab page (static files): the plots load as a split chunk after the form is up; chunks sit beside
    // the entries, so every `new URL('./…', import.meta.url)` still finds its file.
    { platform: 'browser', outdir: 'dist/lab', entries: { lab: 'ts/lab/page.ts', worker: 'workers/browser.ts', 'lab-worker': 'workers/lab-browser.ts', 'wasm-thread': 'workers/wasm-thread-browser.ts' },
      splitting: true, minify: true, files: { 'ts/lab/index.html': 'index.html' } },
  ];
  for (const b of builds) {
    rmSync(join(root, b.outdir), { recursive: true, force: true });
    log(`bundle ${b.outdir}`);
    await esbuild.build({
      ...common,
      platform: b.platform,
      outdir: join(root, b.outdir),
      entryPoints: b.entries,
      banner: b.banner,
      external: b.external,
      splitting: b.splitting,
      minify: b.minify,
    });
    for (const [from, to] of Object.entries(b.files ?? {})) copyFileSync(join(root, from), join(root, b.outdir, to));
    for (const [name, file] of Object.entries(wasmFiles)) copyFileSync(file, join(root, b.outdir, `percolab-${name}.wasm`));
  }
  const cli = join(root, 'dist/node/cli.js');
  writeFileSync(cli, `#!/usr/bin/env node\n${readFileSync(cli, 'utf8')}`, { mode: 0o755 });
}

const wasmFiles = {};
for (const flavour of flavours) wasmFiles[flavour.name] = buildWasm(flavour);
await bundle(wasmFiles);
log('bundle dist/edge');
await buildEdge(root, wasmFiles.simd, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
log('done');

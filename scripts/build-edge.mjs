// The edge worker: dist/edge/worker.js, an ES module Worker for workerd (Cloudflare Workers), with the
// single-threaded SIMD kernels beside it as percolab-simd.wasm, imported as a compiled module.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { zodEnglishOnly } from './esbuild-plugins.mjs';

/** Bundles workers/edge/worker.ts into dist/edge/ with `simdWasm` beside it, and a wrangler.toml example. */
export async function buildEdge(root, simdWasm, version) {
  const outdir = join(root, 'dist', 'edge');
  rmSync(outdir, { recursive: true, force: true });
  const sha256 = createHash('sha256').update(readFileSync(simdWasm)).digest('hex');
  await esbuild.build({
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    sourcemap: true,
    logLevel: 'warning',
    entryPoints: { worker: join(root, 'workers', 'edge', 'worker.ts') },
    outdir,
    external: ['*.wasm'],
    plugins: [zodEnglishOnly],
    define: { __PERCOLAB_VERSION__: JSON.stringify(version), __PERCOLAB_KERNELS_SHA256__: JSON.stringify(sha256) },
  });
  copyFileSync(simdWasm, join(outdir, 'percolab-simd.wasm'));
  copyFileSync(join(root, 'workers', 'edge', 'wrangler.toml'), join(outdir, 'wrangler.toml'));
}

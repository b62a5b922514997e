// Where the pinned build tools live. One place, read by bootstrap (to install) and build (to use).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** The wasm-bindgen version pinned in Cargo.toml; the CLI must be exactly this version. */
export const wasmBindgenVersion = (() => {
  const toml = readFileSync(join(root, 'Cargo.toml'), 'utf8');
  const match = toml.match(/^wasm-bindgen\s*=\s*"=([0-9.]+)"/m);
  if (!match) throw new Error('Cargo.toml must pin wasm-bindgen as "=X.Y.Z"');
  return match[1];
})();

/** Tools built once per machine are cached outside the clone, so fresh clones (CI) reuse them. */
export const cacheDir = process.env.PERCOLAB_CACHE ?? join(homedir(), '.cache', 'percolab');
export const wasmBindgenBin = join(cacheDir, `wasm-bindgen-cli-${wasmBindgenVersion}`, 'bin', 'wasm-bindgen');

/**
 * wasm-pack drives cargo and the wasm-bindgen CLI above (on PATH) for each flavour. Built from crates.io
 * (its npm package downloads from GitHub); `--mode force` skips its rustc/target checks, which cannot see
 * a build-std toolchain, and `--no-opt` skips wasm-opt (it miscompiled threaded modules).
 */
export const wasmPackVersion = '0.15.1';
export const wasmPackBin = join(cacheDir, `wasm-pack-${wasmPackVersion}`, 'bin', 'wasm-pack');

/** Debian's rustc-web builds std for wasm32 from source; rustup's toolchains cannot (no wasm32 target). */
export const wasmCargo = '/usr/bin/cargo';
export const wasmRustc = '/usr/bin/rustc';
export const wasmLinker = 'wasm-ld-22';

/**
 * Build flavours of the wasm kernels. Each has its own target dir because std is rebuilt per set of
 * target features. Since rustc 1.96 atomics no longer imply shared memory: the threaded flavour asks the
 * linker for an imported shared memory and exports what wasm-bindgen's thread transform needs (TLS
 * setup, heap base for per-thread stacks).
 */
export const flavours = [
  { name: 'simd', targetFeatures: ['+simd128'], cargoFeatures: [], linkArgs: [] },
  {
    name: 'simd-threads',
    targetFeatures: ['+simd128', '+atomics', '+bulk-memory', '+mutable-globals'],
    cargoFeatures: ['threads'],
    linkArgs: ['--shared-memory', '--import-memory', '--max-memory=4294967296', '--export=__wasm_init_tls',
      '--export=__tls_size', '--export=__tls_align', '--export=__tls_base', '--export=__heap_base'],
  },
];

export { root };

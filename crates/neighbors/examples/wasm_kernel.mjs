// What the wasm_*.mjs examples share: examples/wasm_bench.rs built for wasm32 + simd128 from the working
// tree (std from source, as scripts/build.mjs builds the kernels), a CPU-time stopwatch, and their
// result files in bench/results.
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const targetDir = '/tmp/nb-wasm-target';

/**
 * Builds examples/wasm_bench.rs of the checkout at `tree` (this one by default) and returns its wasm bytes.
 * Another checkout builds in a target dir of its own: in a shared one, cargo would find this checkout's
 * build fresh afterwards and leave the other's wasm in place of it.
 */
export function buildWasmBench(tree = root) {
  const dir = tree === root ? targetDir : `${targetDir}-other`;
  execFileSync('/usr/bin/cargo', ['build', '--release', '-p', 'percolab-neighbors', '--example', 'wasm_bench',
    '--target', 'wasm32-unknown-unknown', '-Z', 'build-std=std,panic_abort', '--target-dir', dir], {
    cwd: tree,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PATH: `/usr/bin:${process.env.PATH}`, RUSTC_BOOTSTRAP: '1',
      RUSTFLAGS: '-C target-feature=+simd128 --cfg getrandom_backend="unsupported"', CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER: 'wasm-ld-22' },
  });
  return readFileSync(`${dir}/wasm32-unknown-unknown/release/examples/wasm_bench.wasm`);
}

/** `f()` and the process CPU seconds it took (on a shared machine wall time would count other jobs). */
export function cpuSeconds(f) {
  const start = process.cpuUsage();
  const value = f();
  const used = process.cpuUsage(start);
  return [value, (used.user + used.system) / 1e6];
}

/** Writes bench/results/NAME.json (the date, the machine, then `fields`) by a rename; returns its path. */
export function writeExampleResult(name, fields) {
  const file = join(root, 'bench/results', `${name}.json`);
  const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ date: new Date().toISOString(), machine, ...fields }, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

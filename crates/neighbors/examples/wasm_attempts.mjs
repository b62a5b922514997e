// Times the quantized scan as committed beside each variant in examples/attempts/*.patch (changes to
// src/quantized.rs that were measured and not kept), all in one process, one thread, the variants taking
// turns so that each sees the same moments of a shared machine; checks every variant finds the same
// neighbours; writes bench/results/neighbors-quantized-attempts.json.
//   node crates/neighbors/examples/wasm_attempts.mjs [rounds]
// Each patch is applied to the working tree for its build and reversed right after, so the crate's
// sources must have no uncommitted changes. Seconds are CPU time, the best of `rounds`.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.argv[2] ?? 3);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const targetDir = '/tmp/nb-wasm-target';
const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
if (git('status', '--porcelain', '--', 'crates/neighbors/src').trim()) {
  throw new Error('crates/neighbors/src has uncommitted changes: commit or stash them first');
}

function build() {
  execFileSync('/usr/bin/cargo', ['build', '--release', '-p', 'percolab-neighbors', '--example', 'wasm_bench',
    '--target', 'wasm32-unknown-unknown', '-Z', 'build-std=std,panic_abort', '--target-dir', targetDir], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PATH: `/usr/bin:${process.env.PATH}`, RUSTC_BOOTSTRAP: '1',
      RUSTFLAGS: '-C target-feature=+simd128 --cfg getrandom_backend="unsupported"', CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER: 'wasm-ld-22' },
  });
  return readFileSync(`${targetDir}/wasm32-unknown-unknown/release/examples/wasm_bench.wasm`);
}

const variants = [{ name: 'committed', bytes: build() }];
for (const file of readdirSync(join(here, 'attempts')).filter((f) => f.endsWith('.patch')).sort()) {
  const patch = join(here, 'attempts', file);
  git('apply', patch);
  try {
    variants.push({ name: file.replace(/\.patch$/, ''), bytes: build() });
  } finally {
    git('apply', '-R', patch);
  }
}
build(); // leave the committed build in the target dir

const time = (f) => {
  const t = process.cpuUsage();
  const v = f();
  const u = process.cpuUsage(t);
  return [v, (u.user + u.system) / 1e6];
};
const instances = variants.map((v) => new WebAssembly.Instance(new WebAssembly.Module(v.bytes), {}).exports);
const rows = [];
for (const [n, d, q] of [[1e5, 32, 4000], [1e5, 128, 1000]]) {
  for (const w of instances) {
    w.generate(1, n, q, d, 7);
    w.build(16);
  }
  for (const k of [1, 10]) {
    const best = variants.map(() => Infinity);
    const sums = new Set();
    instances.forEach((w) => w.query_with(k, q, 3)); // compiles and warms each
    for (let r = 0; r < rounds; r++) {
      instances.forEach((w, i) => {
        const [sum, t] = time(() => w.query_with(k, q, 3));
        sums.add(sum);
        best[i] = Math.min(best[i], t);
      });
    }
    const seconds = Object.fromEntries(variants.map((v, i) => [v.name, best[i]]));
    const overCommitted = Object.fromEntries(variants.map((v, i) => [v.name, best[i] / best[0]]));
    const row = { data: 'uniform', n, d, q, k, seconds, overCommitted, sameResults: sums.size === 1 };
    process.stderr.write(`${JSON.stringify(row)}\n`);
    rows.push(row);
  }
}
const file = join(root, 'bench/results/neighbors-quantized-attempts.json');
const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
const note = 'quantized scan only (strategy 3), one thread, CPU seconds, best of rounds; overCommitted > 1 is slower than the committed kernel';
writeFileSync(`${file}.tmp`, `${JSON.stringify({ date: new Date().toISOString(), machine, threads: 1, rounds, note, loadAverage: loadavg(), rows }, null, 2)}\n`);
renameSync(`${file}.tmp`, file);

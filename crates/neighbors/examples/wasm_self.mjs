// Times `search_self` (every point's k nearest other points, what TwoNN and MLE use) by each strategy in
// one wasm32 + simd128 process, one thread; process CPU time, best of several calls; checks the strategies
// agree. Writes bench/results/NAME.json (default neighbors-self):
//   node crates/neighbors/examples/wasm_self.mjs [--out NAME]
// Builds examples/wasm_bench.rs first (as wasm_bench.mjs does). Run it on two commits to compare them.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const at = process.argv.indexOf('--out');
const name = at === -1 ? 'neighbors-self' : process.argv[at + 1];
if (!/^[\w.-]+$/.test(name ?? '')) {
  process.stderr.write('wasm_self: --out takes a file name without a folder or extension\n');
  process.exit(2);
}
const targetDir = '/tmp/nb-wasm-target';
execFileSync('/usr/bin/cargo', ['build', '--release', '-p', 'percolab-neighbors', '--example', 'wasm_bench',
  '--target', 'wasm32-unknown-unknown', '-Z', 'build-std=std,panic_abort', '--target-dir', targetDir], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, PATH: `/usr/bin:${process.env.PATH}`, RUSTC_BOOTSTRAP: '1',
    RUSTFLAGS: '-C target-feature=+simd128 --cfg getrandom_backend="unsupported"', CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER: 'wasm-ld-22' },
});
const bytes = readFileSync(`${targetDir}/wasm32-unknown-unknown/release/examples/wasm_bench.wasm`);
const { instance } = await WebAssembly.instantiate(bytes, {});
const w = instance.exports;
/** CPU seconds of one call (the machine is shared: wall time would count other jobs). */
const cpu = (f) => {
  const c = process.cpuUsage();
  const v = f();
  const u = process.cpuUsage(c);
  return [v, (u.user + u.system) / 1e6];
};
// [data, n, d, k, strategies]; the blocked scan of every row is left out at 10^5 (about a minute).
const cases = [
  ['cluster', 1e4, 32, 20, ['auto', 'tree', 'blocked']],
  ['cluster', 1e4, 32, 2, ['auto', 'tree', 'blocked']],
  ['cluster', 1e4, 10, 20, ['auto', 'tree', 'blocked']],
  ['uniform', 1e4, 32, 20, ['auto', 'tree', 'blocked']],
  ['cluster', 1e5, 32, 20, ['auto', 'tree']],
];
const codes = { auto: 0, tree: 1, blocked: 2 };
const rows = [];
for (const [data, n, d, k, strategies] of cases) {
  w.generate(data === 'cluster' ? 0 : 1, n, 0, d, 7);
  w.build(16);
  const seconds = {};
  const sums = new Set();
  for (const s of strategies) {
    let best = Infinity;
    for (let r = 0; r < (n <= 1e4 ? 7 : 2); r++) {
      const [sum, t] = cpu(() => w.query_self_with(k, codes[s]));
      sums.add(sum);
      best = Math.min(best, t);
    }
    seconds[s] = best;
  }
  const row = { data, n, d, k, seconds, sameResults: sums.size === 1, loadAverage: loadavg() };
  process.stderr.write(`${JSON.stringify(row)}\n`);
  rows.push(row);
}
const file = `bench/results/${name}.json`;
const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
writeFileSync(`${file}.tmp`, `${JSON.stringify({ date: new Date().toISOString(), machine, threads: 1, timing: 'process CPU seconds, best of 7 (10^4) or 2 (10^5) calls', rows }, null, 2)}\n`);
renameSync(`${file}.tmp`, file);
process.stderr.write(`wrote ${file}\n`);

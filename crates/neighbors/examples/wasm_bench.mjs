// Times the kd-tree compiled to wasm32 + simd128 under Node:
//   node crates/neighbors/examples/wasm_bench.mjs [n] [d,d,...] [k,k,...] [data: cluster|uniform] [q]
// Builds examples/wasm_bench.rs with Debian's rustc-web first (std from source, as scripts/build.mjs does).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

const [n = 1e6, ds = '10,32', ks = '1,10', data = 'cluster', q = 1e4] = process.argv.slice(2);
const time = (f) => { const t = performance.now(); const v = f(); return [v, (performance.now() - t) / 1e3]; };
console.log('| data | d | N | build s | memory (x raw) | k | query s | build+query s |');
console.log('|---|---|---|---|---|---|---|---|');
for (const d of ds.split(',').map(Number)) {
  w.generate(data === 'cluster' ? 0 : 1, +n, +q, d, 7);
  let best = Infinity, mem = 0;
  for (let r = 0; r < 3; r++) { const [m, t] = time(() => w.build(32)); best = Math.min(best, t); mem = m; }
  for (const k of ks.split(',').map(Number)) {
    let bq = Infinity;
    for (let r = 0; r < 3; r++) bq = Math.min(bq, time(() => w.query(k, +q))[1]);
    if (w.query(k, 200) !== w.brute(k, 200)) throw new Error(`d = ${d}, k = ${k}: tree and brute force disagree`);
    console.log(`| ${data} | ${d} | ${n} | ${best.toFixed(3)} | ${(mem / 1000).toFixed(3)} | ${k} | ${bq.toFixed(4)} | ${(best + bq).toFixed(3)} |`);
  }
}

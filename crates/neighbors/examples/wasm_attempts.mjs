// Times the quantized scan as committed beside each variant in examples/attempts/*.patch (changes to
// src/quantized.rs that were measured and not kept), all in one process, one thread, the variants taking
// turns so that each sees the same moments of a shared machine; checks every variant finds the same
// neighbours; writes bench/results/neighbors-quantized-attempts.json.
//   node crates/neighbors/examples/wasm_attempts.mjs [rounds]
// Each patch is applied to the working tree for its build and reversed right after, so the crate's
// sources must have no uncommitted changes. Seconds are CPU time, the best of `rounds`.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWasmBench as build, cpuSeconds as time, root, writeExampleResult } from './wasm_kernel.mjs';

const rounds = Number(process.argv[2] ?? 3);
const here = dirname(fileURLToPath(import.meta.url));
const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
if (git('status', '--porcelain', '--', 'crates/neighbors/src').trim()) {
  throw new Error('crates/neighbors/src has uncommitted changes: commit or stash them first');
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
const note = 'quantized scan only (strategy 3), one thread, CPU seconds, best of rounds; overCommitted > 1 is slower than the committed kernel';
writeExampleResult('neighbors-quantized-attempts', { threads: 1, rounds, note, loadAverage: loadavg(), rows });

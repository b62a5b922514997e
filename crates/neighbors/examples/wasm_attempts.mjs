// Times the quantized scan as committed beside each variant in examples/attempts/*.patch (changes to
// src/quantized.rs that were measured and not kept), all in one process, one thread, the variants taking
// turns so that each sees the same moments of a shared machine; checks every variant finds the same
// neighbours; writes bench/results/neighbors-quantized-attempts.json.
//   node crates/neighbors/examples/wasm_attempts.mjs [rounds]
// The patches were written against the kernel at BASE (before the coarse filter and the changes that led
// to it): each is built in a worktree of BASE, applied for its build and reversed right after, and BASE's
// own kernel is timed too (`base`); `committed` is this checkout's. Seconds are CPU time, the best of
// `rounds`; `overBase` > 1 is slower than the base kernel.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWasmBench as build, cpuSeconds as time, root, writeExampleResult } from './wasm_kernel.mjs';

const rounds = Number(process.argv[2] ?? 3);
const here = dirname(fileURLToPath(import.meta.url));
const BASE = 'cba3ecf';
const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8' });

const variants = [{ name: 'committed', bytes: build() }];
const tree = mkdtempSync(join(tmpdir(), 'percolab-attempts-'));
git(root, 'worktree', 'add', '--detach', tree, BASE);
try {
  variants.push({ name: 'base', bytes: build(tree) });
  for (const file of readdirSync(join(here, 'attempts')).filter((f) => f.endsWith('.patch')).sort()) {
    const patch = join(here, 'attempts', file);
    git(tree, 'apply', patch);
    try {
      variants.push({ name: file.replace(/\.patch$/, ''), bytes: build(tree) });
    } finally {
      git(tree, 'apply', '-R', patch);
    }
  }
} finally {
  git(root, 'worktree', 'remove', '--force', tree);
}

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
    const overBase = Object.fromEntries(variants.map((v, i) => [v.name, best[i] / best[1]]));
    const row = { data: 'uniform', n, d, q, k, seconds, overBase, sameResults: sums.size === 1 };
    process.stderr.write(`${JSON.stringify(row)}\n`);
    rows.push(row);
  }
}
const note = `quantized scan only (strategy 3), one thread, CPU seconds, best of rounds; the patches apply to the kernel at ${BASE} (base); overBase > 1 is slower than it`;
writeExampleResult('neighbors-quantized-attempts', { threads: 1, rounds, note, loadAverage: loadavg(), rows });

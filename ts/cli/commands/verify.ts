// `percolab verify`: re-runs a bundle from `percolab pack` with the code inside it, offline, and compares
// every loss and the exponent bit for bit. Exit 0: identical; 1: what differs is listed; 2: the bundle
// is damaged or cannot run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { openBundle, runDifferences } from '../../bundle/run-bundle.js';
import { CheckFailed, UsageError } from '../../errors.js';
import type { RunResults } from '../../results.js';
import { readInput } from '../options.js';

function verify(bundlePath: string) {
  const { files, results } = openBundle(readInput(bundlePath, 'bundle'), bundlePath);
  const folder = mkdtempSync(join(tmpdir(), 'percolab-verify-'));
  try {
    for (const [name, bytes] of files) {
      mkdirSync(dirname(join(folder, name)), { recursive: true });
      writeFileSync(join(folder, name), bytes);
    }
    process.stderr.write(`percolab: re-running ${results.seeds.length} seeds with the bundled percolab ${results.percolab}\n`);
    const start = performance.now();
    const child = spawnSync(process.execPath, ['rerun.mjs', 'rerun.json'], { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (child.status !== 0) {
      const last = (child.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? child.error?.message ?? `signal ${child.signal}`;
      throw new UsageError(`the bundled code could not re-run ${bundlePath}: ${last}`);
    }
    const rerun = JSON.parse(readFileSync(join(folder, 'rerun.json'), 'utf8')) as RunResults;
    const seconds = (performance.now() - start) / 1000;
    const differences = runDifferences(results, rerun);
    if (differences.length) {
      process.stdout.write(`differs: ${differences.length} of the recorded values did not come out bit-identical\n${differences.map((d) => `  ${d}\n`).join('')}`);
      throw new CheckFailed(`${bundlePath} did not reproduce`);
    }
    process.stdout.write(
      `identical: ${results.points.length} losses and the exponent ${results.fit.exponent.median} (16th-84th percentile ${results.fit.exponent.p16}-${results.fit.exponent.p84}) ` +
        `bit for bit, kernels ${results.wasm!.flavour} sha256 ${results.wasm!.sha256.slice(0, 16)}; re-run in ${seconds.toFixed(1)} s\n`,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('Re-run a bundle from percolab pack with its own code (no network) and check every loss and the exponent bit for bit.')
    .argument('<bundle>', 'the .tgz written by percolab pack')
    .action(verify);
}

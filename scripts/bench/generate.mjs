// `npm run bench -- generate [--quick]`: points per second of `percolab generate` (points, labels and
// record written to disk) for the naive and branching embedders at d = 16 and 128, with peak RSS. One
// worker is one generate process; two workers are two processes on different seeds at once (the
// aggregate rate). Writes bench/results/generate.json.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, writeResult } from './lib/common.mjs';

const quick = process.argv.includes('--quick');
const points = quick ? 200_000 : 5_000_000;
const embedders = {
  naive: [],
  branching: ['--set', 'data.embedder=branching', '--set', 'data.branches=100', '--set', `data.branchSize=${points / 100}`],
};

/** Runs one generate under /usr/bin/time; resolves with seconds and peak RSS (MiB). */
function generate(args, out) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M', process.execPath, 'dist/node/cli.js', 'generate', ...args, '--points', String(points), '--out', out, '--no-progress'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`generate failed: ${err.trim()}`));
      const [seconds, kb] = err.trim().split('\n').pop().split(' ').map(Number);
      resolve({ seconds, peakRssMiB: kb / 1024 });
    });
  });
}

const rows = [];
const dir = mkdtempSync(join(tmpdir(), 'percolab-bench-gen-'));
try {
  for (const d of [16, 128]) {
    for (const [embedder, sets] of Object.entries(embedders)) {
      const args = ['--set', `data.dimension=${d}`, ...sets];
      const one = await generate([...args, '--seed', '1'], join(dir, 'a.npy'));
      const two = await Promise.all([1, 2].map((s) => generate([...args, '--seed', String(s), '--force'], join(dir, `w${s}.npy`))));
      const wall = Math.max(...two.map((r) => r.seconds));
      const row = {
        embedder, d, points,
        oneWorker: { pointsPerSecond: points / one.seconds, seconds: one.seconds, peakRssMiB: one.peakRssMiB },
        twoWorkers: { pointsPerSecond: (2 * points) / wall, seconds: wall, peakRssMiB: Math.max(...two.map((r) => r.peakRssMiB)) },
      };
      rows.push(row);
      process.stderr.write(`${embedder} d=${d}: ${(row.oneWorker.pointsPerSecond / 1e6).toFixed(2)} M points/s (1 worker, ${one.peakRssMiB.toFixed(0)} MiB), ${(row.twoWorkers.pointsPerSecond / 1e6).toFixed(2)} M points/s (2 workers)\n`);
      for (const f of readdirSync(dir)) rmSync(join(dir, f)); // up to 2 x 2.6 GB per row at d = 128
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeResult('generate', { machine: machine(), quick, rows });

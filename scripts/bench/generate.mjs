// `npm run bench -- generate [--quick] [--format npy|arrow|parquet] [--points N] [--dims 16,128]
// [--embedders naive,branching]`: points per second of `percolab generate` (points, labels and record
// written to disk) with peak RSS. One worker is one generate process; two workers are two processes on
// different seeds at once (the aggregate rate). Writes bench/results/generate.json (generate-FORMAT.json
// for other formats).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, writeResult } from './lib/common.mjs';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, format: { type: 'string', default: 'npy' }, points: { type: 'string' }, dims: { type: 'string', default: '16,128' }, embedders: { type: 'string', default: 'naive,branching' } } });
const { quick, format } = values;
if (!['npy', 'arrow', 'parquet'].includes(format)) throw new Error(`--format ${format}: expected npy, arrow or parquet`);
const points = Number(values.points ?? (quick ? 200_000 : 5_000_000));
const dims = values.dims.split(',').map(Number);
const allEmbedders = {
  naive: [],
  branching: ['--set', 'data.embedder=branching', '--set', 'data.branches=100', '--set', `data.branchSize=${Math.ceil(points / 100)}`],
};
const embedders = Object.fromEntries(values.embedders.split(',').map((e) => [e, allEmbedders[e]]));

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
  for (const d of dims) {
    for (const [embedder, sets] of Object.entries(embedders)) {
      const args = ['--set', `data.dimension=${d}`, ...sets];
      const one = await generate([...args, '--seed', '1'], join(dir, `a.${format}`));
      const two = await Promise.all([1, 2].map((s) => generate([...args, '--seed', String(s), '--force'], join(dir, `w${s}.${format}`))));
      const wall = Math.max(...two.map((r) => r.seconds));
      const row = {
        embedder, d, points, format,
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
writeResult(format === 'npy' ? 'generate' : `generate-${format}`, { machine: machine(), quick, rows });

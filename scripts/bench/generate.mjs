// `npm run bench -- generate [--quick] [--format npy|arrow|parquet] [--points N] [--dims 16,128]
// [--embedders naive,branching] [--threads 1,2] [--brill DIR] [--brill-points N[,N2,...]] [--no-brill] [--baseline CLI] [--dir DIR] [--out NAME]
// [--memory-points N[,N2,...]]`: points per second of
// `percolab generate` (points, labels and record written to disk) at each thread count, with peak RSS,
// beside the same bytes written with no computing (the disk's own speed here) and Brill's generator.
// Writes bench/results/generate.json (generate-FORMAT.json for other formats; --out NAME: NAME.json). --baseline runs another
// build's CLI (e.g. ../main/dist/node/cli.js) on the same job, taking turns with ours at the last thread count (as many
// runs, each with its peak RSS and the runtime's), and checks its files equal.
// --memory-points: the peak RSS of one more run at each of those sizes (the last thread count), to show how
// memory grows with the points (`peakRssBySize`).
//
// Brill's figure: his `percolation_dataset.py` (aribrill/percolation-synthetic-data at commit
// BRILL_COMMIT, checked by its SHA-256) run on one cluster of --brill-points points in the same d by
// scripts/python/bench_brill.py, construct_embed plus saving X and y as .npy. Several sizes (e.g.
// 100000,1000000) also record his rate and peak memory at each (`brillBySize`, with our ratio to each):
// his memory grows about 3.2 GiB per 10^6 points, so 10^7 points, our run's size, do not fit this
// machine (5 x 10^6 take 15.3 GiB). `brill` and `ratioToBrill` are those of the largest size run, the
// nearest to ours (his rate falls with size up to 3 x 10^6, then levels off: docs/generation.md). It is looked for in --brill,
// else $PERCOLAB_BRILL_DIR, else ~/.cache/percolab/percolation-synthetic-data; to put it there:
//   git clone https://github.com/aribrill/percolation-synthetic-data ~/.cache/percolab/percolation-synthetic-data
//   git -C ~/.cache/percolab/percolation-synthetic-data checkout 3dd47a808f02d161a34615570814f107ab1c1627
// Without it the bench states the figure recorded in the previous result file, marked "recorded".
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, median, writeResult } from './lib/common.mjs';

const BRILL_COMMIT = '3dd47a808f02d161a34615570814f107ab1c1627';
const BRILL_SHA256 = 'a9e2edc7f6b14d371d65a5b6ce4c4d5b20b8fffd56bb0adfc4a0926e44d3900a';
/**
 * The unit of `aboveRuntimeInChunks`: 65 536 rows with their labels, the chunk `percolab generate` wrote
 * when issue 17 set its memory bound. Since then it writes chunks of 32 768 rows
 * (ts/cli/commands/generate.ts), two taking turns: 65 536 rows in all; `aboveRuntimeMiB` states it in bytes.
 */
const CHUNK_ROWS = 65536;

/**
 * SHA-256 of a file's data: for `.npy`, what follows the header (whose padding changed: builds before
 * 2026-11-28 evening wrote 128 bytes of header, later ones 4096).
 */
function dataDigest(file, format) {
  const bytes = readFileSync(file);
  const start = format === 'npy' ? 10 + bytes.readUInt16LE(8) : 0;
  return createHash('sha256').update(bytes.subarray(start)).digest('hex');
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    format: { type: 'string', default: 'npy' },
    points: { type: 'string' },
    dims: { type: 'string', default: '16' },
    embedders: { type: 'string', default: 'naive' },
    threads: { type: 'string', default: '1,2' },
    brill: { type: 'string' },
    'brill-points': { type: 'string' },
    'no-brill': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    reps: { type: 'string' },
    dir: { type: 'string' },
    out: { type: 'string' },
    'memory-points': { type: 'string' },
  },
});
const { quick, format } = values;
if (!['npy', 'arrow', 'parquet'].includes(format)) throw new Error(`--format ${format}: expected npy, arrow or parquet`);
const points = Number(values.points ?? (quick ? 200_000 : 10_000_000));
const brillSizes = (values['brill-points'] ?? (quick ? '5000' : '100000')).split(',').map(Number);
const dims = values.dims.split(',').map(Number);
/** Runs per thread count; the fastest is reported (the others are noise from the machine, not the code). */
const reps = Number(values.reps ?? (quick ? 1 : 3));
if (!Number.isInteger(reps) || reps < 1) {
  process.stderr.write(`bench generate: --reps takes a positive whole number, got ${values.reps}\n`);
  process.exit(2);
}
const threadCounts = values.threads.split(',').map(Number);
const memorySizes = values['memory-points'] ? values['memory-points'].split(',').map(Number) : [];
const allEmbedders = {
  naive: [],
  branching: ['--set', 'data.embedder=branching', '--set', 'data.branches=100', '--set', `data.branchSize=${Math.ceil(points / 100)}`],
};
const embedders = Object.fromEntries(values.embedders.split(',').map((e) => [e, allEmbedders[e]]));
const resultName = values.out ?? (format === 'npy' ? 'generate' : `generate-${format}`);

/** Runs a command under /usr/bin/time; resolves with its stdout, seconds and peak RSS (MiB). */
function timed(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} failed: ${err.trim()}`));
      const [seconds, kb] = err.trim().split('\n').pop().split(' ').map(Number);
      resolve({ out, seconds, peakRssMiB: kb / 1024 });
    });
  });
}

const generate = (args, n, out, cli = 'dist/node/cli.js') => timed(process.execPath, [cli, 'generate', ...args, '--points', String(n), '--out', out, '--no-progress', '--force']);

/** Seconds to write `bytes` to a new file in `dir` in 4 MiB writes, nothing computed: the disk's speed. */
function writeOnly(dir, bytes) {
  const buffer = new Uint8Array(4 << 20).fill(1);
  const file = join(dir, 'write-only.bin');
  const start = performance.now();
  const fd = openSync(file, 'w');
  for (let done = 0; done < bytes; ) done += writeSync(fd, buffer, 0, Math.min(buffer.length, bytes - done));
  closeSync(fd);
  const seconds = (performance.now() - start) / 1000;
  rmSync(file);
  return seconds;
}

function brillDir() {
  const dir = values.brill ?? process.env.PERCOLAB_BRILL_DIR ?? join(homedir(), '.cache/percolab/percolation-synthetic-data');
  const file = join(dir, 'percolation_dataset.py');
  if (!existsSync(file)) return { missing: `no ${file}` };
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  if (sha !== BRILL_SHA256) return { missing: `${file} is not the pinned commit's (SHA-256 ${sha})` };
  return { dir };
}

/** Brill's generator at each of `brillSizes` (the largest is the row's `brill`). */
async function brill(d) {
  const found = brillDir();
  if (found.missing) {
    const previous = existsSync(`bench/results/${resultName}.json`) ? JSON.parse(readFileSync(`bench/results/${resultName}.json`, 'utf8')) : undefined;
    const recorded = previous?.rows?.find((r) => r.d === d)?.brill;
    process.stderr.write(`Brill's generator not run (${found.missing}); ${recorded ? 'using the recorded figure' : 'no recorded figure'}\n`);
    return recorded ? { ...recorded, source: 'recorded', recordedOn: recorded.recordedOn ?? previous.date } : undefined;
  }
  const python = execFileSync('bash', ['scripts/python/env.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const bySize = [];
  for (const size of [...brillSizes].sort((a, b) => a - b)) {
    const run = await timed(python, ['scripts/python/bench_brill.py', '--dir', found.dir, '--points', String(size), '--dim', String(d)]);
    bySize.push({ ...JSON.parse(run.out.trim().split('\n').pop()), commit: BRILL_COMMIT, source: 'run' });
    process.stderr.write(`  Brill, ${size} points: ${bySize.at(-1).pointsPerSecond.toFixed(0)} points/s, peak ${bySize.at(-1).peakRssMiB.toFixed(0)} MiB\n`);
  }
  return { ...bySize.at(-1), ...(bySize.length > 1 ? { bySize } : {}) };
}

const loadAtStart = (await import('node:os')).loadavg();
const rows = [];
// Where the files go (--dir: another disk, or a tmpfs such as /dev/shm to time the computing alone).
const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'percolab-bench-gen-'));
/** Removes the files of one run (named `PREFIX...`) from `dir`. */
const removeFiles = (prefix) => readdirSync(dir).filter((f) => f.startsWith(prefix)).forEach((f) => rmSync(join(dir, f)));
const filesystem = execFileSync('df', ['--output=fstype', dir], { encoding: 'utf8' }).trim().split('\n').pop();
try {
  for (const d of dims) {
    for (const [embedder, sets] of Object.entries(embedders)) {
      const args = ['--set', `data.dimension=${d}`, ...sets, '--seed', '1'];
      const chunkMiB = (CHUNK_ROWS * (d + 1) * 4) / 2 ** 20;
      const byThreads = {};
      // --baseline: the other build takes turns with ours at the last thread count, run for run.
      const baselineRuns = [];
      let baselineRuntime;
      for (const threads of threadCounts) {
        const turns = values.baseline && threads === threadCounts.at(-1);
        // The runtime: node, the wasm instance(s) and their threads, and a chunk of 1000 rows.
        const runtime = await generate([...args, '--threads', String(threads)], 1000, join(dir, `r.${format}`));
        let run;
        const all = [];
        const rss = [];
        for (let r = 0; r < reps; r++) {
          removeFiles(`t${threads}.`);
          // The previous run's 0.7 GB flushed first, so that no run waits on another's writeback.
          execFileSync('sync');
          const one = await generate([...args, '--threads', String(threads)], points, join(dir, `t${threads}.${format}`));
          all.push(one.seconds);
          rss.push(one.peakRssMiB);
          if (!run || one.seconds < run.seconds) run = one;
          if (turns) {
            removeFiles('baseline.');
            execFileSync('sync');
            // Its own thread default (it may predate --threads).
            baselineRuns.push(await generate(args, points, join(dir, `baseline.${format}`), values.baseline));
          }
        }
        if (turns) baselineRuntime = await generate(args, 1000, join(dir, `rb.${format}`), values.baseline);
        byThreads[threads] = {
          pointsPerSecond: points / run.seconds,
          seconds: run.seconds,
          secondsEachRun: all,
          medianSeconds: median(all),
          peakRssMiB: run.peakRssMiB,
          aboveRuntimeMiBEachRun: rss.map((r) => r - runtime.peakRssMiB),
          runtimePeakRssMiB: runtime.peakRssMiB,
          aboveRuntimeMiB: run.peakRssMiB - runtime.peakRssMiB,
          aboveRuntimeInChunks: (run.peakRssMiB - runtime.peakRssMiB) / chunkMiB,
        };
        process.stderr.write(`${embedder} d=${d}, ${threads} thread(s): ${(points / run.seconds / 1e6).toFixed(2)} M points/s, peak ${run.peakRssMiB.toFixed(0)} MiB\n`);
      }
      const peakRssBySize = [];
      const lastThreads = threadCounts.at(-1);
      for (const size of memorySizes) {
        const run = await generate([...args, '--threads', String(lastThreads)], size, join(dir, `m.${format}`));
        removeFiles('m.');
        const aboveRuntimeInChunks = (run.peakRssMiB - byThreads[lastThreads].runtimePeakRssMiB) / chunkMiB;
        peakRssBySize.push({ points: size, threads: lastThreads, seconds: run.seconds, peakRssMiB: run.peakRssMiB, aboveRuntimeMiB: run.peakRssMiB - byThreads[lastThreads].runtimePeakRssMiB, aboveRuntimeInChunks });
        process.stderr.write(`  ${size} points: peak ${run.peakRssMiB.toFixed(0)} MiB (${aboveRuntimeInChunks.toFixed(1)} chunks above the runtime)\n`);
      }
      let baseline;
      if (values.baseline) {
        const run = baselineRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
        const digest = dataDigest(join(dir, `baseline.${format}`), format);
        baseline = {
          cli: values.baseline,
          threads: `its default (one per core: ${availableParallelism()})`,
          pointsPerSecond: points / run.seconds,
          seconds: run.seconds,
          secondsEachRun: baselineRuns.map((r) => r.seconds),
          peakRssMiB: run.peakRssMiB,
          runtimePeakRssMiB: baselineRuntime.peakRssMiB,
          aboveRuntimeMiBEachRun: baselineRuns.map((r) => r.peakRssMiB - baselineRuntime.peakRssMiB),
          medianSeconds: median(baselineRuns.map((r) => r.seconds)),
          digest,
        };
        process.stderr.write(`  baseline ${values.baseline}, taking turns: best ${(points / run.seconds / 1e6).toFixed(2)} M points/s, runs ${baseline.secondsEachRun.join(', ')} s\n`);
      }
      const files = readdirSync(dir).filter((f) => f.startsWith(`t${threadCounts[0]}.`));
      const bytes = files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
      const digests = threadCounts.map((t) => dataDigest(join(dir, `t${t}.${format}`), format));
      for (const f of readdirSync(dir)) rmSync(join(dir, f)); // 0.7 GB per file at 1e7 points, d = 16
      const diskSeconds = writeOnly(dir, bytes);
      const anchor = embedder === 'naive' && !values['no-brill'] ? await brill(d) : undefined;
      const best = Math.max(...Object.values(byThreads).map((r) => r.pointsPerSecond));
      const row = {
        embedder, d, points, format,
        chunkMiB,
        threads: byThreads,
        ...(peakRssBySize.length ? { peakRssBySize } : {}),
        sameFileForEveryThreadCount: digests.every((x) => x === digests[0]),
        ...(baseline ? { baseline: { ...baseline, sameFile: baseline.digest === digests[0] } } : {}),
        writeOnly: { bytes, seconds: diskSeconds, pointsPerSecond: points / diskSeconds },
        ...(anchor ? { brill: { ...anchor, bySize: undefined }, ratioToBrill: best / anchor.pointsPerSecond } : {}),
        ...(anchor?.bySize && anchor.source === 'run' ? { brillBySize: anchor.bySize.map((b) => ({ points: b.points, pointsPerSecond: b.pointsPerSecond, peakRssMiB: b.peakRssMiB, seconds: b.seconds, ratio: best / b.pointsPerSecond })) } : {}),
      };
      rows.push(row);
      process.stderr.write(`  same bytes written alone: ${(points / diskSeconds / 1e6).toFixed(2)} M points/s${anchor ? `; Brill ${anchor.pointsPerSecond.toFixed(0)} points/s (${anchor.source}), ratio ${row.ratioToBrill.toFixed(0)}x` : ''}\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const loadAverage = (await import('node:os')).loadavg();
const note = loadAverage[0] > 1.5 || loadAtStart[0] > 1.5 ? 'Run on a machine shared with other jobs (see loadAverage): absolute rates are noisy; the ratios within one run are the figures to quote.' : undefined;
writeResult(resultName, { machine: machine(), loadAtStart, loadAverage, ...(note ? { note } : {}), output: { dir: values.dir ?? tmpdir(), filesystem }, quick, reps, rows });

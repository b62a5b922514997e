// `percolab sweep`: a grid of experiments, each an ordinary run cached under the hash of its resolved
// config (an interrupted sweep resumes), and one combined report of exponent against parameter.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parseConfigObject } from '../../config/load.js';
import type { RunResults } from '../../results.js';
import { runExperiment, seedsOf } from '../../experiment/run.js';
import { checkWritable, writeFilesAtomically, writeRunFolder } from '../../io/atomic.js';
import { createNodePool, defaultWorkers } from '../../pool/node.js';
import { renderReport } from '../../report/index.js';
import { meanScore, renderSweepReport, type SweepRow } from '../../sweep/report.js';
import { describeCell, parseSweep } from '../../sweep/sweep.js';
import { version } from '../../version.js';
import { announceDevice, positiveInt, readInput } from '../options.js';

interface Options {
  out: string;
  workers?: number;
  force: boolean;
}

async function sweep(file: string, options: Options) {
  const readBase = (path: string) => {
    const full = resolve(dirname(file), path);
    return parseConfigObject(readInput(full, 'base config').toString('utf8'), full);
  };
  const { sweep: spec, cells } = parseSweep(readInput(file, 'sweep file').toString('utf8'), file, readBase);
  const paths = Object.keys(spec.grid);
  // The folder is reused on purpose (cached cells); only the combined files are replaced.
  for (const name of ['report.html', 'sweep.json']) checkWritable(join(options.out, name), 'output file', true);
  if (options.force) rmSync(join(options.out, 'cells'), { recursive: true, force: true });
  const pool = createNodePool(options.workers ?? defaultWorkers());
  const rows: SweepRow[] = [];
  let announced = false;
  try {
    for (const [i, cell] of cells.entries()) {
      const folder = join(options.out, 'cells', cell.hash);
      const label = `cell ${i + 1}/${cells.length} ${describeCell(cell.values)}`;
      let results: RunResults;
      const cached = existsSync(join(folder, 'results.json'));
      if (cached) {
        results = JSON.parse(readFileSync(join(folder, 'results.json'), 'utf8')) as RunResults;
      } else {
        process.stderr.write(`${label}: running ${cell.config.seeds} seeds\n`);
        results = await runExperiment(cell.config, { pool });
        if (!announced) announceDevice(results);
        announced = true;
        const record = { ...cell.config, percolab: { version, seeds: seedsOf(cell.config) } };
        writeRunFolder(
          folder,
          { 'results.json': `${JSON.stringify(results, null, 2)}\n`, 'config.json': `${JSON.stringify(record, null, 2)}\n`, 'report.html': await renderReport(results) },
          false,
        );
      }
      const e = results.fit.exponent;
      process.stderr.write(`${label}: exponent ${e.median.toFixed(3)} (${e.p16.toFixed(3)}-${e.p84.toFixed(3)}), theory ${results.theory.exponent.toFixed(3)}${cached ? ' (cached)' : ''}\n`);
      rows.push({ cell, results, cached });
    }
  } finally {
    await pool.close();
  }
  const title = spec.name ?? `Sweep of ${paths.join(' x ')}`;
  const summary = {
    percolab: version,
    name: title,
    grid: spec.grid,
    cells: rows.map(({ cell, results }) => ({ values: cell.values, hash: cell.hash, exponent: results.fit.exponent, theory: results.theory, nonlinearity: Number.isFinite(meanScore(results)) ? meanScore(results) : null, seconds: results.timing.seconds, folder: `cells/${cell.hash}` })),
  };
  writeFilesAtomically({ [join(options.out, 'sweep.json')]: `${JSON.stringify(summary, null, 2)}\n`, [join(options.out, 'report.html')]: await renderSweepReport(title, rows, paths) }, true);
  process.stdout.write(`report: ${join(options.out, 'report.html')}\n`);
}

export function sweepCommand(): Command {
  return new Command('sweep')
    .description('Run a grid of experiments (a base config and --set-style paths with value lists) and plot each exponent against the swept parameter.')
    .argument('<sweep>', 'sweep file (JSON): { "name"?, "base": {config} or "config.json", "grid": { "data.dimension": [8, 16, 32], ... } }')
    .option('--out <dir>', 'sweep folder: cells/<hash>/ (one run each, reused when rerun), sweep.json, report.html', 'results/sweep')
    .addOption(new Option('--workers <n>', 'worker threads (default: one per core)').argParser(positiveInt('--workers')))
    .option('--force', 'recompute every cell instead of reusing the cached ones', false)
    .addHelpText('after', '\nEvery cell is validated before any work. Cells are stored under a hash of their resolved config, so rerunning an interrupted sweep recomputes only the missing cells.')
    .action(sweep);
}

// `percolab sweep`: a grid of experiments, each an ordinary run cached under the hash of its resolved
// config (an interrupted sweep resumes), and one combined report of exponent against parameter.
import { existsSync, readFileSync } from 'node:fs';
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
import { absoluteDataPath, configFolder, resolveFileConfig } from '../../experiment/file-config.js';
import { version } from '../../version.js';
import { kernelsDigest } from '../../wasm/load-node.js';
import { announceDevice, outputPath, readInput, workerCount } from '../options.js';

interface Options {
  out: string;
  workers?: number;
  force: boolean;
}

/** A cached cell's results, or undefined (with a line on stderr) if its results.json cannot be read. */
function readCached(folder: string, label: string): RunResults | undefined {
  const path = join(folder, 'results.json');
  if (!existsSync(path)) return undefined;
  try {
    const results = JSON.parse(readFileSync(path, 'utf8')) as RunResults;
    if (typeof results?.fit?.exponent?.median !== 'number' || typeof results?.theory?.exponent !== 'number') throw new Error('not a run\'s results');
    return results;
  } catch (error) {
    process.stderr.write(`${label}: cached ${path} is unreadable (${(error as Error).message.split('\n')[0]}); recomputing it\n`);
    return undefined;
  }
}

async function sweep(file: string, options: Options) {
  const readBase = (path: string) => {
    const full = resolve(dirname(file), path);
    // File data: a data.path in a base config file is relative to that file's folder.
    return absoluteDataPath(parseConfigObject(readInput(full, 'base config').toString('utf8'), full), dirname(full));
  };
  // File data in an inline base or the grid: relative to the sweep file's folder; dimension and labels from the file.
  const resolveCell = (input: Record<string, unknown>) => resolveFileConfig(absoluteDataPath(input, configFolder(file)));
  // What computed a cell is part of its name: results from other kernels are never reused.
  const code = `${version}+${kernelsDigest()}`;
  const { sweep: spec, cells } = parseSweep(readInput(file, 'sweep file').toString('utf8'), file, readBase, code, resolveCell);
  const paths = Object.keys(spec.grid);
  // The folder is reused on purpose (cached cells); only the combined files are replaced.
  for (const name of ['report.html', 'sweep.json']) checkWritable(join(options.out, name), 'output file', true);
  // --workers, else the config's workers (the base's; a grid may not sweep it), else one per core.
  const workers = options.workers ?? cells.find((c) => c.config.workers !== undefined)?.config.workers ?? defaultWorkers();
  const pool = createNodePool(workers);
  const rows: SweepRow[] = [];
  let announced = false;
  try {
    for (const [i, cell] of cells.entries()) {
      const folder = join(options.out, 'cells', cell.hash);
      const label = `cell ${i + 1}/${cells.length} ${describeCell(cell.values)}`;
      // --force recomputes every cell, replacing each folder only when its new results are complete:
      // an interrupted forced sweep keeps every cell it has not reached yet.
      let results = options.force ? undefined : readCached(folder, label);
      const cached = results !== undefined;
      if (results === undefined) {
        process.stderr.write(`${label}: running ${cell.config.seeds} seeds on ${workers} worker${workers === 1 ? '' : 's'}\n`);
        results = await runExperiment(cell.config, { pool });
        if (!announced) announceDevice(results);
        announced = true;
        const record = { ...cell.config, percolab: { version, seeds: seedsOf(cell.config) } };
        writeRunFolder(
          folder,
          { 'results.json': `${JSON.stringify(results, null, 2)}\n`, 'config.json': `${JSON.stringify(record, null, 2)}\n`, 'report.html': await renderReport(results) },
          true,
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
    code,
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
    .addOption(new Option('--out <dir>', 'sweep folder: cells/<hash>/ (one run each, reused when rerun), sweep.json, report.html').argParser(outputPath('folder')).default('results/sweep'))
    .addOption(new Option('--workers <n>', 'worker threads (default: the config\'s workers, else one per core)').argParser(workerCount()))
    .option('--force', 'recompute every cell instead of reusing the cached ones', false)
    .addHelpText('after', '\nEvery cell is validated before any work. Cells are stored under a hash of what their config sets apart from the defaults and of the code (version and kernels), so rerunning an interrupted sweep recomputes only the missing cells, and cells computed by other kernels are never reused. --force recomputes each cell, replacing its folder only once the new results are complete.')
    .action(sweep);
}

// `percolab sweep`: a grid of experiments, each an ordinary run cached under the hash of its resolved
// config (an interrupted sweep resumes), and one combined report of exponent against parameter. The
// pending cells run here, on Slurm or on an HTTP endpoint (`--executor`); the cells' folders and the
// combined report are the same whichever ran them.
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { checkWritable, writeFilesAtomically } from '../../io/atomic.js';
import { defaultWorkers } from '../../pool/node.js';
import type { RunResults } from '../../results.js';
import { meanScore, renderSweepReport, type SweepRow } from '../../sweep/report.js';
import { describeCell } from '../../sweep/sweep.js';
import { cellFolder, readCachedResults } from '../../sweep/files.js';
import { loadSweepFile } from '../sweep-file.js';
import type { Executor, PendingCell } from '../../sweep/executors/executor.js';
import { localExecutor } from '../../sweep/executors/local.js';
import { checkSlurmOptions, sbatchScript, slurmExecutor } from '../../sweep/executors/slurm.js';
import { httpExecutor, parseEndpoint, parseHeader } from '../../sweep/executors/http.js';
import { version } from '../../version.js';
import { announceDevice, collect, intAtLeast, outputPath, positiveInt, refuse, workerCount } from '../options.js';

interface Options {
  out: string;
  workers?: number;
  force: boolean;
  executor: 'local' | 'slurm' | 'http';
  partition?: string;
  maxParallel?: number;
  sbatchArg: string[];
  dryRun: boolean;
  endpoint?: string;
  concurrency?: number;
  header: string[];
}

const SLURM_FLAGS = ['--partition', '--max-parallel', '--sbatch-arg', '--dry-run'];
const HTTP_FLAGS = ['--endpoint', '--concurrency', '--header'];

const exponentLine = (label: string, results: RunResults, cached: boolean) => {
  const e = results.fit.exponent;
  return `${label}: exponent ${e.median.toFixed(3)} (${e.p16.toFixed(3)}-${e.p84.toFixed(3)}), theory ${results.theory.exponent.toFixed(3)}${cached ? ' (cached)' : ''}\n`;
};

async function sweep(file: string, options: Options, command: Command) {
  if (options.executor !== 'slurm') refuse(command, SLURM_FLAGS, 'without --executor slurm');
  if (options.executor !== 'http') refuse(command, HTTP_FLAGS, 'without --executor http');
  if (options.executor === 'http') {
    refuse(command, ['--workers'], 'to --executor http (the endpoint runs one thread per cell)');
    if (options.endpoint === undefined) throw new UsageError('--executor http needs --endpoint URL (a deployed dist/edge/worker.js)');
  }
  const headers = Object.fromEntries(options.header.map(parseHeader));
  const { sweep: spec, cells, code } = loadSweepFile(file);
  const paths = Object.keys(spec.grid);
  // The folder is reused on purpose (cached cells); only the combined files are replaced.
  for (const name of ['report.html', 'sweep.json']) checkWritable(join(options.out, name), 'output file', true);
  // --workers, else the config's workers (the base's; a grid may not sweep it), else one per core here
  // and one per Slurm task.
  const configWorkers = cells.find((c) => c.config.workers !== undefined)?.config.workers;
  const out = resolve(options.out);
  const pending: PendingCell[] = [];
  const cached = new Map<string, RunResults>();
  cells.forEach((cell, i) => {
    const label = `cell ${i + 1}/${cells.length} ${describeCell(cell.values)}`;
    const folder = cellFolder(out, cell);
    // --force recomputes every cell, replacing each folder only when its new results are complete:
    // an interrupted forced sweep keeps every cell it has not reached yet.
    const results = options.force ? undefined : readCachedResults(folder, (path, why) => process.stderr.write(`${label}: cached ${path} is unreadable (${why}); recomputing it\n`));
    if (results === undefined) pending.push({ cell, label, folder });
    else cached.set(cell.hash, results);
  });
  let announced = false;
  const job = {
    file: resolve(file),
    out,
    force: options.force,
    finished: (p: PendingCell, results: RunResults) => {
      // Where this machine's workers evaluated the teacher (other executors' devices are theirs to say).
      if (options.executor === 'local' && !announced) announceDevice(results);
      announced = true;
      process.stderr.write(exponentLine(p.label, results, false));
    },
  };
  let executor: Executor;
  if (options.executor === 'slurm') {
    const slurm = { partition: options.partition, maxParallel: options.maxParallel, sbatchArgs: options.sbatchArg, workers: options.workers ?? configWorkers ?? 1 };
    checkSlurmOptions(slurm);
    if (options.dryRun) {
      process.stdout.write(pending.length === 0 ? 'every cell has results: nothing to submit\n' : sbatchScript(pending.slice(0, 1000), job, slurm));
      return;
    }
    executor = slurmExecutor(slurm);
  } else if (options.executor === 'http') {
    executor = httpExecutor({ endpoint: options.endpoint!, concurrency: options.concurrency ?? 4, headers, code });
  } else {
    executor = localExecutor(options.workers ?? configWorkers ?? defaultWorkers());
  }
  await executor.run(pending, job);
  const rows: SweepRow[] = cells.map((cell, i) => {
    const results = cached.get(cell.hash) ?? readCachedResults(cellFolder(out, cell));
    if (results === undefined) throw new UsageError(`cell ${i + 1}/${cells.length} ${describeCell(cell.values)} has no results after the run`);
    if (cached.has(cell.hash)) process.stderr.write(exponentLine(`cell ${i + 1}/${cells.length} ${describeCell(cell.values)}`, results, true));
    return { cell, results, cached: cached.has(cell.hash) };
  });
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
    .addOption(new Option('--workers <n>', 'worker threads (default: the config\'s workers, else one per core; with slurm, per task, default 1)').argParser(workerCount()))
    .option('--force', 'recompute every cell instead of reusing the cached ones', false)
    .addOption(new Option('--executor <engine>', 'where the pending cells run: here, as a Slurm job array, or on an HTTP endpoint (the edge worker)').choices(['local', 'slurm', 'http']).default('local'))
    .option('--partition <name>', 'slurm: the partition to submit to')
    .addOption(new Option('--max-parallel <k>', 'slurm: at most k tasks at once').argParser(positiveInt('--max-parallel')))
    .option('--sbatch-arg <arg>', 'slurm: an extra #SBATCH option, e.g. --sbatch-arg=--time=01:00:00 (repeatable)', collect, [])
    .option('--dry-run', 'slurm: print the sbatch script for the pending cells; submit nothing', false)
    .addOption(new Option('--endpoint <url>', 'http: the edge worker\'s URL (POST /run per cell)').argParser(parseEndpoint))
    .addOption(new Option('--concurrency <n>', 'http: requests at once (default 4)').argParser(intAtLeast('--concurrency', 1, 256)))
    .option('--header <line>', 'http: a request header \'Name: value\' (repeatable)', collect, [])
    .addHelpText('after', '\nEvery cell is validated before any work. Cells are stored under a hash of what their config sets apart from the defaults and of the code (version and kernels), so rerunning an interrupted sweep recomputes only the missing cells, and cells computed by other kernels are never reused. --force recomputes each cell, replacing its folder only once the new results are complete.\n\nExecutors: local (default) runs the cells here. slurm writes <out>/slurm/sweep.sbatch, a job array with one task per pending cell (each runs `percolab cell` with this Node and percolab: they, the sweep file and <out> must be on a file system the compute nodes share), submits it, follows squeue and the finished cells, and reports failed tasks with their logs (<out>/slurm/logs/). http sends each pending cell to an endpoint running dist/edge/worker.js and writes the results here; failed requests are retried twice.')
    .action(sweep);
}

// `percolab cell` (hidden): one cell of a sweep, by hash, into its folder, exactly as `percolab sweep`
// would. Slurm tasks call it; the hash is checked against this percolab's own expansion of the sweep.
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { createNodePool } from '../../pool/node.js';
import { cellFolder, readCachedResults } from '../../sweep/files.js';
import { loadSweepFile } from '../sweep-file.js';
import { computeCell } from '../../sweep/executors/local.js';
import { describeCell } from '../../sweep/sweep.js';
import { outputPath, workerCount } from '../options.js';

async function cell(file: string, options: { hash: string; out: string; workers: number; force: boolean }) {
  const { cells, code } = loadSweepFile(file);
  const index = cells.findIndex((c) => c.hash === options.hash);
  if (index < 0) throw new UsageError(`${file} has no cell ${options.hash} for this percolab (${code}): the sweep file or percolab changed since the cell was listed; rerun the sweep`);
  const target = cells[index]!;
  const folder = cellFolder(resolve(options.out), target);
  const label = `cell ${index + 1}/${cells.length} ${describeCell(target.values)}`;
  if (!options.force && readCachedResults(folder) !== undefined) {
    process.stderr.write(`${label}: already has results\n`);
    return;
  }
  process.stderr.write(`${label}: running ${target.config.seeds} seeds on ${options.workers} worker${options.workers === 1 ? '' : 's'}\n`);
  const pool = createNodePool(options.workers);
  try {
    const results = await computeCell(target, folder, pool);
    process.stderr.write(`${label}: exponent ${results.fit.exponent.median.toFixed(3)}, ${results.timing.seconds.toFixed(1)} s\n`);
  } finally {
    await pool.close();
  }
}

export function cellCommand(): Command {
  return new Command('cell')
    .description('Run one cell of a sweep into <out>/cells/<hash>/ (what Slurm tasks of `percolab sweep --executor slurm` run).')
    .argument('<sweep>', 'sweep file (JSON)')
    .requiredOption('--hash <hash>', 'the cell\'s hash, as listed in the sweep\'s sbatch script')
    .addOption(new Option('--out <dir>', 'sweep folder').argParser(outputPath('folder')).makeOptionMandatory())
    .addOption(new Option('--workers <n>', 'worker threads').argParser(workerCount()).default(1))
    .option('--force', 'recompute the cell even if it has results', false)
    .action(cell);
}

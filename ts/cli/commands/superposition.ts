// `percolab superposition`: the Persian-rug toy model of superposition at one (n, m, p): closed form,
// simulated Hadamard model, optimal linear and zero-output baselines, and with --train a trained model.
import { existsSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { checkWritable, writeFilesAtomically } from '../../io/atomic.js';
import { renderSuperpositionReport, superpositionTable } from '../../report/superposition.js';
import { analyseSuperposition, checkShape, superpositionCurves, type SuperpositionResult } from '../../superposition/analysis.js';
import { loadKernels } from '../../wasm/load-node.js';
import { delayedProgress } from '../progress.js';
import { outputPath, positiveInt, refuse } from '../options.js';
import { positiveNumber } from '../../option-parsers.js';
import { superpositionFlags, superpositionJson } from '../../superposition/flags.js';

interface Options {
  n: number;
  m: number;
  p: number;
  seed: number;
  rows?: number;
  train: boolean;
  steps?: number;
  batch?: number;
  learningRate?: number;
  json: boolean;
  report?: string;
  force: boolean;
  progress: boolean;
}

const fmt = (x: number) => (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5) ? x.toExponential(4) : x.toPrecision(5));

/** The human-readable table. */
function table(result: SuperpositionResult): string {
  const rows = superpositionTable(result);
  const width = Math.max(...rows.map((r) => r.model.length));
  const lines = [
    `Persian rug: n = ${result.n}, m = ${result.m} (r = ${result.r}), p = ${result.p}, seed ${result.seed}`,
    `${'model'.padEnd(width)}  ${'loss'.padStart(11)}  ${'loss/(p/3)'.padStart(10)}  details`,
    ...rows.map((r) => `${r.model.padEnd(width)}  ${fmt(r.loss).padStart(11)}  ${(r.loss / result.zero.loss).toFixed(4).padStart(10)}  ${r.detail}`),
  ];
  return `${lines.join('\n')}\n`;
}

async function superposition(options: Options, command: Command) {
  if (!options.train) refuse(command, ['--steps', '--batch', '--learning-rate'], 'without --train');
  if (!options.report) refuse(command, ['--force'], 'without --report');
  checkShape(options.n, options.m, options.p, options.rows);
  if (options.report) {
    if (!options.report.endsWith('.html')) throw new UsageError(`--report ${options.report}: expected an .html file name`);
    if (!options.force && existsSync(options.report) && !statSync(options.report).isDirectory()) throw new UsageError(`report file ${options.report} already exists; choose another --report or pass --force to replace it`);
    checkWritable(options.report, 'report file', options.force);
  }
  const kernels = loadKernels();
  const progress = delayedProgress('training', 1000, options.progress && options.train, 'steps');
  let result: SuperpositionResult;
  try {
    result = await analyseSuperposition(kernels, {
      n: options.n,
      m: options.m,
      p: options.p,
      seed: options.seed,
      rows: options.rows,
      train: options.train && { steps: options.steps, batch: options.batch, learningRate: options.learningRate },
      onProgress: (done, total) => progress.update(done, total),
    });
  } finally {
    progress.stop();
  }
  if (options.report) {
    const curves = superpositionCurves(kernels, { n: options.n, m: options.m, p: options.p, seed: options.seed, rows: options.rows && Math.min(options.rows, 2048) });
    writeFilesAtomically({ [options.report]: await renderSuperpositionReport(result, curves) }, options.force);
  }
  process.stdout.write(options.json ? `${JSON.stringify(superpositionJson(result))}\n` : table(result));
}

export function superpositionCommand(): Command {
  return new Command('superposition')
    .description('The Persian-rug toy model of superposition: closed-form and simulated Hadamard-model losses, the optimal linear baseline, and a trained model.')
    .addOption(new Option('--n <n>', 'features: a power of two, 2 to 65536').argParser(superpositionFlags.n).default(1024))
    .addOption(new Option('--m <m>', 'hidden units: a power of two, at most n').argParser(superpositionFlags.m).default(256))
    .addOption(new Option('--p <p>', 'probability that a feature is on, in (0, 1]').argParser(superpositionFlags.p).default(0.03))
    .addOption(new Option('--seed <s>', 'seed of the Hadamard rows, the data and the trained model').argParser(superpositionFlags.seed).default(0))
    .addOption(new Option('--rows <r>', 'rows in each of the Hadamard simulation\'s two samples (default: 2^23 / n)').argParser(positiveInt('--rows')))
    .option('--train', 'also train the full model ReLU(W_out W_in x + b) by Adam on fresh data (slow for large n * m)', false)
    .addOption(new Option('--steps <k>', 'with --train: most Adam steps (stops earlier when a 250-step window improves by < 0.1%)').argParser(superpositionFlags.steps))
    .addOption(new Option('--batch <b>', 'with --train: rows per step (default 1024)').argParser(positiveInt('--batch')))
    .addOption(new Option('--learning-rate <lr>', 'with --train: Adam learning rate (default 3e-3 / sqrt(n))').argParser(positiveNumber('--learning-rate')))
    .option('--json', 'print the result as one JSON object', false)
    .addOption(new Option('--report <file>', 'also write an HTML report with the plots (loss against r and p, the (r, p) map, W)').argParser(outputPath('file')))
    .option('--force', 'replace an existing report', false)
    .option('--no-progress', 'no progress bar on stderr while training')
    .addHelpText('after', '\nExample: percolab superposition --n 512 --m 128 --p 0.045 --train --json\nCowsik, Dolev & Infanger 2024 (arXiv:2410.12101); formulas in docs/superposition.md.')
    .action(superposition);
}

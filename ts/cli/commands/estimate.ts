// `percolab estimate`: intrinsic dimension of the points in a `.npy` file.
import { Command, Option } from 'commander';
import { asFloat32Matrix, parseNpy } from '../../io/npy.js';
import type { DimensionMethod } from '../../wasm/kernels.js';
import { loadThreadedKernels } from '../../wasm/load-node.js';
import { positiveInt, readInput } from '../options.js';

const all: DimensionMethod[] = ['twonn', 'mle', 'corrint'];

interface Options {
  method: DimensionMethod | 'all';
  json: boolean;
  seed: number;
  replicates: number;
  threads?: number;
}

async function estimate(file: string, options: Options) {
  const points = asFloat32Matrix(parseNpy(readInput(file, 'points file'), file), file);
  const kernels = await loadThreadedKernels(options.threads);
  try {
    const methods = options.method === 'all' ? all : [options.method];
    const estimates = kernels.estimateDimension(points.data, points.cols, methods, options.seed, options.replicates);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(estimates, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${file}: ${points.rows} points in R^${points.cols}\n`);
    for (const e of estimates) {
      const band = e.interval ? `  [${e.interval[0].toFixed(3)}, ${e.interval[1].toFixed(3)}]` : '';
      process.stdout.write(`  ${e.method.padEnd(8)} ${e.dimension === null ? 'undefined' : e.dimension.toFixed(3)}${band}\n`);
    }
  } finally {
    kernels.close();
  }
}

export function estimateCommand(): Command {
  return new Command('estimate')
    .description('Intrinsic dimension of a point set: TwoNN, MLE (Levina-Bickel, k = 20) and CorrInt, with bootstrap intervals.')
    .argument('<points>', 'float32 .npy of shape [N, d]')
    .addOption(new Option('--method <name>', 'estimator').choices([...all, 'all']).default('all'))
    .option('--json', 'print [{ "method", "dimension", "interval": [lo, hi], ... }] as JSON', false)
    .addOption(new Option('--seed <n>', 'bootstrap seed').argParser((v) => positiveInt('--seed')(String(Number(v) + 1)) - 1).default(0))
    .addOption(new Option('--replicates <n>', 'bootstrap replicates (intervals are the 16th-84th percentiles)').argParser(positiveInt('--replicates')).default(200))
    .addOption(new Option('--threads <n>', 'threads (default: one per core)').argParser(positiveInt('--threads')))
    .addHelpText('after', '\nDuplicate points (distance 0 to a neighbour) make TwoNN and MLE infinite: they are reported as an error naming how many points are affected.')
    .action(estimate);
}

// `percolab estimate`: intrinsic and multifractal dimension of the points in a `.npy` file, or of the
// data an experiment config generates.
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { randomRows, seedPoints } from '../../experiment/cell.js';
import { checkWritable, writeFilesAtomically } from '../../io/atomic.js';
import { readFloat32Matrix } from '../../io/npy-file.js';
import { renderDimensionReport } from '../../report/dimension.js';
import { dimensionMethods, type DimensionMethod, type DuplicatePolicy, type Kernels } from '../../wasm/kernels.js';
import { loadThreadedKernels } from '../../wasm/load-node.js';
import { THREADED_COMMANDS } from '../threads.js';
import { collect, intAtLeast, nonNegativeInt, positiveInt, refuse, threadCount } from '../options.js';
import { readConfig } from '../config-file.js';

interface Options {
  method: DimensionMethod | 'all';
  json: boolean;
  seed: number;
  replicates: number;
  duplicates: DuplicatePolicy;
  centres?: number;
  threads?: number;
  config?: string;
  set: string[];
  points?: number;
  report?: string;
  weights?: string;
  force: boolean;
}

interface PointSet {
  source: string;
  data: Float32Array;
  rows: number;
  cols: number;
}

function fromFile(file: string): PointSet {
  return { source: file, ...readFloat32Matrix(file, 'points file') };
}

/** The first seed's data of an experiment config, optionally a random subset of `points` of them (as the run report's). */
function fromConfig(kernels: Kernels, file: string | undefined, sets: string[], points: number | undefined): PointSet {
  const config = readConfig(file, sets);
  const d = config.data.dimension;
  const all = seedPoints(kernels, config, config.seed);
  const data = randomRows(kernels, all, d, points ?? Infinity, config.seed);
  const rows = data.length / d;
  const subset = rows < all.length / d ? `, ${rows} of ${all.length / d} points` : '';
  return { source: `${file ?? 'the default config'} (seed ${config.seed}${subset})`, data, rows, cols: d };
}

/** Weight matrices from `.npy` files, one per layer (`[outputs, inputs]` float32), in order. */
function readLayers(list: string) {
  return list.split(',').map((path) => {
    const { data, rows, cols } = readFloat32Matrix(path, 'weights file');
    return { values: data, outputs: rows, inputs: cols, path };
  });
}

async function estimate(file: string | undefined, options: Options, command: Command) {
  const fromData = options.config !== undefined || options.set.length > 0;
  const sources = [file !== undefined, fromData, options.weights !== undefined].filter(Boolean).length;
  if (sources > 1) throw new UsageError('give one of: a points file, --config/--set, or --weights');
  if (sources === 0) throw new UsageError('give a points file (.npy), --config/--set to measure generated data, or --weights W1.npy,W2.npy');
  if (options.weights !== undefined) refuse(command, ['--method', '--duplicates', '--centres', '--points'], 'to --weights (the network has one method, sandbox D_q on shortest paths)');
  if (file !== undefined) refuse(command, ['--points'], 'to a points file (it takes a subset of generated data, with --config/--set)');
  if (options.weights !== undefined) return estimateWeights(options.weights, options);
  if (options.report) checkWritable(options.report, 'report file', options.force);
  const kernels = await loadThreadedKernels(options.threads);
  try {
    const points = file !== undefined ? fromFile(file) : fromConfig(kernels, options.config, options.set, options.points);
    // Box counting needs boxes to fill: in more than a few ambient dimensions every point sits alone.
    const methods = options.method === 'all' ? dimensionMethods.filter((m) => m !== 'box') : [options.method];
    const estimates = kernels.estimateDimension(points.data, points.cols, methods, options.seed, options.replicates, {
      duplicates: options.duplicates,
      corrintCentres: options.centres ?? 0,
    });
    if (options.report) writeFilesAtomically({ [options.report]: await renderDimensionReport(points.source, points, estimates) }, options.force);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(estimates, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${points.source}: ${points.rows} points in R^${points.cols}\n`);
    for (const e of estimates) {
      const band = e.interval ? `  [${e.interval[0].toFixed(3)}, ${e.interval[1].toFixed(3)}]` : '';
      const what = { twonn: 'TwoNN', mle: `MLE (k = ${e.method === 'mle' ? e.k : ''})`, corrint: 'CorrInt', dq: 'D_1 (sandbox)', box: 'D_0 (box counting)', weights: 'D_1 (network)' }[e.method];
      const duplicates = e.method === 'twonn' || e.method === 'mle' ? e.duplicatesDropped : undefined;
      const dropped = typeof duplicates === 'number' && duplicates > 0 ? `  (${duplicates} duplicate points left out)` : '';
      process.stdout.write(`  ${what.padEnd(20)} ${e.dimension === null ? 'undefined' : e.dimension.toFixed(3)}${band}${dropped}\n`);
    }
    if (options.report) process.stdout.write(`report: ${options.report}\n`);
  } finally {
    kernels.close();
  }
}

async function estimateWeights(list: string, options: Options) {
  if (options.report) checkWritable(options.report, 'report file', options.force);
  const layers = readLayers(list);
  const kernels = await loadThreadedKernels(options.threads);
  try {
    const estimate = kernels.estimateWeights(layers, options.seed, options.replicates);
    const shape = `${layers.length} layers (${[layers[0]!.inputs, ...layers.map((l) => l.outputs)].join(' -> ')} neurons)`;
    if (options.report) {
      writeFilesAtomically({ [options.report]: await renderDimensionReport(`the network of ${list}`, { rows: estimate.nodes as number, cols: 0 }, [estimate]) }, options.force);
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify([estimate], null, 2)}\n`);
      return;
    }
    const band = estimate.interval ? `  [${estimate.interval[0].toFixed(3)}, ${estimate.interval[1].toFixed(3)}]` : '';
    const alpha0 = (estimate.neuromfa as { alpha0: number }).alpha0;
    process.stdout.write(`${shape}: ${estimate.nodes} nodes, ${estimate.edges} edges of length 1/|w|\n  D_1 (sandbox) ${estimate.dimension === null ? 'undefined' : estimate.dimension.toFixed(3)}${band}  (NeuroMFA alpha_0 = ${alpha0.toFixed(3)})\n`);
  } finally {
    kernels.close();
  }
}

export function estimateCommand(): Command {
  return new Command('estimate')
    .description('Intrinsic and multifractal dimension: TwoNN, MLE (k = 20), CorrInt, sandbox D_q with f(alpha), box counting; bootstrap intervals.')
    .argument('[points]', 'float32 .npy of shape [N, d] (or use --config/--set to measure generated data)')
    .addOption(new Option('--method <name>', 'estimator ("all": every one but box, which only suits low ambient dimensions)').choices([...dimensionMethods, 'all']).default('all'))
    .option('--json', 'print [{ "method", "dimension", "interval": [lo, hi], ...plot inputs }] as JSON', false)
    .option('--weights <files>', 'weights mode (NeuroMFA network): comma-separated .npy weight matrices [outputs, inputs], first layer first')
    .option('--config <file>', 'measure the data this experiment config generates (its first seed)')
    .option('--set <path=value>', 'override a config key (repeatable); implies the default config if no --config', collect, [])
    .addOption(new Option('--points <n>', 'with --config/--set: a random subset of this many points').argParser(positiveInt('--points')))
    .addOption(new Option('--duplicates <policy>', 'points with another point at distance 0: fail naming how many, or leave them out of TwoNN and MLE').choices(['error', 'drop']).default('error'))
    .addOption(new Option('--centres <n>', 'CorrInt counts pairs from this many random centres (default: all n^2 pairs, exactly scikit-dimension; O(n^2))').argParser(positiveInt('--centres')))
    .option('--report <file.html>', 'also write an HTML report: the correlation integral with its local slopes, f(alpha) and D_q')
    .option('--force', 'replace the report if it exists', false)
    .addOption(new Option('--seed <n>', 'bootstrap seed').argParser(nonNegativeInt('--seed')).default(0))
    .addOption(new Option('--replicates <n>', 'bootstrap replicates, 1 to 100000 (intervals are the 16th-84th percentiles)').argParser(intAtLeast('--replicates', 1, 100_000)).default(200))
    .addOption(new Option('--threads <n>', 'threads').argParser(threadCount()).default(THREADED_COMMANDS.estimate(), 'one per core'))
    .addHelpText(
      'after',
      '\nDuplicate points (distance 0 to a neighbour) make TwoNN and MLE infinite: by default that is an error naming how many points are affected; --duplicates drop leaves them out (and reports the count).',
    )
    .action(estimate);
}

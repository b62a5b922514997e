// `percolab capacity`: GLUE manifold capacity of labelled point clouds in `.npy` files.
import { Command, Option } from 'commander';
import { measureCapacity, shuffledIds } from '../../capacity/index.js';
import { readCapacityInputs } from '../capacity-inputs.js';
import { largestClusters } from '../../experiment/cell.js';
import { UsageError } from '../../errors.js';
import { checkWritable, writeFilesAtomically } from '../../io/atomic.js';
import { renderCapacityReport, type CapacityEntry } from '../../report/capacity.js';
import { loadThreadedKernels } from '../../wasm/load-node.js';
import { THREADED_COMMANDS } from '../threads.js';
import { threadCount } from '../options.js';
import { capacityFlags } from '../../capacity/inputs.js';

interface Options {
  ids: string;
  draws: number;
  seed: number;
  dichotomy: 'random' | 'one-versus-rest';
  centre: boolean;
  maxDimension?: number;
  subsample?: number;
  clusters?: number;
  control: boolean;
  json: boolean;
  report?: string;
  force: boolean;
  threads?: number;
}

const line = (label: string, x: number, se: number) => `  ${label.padEnd(24)} ${x.toFixed(4)} ± ${se.toFixed(4)}\n`;

async function capacity(file: string, options: Options) {
  if (options.report) checkWritable(options.report, 'report file', options.force);
  const inputs = readCapacityInputs(file, options.ids);
  if (options.clusters !== undefined) {
    const chosen = largestClusters(inputs.points, inputs.ids, inputs.cols, options.clusters);
    if (chosen.clusterIds.length < 2) throw new UsageError(`--clusters ${options.clusters}: ${options.ids} has ${chosen.clusterIds.length} cluster(s) of 2 or more points; capacity needs at least 2`);
    Object.assign(inputs, { points: chosen.points, ids: chosen.ids, rows: chosen.ids.length });
  }
  const kernels = await loadThreadedKernels(options.threads);
  try {
    const settings = { draws: options.draws, seed: options.seed, dichotomy: options.dichotomy, centre: options.centre, maxDimension: options.maxDimension, subsample: options.subsample };
    const entries: CapacityEntry[] = [{ label: 'clusters', result: measureCapacity(kernels, inputs.points, inputs.cols, inputs.ids, settings) }];
    if (options.control) entries.push({ label: 'shuffled labels', result: measureCapacity(kernels, inputs.points, inputs.cols, shuffledIds(kernels, inputs.ids, options.seed), settings) });
    if (options.report) writeFilesAtomically({ [options.report]: await renderCapacityReport(file, entries) }, options.force);
    if (options.json) {
      const [main, control] = entries;
      process.stdout.write(`${JSON.stringify(control ? { ...main!.result, control: control.result } : main!.result, null, 2)}\n`);
      return;
    }
    for (const { label, result: r } of entries) {
      process.stdout.write(`${file} (${label}): ${r.manifolds} manifolds, ${r.points.reduce((a, b) => a + b, 0)} points in R^${r.dimensionUsed}, ${r.draws} draws\n`);
      process.stdout.write(line('capacity alpha', r.capacity, r.capacityStandardError));
      process.stdout.write(line('dimension D', r.dimension, r.dimensionStandardError));
      process.stdout.write(line('radius R', r.radius, r.radiusStandardError));
      process.stdout.write(line('utility Psi', r.utility, r.utilityStandardError));
      process.stdout.write(line('centre alignment', r.centreAlignment, r.centreAlignmentStandardError));
      process.stdout.write(line('axes alignment', r.axesAlignment, r.axesAlignmentStandardError));
      process.stdout.write(line('centre-axes alignment', r.centreAxesAlignment, r.centreAxesAlignmentStandardError));
    }
    if (options.report) process.stdout.write(`report: ${options.report}\n`);
  } finally {
    kernels.close();
  }
}

export function capacityCommand(): Command {
  return new Command('capacity')
    .description('GLUE manifold capacity of point clouds (one cluster id per point): capacity, dimension, radius, utility and alignments, each with its standard error over draws.')
    .argument('<points>', 'float32 or float64 .npy of shape [N, d]')
    .requiredOption('--ids <file>', 'integer .npy of shape [N]: the cluster (manifold) of each point, e.g. FILE.ids.npy from percolab generate')
    .addOption(new Option('--draws <n>', 'Gaussian draws, 2 to 1000000').argParser(capacityFlags.draws).default(200))
    .addOption(new Option('--seed <n>', 'seed of the draws, projection, subsamples and control').argParser(capacityFlags.seed).default(0))
    .addOption(new Option('--dichotomy <kind>', 'labels of each draw').choices(['random', 'one-versus-rest']).default('random'))
    .option('--no-centre', 'do not subtract the mean of all points first')
    .addOption(new Option('--max-dimension <m>', 'project onto m random Gaussian directions when d > m').argParser(capacityFlags.maxDimension))
    .addOption(new Option('--subsample <m>', 'at most m random points per cluster').argParser(capacityFlags.subsample))
    .addOption(new Option('--clusters <n>', 'only the n largest clusters (of at least 2 points; ties: lower id)').argParser(capacityFlags.clusters))
    .option('--control', 'also measure with the cluster ids shuffled (same sizes, membership unrelated to the points)', false)
    .option('--json', 'print the result as JSON (capacity, capacityStandardError, dimension, ...)', false)
    .option('--report <file.html>', 'also write an HTML report with a plot of the estimates')
    .option('--force', 'replace the report if it exists', false)
    .addOption(new Option('--threads <n>', 'threads').argParser(threadCount()).default(THREADED_COMMANDS.capacity(), 'one per core'))
    .action(capacity);
}

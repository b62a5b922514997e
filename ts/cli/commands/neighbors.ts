// `percolab neighbors`: exact k nearest neighbours of query points among training points, from and to
// `.npy` files, on the threaded kernels.
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { UsageError } from '../../config/load.js';
import { checkWritable, writeFilesAtomically } from '../../io/atomic.js';
import { asFloat32Matrix, encodeNpy, parseNpy } from '../../io/npy.js';
import { loadThreadedKernels } from '../../wasm/load-node.js';
import { positiveInt, readInput } from '../options.js';

interface Options {
  k: number;
  out: string;
  threads: number;
  force: boolean;
}

async function neighbors(trainPath: string, queryPath: string, options: Options) {
  const train = asFloat32Matrix(parseNpy(readInput(trainPath, 'training file'), trainPath), trainPath);
  const queries = asFloat32Matrix(parseNpy(readInput(queryPath, 'query file'), queryPath), queryPath);
  if (train.cols !== queries.cols) {
    throw new UsageError(`${queryPath} has ${queries.cols} columns but ${trainPath} has ${train.cols}; points must share a dimension`);
  }
  if (options.k > train.rows) throw new UsageError(`--k = ${options.k}: expected at most the number of training points (${train.rows})`);
  const outputs = { indices: `${options.out}.indices.npy`, distances: `${options.out}.distances.npy` };
  for (const path of Object.values(outputs)) checkWritable(path, 'output file', options.force);
  const kernels = await loadThreadedKernels(options.threads);
  try {
    const found = kernels.knnSearch(train.data, train.cols, queries.data, options.k);
    const shape = [queries.rows, options.k];
    writeFilesAtomically(
      {
        [outputs.indices]: encodeNpy({ dtype: 'int64', shape, data: BigInt64Array.from(found.indices, (i) => BigInt(i)) }),
        [outputs.distances]: encodeNpy({ dtype: 'float32', shape, data: found.distances }),
      },
      options.force,
    );
    process.stdout.write(`${outputs.indices}\n${outputs.distances}\n`);
  } finally {
    kernels.close();
  }
}

export function neighborsCommand(): Command {
  return new Command('neighbors')
    .description('Exact k nearest neighbours (Euclidean) of each query among the training points.')
    .argument('<train>', 'training points: float32 .npy of shape [N, d] (or [N])')
    .argument('<queries>', 'query points: float32 .npy of shape [Q, d] (or [Q])')
    .addOption(new Option('--k <k>', 'neighbours per query').argParser(positiveInt('--k')).default(1))
    .requiredOption('--out <prefix>', 'writes PREFIX.indices.npy (int64 [Q, k]) and PREFIX.distances.npy (float32 [Q, k]), nearest first')
    .addOption(new Option('--threads <n>', 'threads (default: one per core)').argParser(positiveInt('--threads')).default(availableParallelism()))
    .option('--force', 'replace existing output files', false)
    .addHelpText('after', '\nTies are broken by the lower training index; results equal a float64 brute-force reference.')
    .action(neighbors);
}

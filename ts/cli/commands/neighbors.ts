// `percolab neighbors`: exact k nearest neighbours of query points among training points, from and to
// `.npy` files, on the threaded kernels.
import { statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { checkWritable, writeFilesAtomically } from '../../io/atomic.js';
import { asFloat32Matrix, encodeNpy, parseNpy } from '../../io/npy.js';
import { readFloat32MatrixInto } from '../../io/npy-file.js';
import { loadThreadedKernels } from '../../wasm/load-node.js';
import { THREADED_COMMANDS } from '../threads.js';
import { outputPath, positiveInt, readInput, threadCount } from '../options.js';

interface Options {
  k: number;
  out: string;
  threads: number;
  force: boolean;
}

const WARM_FROM_BYTES = 32 * 2 ** 20;

/** The size of a file, or 0 where it cannot be read (reading it then gives the error). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

async function neighbors(trainPath: string, queryPath: string, options: Options) {
  const queries = asFloat32Matrix(parseNpy(readInput(queryPath, 'query file'), queryPath), queryPath);
  const outputs = { indices: `${options.out}.indices.npy`, distances: `${options.out}.distances.npy` };
  for (const path of Object.values(outputs)) checkWritable(path, 'output file', options.force);
  const kernels = await loadThreadedKernels(options.threads);
  try {
    // A helper compiles the index's code (about 0.1 s) while this thread reads a large training file: in
    // less time than that read (about 1 ms per MB), it would still be compiling when the build wants it.
    if (fileBytes(trainPath) >= WARM_FROM_BYTES) kernels.warmKnn(queries.cols, options.k);
    // The training file goes straight into wasm memory, where the index reorders it in place: the
    // largest input is held once.
    const train = readFloat32MatrixInto(trainPath, 'training file', (rows, cols) => kernels.pointBuffer(rows * cols));
    if (train.cols !== queries.cols) {
      train.buffer.free();
      throw new UsageError(`${queryPath} has ${queries.cols} columns but ${trainPath} has ${train.cols}; points must share a dimension`);
    }
    if (options.k > train.rows) {
      train.buffer.free();
      throw new UsageError(`--k = ${options.k}: expected at most the number of training points (${train.rows})`);
    }
    const index = kernels.knnIndex(train.buffer, train.cols);
    let found;
    try {
      found = index.search(queries.data, options.k);
    } finally {
      index.free();
    }
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
    .addOption(new Option('--out <prefix>', 'writes PREFIX.indices.npy (int64 [Q, k]) and PREFIX.distances.npy (float32 [Q, k]), nearest first').argParser(outputPath('prefix')).makeOptionMandatory())
    .addOption(new Option('--threads <n>', 'threads').argParser(threadCount()).default(THREADED_COMMANDS.neighbors(), 'one per core'))
    .option('--force', 'replace existing output files', false)
    .addHelpText('after', '\nTies are broken by the lower training index; results equal a float64 brute-force reference.')
    .action(neighbors);
}

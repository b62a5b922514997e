// `percolab generate`: a config's data set, streamed to `.npy` files for users' own code (PyTorch, JAX):
// points, labels from the config's teacher, and a JSON record of how they were made.
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { checkFreeSpace, checkWritable } from '../../io/atomic.js';
import { AtomicFiles, WriteBehind } from '../../io/npy-file.js';
import { chooseDevice, type GpuProvider, probeNow } from '../../teachers/device.js';
import { nodeGpu } from '../../teachers/gpu-node.js';
import { createTeacher, type Teacher } from '../../teachers/teacher.js';
import { version } from '../../version.js';
import type { DataStream, Kernels, StandardizationRun, ThreadedKernels } from '../../wasm/kernels.js';
import { loadThreadedKernels } from '../../wasm/load-node.js';
import { THREADED_COMMANDS } from '../threads.js';
import { collect, nonNegativeInt, outputPath, positiveInt, threadCount } from '../options.js';
import { readConfig } from '../config-file.js';
import { delayedProgress } from '../progress.js';

/**
 * Labels chunk by chunk with the config's teacher. A Fourier teacher is standardized by all `n` points
 * (`teacher.standardize`: range or sd), computed in wasm by a first pass over the stream (in steps, shown); per-cluster
 * teachers are drawn for each chunk's clusters (a cluster's teacher depends only on the seed and its
 * id), without the score.
 */
async function chunkLabeller(config: ReturnType<typeof readConfig>, kernels: Kernels, seed: number, n: number, gpus: GpuProvider | undefined, show: boolean) {
  const d = config.data.dimension;
  const choice = await chooseDevice(config.teacher.device, gpus, kernels);
  if (config.teacher.device !== 'cpu') process.stderr.write(`percolab: teacher device: ${choice.why}\n`);
  const gpu = choice.gpu;
  const spec = config.teacher;
  const standardization = spec.kind === 'fourier' ? await standardize(kernels.standardizationRun(streamSpec(config, n), seed, n, spec.standardize), n * (spec.standardize === 'sd' ? 2 : 1), show) : undefined;
  // The CPU twin reads a chunk where the stream left it in wasm memory; the GPU teacher gets a copy in an
  // ordinary buffer (its uploads and its check against the twin then read what they always read).
  let owned: Float32Array | undefined;
  const own = (chunk: Float32Array) => {
    if (!gpu) return chunk;
    if (!owned || owned.length < chunk.length) owned = new Float32Array(chunk.length);
    owned.set(chunk);
    return owned.subarray(0, chunk.length);
  };
  if (spec.perCluster) {
    const chunkSpec = { ...spec, repetitions: 0 };
    return async (chunk: Float32Array, ids?: Uint32Array, filled?: DataStream, into?: Float32Array) => {
      const points = own(chunk);
      const teacher = createTeacher(chunkSpec, kernels, d, seed, { ids, gpu, standardization });
      try {
        return await teacher.label(points, ids, filled, into);
      } finally {
        teacher.free();
      }
    };
  }
  const teacher: Teacher = createTeacher(spec, kernels, d, seed, { gpu, standardization });
  return (chunk: Float32Array, _ids?: Uint32Array, filled?: DataStream, into?: Float32Array) => teacher.label(own(chunk), undefined, filled, into);
}

/** The config's data section with a naive cluster of `n` sites (the other kinds are read up to `n` rows). */
const streamSpec = (config: ReturnType<typeof readConfig>, n: number) => ({ ...config.data, clusterSize: n });

interface Options {
  set: string[];
  points: number;
  out: string;
  seed?: number;
  force: boolean;
  progress: boolean;
  threads: number;
}

/**
 * Rows per chunk of the .npy pipeline: two chunks take turns (one computing, one being written), 2^15
 * rows each, 2 MiB at d = 16: 2^16 rows in all. Chunks of 2^16 rows held about twice the memory above the
 * runtime, and were never faster (docs/generation.md, "Threads and the output path").
 */
const CHUNK = 1 << 15;
/** Rows per Arrow record batch (the files' layout; Parquet groups them into row groups of about 64 MiB). */
const BATCH = 1 << 16;

/** Points from which a naive cluster's serial start (about 0.1 s per 10^7 points) goes in steps, shown. */
const PREPARED_IN_STEPS = 50_000_000;
/** Sites per step when this thread makes them: about 50 ms. */
const STEP_SITES = 1 << 22;

/**
 * A naive cluster's first rows wait for a first draw of all its offspring counts, which is serial: for a
 * long one (tens of seconds at 10^9 points) it goes in steps, here or on a helper thread, with a progress
 * bar, and Ctrl-C stops it between two steps.
 */
const prepareInSteps = (stream: DataStream, n: number, show: boolean) =>
  inSteps(() => stream.prepare(STEP_SITES), delayedProgress('percolab generate: offspring counts, first draw', 1000, show, 'sites'), n);

/** A Fourier teacher's standardization by all the points: a first pass over the data (two for sd), shown. */
async function standardize(run: StandardizationRun, rows: number, show: boolean): Promise<Float32Array> {
  try {
    await inSteps(() => run.advance(16), delayedProgress('percolab generate: standardizing the teacher (rows read, every pass)', 1000, show, 'rows'), rows);
  } catch (error) {
    run.free();
    throw error;
  }
  return run.finish();
}

/**
 * Runs `step` (the fraction done after it) until it reaches 1, showing `total` times the fraction; between
 * steps a turn of the event loop (signals, the bar), or a wait when the step only looked at a helper's work.
 */
async function inSteps(step: () => number, progress: ReturnType<typeof delayedProgress>, total: number) {
  try {
    for (;;) {
      const start = performance.now();
      const done = step();
      if (done >= 1) return;
      progress.update(Math.round(done * total), total);
      const made = performance.now() - start > 1;
      await new Promise((resolve) => (made ? setImmediate(resolve) : setTimeout(resolve, 20)));
    }
  } finally {
    progress.stop();
  }
}

/** Points from which a naive cluster's first draw is rehearsed (it takes about 0.1 s per 10^7 points). */
const WARM_FROM_POINTS = 1_000_000;

async function generate(file: string | undefined, options: Options) {
  // The SIMD+threads kernels for any number of threads (the same numbers as the SIMD kernels): their memory
  // is shared, so it never moves, and a chunk can be written from it while the next one computes. Helper
  // threads start (about 0.06 s) while the config is read and checked.
  const starting = loadThreadedKernels(options.threads);
  try {
    await generateWith(file, options, starting);
  } catch (error) {
    void starting.then((k) => k.close(), () => {});
    throw error;
  }
}

async function generateWith(file: string | undefined, options: Options, starting: Promise<ThreadedKernels>) {
  const config = readConfig(file, options.set, { fileData: 'percolab generate writes generated data; data.kind "file" is a file already (use another data.kind)' });
  const seed = options.seed ?? config.seed;
  const format = /\.(npy|arrow|parquet)$/.exec(options.out)?.[1];
  if (!format) throw new UsageError(`--out ${options.out}: expected a .npy, .arrow or .parquet file name`);
  const table = format !== 'npy';
  const base = options.out.slice(0, options.out.lastIndexOf('.'));
  const population = config.data.kind === 'population';
  // Arrow IPC and Parquet hold everything in one file (the record as schema metadata); .npy needs siblings.
  const paths: Record<string, string> = table
    ? { points: options.out }
    : { points: options.out, labels: `${base}.labels.npy`, ...(population ? { ids: `${base}.ids.npy` } : {}), record: `${base}.json` };
  for (const path of Object.values(paths)) checkWritable(path, 'output file', options.force);
  const d = config.data.dimension;
  const n = options.points;
  if (n > 2 ** 32 - 1 && config.data.kind === 'cluster' && config.data.embedder === 'naive') {
    throw new UsageError(`--points ${n}: a single cluster holds at most ${2 ** 32 - 1} sites`);
  }
  // Points, labels and cluster ids as float32 / uint32 (headers and Arrow or Parquet framing aside).
  checkFreeSpace(options.out, n * (d + 1 + (population ? 1 : 0)) * 4);
  // The WebGPU package loads (about 50 ms) while the helper threads come up.
  const gpus = probeNow(config.teacher.device, nodeGpu);
  const kernels = await starting;
  // A large naive cluster starts with a helper's serial first draw of its offspring counts: a small one made
  // first compiles that code while this thread compiles the stream's.
  if (config.data.kind === 'cluster' && config.data.embedder === 'naive' && config.data.sampler === 'exact' && n >= WARM_FROM_POINTS) kernels.warmCluster();
  // A naive cluster of exactly n sites; the branching construction and manifold samples are read up to n rows.
  const stream = kernels.dataStream(streamSpec(config, n), seed);
  const files = new AtomicFiles();
  let bar: ReturnType<typeof delayedProgress> | undefined;
  try {
    if (n >= PREPARED_IN_STEPS) await prepareInSteps(stream, n, options.progress);
    if (stream.length < n) {
      const raise = population ? 'data.clusters, data.minClusterSize or data.maxClusterSize' : 'data.branchSize or data.levels';
      throw new UsageError(`--points ${n}: this config's data set has only ${stream.length} points (raise ${raise})`);
    }
    const label = await chunkLabeller(config, kernels, seed, n, gpus, options.progress);
    const progress = (bar = delayedProgress('percolab generate', 1000, options.progress, 'points'));
    const { record: recordPath, ...written } = paths;
    const record = { percolab: version, dataVersion: kernels.info.dataVersion, seed, points: n, dimension: d, files: written, config: { ...config, percolab: { version, seeds: [seed] } } };
    if (table) {
      // Arrow and Parquet load only for their formats: parsing them took about 40 ms of every .npy run's start.
      const { arrowFileWriter, pointsBatch, pointsSchema } = await import('../../io/arrow.js');
      const fd = files.open(paths.points!);
      const sink = (bytes: Uint8Array) => files.write(fd, bytes);
      const schema = pointsSchema(d, population, JSON.stringify(record));
      const batches = async function* () {
        for (let done = 0; done < n; ) {
          const chunk = stream.next(Math.min(BATCH, n - done));
          const ids = population ? stream.lastIds() : undefined;
          yield pointsBatch(schema, chunk, await label(chunk, ids), ids);
          done += chunk.length / d;
          progress.update(done, n);
        }
      };
      if (format === 'parquet') await (await import('../../io/parquet.js')).writeParquetStream(schema, batches(), sink);
      else {
        const writer = arrowFileWriter(schema, sink);
        for await (const batch of batches()) await writer.write(batch);
        await writer.finish();
      }
    } else {
      // The points (all but a seventeenth of the bytes at d = 16) go to the disk by direct I/O where it can.
      const points = files.openNpyAppender(paths.points!, 'float32', [n, d], { direct: true });
      const labels = files.openNpyAppender(paths.labels!, 'float32', [n]);
      const ids = paths.ids ? files.openNpyAppender(paths.ids, 'uint32', [n]) : undefined;
      // Each chunk is written (on libuv's threads) from where the stream left it in wasm memory while the
      // next one computes into the stream's other buffer: two chunks in memory, no copy, one write in flight
      // per file. Labels and ids (a chunk's sixteenth or less) are copied into two buffers that take turns.
      const rowsPerChunk = Math.min(CHUNK, n);
      const labelBuffers = [new Float32Array(rowsPerChunk), new Float32Array(rowsPerChunk)];
      const idBuffers = population ? [new Uint32Array(rowsPerChunk), new Uint32Array(rowsPerChunk)] : undefined;
      const writes = new WriteBehind(ids ? [points, labels, ids] : [points, labels]);
      try {
        for (let done = 0, k = 0; done < n; k++) {
          const chunk = stream.nextView(Math.min(CHUNK, n - done));
          const chunkIds = idBuffers ? stream.lastIds(idBuffers[k % 2]) : undefined;
          const chunkLabels = await label(chunk, chunkIds, stream, labelBuffers[k % 2]);
          await writes.settle();
          writes.write(points, chunk);
          writes.write(labels, chunkLabels);
          if (ids) writes.write(ids, chunkIds!);
          done += chunk.length / d;
          progress.update(done, n);
        }
      } finally {
        await writes.settle().catch(() => {}); // no write may still hold a file that abort removes, or a buffer freed
      }
      await writes.settle();
      files.write(files.open(recordPath!), new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`));
    }
    files.commit();
  } catch (error) {
    files.abort();
    throw error;
  } finally {
    bar?.stop();
    stream.free();
    kernels.close();
  }
  process.stdout.write(`${Object.values(paths).join('\n')}\n`);
}

export function generateCommand(): Command {
  return new Command('generate')
    .description("Write a config's data set (its first seed, or --seed) to .npy files, an Arrow IPC file or a Parquet file: points, teacher labels, cluster ids, and the record of how they were made.")
    .argument('[config]', 'experiment config (JSON); every key optional')
    .option('--set <path=value>', 'override a config key by dotted path (repeatable)', collect, [])
    .addOption(new Option('--points <n>', 'points to write').argParser(positiveInt('--points')).makeOptionMandatory())
    .addOption(new Option('--out <file>', 'FILE.npy: points; labels go to FILE.labels.npy, cluster ids of a population to FILE.ids.npy (uint32), the record (config, seed, version) to FILE.json. FILE.arrow: one Arrow IPC file with columns x (d float32), y, cluster (populations) and the record as schema metadata. FILE.parquet: the same columns and metadata as Parquet (row groups of about 64 MiB)').argParser(outputPath('file')).makeOptionMandatory())
    .addOption(new Option('--seed <n>', 'seed (default: the config\'s seed)').argParser(nonNegativeInt('--seed')))
    .option('--force', 'replace existing output files', false)
    .option('--no-progress', 'no progress bar on stderr')
    .addOption(new Option('--threads <n>', 'threads that generate; the files are the same for any number').argParser(threadCount()).default(THREADED_COMMANDS.generate(), 'one per core'))
    .addHelpText(
      'after',
      '\nStreams in chunks of 32768 rows (Arrow and Parquet: record batches of 65536); memory holds two chunks, whatever --points\n' +
        'is (a naive cluster draws its offspring counts twice instead of holding them: once to find where the walk starts, a serial\n' +
        'pass of about 0.1 s per 10^7 points before the first rows, with its own progress bar from 5 x 10^7 points, then as they are\n' +
        'read). Files appear only when complete, and a run whose files would not fit on the disk is refused before it starts.\n' +
        'The points .npy keeps its data from byte 4096 (the header padded with spaces; np.load reads it as any .npy) so that\n' +
        'it can go to the disk by direct I/O where the file system allows it (Linux), bypassing the page cache.\n' +
        'A naive cluster is one cluster of --points sites. With data.sampler "exact" (the default) it is walked depth-first in flat memory:\n' +
        'the law of the experiment\'s clusters, not its numbers. With "grow-cut" it is sampled and embedded breadth-first in memory: the experiment\'s own points.',
    )
    .action(generate);
}

// `percolab teacher`: a config's teacher on the user's points (labels), its non-linearity score, or a
// picture of it on a 2-D slice through the data.
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { Config } from '../../config/schema.js';
import { seedData } from '../../experiment/cell.js';
import { checkWritable, writeFilesAtomically } from '../../io/atomic.js';
import { encodeNpy, parseNpy } from '../../io/npy.js';
import { readFloat32Matrix } from '../../io/npy-file.js';
import { chooseDevice } from '../../teachers/device.js';
import { nodeGpu } from '../../teachers/gpu-node.js';
import { axisRange, centralRow, sliceSvg, slicePoints } from '../../teachers/slice.js';
import { createTeacher } from '../../teachers/teacher.js';
import { loadThreadedKernels } from '../../wasm/load-node.js';
import { THREADED_COMMANDS } from '../threads.js';
import { collect, intAtLeast, nonNegativeInt, outputPath, readInput, refuse, threadCount } from '../options.js';
import { readConfig } from '../config-file.js';

interface Options {
  set: string[];
  data?: string;
  ids?: string;
  out?: string;
  device?: 'auto' | 'gpu' | 'cpu';
  seed?: number;
  nonlinearity: boolean;
  slice?: [number, number];
  at?: number;
  resolution: number;
  threads: number;
  force: boolean;
}

function parseAxes(value: string): [number, number] {
  const parts = value.split(',').map((v) => Number(v.trim()));
  if (parts.length !== 2 || !parts.every((v) => Number.isInteger(v) && v >= 0) || parts[0] === parts[1]) {
    throw new UsageError(`--slice ${JSON.stringify(value)}: expected two different coordinate indices i,j (from 0), e.g. 0,1`);
  }
  return parts as [number, number];
}

function readIds(path: string, rows: number): Uint32Array {
  const array = parseNpy(readInput(path, 'ids file'), path);
  if (array.dtype !== 'uint32' && array.dtype !== 'int64' && array.dtype !== 'int32') throw new UsageError(`${path}: cluster ids must be integers (uint32), got ${array.dtype}`);
  if (array.data.length !== rows) throw new UsageError(`${path}: ${array.data.length} ids for ${rows} points; give one id per point`);
  const ids = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = Number(array.data[i]!);
    if (!(v >= 0 && v < 2 ** 32)) throw new UsageError(`${path}: id ${v} at row ${i} is out of range [0, 2^32)`);
    ids[i] = v;
  }
  return ids;
}

async function teacher(file: string | undefined, options: Options, command: Command) {
  const modes = [options.nonlinearity, options.slice !== undefined, options.data !== undefined && options.slice === undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('choose one of: --data X.npy --out Y.npy (labels), --nonlinearity (score), --slice i,j --out FILE.png|.svg (picture)');
  if (options.nonlinearity) refuse(command, ['--out', '--device', '--force'], 'to --nonlinearity (it prints the score, computed on the CPU)');
  if (!options.slice) refuse(command, ['--at', '--resolution'], 'without --slice');
  const sets = [...options.set, ...(options.device ? [`teacher.device=${options.device}`] : [])];
  let config: Config = readConfig(file, sets);
  const seed = options.seed ?? config.seed;
  if (options.out) {
    const ok = options.slice ? /\.(png|svg)$/.test(options.out) : options.out.endsWith('.npy');
    if (!ok) throw new UsageError(`--out ${options.out}: expected ${options.slice ? 'a .png or .svg' : 'a .npy'} file name`);
    checkWritable(options.out, 'output file', options.force);
  } else if (!options.nonlinearity) throw new UsageError('--out is required');
  // Points: the user's file, else the config's data for the seed (slices only).
  let data: { points: Float32Array; ids?: Uint32Array; d: number } | undefined;
  if (options.data) {
    const m = readFloat32Matrix(options.data, 'data file');
    data = { points: m.data, d: m.cols, ids: options.ids ? readIds(options.ids, m.rows) : undefined };
    config = readConfig(file, [...sets, `data.dimension=${m.cols}`]);
  } else if (options.ids) throw new UsageError('--ids needs --data');
  if (config.teacher.perCluster && options.data && !data?.ids) throw new UsageError('teacher.perCluster labels each point by its cluster: give --ids IDS.npy (uint32, one per point)');
  const d = config.data.dimension;
  const kernels = await loadThreadedKernels(options.threads);
  try {
    if (options.nonlinearity) {
      const spec = { ...config.teacher, perCluster: false, repetitions: Math.max(1, config.teacher.repetitions) };
      const t = createTeacher(spec, kernels, d, seed);
      t.free();
      process.stdout.write(`${JSON.stringify({ kind: spec.kind, dimension: d, seed, draws: t.record.draws, ...t.record.nonlinearity })}\n`);
      return;
    }
    if (!data) {
      const generated = seedData(kernels, config, seed);
      data = { points: generated.points, ids: generated.ids, d };
    }
    if (options.slice && Math.max(...options.slice) >= d) throw new UsageError(`--slice ${options.slice.join(',')}: the data have coordinates 0..${d - 1}`);
    const rows = data.points.length / d;
    if (options.at !== undefined && options.at >= rows) throw new UsageError(`--at ${options.at}: the data have ${rows} points`);
    const choice = await chooseDevice(config.teacher.device, nodeGpu, kernels);
    process.stderr.write(`percolab: teacher device: ${choice.why}\n`);
    const t = createTeacher(config.teacher, kernels, d, seed, { reference: data.points, ids: data.ids, gpu: choice.gpu });
    try {
      if (!options.slice) {
        const labels = await t.label(data.points, data.ids);
        writeFilesAtomically({ [options.out!]: encodeNpy({ dtype: 'float32', shape: [labels.length], data: labels }) }, options.force);
        process.stdout.write(`${options.out}\n`);
        return;
      }
      const axes = options.slice;
      const row = options.at ?? centralRow(data.points, d);
      const at = data.points.slice(row * d, row * d + d);
      const range = { i: axisRange(data.points, d, axes[0]), j: axisRange(data.points, d, axes[1]) };
      const n = options.resolution;
      const grid = slicePoints(at, axes, range, n);
      const clusterId = data.ids?.[row];
      const values = await t.label(grid, clusterId === undefined ? undefined : new Uint32Array(n * n).fill(clusterId));
      const shape = config.teacher.kind === 'relu' ? `depth ${config.teacher.depth}, width ${config.teacher.width}` : config.teacher.kind === 'fourier' ? `${config.teacher.terms} terms, maxFreq ${config.teacher.maxFreq}` : '';
      const title = `${config.teacher.kind} teacher${shape ? ` (${shape})` : ''}, seed ${seed}: slice (x${axes[0]}, x${axes[1]}) through point ${row}`;
      const svg = sliceSvg({ axes, values, resolution: n, range, at }, title);
      let bytes: Uint8Array | string = svg;
      if (options.out!.endsWith('.png')) {
        const { Resvg } = await import('@resvg/resvg-js');
        bytes = new Resvg(svg, { fitTo: { mode: 'zoom', value: 1.5 }, background: 'white' }).render().asPng();
      }
      writeFilesAtomically({ [options.out!]: bytes }, options.force);
      process.stdout.write(`${options.out}\n`);
    } finally {
      t.free();
    }
  } finally {
    kernels.close();
  }
}

export function teacherCommand(): Command {
  return new Command('teacher')
    .description("A config's teacher: label points, score its non-linearity, or draw it on a 2-D slice through the data.")
    .argument('[config]', 'experiment config (JSON); every key optional')
    .option('--set <path=value>', 'override a config key by dotted path (repeatable), e.g. teacher.kind=relu', collect, [])
    .option('--data <file>', 'points to label (float32 .npy, [N, d] or [N]); with --slice, the data to slice through (default: the config\'s data for the seed)')
    .option('--ids <file>', 'cluster id of each point (uint32 .npy, [N]) for per-cluster teachers')
    .addOption(new Option('--out <file>', 'labels: Y.npy (float32 [N]); --slice: FILE.png or FILE.svg').argParser(outputPath('file')))
    .addOption(new Option('--device <device>', 'where to evaluate: teacher.device').choices(['auto', 'gpu', 'cpu']))
    .addOption(new Option('--seed <n>', "seed of the teacher (default: the config's seed)").argParser(nonNegativeInt('--seed')))
    .option('--nonlinearity', 'print the non-linearity score as JSON ({"score", "standardError", "repetitions", ...})', false)
    .addOption(new Option('--slice <i,j>', 'draw a heatmap over coordinates i and j, the others fixed at a data point').argParser(parseAxes))
    .addOption(new Option('--at <row>', 'the data point the slice passes through (default: the one nearest the mean)').argParser(nonNegativeInt('--at')))
    .addOption(new Option('--resolution <n>', 'slice grid points per side (2 to 2000)').argParser(intAtLeast('--resolution', 2, 2000)).default(200))
    .addOption(new Option('--threads <n>', 'CPU threads').argParser(threadCount()).default(THREADED_COMMANDS.teacher()))
    .option('--force', 'replace an existing output file', false)
    .addHelpText(
      'after',
      '\nA Fourier teacher is standardized per coordinate by the points it labels (--data, or the config\'s data):\n' +
        'into [0, 1] by their min and range (teacher.standardize "range", the default), or to z-scores by their mean and sd ("sd").\n' +
        'The score is computed on [-1/2, 1/2)^d (for a Fourier teacher, in standardized coordinates); 1 means linear.',
    )
    .action(teacher);
}

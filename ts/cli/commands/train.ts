// `percolab train`: a student trained on the user's own `.npy` files; weights out in PyTorch's layout.
import { Command, Option } from 'commander';
import { resolveConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { checkOutputFolder, writeRunFolder } from '../../io/atomic.js';
import { readFloat32Matrix } from '../../io/npy-file.js';
import { weightFiles } from '../../students/weights.js';
import { version } from '../../version.js';
import { loadThreadedKernels } from '../../wasm/load-node.js';
import { THREADED_COMMANDS } from '../threads.js';
import { nonNegativeInt, outputPath, positiveInt, threadCount } from '../options.js';
import { delayedProgress } from '../progress.js';

interface Options {
  widths: string;
  activation: string;
  steps: number;
  batch: number;
  lr: string;
  optimizer: string;
  schedule: string;
  anneal: string;
  weightDecay: string;
  validation: string;
  patience?: number;
  test?: string[];
  seed: number;
  threads: number;
  out: string;
  force: boolean;
  progress: boolean;
}

function number(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} = ${JSON.stringify(value)}: expected a number`);
  return n;
}

/** The `model` and `train` sections the flags describe, validated by the config schema. */
function sections(options: Options) {
  const widths = options.widths.split(',').map((w) => {
    const n = Number(w);
    if (w.trim() === '' || !Number.isInteger(n) || n < 1) throw new UsageError(`--widths = ${JSON.stringify(options.widths)}: expected hidden widths as integers >= 1, e.g. 64,64`);
    return n;
  });
  const learningRate = number(options.lr, '--lr');
  const input = {
    model: { kind: 'mlp', widths, activation: options.activation },
    train: {
      optimizer: options.optimizer,
      learningRate,
      batchSize: options.batch,
      steps: options.steps,
      schedule: options.schedule,
      anneal: number(options.anneal, '--anneal'),
      weightDecay: number(options.weightDecay, '--weight-decay'),
      validationFraction: number(options.validation, '--validation'),
      widthCheck: false,
      ...(options.patience !== undefined ? { patience: options.patience } : {}),
    },
  };
  // The config's own schema and resolver: the same keys, checks and defaults as a run's student.
  let config;
  try {
    config = resolveConfig(input);
  } catch (error) {
    throw new UsageError((error as Error).message.replace('invalid config: ', 'invalid option: '));
  }
  if (options.patience !== undefined && config.train.validationFraction === 0) throw new UsageError('--patience needs a validation split: pass --validation F with 0 < F < 1');
  return { model: config.model, train: { ...config.train, learningRate } };
}

function targets(path: string, rows: number, what: string): Float32Array {
  const y = readFloat32Matrix(path, what);
  if (y.cols !== 1) throw new UsageError(`${path} has ${y.cols} columns; targets must be float32 [N] or [N, 1]`);
  if (y.rows !== rows) throw new UsageError(`${path} has ${y.rows} targets but the inputs have ${rows} rows`);
  return y.data;
}

async function train(xPath: string, yPath: string, options: Options) {
  const spec = sections(options);
  const seed = options.seed;
  if (options.test && options.test.length !== 2) throw new UsageError('--test takes two files: X_TEST.npy Y_TEST.npy');
  const x = readFloat32Matrix(xPath, 'input file');
  const y = targets(yPath, x.rows, 'target file');
  let test: { x: Float32Array; y: Float32Array } | undefined;
  if (options.test) {
    const [tx, ty] = options.test as [string, string];
    const xt = readFloat32Matrix(tx, 'test input file');
    if (xt.cols !== x.cols) throw new UsageError(`${tx} has ${xt.cols} columns but ${xPath} has ${x.cols}; test inputs must share the dimension`);
    test = { x: xt.data, y: targets(ty, xt.rows, 'test target file') };
  }
  checkOutputFolder(options.out, options.force);
  const kernels = await loadThreadedKernels(options.threads);
  const progress = delayedProgress('percolab train', 1000, options.progress, 'steps');
  const start = performance.now();
  try {
    const student = kernels.student(spec, x.cols, seed, 0, { x: x.data, y }, test);
    try {
      while (!student.advance(200)) progress.update(student.step, student.totalSteps);
      progress.stop();
      const summary = student.summary();
      const fitRows = summary.trainRows;
      const record = {
        percolab: version,
        seed,
        sizes: summary.sizes,
        parameters: summary.parameters,
        trainRows: fitRows,
        validationRows: summary.validationRows,
        steps: summary.steps,
        bestStep: summary.bestStep,
        trainLoss: student.mse(x.data.subarray(0, fitRows * x.cols), y.subarray(0, fitRows)),
        validationLoss: summary.validationRows > 0 ? student.mse(x.data.subarray(fitRows * x.cols), y.subarray(fitRows)) : null,
        testLoss: test ? student.mse(test.x, test.y) : null,
        model: spec.model,
        train: spec.train,
        history: student.history(),
        seconds: (performance.now() - start) / 1000,
      };
      const folder = writeRunFolder(options.out, { 'train.json': `${JSON.stringify(record, null, 2)}\n`, ...weightFiles(summary.sizes, student.weights(), 'weights/') }, options.force);
      const loss = (v: number | null) => (v === null ? 'n/a' : v.toExponential(3));
      process.stdout.write(`${folder}\ntrain MSE ${loss(record.trainLoss)}, validation MSE ${loss(record.validationLoss)}, test MSE ${loss(record.testLoss)}; ${record.steps} steps in ${record.seconds.toFixed(1)} s\n`);
    } finally {
      student.free();
    }
  } finally {
    progress.stop();
    kernels.close();
  }
}

export function trainCommand(): Command {
  return new Command('train')
    .description('Train a fully connected student on your own data (MSE, Adam by default); writes PyTorch-layout weights.')
    .argument('<x>', 'inputs: float32 .npy of shape [N, d] (or [N])')
    .argument('<y>', 'targets: float32 .npy of shape [N] (or [N, 1])')
    .option('--widths <list>', 'hidden widths, comma-separated', '64,64')
    .option('--activation <name>', 'hidden activation: relu, tanh or gelu', 'relu')
    .addOption(new Option('--steps <n>', 'optimizer steps').argParser(positiveInt('--steps')).default(2000))
    .addOption(new Option('--batch <n>', 'minibatch rows').argParser(positiveInt('--batch')).default(64))
    .option('--lr <rate>', 'learning rate', '1e-3')
    .option('--optimizer <name>', 'adam or sgd', 'adam')
    .option('--schedule <name>', 'learning-rate schedule: constant, cosine or step', 'constant')
    .option('--anneal <fraction>', 'final rate as a fraction of the first (cosine, step)', '0.01')
    .option('--weight-decay <l2>', 'L2 weight decay', '0')
    .option('--validation <fraction>', 'fraction of the rows (the last ones) held out for early stopping and the best weights', '0')
    .addOption(new Option('--patience <steps>', 'stop when the validation loss has not improved for this many steps').argParser(positiveInt('--patience')))
    .option('--test <files...>', 'test inputs and targets: X_TEST.npy Y_TEST.npy')
    .addOption(new Option('--seed <s>', 'seed of the initial weights and the minibatch order').argParser(nonNegativeInt('--seed')).default(1))
    .addOption(new Option('--threads <n>', 'threads (results do not depend on it)').argParser(threadCount()).default(THREADED_COMMANDS.train(), 'one per core'))
    .addOption(new Option('--out <dir>', 'folder to write: train.json and weights/<layer>.weight.npy, <layer>.bias.npy').argParser(outputPath('folder')).makeOptionMandatory())
    .option('--force', 'replace the output folder if it exists', false)
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText(
      'after',
      '\nInputs and targets are standardized by the training rows; the saved weights fold that back, so the\n' +
        'network (PyTorch nn.Linear layers, hidden layers activated, the last linear) maps your raw inputs to\n' +
        'your raw targets. train.json holds trainLoss, validationLoss, testLoss (MSE) and the learning curve.',
    )
    .action(train);
}

// `percolab run`: one experiment into an atomically written run folder.
import { Command, Option } from 'commander';
import { referenceText } from '../../config/reference.js';
import { runExperiment, seedsOf } from '../../experiment/run.js';
import { checkOutputFolder, writeRunFolder } from '../../io/atomic.js';
import { createNodePool, defaultWorkers } from '../../pool/node.js';
import { renderReport } from '../../report/index.js';
import { formatDimension } from '../../report/html.js';
import { version } from '../../version.js';
import { announceDevice, collect, outputPath, workerCount } from '../options.js';
import { readConfig } from '../config-file.js';
import { delayedProgress } from '../progress.js';
import { weightFiles } from '../../students/weights.js';

async function run(file: string | undefined, options: { out: string; set: string[]; workers?: number; force: boolean; progress: boolean }) {
  const config = readConfig(file, options.set);
  checkOutputFolder(options.out, options.force);
  const pool = createNodePool(Math.min(options.workers ?? config.workers ?? defaultWorkers(), config.seeds));
  const progress = delayedProgress('percolab run', 1000, options.progress, config.model.kind === 'mlp' ? 'steps' : 'seeds');
  const weights: Record<string, Uint8Array> = {};
  try {
    const results = await runExperiment(config, {
      pool,
      onProgress: (done, total) => progress.update(done, total),
      onWeights: (seed, label, sizes, parameters) => Object.assign(weights, weightFiles(sizes, parameters, `weights/seed-${seed}/${label}/`)),
    });
    progress.stop();
    announceDevice(results);
    const record = { ...config, percolab: { version, seeds: seedsOf(config) } };
    const folder = writeRunFolder(
      options.out,
      {
        'results.json': `${JSON.stringify(results, null, 2)}\n`,
        'config.json': `${JSON.stringify(record, null, 2)}\n`,
        'report.html': await renderReport(results),
        ...weights,
      },
      options.force,
    );
    const e = results.fit.exponent;
    process.stdout.write(
      `report: ${folder}/report.html\n` +
        `exponent ${e.median.toFixed(3)} (16th-84th percentile ${e.p16.toFixed(3)}-${e.p84.toFixed(3)}, ${config.seeds} seeds) ` +
        `vs theory ${results.theory.exponent.toFixed(3)} (c/D = ${results.theory.c}/${formatDimension(results.theory.dimension)}${results.theory.dimensionSource ? `, D ${results.theory.dimensionSource}` : ''}); ` +
        `${results.timing.seconds.toFixed(1)} s\n` +
        (results.theory.caveat ? `caveat: ${results.theory.caveat}\n` : ''),
    );
  } finally {
    progress.stop();
    await pool.close();
  }
}

export function runCommand(): Command {
  return new Command('run')
    .description('Run an experiment (the headline 1-NN scaling experiment when no config is given).')
    .argument('[config]', 'experiment config (JSON); every key optional')
    .addOption(new Option('--out <dir>', 'run folder to write (results.json, config.json, report.html)').argParser(outputPath('folder')).default('results/run'))
    .option('--set <path=value>', 'override a config key by dotted path (repeatable), e.g. --set data.dimension=32', collect, [])
    .addOption(new Option('--workers <n>', 'worker threads (default: the config\'s workers, else one per core)').argParser(workerCount()))
    .option('--force', 'replace the run folder if it exists', false)
    .option('--no-progress', 'no progress bar on stderr')
    // A function: the reference is built only when help is shown, not at every start.
    .addHelpText('after', () => `\nConfig keys (use with --set or in the config file):\n${referenceText()}\n`)
    .action(run);
}

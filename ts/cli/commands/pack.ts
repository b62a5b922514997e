// `percolab pack`: a run folder and the code that computed it, in one .tgz that `percolab verify` re-runs.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { CODE_FILES, packRun, RUN_FILES } from '../../bundle/run-bundle.js';
import { UsageError } from '../../errors.js';
import { checkWritable, writeFilesAtomically } from '../../io/atomic.js';
import { version } from '../../version.js';
import { outputPath, readInput } from '../options.js';

/** The folder of the running Node build (dist/node): the code that a bundle carries. */
export function codeFolder(): string {
  const folder = fileURLToPath(new URL('.', import.meta.url));
  const missing = CODE_FILES.filter((name) => !existsSync(`${folder}/${name}`));
  if (missing.length) throw new UsageError(`percolab pack needs the built package (dist/node); ${folder} lacks ${missing.join(', ')}`);
  return folder;
}

function pack(runDir: string, options: { out: string; force: boolean }) {
  if (!existsSync(runDir)) throw new UsageError(`cannot read run folder ${runDir}: ENOENT`);
  if (!statSync(runDir).isDirectory()) throw new UsageError(`cannot read run folder ${runDir}: it is a file, expected a folder written by percolab run`);
  checkWritable(options.out, 'output file', options.force);
  const read = (folder: string, names: readonly string[], what: string) => Object.fromEntries(names.map((name) => [name, readInput(`${folder}/${name}`, what)]));
  const bytes = packRun(read(runDir, RUN_FILES, 'run file'), read(codeFolder(), CODE_FILES, 'code file'), runDir, version);
  writeFilesAtomically({ [options.out]: bytes }, options.force);
  process.stdout.write(`bundle: ${options.out} (${(bytes.length / 2 ** 20).toFixed(1)} MiB); check it with: percolab verify ${options.out}\n`);
}

export function packCommand(): Command {
  return new Command('pack')
    .description('Write a run folder, the percolab code and the wasm that computed it into one .tgz (re-run it with percolab verify).')
    .argument('<run>', 'run folder written by percolab run')
    .addOption(new Option('--out <file>', 'bundle to write').argParser(outputPath('file')).default('run.tgz'))
    .option('--force', 'replace the bundle if it exists', false)
    .action(pack);
}

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { RunResults } from '../results.js';

import { intAtLeast } from '../option-parsers.js';
import { MAX_THREADS } from './threads.js';

export { intAtLeast, nonNegativeInt, positiveInt } from '../option-parsers.js';

/** Fails naming the first of `flags` that the user gave on the command line: it does not apply `why`. */
export function refuse(command: Command, flags: string[], why: string): void {
  const given = flags.find((flag) => command.getOptionValueSource(flag.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase())) === 'cli');
  if (given) throw new UsageError(`${given} does not apply ${why}`);
}

/** A commander parser for `--workers`: an integer in 1..1024, as the config's `workers`. */
export const workerCount = () => intAtLeast('--workers', 1, 1024);

/** A commander parser for `--threads`: an integer in 1..MAX_THREADS. */
export const threadCount = (name = '--threads') => intAtLeast(name, 1, MAX_THREADS);

/**
 * A commander parser for an output path: not empty, and (for `file` outputs) naming a file, not only a
 * folder or an extension, so that no hidden `.npy` or `.indices.npy` appears.
 */
export function outputPath(kind: 'file' | 'prefix' | 'folder') {
  return (value: string) => {
    const name = value.split(/[\\/]/).pop()!;
    const stem = kind === 'file' ? name.replace(/\.[^.]*$/, '') : name;
    if (value.trim() === '' || (kind !== 'folder' && stem === '')) {
      throw new UsageError(`--out ${JSON.stringify(value)}: expected a ${kind === 'folder' ? 'folder' : kind === 'prefix' ? 'file name prefix, e.g. nn' : 'file name, e.g. data.npy'}`);
    }
    return value;
  };
}

export const collect = (value: string, previous: string[]) => [...previous, value];

/** Reads a whole input file, turning any failure into a usage error that names it. */
export function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${path}: ${code === 'EISDIR' ? 'it is a folder' : (code ?? (error as Error).message)}`);
  }
}

/**
 * Says on stderr where the workers evaluated the teacher and why, unless the config asked for the CPU. (A
 * "gpu" setting that no adapter satisfies has already failed the run with its own one-line error.)
 */
export function announceDevice(results: RunResults): void {
  const config = results.config as Config;
  const why = results.teachers[0]?.why;
  if (config.teacher.device !== 'cpu' && why) process.stderr.write(`percolab: teacher device: ${why}\n`);
}

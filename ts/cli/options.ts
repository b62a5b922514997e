import { readFileSync } from 'node:fs';
import { parseConfigText } from '../config/load.js';
import { UsageError } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { RunResults } from '../results.js';

/** A commander parser for an integer option >= 1 that fails with a usage error naming the option. */
export function positiveInt(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} = ${JSON.stringify(value)}: expected an integer >= 1`);
    return n;
  };
}

export const collect = (value: string, previous: string[]) => [...previous, value];

/** Reads a whole input file, turning any failure into a usage error that names it. */
export function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
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

/** The config in `file` (or the default config) with `--set` overrides applied, validated. */
export function readConfig(file: string | undefined, sets: readonly string[]): Config {
  if (file === undefined) return parseConfigText('{}', 'the default config', sets);
  return parseConfigText(readInput(file, 'config').toString('utf8'), file, sets);
}

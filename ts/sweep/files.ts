// A sweep on the file system (Node): loading a sweep file with its base and file data, reading a cell's
// cached results, and writing a cell's folder. Every executor goes through these, so a cell's folder is
// the same whoever computed it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseConfigObject } from '../config/load.js';
import { absoluteDataPath, configFolder, resolveFileConfig } from '../experiment/file-config.js';
import { seedsOf } from '../experiment/run.js';
import { writeRunFolder } from '../io/atomic.js';
import { renderReport } from '../report/index.js';
import type { RunResults } from '../results.js';
import { version } from '../version.js';
import { kernelsDigest } from '../wasm/load-node.js';
import { readInput } from '../cli/options.js';
import { type Cell, parseSweep } from './sweep.js';

/** What computed a cell is part of its name: the version and the kernels' digest. */
export const codeFingerprint = (): string => `${version}+${kernelsDigest()}`;

/** Reads and validates a sweep file; every cell is resolved (file data included) before any work. */
export function loadSweepFile(file: string, code = codeFingerprint()) {
  const readBase = (path: string) => {
    const full = resolve(dirname(file), path);
    // File data: a data.path in a base config file is relative to that file's folder.
    return absoluteDataPath(parseConfigObject(readInput(full, 'base config').toString('utf8'), full), dirname(full));
  };
  // File data in an inline base or the grid: relative to the sweep file's folder; dimension and labels from the file.
  const resolveCell = (input: Record<string, unknown>) => resolveFileConfig(absoluteDataPath(input, configFolder(file)));
  return { code, ...parseSweep(readInput(file, 'sweep file').toString('utf8'), file, readBase, code, resolveCell) };
}

export const cellFolder = (out: string, cell: Cell): string => join(out, 'cells', cell.hash);

/** Checks that parsed JSON is a run's results (what a cell folder or an endpoint must hold). */
export function checkResults(value: unknown): RunResults {
  const results = value as RunResults;
  if (typeof results?.fit?.exponent?.median !== 'number' || typeof results?.theory?.exponent !== 'number') throw new Error('not a run\'s results');
  return results;
}

/**
 * A cached cell's results, or undefined if it has none. `onUnreadable` hears of a results.json that
 * exists but cannot be read (the cell is then recomputed).
 */
export function readCachedResults(folder: string, onUnreadable?: (path: string, why: string) => void): RunResults | undefined {
  const path = join(folder, 'results.json');
  if (!existsSync(path)) return undefined;
  try {
    return checkResults(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    onUnreadable?.(path, (error as Error).message.split('\n')[0]!);
    return undefined;
  }
}

/** Writes a cell's folder atomically (results.json, config.json, report.html), replacing an old one. */
export async function writeCellFolder(folder: string, cell: Cell, results: RunResults): Promise<void> {
  const record = { ...cell.config, percolab: { version, seeds: seedsOf(cell.config) } };
  writeRunFolder(
    folder,
    { 'results.json': `${JSON.stringify(results, null, 2)}\n`, 'config.json': `${JSON.stringify(record, null, 2)}\n`, 'report.html': await renderReport(results) },
    true,
  );
}

// A sweep's cells on the file system (Node): reading a cell's cached results and writing a cell's
// folder. Every executor goes through these, so a cell's folder is the same whoever computed it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedsOf } from '../experiment/run.js';
import { writeRunFolder } from '../io/atomic.js';
import { renderReport } from '../report/index.js';
import type { RunResults } from '../results.js';
import { version } from '../version.js';
import type { Cell } from './sweep.js';

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

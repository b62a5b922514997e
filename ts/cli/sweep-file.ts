// Loading a sweep file for `percolab sweep` and `percolab cell`: its base config file and file data
// resolved as for `percolab run`, and the code fingerprint that goes into every cell's hash.
import { dirname, resolve } from 'node:path';
import { parseConfigObject } from '../config/load.js';
import { absoluteDataPath, configFolder, resolveFileConfig } from '../experiment/file-config.js';
import { parseSweep } from '../sweep/sweep.js';
import { version } from '../version.js';
import { kernelsDigest } from '../wasm/load-node.js';
import { readInput } from './options.js';

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

// A command's config from the command line: the config file and its --set overrides. Apart from the plain
// option parsers (options.ts), so that commands without a config do not load the config schema.
import { applySets, parseConfigObject } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { absoluteDataPath, configFolder, resolveFileConfig } from '../experiment/file-config.js';
import { UsageError } from '../errors.js';
import { readInput } from './options.js';

/**
 * The config in `file` (or the default config) with `--set` overrides applied, validated. `refuse.fileData`:
 * the error for a data.kind "file" config, for a command that takes none (checked before the file is read).
 */
export function readConfig(file: string | undefined, sets: readonly string[], refuse: { fileData?: string } = {}): Config {
  // File data: a data.path in the config file is relative to its folder; one from --set (or no config
  // file) to the current folder. The resolved config holds the absolute path, the file's dimension and
  // which labels it uses, so the workers and config.json need no folder.
  const object = file === undefined ? {} : absoluteDataPath(parseConfigObject(readInput(file, 'config').toString('utf8'), file), configFolder(file));
  const input = applySets(object, sets);
  if (refuse.fileData !== undefined && (input.data as { kind?: unknown } | undefined)?.kind === 'file') throw new UsageError(refuse.fileData);
  return resolveFileConfig(input);
}

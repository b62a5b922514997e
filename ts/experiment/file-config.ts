// Resolving a file-data config in Node (`data.kind = "file"`): the path made absolute, the dimension and
// the labels taken from the file, its rows checked against the sizes. The CLI and the Node API use it;
// the workers then read the file (ts/io/points-file.ts, registered in ts/experiment/file-data.ts).
import { dirname, isAbsolute, resolve } from 'node:path';
import { resolveConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { labelsWhere } from '../io/points-data.js';
import { inspectRegisteredPointsFile } from './file-data.js';

/** `data.path` made absolute against `base` (a config file's folder, or the current folder). */
export function absoluteDataPath(input: Record<string, unknown>, base: string): Record<string, unknown> {
  const data = input.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object' || typeof data.path !== 'string' || data.path === '' || isAbsolute(data.path)) return input;
  return { ...input, data: { ...data, path: resolve(base, data.path) } };
}

/** The folder a config file's relative paths are resolved against. */
export const configFolder = (file: string): string => dirname(resolve(file));

/**
 * Resolves a config (as `resolveConfig`), first filling file data's keys from the file: `data.dimension`
 * from its columns (an explicit value must match), `data.labels` "auto" to "file" or "teacher" by whether it
 * has labels (so config.json records which), and a relative `data.path` against the current folder. Then
 * checks the file holds the largest size plus testSize. Other kinds pass straight through.
 */
export function resolveFileConfig(input: Record<string, unknown>): Config {
  const data = input.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object' || data.kind !== 'file' || typeof data.path !== 'string' || !/\.(npy|arrow|parquet)$/.test(data.path)) {
    return resolveConfig(input); // the schema names what is wrong, if anything
  }
  const path = resolve(data.path);
  const file = inspectRegisteredPointsFile(path);
  if (data.dimension !== undefined && data.dimension !== file.cols) {
    throw new UsageError(`invalid config: data.dimension = ${JSON.stringify(data.dimension)}: the file ${path} has ${file.cols} columns (leave data.dimension out to take it from the file)`);
  }
  if (data.labels === 'file' && !file.labels) {
    throw new UsageError(`invalid config: data.labels = "file": ${path} has ${labelsWhere(path)}; set data.labels "teacher" to label the points with a teacher`);
  }
  const labels = data.labels === undefined || data.labels === 'auto' ? (file.labels ? 'file' : 'teacher') : data.labels;
  const config = resolveConfig({ ...input, data: { ...data, path, dimension: file.cols, labels } });
  const largest = config.sizes[config.sizes.length - 1]!;
  if (file.rows < largest + config.testSize) {
    throw new UsageError(`invalid config: ${path} has ${file.rows} rows, fewer than the largest size plus testSize (${largest} + ${config.testSize} = ${largest + config.testSize})`);
  }
  return config;
}

// File data (`data.kind = "file"`): a user's own points as a seed's data set. This module holds no Node
// import, so it bundles into the browser too; the reading itself (ts/io/points-file.ts) is registered by
// the Node entry points. In the browser there are no paths: nothing is registered and a file config fails
// with one line saying so.
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { labelsWhere, type PointsFileData } from '../io/points-data.js';

export type { PointsFileData };

type Reader = (path: string) => PointsFileData;
/** A file's shape and whether it has labels, read without its data (a .npy's header). */
type Inspector = (path: string) => { rows: number; cols: number; labels: boolean };

let reader: Reader | undefined;
let inspector: Inspector | undefined;
/** The last file read, so a worker running many seeds reads it once. */
let cached: { path: string; data: PointsFileData } | undefined;

/**
 * Registers how files are read and inspected (Node: `readPointsFile`, `inspectPointsFile`). Registered, not
 * imported: they bring Arrow and Parquet, which a command that reads no file (`percolab generate`) never parses.
 */
export function setPointsFileReader(read: Reader, inspect: Inspector): void {
  reader = read;
  inspector = inspect;
  cached = undefined;
}

/** `path`'s shape and labels through the registered inspector; without one (the browser), one line saying so. */
export function inspectRegisteredPointsFile(path: string): ReturnType<Inspector> {
  if (!inspector) throw new UsageError(BROWSER_FILE_ERROR);
  return inspector(path);
}

export const BROWSER_FILE_ERROR = 'data.kind "file" reads data.path from disk, which only the Node CLI and API do; in the browser use generated data (data.kind "cluster", "population" or "manifold")';

/**
 * The seed's data set for file data: every row of the file (the seed only changes the split, drawn by the
 * caller), with the file's labels when `data.labels` takes them. Checks the file against the config: its
 * columns against `data.dimension`, its rows against the largest size plus testSize, its labels against
 * `data.labels`.
 */
export function fileSeedData(config: Config): { points: Float32Array; labels?: Float32Array } {
  const { path, labels: rule, dimension } = config.data;
  if (!reader) throw new UsageError(BROWSER_FILE_ERROR);
  if (path === null) throw new UsageError('invalid config: data.path = missing: data.kind "file" needs the file');
  if (cached?.path !== path) cached = { path, data: reader(path) };
  const file = cached.data;
  if (file.cols !== dimension) throw new UsageError(`${path}: ${file.cols} columns, but data.dimension is ${dimension} (leave data.dimension out to take it from the file)`);
  const needed = config.sizes[config.sizes.length - 1]! + config.testSize;
  if (file.rows < needed) throw new UsageError(`${path}: ${file.rows} rows, fewer than the largest size plus testSize (${config.sizes[config.sizes.length - 1]} + ${config.testSize} = ${needed})`);
  if (rule === 'file' && !file.labels) throw new UsageError(`${path}: no labels (${labelsWhere(path)}), but data.labels is "file"; set data.labels "teacher" to label the points with a teacher`);
  return { points: file.points, ...(rule !== 'teacher' && file.labels ? { labels: file.labels } : {}) };
}

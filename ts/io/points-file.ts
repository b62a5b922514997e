// Reading a user's points file for `data.kind = "file"` (Node only): `.npy` (with `.labels.npy` beside it
// when there are labels) or an Arrow IPC / Parquet table with columns x and, optionally, y, as `percolab
// generate` writes them. Every problem is a UsageError naming the file, so the CLI exits 2 with one line.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { type FixedSizeList, Precision, type Table, tableFromIPC, Type } from 'apache-arrow';
import { readIpcTable } from './arrow.js';
import { parquet } from './parquet.js';
import { UsageError } from '../errors.js';
import { labelsWhere, type PointsFileData } from './points-data.js';
import { checkFinite, parseNpyHeader, float32MatrixShape } from './npy.js';
import { readFloat32Matrix } from './npy-file.js';

const labelsPathOf = (path: string) => `${path.slice(0, -'.npy'.length)}.labels.npy`;

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read data file ${path}: ${code === 'EISDIR' ? 'it is a folder' : (code ?? (error as Error).message)}`);
  }
}

/** The x (and y, if any) columns of a points table, checked: x a fixed-size list of float32, y float32, no nulls, finite. */
function tableData(table: Table, path: string): PointsFileData {
  const x = table.getChild('x');
  const type = x?.type as FixedSizeList | undefined;
  // By type id, not instanceof: the reader's classes may come from another copy of apache-arrow.
  const isFloat32 = (t: { typeId: Type; precision?: Precision } | undefined) => t?.typeId === Type.Float && t.precision === Precision.SINGLE;
  if (!x || type?.typeId !== Type.FixedSizeList || !isFloat32(type.children[0]?.type as never)) {
    throw new UsageError(`${path}: expected a column x of fixed-size lists of float32 (as \`percolab generate\` writes), got ${x ? String(type) : 'no column x'}`);
  }
  const cols = type.listSize;
  const rows = table.numRows;
  if (rows === 0 || cols === 0) throw new UsageError(`${path}: holds no points`);
  if (x.nullCount > 0) throw new UsageError(`${path}: column x has ${x.nullCount} null rows`);
  const points = new Float32Array(rows * cols);
  let at = 0;
  for (const chunk of x.data) {
    const child = chunk.children[0]!;
    const values = child.values as Float32Array;
    const start = child.offset + chunk.offset * cols;
    points.set(values.subarray(start, start + chunk.length * cols), at * cols);
    at += chunk.length;
  }
  checkFinite(points, cols, `${path} column x`);
  const y = table.getChild('y');
  if (!y) return { points, rows, cols };
  if (!isFloat32(y.type as never)) throw new UsageError(`${path}: column y is ${String(y.type)}, expected float32`);
  if (y.nullCount > 0) throw new UsageError(`${path}: column y has ${y.nullCount} nulls`);
  const labels = y.toArray() as Float32Array;
  checkFinite(labels, 1, `${path} column y`);
  return { points, labels: Float32Array.from(labels), rows, cols };
}

function readTable(path: string): Table {
  const bytes = readBytes(path);
  try {
    if (path.endsWith('.arrow')) return readIpcTable(bytes);
    return tableFromIPC(parquet().readParquet(bytes).intoIPCStream());
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const kind = path.endsWith('.arrow') ? 'an Arrow IPC file' : 'a Parquet file';
    throw new UsageError(`${path}: not ${kind} (${String((error as Error)?.message ?? error).split('\n')[0]})`);
  }
}

/** Reads a points file whole (checked: dtype, shape, finite values, labels count). */
export function readPointsFile(path: string): PointsFileData {
  if (path.endsWith('.npy')) {
    const { data, rows, cols } = readFloat32Matrix(path, 'data file');
    const labelsPath = labelsPathOf(path);
    if (!existsSync(labelsPath)) return { points: data, rows, cols };
    const labels = readFloat32Matrix(labelsPath, 'labels file');
    if (labels.cols !== 1 || labels.rows !== rows) {
      throw new UsageError(`${labelsPath}: ${labels.rows} x ${labels.cols} labels, expected one per row of ${path} (${rows})`);
    }
    return { points: data, labels: labels.data, rows, cols };
  }
  if (path.endsWith('.arrow') || path.endsWith('.parquet')) return tableData(readTable(path), path);
  throw new UsageError(`data.path ${path}: expected a .npy, .arrow or .parquet file`);
}

/**
 * Shape of a points file and whether it has labels, as cheaply as the format allows: a `.npy` file's header
 * (and its labels file's); a table is read whole (and checked).
 */
export function inspectPointsFile(path: string): { rows: number; cols: number; labels: boolean } {
  if (!path.endsWith('.npy')) {
    const data = readPointsFile(path);
    return { rows: data.rows, cols: data.cols, labels: data.labels !== undefined };
  }
  const header = (file: string, what: string) => {
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) throw new UsageError(`cannot read ${what} ${file}: ${stat.isDirectory() ? 'it is a folder' : 'not a regular file'}; give a .npy file`);
      size = stat.size;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    // The header only (at most 64 KiB), not the data.
    const head = new Uint8Array(Math.min(size, 1 << 16));
    const fd = openSync(file, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    const parsed = parseNpyHeader(head, file, size);
    return float32MatrixShape(parsed.dtype, parsed.shape, file);
  };
  const { rows, cols } = header(path, 'data file');
  const labelsPath = labelsPathOf(path);
  if (!existsSync(labelsPath)) return { rows, cols, labels: false };
  const labels = header(labelsPath, 'labels file');
  if (labels.cols !== 1 || labels.rows !== rows) throw new UsageError(`${labelsPath}: ${labels.rows} x ${labels.cols} labels, expected one per row of ${path} (${rows})`);
  return { rows, cols, labels: true };
}

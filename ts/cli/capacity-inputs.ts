// Reading `percolab capacity`'s inputs: points as float32 or float64 `[N, d]`, cluster ids as integers `[N]`.
import { UsageError } from '../errors.js';
import { parseNpy } from '../io/npy.js';
import { readInput } from './options.js';

export interface CapacityInputs {
  points: Float64Array;
  rows: number;
  cols: number;
  ids: Uint32Array;
}

function readPoints(path: string): { points: Float64Array; rows: number; cols: number } {
  const array = parseNpy(readInput(path, 'points file'), path);
  if (array.dtype !== 'float32' && array.dtype !== 'float64') throw new UsageError(`${path}: dtype ${array.dtype}, expected float32 or float64 points`);
  if (array.shape.length !== 2) throw new UsageError(`${path}: shape (${array.shape.join(', ')}), expected [N, d] points`);
  const [rows, cols] = array.shape as [number, number];
  if (rows === 0 || cols === 0) throw new UsageError(`${path}: holds no points (shape ${rows} x ${cols})`);
  const points = array.data instanceof Float64Array ? array.data : Float64Array.from(array.data as Float32Array);
  const bad = points.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UsageError(`${path}: row ${Math.floor(bad / cols)}, column ${bad % cols} is ${points[bad]}; values must be finite`);
  return { points, rows, cols };
}

function readIds(path: string): Uint32Array {
  const array = parseNpy(readInput(path, 'ids file'), path);
  if (array.shape.length !== 1 && !(array.shape.length === 2 && array.shape[1] === 1)) throw new UsageError(`${path}: shape (${array.shape.join(', ')}), expected [N] cluster ids`);
  if (array.dtype === 'float32' || array.dtype === 'float64') throw new UsageError(`${path}: dtype ${array.dtype}, expected integer cluster ids (uint32, int32 or int64)`);
  const values = Array.from(array.data as ArrayLike<number | bigint>, Number);
  const bad = values.findIndex((v) => v < 0 || v > 0xffffffff);
  if (bad >= 0) throw new UsageError(`${path}: id ${values[bad]} at row ${bad} is outside 0..4294967295`);
  return Uint32Array.from(values);
}

/** Both files, checked against each other (one id per point). */
export function readCapacityInputs(pointsPath: string, idsPath: string): CapacityInputs {
  const { points, rows, cols } = readPoints(pointsPath);
  const ids = readIds(idsPath);
  if (ids.length !== rows) throw new UsageError(`${idsPath} has ${ids.length} ids but ${pointsPath} has ${rows} points; give one cluster id per point`);
  return { points, rows, cols, ids };
}

// `percolab capacity`'s inputs from bytes (a file's, or a dropped file's in the lab page): points as float32
// or float64 `[N, d]`, cluster ids as integers `[N]`, checked against each other; and the flags' parsers.
import { intAtLeast, nonNegativeInt, positiveInt } from '../option-parsers.js';
import { UsageError } from '../errors.js';
import { parseNpy } from '../io/npy.js';

export interface CapacityInputs {
  points: Float64Array;
  rows: number;
  cols: number;
  ids: Uint32Array;
}

export const capacityFlags = {
  draws: intAtLeast('--draws', 2, 1_000_000),
  seed: nonNegativeInt('--seed'),
  maxDimension: positiveInt('--max-dimension'),
  subsample: positiveInt('--subsample'),
  clusters: intAtLeast('--clusters', 2),
};

export function parseCapacityPoints(bytes: Uint8Array, name: string): { points: Float64Array; rows: number; cols: number } {
  const array = parseNpy(bytes, name);
  if (array.dtype !== 'float32' && array.dtype !== 'float64') throw new UsageError(`${name}: dtype ${array.dtype}, expected float32 or float64 points`);
  if (array.shape.length !== 2) throw new UsageError(`${name}: shape (${array.shape.join(', ')}), expected [N, d] points`);
  const [rows, cols] = array.shape as [number, number];
  if (rows === 0 || cols === 0) throw new UsageError(`${name}: holds no points (shape ${rows} x ${cols})`);
  const points = array.data instanceof Float64Array ? array.data : Float64Array.from(array.data as Float32Array);
  const bad = points.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UsageError(`${name}: row ${Math.floor(bad / cols)}, column ${bad % cols} is ${points[bad]}; values must be finite`);
  return { points, rows, cols };
}

export function parseCapacityIds(bytes: Uint8Array, name: string): Uint32Array {
  const array = parseNpy(bytes, name);
  if (array.shape.length !== 1 && !(array.shape.length === 2 && array.shape[1] === 1)) throw new UsageError(`${name}: shape (${array.shape.join(', ')}), expected [N] cluster ids`);
  if (array.dtype === 'float32' || array.dtype === 'float64') throw new UsageError(`${name}: dtype ${array.dtype}, expected integer cluster ids (uint32, int32 or int64)`);
  const values = Array.from(array.data as ArrayLike<number | bigint>, Number);
  const bad = values.findIndex((v) => v < 0 || v > 0xffffffff);
  if (bad >= 0) throw new UsageError(`${name}: id ${values[bad]} at row ${bad} is outside 0..4294967295`);
  return Uint32Array.from(values);
}

/** Both files, checked against each other (one id per point). */
export function parseCapacityInputs(points: { bytes: Uint8Array; name: string }, ids: { bytes: Uint8Array; name: string }): CapacityInputs {
  const p = parseCapacityPoints(points.bytes, points.name);
  const i = parseCapacityIds(ids.bytes, ids.name);
  if (i.length !== p.rows) throw new UsageError(`${ids.name} has ${i.length} ids but ${points.name} has ${p.rows} points; give one cluster id per point`);
  return { ...p, ids: i };
}

// NumPy `.npy` files (format versions 1-3, little-endian, C order): the exchange format with users'
// PyTorch/JAX code. Works on bytes, so it serves Node and browsers alike.
import { UsageError } from '../errors.js';

const dtypes = {
  '<f4': { name: 'float32', bytes: 4, make: (b: ArrayBuffer) => new Float32Array(b) },
  '<f8': { name: 'float64', bytes: 8, make: (b: ArrayBuffer) => new Float64Array(b) },
  '<i8': { name: 'int64', bytes: 8, make: (b: ArrayBuffer) => new BigInt64Array(b) },
  '<i4': { name: 'int32', bytes: 4, make: (b: ArrayBuffer) => new Int32Array(b) },
  '<u4': { name: 'uint32', bytes: 4, make: (b: ArrayBuffer) => new Uint32Array(b) },
} as const;

type Descr = keyof typeof dtypes;
export type NpyDtype = (typeof dtypes)[Descr]['name'];
export type NpyData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint32Array;

export interface NpyArray<T extends NpyData = NpyData> {
  dtype: NpyDtype;
  shape: number[];
  data: T;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Header text quoted in a message: control characters escaped, so the message stays one line. */
const printable = (text: string) => text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** A `.npy` header: the array's type and shape, and where its data starts. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the data. */
  dataStart: number;
  /** Bytes of data the shape and dtype call for. */
  dataBytes: number;
}

/**
 * Parses the header at the start of `bytes` (the whole file, or at least its first 64 KiB). `fileBytes`
 * is the file's full length, checked against the shape. `source` names the file in error messages.
 */
export function parseNpyHeader(bytes: Uint8Array, source: string, fileBytes = bytes.length): NpyHeader {
  const bad = (why: string) => new UsageError(`${source}: ${why}`);
  if (fileBytes === 0) throw bad('file is empty');
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw bad('not a .npy file (bad magic)');
  const major = bytes[6]!;
  // Versions 2 and 3 keep the header length in 4 bytes (a RangeError on a 10- or 11-byte file before).
  if (major >= 2 && bytes.length < 12) throw bad(`unsupported or truncated .npy header (version ${major})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [headerLength, headerStart] = major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  if (major < 1 || major > 3 || headerStart + headerLength > bytes.length) throw bad(`unsupported or truncated .npy header (version ${major})`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad('malformed .npy header');
  if (!Object.hasOwn(dtypes, descr)) throw bad(`dtype ${printable(descr)} is not supported (expected one of ${Object.values(dtypes).map((d) => d.name).join(', ')}, little-endian)`);
  if (fortran === 'True') throw bad('Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw bad(`malformed shape (${printable(shapeText)})`);
  const type = dtypes[descr as Descr];
  const dataStart = headerStart + headerLength;
  const dataBytes = shape.reduce((a, b) => a * b, 1) * type.bytes;
  if (fileBytes - dataStart !== dataBytes) {
    throw bad(`holds ${fileBytes - dataStart} data bytes, but shape (${shape.join(', ')}) of ${type.name} needs ${dataBytes}`);
  }
  return { dtype: type.name, shape, dataStart, dataBytes };
}

/** Parses a `.npy` file; `source` names it in error messages. */
export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  const { dtype, shape, dataStart } = parseNpyHeader(bytes, source);
  const type = Object.values(dtypes).find((t) => t.name === dtype)!;
  // Copy: the data may be misaligned for a typed-array view, and the caller owns the result. (A Node
  // Buffer's slice() is a view into a shared pool, so copy explicitly.)
  const copy = new Uint8Array(bytes.length - dataStart);
  copy.set(bytes.subarray(dataStart));
  return { dtype, shape, data: type.make(copy.buffer) };
}

/**
 * The version-1 `.npy` header of a C-ordered array, padded with spaces (as the format allows) so that
 * the data start on an `align`-byte boundary: 64 by default, as numpy writes; at most 65536.
 */
export function npyHeader(dtype: NpyDtype, shape: readonly number[], align = 64): Uint8Array {
  const entry = Object.entries(dtypes).find(([, t]) => t.name === dtype);
  if (!entry) throw new Error(`cannot encode dtype ${dtype}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${entry[0]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + header.length + 1) / align) * align;
  header = `${header}${' '.repeat(total - 10 - header.length - 1)}\n`;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  return out;
}

/** Encodes a C-ordered array as a version-1 `.npy` file. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) throw new Error(`shape (${array.shape.join(', ')}) does not match ${array.data.length} values`);
  const header = npyHeader(array.dtype, array.shape);
  const out = new Uint8Array(header.length + array.data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), header.length);
  return out;
}

/** Rows and columns of a float32 `.npy` array of shape `[rows, cols]` (or `[rows]`, one column). */
export function float32MatrixShape(dtype: NpyDtype, shape: number[], source: string): { rows: number; cols: number } {
  if (dtype !== 'float32') throw new UsageError(`${source}: dtype ${dtype}, expected float32 (numpy: x.astype(np.float32))`);
  if (shape.length !== 1 && shape.length !== 2) throw new UsageError(`${source}: shape (${shape.join(', ')}), expected [N, d] or [N]`);
  const [rows, cols = 1] = shape as [number, number?];
  if (rows === 0 || cols === 0) throw new UsageError(`${source}: holds no points (shape ${shape.join(' x ')})`);
  return { rows, cols };
}

/** Throws a UsageError naming the first non-finite value of a `[rows, cols]` matrix. */
export function checkFinite(data: Float32Array, cols: number, source: string): void {
  const bad = firstNonFinite(data);
  if (bad >= 0) throw new UsageError(`${source}: row ${Math.floor(bad / cols)}, column ${bad % cols} is ${data[bad]}; values must be finite`);
}

/** Values checked per block: the block is searched value by value only if it holds a non-finite one. */
const FINITE_BLOCK = 1 << 14;

/** The index of the first NaN or infinity in `data`, or -1. */
export function firstNonFinite(data: Float32Array): number {
  // On the bits: a float32 is finite unless its exponent is all ones, and then adding one to the exponent
  // carries into the sign bit. ORing that over a block in four independent chains has no branch per value
  // (10^8 values: about half the time of a loop that tests each one).
  const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
  for (let start = 0; start < bits.length; start += FINITE_BLOCK) {
    const end = Math.min(start + FINITE_BLOCK, bits.length);
    let a = 0, b = 0, c = 0, d = 0, i = start;
    for (; i + 4 <= end; i += 4) {
      a |= (bits[i]! & 0x7f800000) + 0x00800000;
      b |= (bits[i + 1]! & 0x7f800000) + 0x00800000;
      c |= (bits[i + 2]! & 0x7f800000) + 0x00800000;
      d |= (bits[i + 3]! & 0x7f800000) + 0x00800000;
    }
    for (; i < end; i++) a |= (bits[i]! & 0x7f800000) + 0x00800000;
    if ((a | b | c | d) < 0) {
      for (let j = start; j < end; j++) if ((bits[j]! & 0x7f800000) === 0x7f800000) return j;
    }
  }
  return -1;
}

/** A float32 matrix `[rows, cols]` from a `.npy` array of shape `[rows, cols]` (or `[rows]`, one column). */
export function asFloat32Matrix(array: NpyArray, source: string): { data: Float32Array; rows: number; cols: number } {
  const { rows, cols } = float32MatrixShape(array.dtype, array.shape, source);
  const data = array.data as Float32Array;
  checkFinite(data, cols, source);
  return { data, rows, cols };
}

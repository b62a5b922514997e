import { describe, expect, it } from 'vitest';
import { UsageError } from '../ts/errors.js';
import { asFloat32Matrix, encodeNpy, firstNonFinite, type NpyArray, parseNpy } from '../ts/io/npy.js';

describe('.npy files', () => {
  it('round-trip every supported dtype and shape', () => {
    const arrays: NpyArray[] = [
      { dtype: 'float32', shape: [3, 2], data: Float32Array.of(1, 2, 3, 4, 5, -0.5) },
      { dtype: 'float64', shape: [4], data: Float64Array.of(Math.PI, -1e300, 0, 5e-324) },
      { dtype: 'int64', shape: [2, 1], data: BigInt64Array.of(-(2n ** 63n), 2n ** 62n) },
      { dtype: 'int32', shape: [1, 3], data: Int32Array.of(-7, 0, 7) },
      { dtype: 'uint32', shape: [2], data: Uint32Array.of(0, 2 ** 32 - 1) },
      { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
    ];
    for (const array of arrays) {
      const bytes = encodeNpy(array);
      // numpy's layout: magic, version 1.0, header padded so the data starts on a 64-byte boundary.
      expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0);
      expect(parseNpy(bytes, 'x.npy')).toEqual(array);
    }
  });

  it('reads version 2 headers', () => {
    const v1 = encodeNpy({ dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) });
    const headerLength = new DataView(v1.buffer).getUint16(8, true);
    const v2 = new Uint8Array(v1.length + 2);
    v2.set(v1.subarray(0, 8));
    v2[6] = 2;
    new DataView(v2.buffer).setUint32(8, headerLength, true);
    v2.set(v1.subarray(10), 12);
    expect(parseNpy(v2, 'v2.npy').data).toEqual(Float32Array.of(1, 2));
  });

  it.each([
    [new Uint8Array(0), /x\.npy: file is empty/],
    [new TextEncoder().encode('hello world, not numpy'), /not a \.npy file/],
    [encodeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(4) }).slice(0, -10), /holds 6 data bytes, but shape \(4\) of float32 needs 16/],
    [encodeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(4) }).slice(0, 40), /truncated \.npy header/],
  ])('rejects broken files with a usage error', (bytes, message) => {
    expect(() => parseNpy(bytes, 'x.npy')).toThrow(UsageError);
    expect(() => parseNpy(bytes, 'x.npy')).toThrow(message);
  });

  it('rejects unsupported dtypes and Fortran order, naming what is allowed', () => {
    const f4 = encodeNpy({ dtype: 'float32', shape: [1], data: new Float32Array(1) });
    // Overwrite same-length ASCII text inside the header.
    const patch = (from: string, to: string) => {
      const bytes = f4.slice();
      const at = new TextDecoder('latin1').decode(bytes).indexOf(from);
      bytes.set(new TextEncoder().encode(to), at);
      return parseNpy(bytes, 'p.npy');
    };
    expect(() => patch("'<f4'", "'>f4'")).toThrow(/dtype >f4 is not supported \(expected one of float32, float64, int64, int32, uint32, little-endian\)/);
    expect(() => patch('False', 'True ')).toThrow(/Fortran-ordered arrays are not supported/);
  });

  it('checks float32 point matrices for dtype, shape, emptiness and finiteness', () => {
    const ok = asFloat32Matrix({ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) }, 'a.npy');
    expect([ok.rows, ok.cols]).toEqual([2, 3]);
    expect(asFloat32Matrix({ dtype: 'float32', shape: [4], data: new Float32Array(4) }, 'a.npy').cols).toBe(1);
    expect(() => asFloat32Matrix({ dtype: 'float64', shape: [2], data: new Float64Array(2) }, 'a.npy')).toThrow(/dtype float64, expected float32/);
    expect(() => asFloat32Matrix({ dtype: 'float32', shape: [1, 1, 1], data: new Float32Array(1) }, 'a.npy')).toThrow(/expected \[N, d\] or \[N\]/);
    expect(() => asFloat32Matrix({ dtype: 'float32', shape: [0, 3], data: new Float32Array(0) }, 'a.npy')).toThrow(/holds no points/);
    expect(() => asFloat32Matrix({ dtype: 'float32', shape: [2, 2], data: Float32Array.of(0, 1, Infinity, 0) }, 'a.npy')).toThrow(/row 1, column 0 is Infinity/);
  });

  it('finds the first non-finite value wherever it lies, past any finite extreme', () => {
    // Lengths around the checker's blocks of 2^14 and its groups of four; the largest finite values and
    // the subnormals pass, every NaN and infinity is found at its first position.
    const extremes = [3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, -0, 0];
    for (const length of [1, 3, 4, 5, (1 << 14) - 1, 1 << 14, (1 << 14) + 3, 3 * (1 << 14) + 2]) {
      const data = Float32Array.from({ length }, (_, i) => extremes[i % extremes.length]!);
      expect(firstNonFinite(data)).toBe(-1);
      for (const at of new Set([0, length >> 1, length - 1])) {
        for (const bad of [Number.NaN, Infinity, -Infinity]) {
          const copy = data.slice();
          copy[at] = bad;
          if (at + 1 < length) copy[length - 1] = Number.NaN;
          expect(firstNonFinite(copy)).toBe(at);
        }
      }
    }
    // A view into a larger buffer reads only its own values.
    const whole = Float32Array.of(Number.NaN, 1, 2, 3, 4, Infinity);
    expect(firstNonFinite(whole.subarray(1, 5))).toBe(-1);
    expect(firstNonFinite(whole.subarray(1))).toBe(4);
  });
});

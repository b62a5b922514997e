// Reading `.npy` files from disk in Node without holding them twice: the header first, then the data
// straight into memory the caller provides (e.g. a wasm point buffer).
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, write, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { releaseTemporary, temporarySibling, writeError } from './atomic.js';
import { checkFinite, float32MatrixShape, npyHeader, parseNpyHeader, type NpyDtype } from './npy.js';

const HEADER_BYTES = 1 << 16;

/** Memory to read into: `view()` is exactly rows * cols floats; `free()` releases it after a failure. */
export interface Float32Target {
  view(): Float32Array;
  free(): void;
}

/**
 * Reads a float32 `[rows, cols]` (or `[rows]`) `.npy` file into the buffer `allocate(rows, cols)` returns,
 * checking that every value is finite. `what` names the file in errors; on any error the buffer is freed.
 */
export function readFloat32MatrixInto<B extends Float32Target>(path: string, what: string, allocate: (rows: number, cols: number) => B): { buffer: B; rows: number; cols: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UsageError(`cannot read ${what} ${path}: ${stat.isDirectory() ? 'it is a folder' : 'not a regular file'}; give a .npy file`);
    const size = stat.size;
    const head = new Uint8Array(Math.min(size, HEADER_BYTES));
    readOrFail(fd, head, 0, head.length, 0, path, what);
    const header = parseNpyHeader(head, path, size);
    const { rows, cols } = float32MatrixShape(header.dtype, header.shape, path);
    const buffer = allocate(rows, cols);
    try {
      const data = buffer.view();
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      for (let done = 0; done < bytes.length; ) {
        const n = readOrFail(fd, bytes, done, Math.min(bytes.length - done, 1 << 30), header.dataStart + done, path, what);
        if (n === 0) throw new UsageError(`${path}: file ended after ${done} of ${bytes.length} data bytes`);
        done += n;
      }
      checkFinite(data, cols, path);
    } catch (error) {
      buffer.free();
      throw error;
    }
    return { buffer, rows, cols };
  } finally {
    closeSync(fd);
  }
}

/** `readSync`, with an I/O failure (EIO, EISDIR...) turned into a usage error naming the file. */
function readOrFail(fd: number, buffer: Uint8Array, offset: number, length: number, position: number, path: string, what: string): number {
  try {
    return readSync(fd, buffer, offset, length, position);
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A float32 `[rows, cols]` `.npy` file read into a fresh array (checked as by `readFloat32MatrixInto`). */
export function readFloat32Matrix(path: string, what: string): { data: Float32Array; rows: number; cols: number } {
  const { buffer, rows, cols } = readFloat32MatrixInto(path, what, (r, c) => {
    const data = new Float32Array(r * c);
    return { data, view: () => data, free: () => {} };
  });
  return { data: buffer.data, rows, cols };
}

/**
 * Files written in pieces under temporary names beside their targets, renamed into place together by
 * `commit()`; `abort()` (or any failure before commit) removes them, and any folder `open` had to
 * create, so no partial file is ever seen. A failed write (e.g. a full disk) is a usage error naming
 * the file.
 */
export class AtomicFiles {
  private readonly files: { fd: number; temp: string; target: string; path: string }[] = [];
  /** Folders created for the outputs (the topmost new one of each path), removed again by `abort()`. */
  private readonly created: string[] = [];

  /** Opens a `.npy` file of `shape` and writes its header; fill it with `write`. */
  openNpy(path: string, dtype: NpyDtype, shape: readonly number[]): number {
    const fd = this.open(path);
    this.write(fd, npyHeader(dtype, shape));
    return fd;
  }

  open(path: string): number {
    const target = resolve(path);
    let temp: string | undefined;
    let fd: number;
    try {
      temp = temporarySibling(target, this.files.length, this.created);
      fd = openSync(temp, 'w');
    } catch (error) {
      if (temp !== undefined) releaseTemporary(temp);
      throw writeError(path, error);
    }
    this.files.push({ fd, temp, target, path });
    return fd;
  }

  write(fd: number, data: ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
    } catch (error) {
      throw writeError(this.files.find((f) => f.fd === fd)?.path ?? 'output', error);
    }
  }

  /**
   * `write` on libuv's thread pool, so the caller can compute meanwhile. One write per file at a time
   * (the file position advances as each completes); `data` must stay unchanged until it resolves.
   */
  async writeAsync(fd: number, data: ArrayBufferView): Promise<void> {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let done = 0; done < bytes.length; ) {
      done += await new Promise<number>((resolve, reject) => write(fd, bytes, done, bytes.length - done, null, (error, written) => (error ? reject(writeError(this.files.find((f) => f.fd === fd)?.path ?? 'output', error)) : resolve(written))));
    }
  }

  commit(): void {
    try {
      for (const f of this.files) closeSync(f.fd);
      for (const f of this.files) renameSync(f.temp, f.target);
    } catch (error) {
      const path = this.files[0]?.path ?? 'output';
      this.abort();
      throw writeError(path, error);
    }
    this.release();
  }

  /** The temporaries are renamed or removed: the exit handler leaves them. */
  private release(): void {
    for (const f of this.files) releaseTemporary(f.temp);
    for (const folder of this.created) releaseTemporary(folder);
    this.files.length = 0;
    this.created.length = 0;
  }

  abort(): void {
    for (const f of this.files) {
      try {
        closeSync(f.fd);
      } catch {
        // already closed
      }
      rmSync(f.temp, { force: true });
    }
    for (const folder of [...this.created].reverse()) rmSync(folder, { recursive: true, force: true });
    this.release();
  }
}

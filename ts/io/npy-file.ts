// Reading `.npy` files from disk in Node without holding them twice: the header first, then the data
// straight into memory the caller provides (e.g. a wasm point buffer).
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, rmSync, write, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { releaseTemporary, temporarySibling, writeError } from './atomic.js';
import { checkFinite, float32MatrixShape, npyHeader, parseNpyHeader, type NpyDtype } from './npy.js';

const HEADER_BYTES = 1 << 16;

/** Alignment of the data in files opened for direct I/O, and of the memory and lengths written that way. */
export const PAGE_BYTES = 4096;

/**
 * Share of the time since its first direct write that the caller may spend waiting for its writes (from the
 * `SLOW_DISK_WRITES`-th on) before the appender writes through the page cache instead: direct writes then
 * hold the caller up, where the page cache would take them at memory speed. `percolab generate` on 2 cores
 * here waits about 0 (2 MiB per write at about 1.2 GB/s, one every 4-5 ms).
 */
const SLOW_DISK_SHARE = 0.25;
const SLOW_DISK_WRITES = 8;

/** A `.npy` file filled in row order, one write at a time (see `WriteBehind`, which drives it). */
export interface NpyAppender {
  /**
   * Starts writing `data` after what came before, on libuv's thread pool so that the caller can compute
   * meanwhile, and calls `done` once it is written (with the error, naming the file, if it failed). `data`
   * must stay unchanged until then, and no other write may start before.
   */
  write(data: NodeJS.ArrayBufferView, done: (error?: Error) => void): void;
  /**
   * The caller starts, then ends, waiting for a write to finish, as before it reuses that memory or ends:
   * the time it waits tells whether the disk holds it up (then the rest goes through the page cache).
   */
  waitStarts(): void;
  waitEnds(): void;
  /** Whether whole pages from page-aligned memory go to the disk by direct I/O (for now). */
  readonly direct: boolean;
}

/**
 * Writes each step's arrays to their files while the caller computes the next step: one wait per step
 * (`settle`) and no promise per write. A chunk's promises (an async append and settle per file, and the
 * `Promise.all`s) left 6-7 KB of garbage per chunk, which V8's young generation took in fresh pages: about
 * 1.3 MiB more resident memory by the end of 10^7 points (docs/generation.md, "Memory above the runtime").
 */
export class WriteBehind {
  private inFlight = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly written = (error?: Error) => {
    if (error && !this.failure) this.failure = error;
    if (--this.inFlight === 0 && this.wake) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    }
  };

  /** `files`: every appender it writes to (their waits are timed in `settle`). */
  constructor(private readonly files: readonly NpyAppender[]) {}

  /** Starts writing `data` to `file`, which must not be written to meanwhile; `data` stays unchanged until `settle`. */
  write(file: NpyAppender, data: NodeJS.ArrayBufferView): void {
    this.inFlight++;
    file.write(data, this.written);
  }

  /** Waits for every write started; rejects with the first failure (once all have ended). */
  async settle(): Promise<void> {
    const files = this.files;
    for (let i = 0; i < files.length; i++) files[i]!.waitStarts();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.wake = resolve));
    for (let i = 0; i < files.length; i++) files[i]!.waitEnds();
    const failure = this.failure;
    if (failure) throw failure;
  }
}

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
  private readonly files: { fd: number; temp: string; target: string; path: string; direct?: number }[] = [];
  /** Folders created for the outputs (the topmost new one of each path), removed again by `abort()`. */
  private readonly created: string[] = [];

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
   * Opens a `.npy` file of `shape` to fill with `write`. With `direct`, its data start at `PAGE_BYTES`
   * (the header padded with spaces) and, where the file system takes direct I/O (Linux's O_DIRECT; not
   * tmpfs), whole pages written from page-aligned memory go to the disk without the kernel's copy into
   * its page cache (which took 0.14-0.94 s of CPU per 640 MiB here, on cores the caller computes on);
   * anything else is written as usual, so the file's bytes are the same either way. A disk slower than
   * the caller (who waits `SLOW_DISK_SHARE` of the time since the first direct write, between
   * `waitStarts` and `waitEnds`) is left to the page cache again, which absorbs what it can. `now` is the
   * clock that decides it (tests slow it). (Timed by the writes themselves, a write's end is seen only once
   * the caller yields: a caller computing the next chunk meanwhile looked busy all the time, and every run
   * left direct I/O after its eighth chunk.)
   */
  openNpyAppender(path: string, dtype: NpyDtype, shape: readonly number[], options: { direct?: boolean; now?: () => number } = {}): NpyAppender {
    const { direct = false, now = () => performance.now() } = options;
    const fd = this.open(path);
    const header = npyHeader(dtype, shape, direct ? PAGE_BYTES : undefined);
    this.write(fd, header);
    const file = this.files.find((f) => f.fd === fd)!;
    if (direct && constants.O_DIRECT !== undefined) {
      try {
        file.direct = openSync(file.temp, constants.O_WRONLY | constants.O_DIRECT);
      } catch {
        // no direct I/O here (EINVAL on tmpfs): written as usual
      }
    }
    const stopDirect = () => {
      closeSync(file.direct!);
      file.direct = undefined;
    };
    let directWrites = 0;
    let first = 0;
    let waited = 0;
    let waitStart = 0;
    let position = header.length;
    // The write in progress, as state rather than closures: nothing of ours is allocated per write, only
    // Node's request. `fs.write` takes offsets and lengths in bytes from the start of any view.
    let data: NodeJS.ArrayBufferView | undefined;
    let written = 0;
    // Bytes from the start of `data` that go by direct I/O: none unless `file.direct` is open (during a
    // write it closes only where this is set back to 0).
    let directEnd = 0;
    let done: (error?: Error) => void = () => {};
    const finish = (error?: Error) => {
      data = undefined;
      done(error);
    };
    const next = () => {
      const bytes = data!.byteLength;
      try {
        if (written < directEnd) write(file.direct!, data!, written, directEnd - written, position + written, wrote);
        else if (written < bytes) write(fd, data!, written, bytes - written, position + written, wrote);
        else {
          position += bytes;
          finish();
        }
      } catch (error) {
        // Thrown at once (a closed descriptor, say): reported as a failed write, never left pending.
        finish(writeError(file.path, error));
      }
    };
    const wrote = (error: NodeJS.ErrnoException | null, count: number) => {
      if (!error) written += count;
      else if (written < directEnd && error.code === 'EINVAL') {
        // Memory or a file system that takes no direct I/O after all: the rest as usual.
        stopDirect();
        directEnd = 0;
      } else return finish(writeError(file.path, error));
      next();
    };
    return {
      get direct() {
        return file.direct !== undefined;
      },
      write: (view, callback) => {
        data = view;
        done = callback;
        written = 0;
        const bytes = view.byteLength;
        directEnd = file.direct !== undefined && view.byteOffset % PAGE_BYTES === 0 && position % PAGE_BYTES === 0 ? bytes - (bytes % PAGE_BYTES) : 0;
        if (directEnd > 0 && directWrites++ === 0) first = now();
        next();
      },
      waitStarts: () => {
        waitStart = now();
      },
      waitEnds: () => {
        const end = now();
        waited += end - waitStart;
        if (file.direct !== undefined && directWrites >= SLOW_DISK_WRITES && waited > SLOW_DISK_SHARE * (end - first)) stopDirect();
      },
    };
  }

  commit(): void {
    try {
      for (const f of this.files) {
        if (f.direct !== undefined) closeSync(f.direct);
        closeSync(f.fd);
      }
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
      for (const fd of [f.direct, f.fd]) {
        try {
          if (fd !== undefined) closeSync(fd);
        } catch {
          // already closed
        }
      }
      rmSync(f.temp, { force: true });
    }
    for (const folder of [...this.created].reverse()) rmSync(folder, { recursive: true, force: true });
    this.release();
  }
}

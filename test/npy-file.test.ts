// `.npy` files written chunk by chunk (`percolab generate`'s output path): the same bytes whichever way
// each chunk reaches the disk.
import { closeSync, constants, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { npyHeader, parseNpy, parseNpyHeader } from '../ts/io/npy.js';
import { AtomicFiles, PAGE_BYTES, WriteBehind, type NpyAppender } from '../ts/io/npy-file.js';

/** Whether files in `dir` open for direct I/O (not on tmpfs, nor off Linux). */
function takesDirectIo(dir: string): boolean {
  if (constants.O_DIRECT === undefined) return false;
  const probe = join(dir, 'probe');
  writeFileSync(probe, '');
  try {
    closeSync(openSync(probe, constants.O_WRONLY | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe);
  }
}

describe('.npy files appended chunk by chunk', () => {
  it('pads the header to any boundary asked for, as numpy reads it', () => {
    for (const align of [64, 512, PAGE_BYTES]) {
      const header = npyHeader('float32', [10_000_000, 16], align);
      expect(header.length).toBe(align === 64 ? 128 : align);
      expect(header[header.length - 1]).toBe(0x0a);
      expect(parseNpyHeader(header, 'x.npy', header.length + 10_000_000 * 16 * 4)).toMatchObject({ dataStart: header.length, shape: [10_000_000, 16] });
    }
  });

  it('writes the same bytes by direct I/O, by ordinary writes, and from memory that is not page-aligned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-npy-file-'));
    // Page-aligned memory (a wasm memory starts on a page), filled with distinct floats.
    const memory = new Float32Array(new WebAssembly.Memory({ initial: 1 }).buffer);
    memory.forEach((_, i, a) => (a[i] = i * 0.5 - 7));
    const page = PAGE_BYTES / 4;
    // Ordinary ArrayBuffer memory (wherever the allocator put it: a direct write from it may be refused,
    // and the appender then writes the rest as usual).
    const plain = Float32Array.from({ length: 2 * page }, (_, i) => -i);
    const chunks = [
      memory.subarray(0, 2 * page), // whole pages from page-aligned memory
      memory.subarray(1, 1 + page), // a page's worth from a misaligned view: written as usual
      memory.subarray(3 * page, 6 * page),
      plain,
      memory.subarray(6 * page, 7 * page),
      memory.subarray(8 * page, 8 * page + 25), // the tail: less than a page
    ];
    const floats = chunks.reduce((n, c) => n + c.length, 0);
    const files = new AtomicFiles();
    const direct = files.openNpyAppender(join(dir, 'direct.npy'), 'float32', [floats], { direct: true });
    const usual = files.openNpyAppender(join(dir, 'usual.npy'), 'float32', [floats]);
    const writes = new WriteBehind([direct, usual]);
    for (const [i, chunk] of chunks.entries()) {
      writes.write(direct, chunk);
      writes.write(usual, chunk);
      await writes.settle();
      if (i === 0) expect(direct.direct).toBe(takesDirectIo(dir));
      expect(usual.direct).toBe(false);
    }
    files.commit();
    expect(readdirSync(dir).sort()).toEqual(['direct.npy', 'usual.npy']);
    const expected = new Float32Array(floats);
    let at = 0;
    for (const chunk of chunks) {
      expected.set(chunk, at);
      at += chunk.length;
    }
    const bytes = readFileSync(join(dir, 'direct.npy'));
    expect(parseNpyHeader(bytes, 'direct.npy').dataStart).toBe(PAGE_BYTES);
    expect(parseNpy(bytes, 'direct.npy').data).toEqual(expected);
    expect(parseNpy(readFileSync(join(dir, 'usual.npy')), 'usual.npy').data).toEqual(expected);
    rmSync(dir, { recursive: true });
  });

  it('goes back to the page cache when the disk is slower than its caller, with the same bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-npy-file-'));
    const memory = new Float32Array(new WebAssembly.Memory({ initial: 1 }).buffer);
    memory.forEach((_, i, a) => (a[i] = i));
    const page = PAGE_BYTES / 4;
    // A clock on which the caller waits 10 ms in each settle and computes 1 ms between two (held up 10/11 of
    // the time), or the reverse (1/11). It is read at the first direct write, then where each wait starts and ends.
    const files = new AtomicFiles();
    const appenders = [10, 1].map((waitMs) => {
      let [t, reads] = [0, 0];
      const now = () => (t += reads++ === 0 ? 0 : reads % 2 === 0 ? 11 - waitMs : waitMs);
      return files.openNpyAppender(join(dir, `write-${waitMs}ms.npy`), 'float32', [20 * page], { direct: true, now });
    });
    const states: boolean[][] = [[], []];
    for (let i = 0; i < 20; i++) {
      for (const [j, appender] of appenders.entries()) {
        const writes = new WriteBehind([appender]);
        writes.write(appender, memory.subarray((i % 4) * page, (i % 4 + 1) * page));
        await writes.settle();
        states[j]!.push(appender.direct);
      }
    }
    files.commit();
    if (takesDirectIo(dir)) {
      // From the eighth append on, the slow disk is left to the page cache; the fast one keeps direct I/O.
      expect(states[0]).toEqual(Array.from({ length: 20 }, (_, i) => i < 7));
      expect(states[1]).toEqual(Array(20).fill(true));
    }
    const expected = Float32Array.from({ length: 20 * page }, (_, i) => i % (4 * page));
    for (const writeMs of [10, 1]) expect(parseNpy(readFileSync(join(dir, `write-${writeMs}ms.npy`)), 'x').data).toEqual(expected);
    rmSync(dir, { recursive: true });
  });
});

describe('writing behind the caller', () => {
  /** An appender whose writes end when the test says, with an error or not. */
  function heldAppender() {
    const pending: ((error?: Error) => void)[] = [];
    const appender: NpyAppender = { direct: false, write: (_data, done) => void pending.push(done), waitStarts: () => {}, waitEnds: () => {} };
    return { appender, end: (error?: Error) => pending.shift()!(error) };
  }

  it('waits for every write of a step, and rejects with the first failure only once all have ended', async () => {
    const [a, b] = [heldAppender(), heldAppender()];
    const writes = new WriteBehind([a.appender, b.appender]);
    writes.write(a.appender, new Uint8Array(1));
    writes.write(b.appender, new Uint8Array(1));
    let settled: string | undefined;
    const settling = writes.settle().then(
      () => (settled = 'resolved'),
      (error: Error) => (settled = error.message),
    );
    a.end(new Error('disk full'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBeUndefined();
    b.end();
    await settling;
    expect(settled).toBe('disk full');
    // Nothing in flight: a later wait returns at once, still with the failure.
    await expect(writes.settle()).rejects.toThrow('disk full');
  });

  it('reports a write that fails on the disk as an error naming the file, and leaves no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-npy-file-'));
    const files = new AtomicFiles();
    const appender = files.openNpyAppender(join(dir, 'x.npy'), 'float32', [4]);
    // The descriptors closed under the appender: its next write fails (EBADF) where a full disk would.
    files.abort();
    const writes = new WriteBehind([appender]);
    writes.write(appender, new Float32Array(4));
    await expect(writes.settle()).rejects.toThrow(/cannot write output file .*x\.npy: EBADF/);
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });

  it('resolves at once when nothing is in flight, and after the last write otherwise', async () => {
    const a = heldAppender();
    const writes = new WriteBehind([a.appender]);
    await writes.settle();
    writes.write(a.appender, new Uint8Array(1));
    let done = false;
    const settling = writes.settle().then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    a.end();
    await settling;
    expect(done).toBe(true);
  });
});

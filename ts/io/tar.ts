// Gzipped ustar archives of a few regular files, in memory: what `percolab pack` writes and `percolab
// verify` reads. Entries carry no owner and mtime 0, so the same files give the same bytes. Reading is
// strict (header checksums, sizes, safe relative names): a truncated or altered archive is an error,
// never a partial read.
import { gunzipSync, gzipSync } from 'node:zlib';
import { UsageError } from '../errors.js';

const BLOCK = 512;

function header(name: string, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (text: string, offset: number, length: number) => {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length > length) throw new Error(`tar field too long: ${text}`);
    h.set(bytes, offset);
  };
  const octal = (value: number, offset: number, length: number) => put(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
  put(name, 0, 100);
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(0, 136, 12);
  put('0', 156, 1);
  put('ustar\u000000', 257, 8);
  h.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  octal(h.reduce((a, b) => a + b, 0), 148, 7);
  return h;
}

/** A gzipped ustar archive holding `files` (names: relative paths of at most 99 bytes), in the given order. */
export function writeTarGz(files: Record<string, Uint8Array | string>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    parts.push(header(name, bytes.length), bytes, new Uint8Array((BLOCK - (bytes.length % BLOCK)) % BLOCK));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

const safeName = (name: string) => name !== '' && !name.startsWith('/') && !name.split('/').some((part) => part === '' || part === '.' || part === '..');

/** The files of a gzipped ustar archive of regular files; anything else (truncation, a bad header, a link) is a UsageError naming `source`. */
export function readTarGz(archive: Uint8Array, source: string): Map<string, Uint8Array> {
  const fail = (why: string): never => {
    throw new UsageError(`${source} is not an intact percolab bundle: ${why}`);
  };
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (error) {
    return fail(`gzip: ${(error as Error).message}`);
  }
  const files = new Map<string, Uint8Array>();
  const text = (offset: number, length: number) => tar.subarray(offset, offset + length).toString('latin1').replace(/\0.*$/s, '');
  let at = 0;
  for (;;) {
    if (at + BLOCK > tar.length) return fail('truncated (no end-of-archive marker)');
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (Number.parseInt(text(at + 148, 8).trim(), 8) !== sum) return fail(`bad header checksum at byte ${at}`);
    if (text(at + 257, 6) !== 'ustar') return fail(`not a ustar header at byte ${at}`);
    const name = text(at, 100);
    const type = text(at + 156, 1);
    if (type !== '0' && type !== '') return fail(`${JSON.stringify(name)} is not a regular file`);
    if (!safeName(name)) return fail(`unsafe entry name ${JSON.stringify(name)}`);
    if (files.has(name)) return fail(`${name} appears twice`);
    const size = Number.parseInt(text(at + 124, 12).trim(), 8);
    if (!Number.isSafeInteger(size) || size < 0) return fail(`bad size for ${name}`);
    const start = at + BLOCK;
    if (start + size > tar.length) return fail(`truncated inside ${name}`);
    files.set(name, new Uint8Array(tar.subarray(start, start + size)));
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

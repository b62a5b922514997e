// Atomic output: everything is written to temporary siblings that are renamed into place only when
// complete, so an interrupted or failed command never leaves partial output.
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Temporary files and folders not yet renamed into place (`holdTemporary`). Should the process end first
 * (an uncaught error, `process.exit`, Ctrl-C, a kill), they are removed, so that no partial output outlives
 * it: on exit, and on SIGINT, SIGTERM and SIGHUP by a handler that removes them and then ends the process
 * with the same signal. The handlers are installed only while something is held.
 */
const held = new Set<string>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function removeHeld(): void {
  for (const path of held) rmSync(path, { recursive: true, force: true });
  held.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeHeld();
  unwatch();
  process.kill(process.pid, signal);
}

function unwatch(): void {
  process.off('exit', removeHeld);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Marks `path` (a temporary file, or a folder made for outputs) for removal if the process ends before `releaseTemporary`. */
export function holdTemporary(path: string): void {
  if (held.size === 0) {
    process.on('exit', removeHeld);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  held.add(path);
}

/** `path` was renamed into place or removed: no longer the exit handler's to remove. */
export function releaseTemporary(path: string): void {
  if (held.delete(path) && held.size === 0) unwatch();
}

/**
 * The temporary sibling to write instead of `target` (named by `tag`), after making `target`'s folder if
 * missing (the topmost folder made is pushed onto `created`); both held until released.
 */
export function temporarySibling(target: string, tag: string | number, created: string[]): string {
  const made = mkdirSync(dirname(target), { recursive: true });
  if (made !== undefined) {
    created.push(made);
    holdTemporary(made);
  }
  const temp = temporaryName(target, tag);
  holdTemporary(temp);
  return temp;
}

/** The hidden name a temporary for `target` takes beside it, unique to this process and `tag`. */
function temporaryName(target: string, tag: string | number): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${tag}`);
}

/**
 * Fails early (before any work) if `path` cannot be written as asked; `what` names it in messages. A
 * file (`kind`) is never written over a folder, even with `force`.
 */
export function checkWritable(path: string, what: string, force: boolean, kind: 'file' | 'folder' = 'file'): void {
  const target = resolve(path);
  if (kind === 'file' && existsSync(target) && statSync(target).isDirectory()) {
    throw new UsageError(`cannot write ${what} ${path}: it is a folder`);
  }
  if (existsSync(target) && !force) {
    throw new UsageError(`${what} ${path} already exists; choose another --out or pass --force to replace it`);
  }
  // The nearest existing ancestor must be a writable folder, or the work would be wasted.
  const ancestor = existingAncestor(target);
  if (!statSync(ancestor).isDirectory()) throw new UsageError(`cannot write ${what} ${path}: ${ancestor} is not a folder`);
  try {
    accessSync(ancestor, constants.W_OK);
  } catch {
    throw new UsageError(`cannot write ${what} ${path}: ${ancestor} is not writable`);
  }
}

export const checkOutputFolder = (outDir: string, force: boolean) => checkWritable(outDir, 'output folder', force, 'folder');

/** The nearest folder at or above `path` that exists (where a write under `path` lands). */
function existingAncestor(path: string): string {
  let ancestor = dirname(resolve(path));
  while (!existsSync(ancestor)) ancestor = dirname(ancestor);
  return ancestor;
}

const decimalBytes = (bytes: number) => {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const power = Math.min(units.length - 1, Math.max(0, Math.floor(Math.log10(Math.max(bytes, 1)) / 3)));
  return power === 0 ? `${bytes} bytes` : `${(bytes / 1000 ** power).toFixed(1)} ${units[power]}`;
};

/**
 * Fails early if the file system that `path` would be written on has less room than `bytes` (what the
 * output will take), rather than after the work that fills it.
 */
export function checkFreeSpace(path: string, bytes: number): void {
  const folder = existingAncestor(path);
  const { bavail, bsize } = statfsSync(folder);
  const free = bavail * bsize;
  if (bytes > free) throw new UsageError(`not enough space for ${path}: the output takes about ${decimalBytes(bytes)}, and ${folder} has ${decimalBytes(free)} free`);
}

/** A one-line usage error for a failed write of `path` (disk full, a folder missing, no permission). */
export function writeError(path: string, error: unknown): UsageError {
  if (error instanceof UsageError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOSPC' ? 'ENOSPC (no space left on the device)' : code === 'EFBIG' ? 'EFBIG (file too large for this file system or limit)' : (code ?? (error as Error).message);
  return new UsageError(`cannot write output file ${path}: ${why}`);
}

/**
 * Writes every file under a temporary name, then renames them all into place. On failure nothing is
 * left: neither the temporary files nor the folders made for them.
 */
export function writeFilesAtomically(files: Record<string, Uint8Array | string>, force: boolean): void {
  for (const path of Object.keys(files)) checkWritable(path, 'output file', force);
  const temps: [string, string][] = [];
  const created: string[] = [];
  let current = '';
  try {
    for (const [path, bytes] of Object.entries(files)) {
      current = path;
      const target = resolve(path);
      const temp = temporarySibling(target, Date.now(), created);
      temps.push([temp, target]);
      writeFileSync(temp, bytes);
    }
    for (const [temp, target] of temps) renameSync(temp, target);
  } catch (error) {
    for (const [temp] of temps) rmSync(temp, { force: true });
    for (const folder of created.reverse()) rmSync(folder, { recursive: true, force: true });
    throw writeError(current, error);
  } finally {
    for (const path of [...temps.map(([temp]) => temp), ...created]) releaseTemporary(path);
  }
}

/** Writes `files` (names may hold subfolders) into a temporary sibling folder, then renames it into place. */
export function writeRunFolder(outDir: string, files: Record<string, string | Uint8Array>, force: boolean): string {
  const target = resolve(outDir);
  checkOutputFolder(outDir, force);
  const parent = dirname(target);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (error) {
    throw new UsageError(`cannot create ${parent}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const temp = temporaryName(target, Date.now());
  holdTemporary(temp);
  try {
    mkdirSync(temp);
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(temp, name)), { recursive: true });
      writeFileSync(join(temp, name), content);
    }
    if (existsSync(target)) {
      const old = `${temp}-old`;
      renameSync(target, old);
      renameSync(temp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(temp, target);
    }
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    // Any file-system failure (no permission, a full disk) names the folder; anything else is a bug.
    if ((error as NodeJS.ErrnoException).code) throw new UsageError(writeError(outDir, error).message.replace('output file', 'output folder'));
    throw error;
  } finally {
    releaseTemporary(temp);
  }
  return target;
}

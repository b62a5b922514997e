// Atomic output: everything is written to temporary siblings that are renamed into place only when
// complete, so an interrupted or failed command never leaves partial output.
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** Fails early (before any work) if `path` cannot be written as asked; `what` names it in messages. */
export function checkWritable(path: string, what: string, force: boolean): void {
  const target = resolve(path);
  if (existsSync(target) && !force) {
    throw new UsageError(`${what} ${path} already exists; choose another --out or pass --force to replace it`);
  }
  // The nearest existing ancestor must be a writable folder, or the work would be wasted.
  let ancestor = dirname(target);
  while (!existsSync(ancestor)) ancestor = dirname(ancestor);
  if (!statSync(ancestor).isDirectory()) throw new UsageError(`cannot write ${what} ${path}: ${ancestor} is not a folder`);
  try {
    accessSync(ancestor, constants.W_OK);
  } catch {
    throw new UsageError(`cannot write ${what} ${path}: ${ancestor} is not writable`);
  }
}

export const checkOutputFolder = (outDir: string, force: boolean) => checkWritable(outDir, 'output folder', force);

/** Writes every file under a temporary name, then renames them all into place. */
export function writeFilesAtomically(files: Record<string, Uint8Array | string>, force: boolean): void {
  for (const path of Object.keys(files)) checkWritable(path, 'output file', force);
  const temps: [string, string][] = [];
  try {
    for (const [path, bytes] of Object.entries(files)) {
      const target = resolve(path);
      mkdirSync(dirname(target), { recursive: true });
      const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
      temps.push([temp, target]);
      writeFileSync(temp, bytes);
    }
    for (const [temp, target] of temps) renameSync(temp, target);
  } catch (error) {
    for (const [temp] of temps) rmSync(temp, { force: true });
    throw error;
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
  const temp = join(parent, `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
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
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EPERM') {
      throw new UsageError(`cannot write ${outDir}: ${code}`);
    }
    throw error;
  }
  return target;
}

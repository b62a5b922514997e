// Writing a run folder atomically: everything goes to a temporary sibling folder that is renamed into
// place only when complete, so an interrupted or failed run never leaves partial output.
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../config/load.js';

/** Fails early (before any work) if `outDir` cannot be written as asked. */
export function checkOutputFolder(outDir: string, force: boolean): void {
  const target = resolve(outDir);
  if (existsSync(target) && !force) {
    throw new UsageError(`output folder ${outDir} already exists; choose another --out or pass --force to replace it`);
  }
  // The nearest existing ancestor must be a writable folder, or the run would be wasted.
  let ancestor = dirname(target);
  while (!existsSync(ancestor)) ancestor = dirname(ancestor);
  if (!statSync(ancestor).isDirectory()) {
    throw new UsageError(`cannot write output folder ${outDir}: ${ancestor} is not a folder`);
  }
  try {
    accessSync(ancestor, constants.W_OK);
  } catch {
    throw new UsageError(`cannot write output folder ${outDir}: ${ancestor} is not writable`);
  }
}

export function writeRunFolder(outDir: string, files: Record<string, string>, force: boolean): string {
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
    for (const [name, text] of Object.entries(files)) writeFileSync(join(temp, name), text);
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

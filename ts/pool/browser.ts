import * as Comlink from 'comlink';
import { type CellApi, type PoolWorker, WorkerPool } from './pool.js';

/** Default pool size: one worker per logical core the browser reports. */
export const defaultWorkers = (): number => Math.max(1, navigator.hardwareConcurrency || 1);

/** A pool of module Web Workers running the bundled cell worker that sits beside this bundle. */
export function createBrowserPool(size = defaultWorkers(), script: URL = new URL('./worker.js', import.meta.url)): WorkerPool {
  return new WorkerPool(browserWorkers(size, script));
}

/** `size` module Web Workers running `script`, each behind a Comlink proxy. */
export function browserWorkers(size: number, script: URL): PoolWorker[] {
  return Array.from({ length: size }, (): PoolWorker => {
    const worker = new Worker(script, { type: 'module' });
    const died = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (event) => reject(new Error(`worker failed: ${event.message}`)), { once: true });
    });
    died.catch(() => {});
    return { api: Comlink.wrap<CellApi>(worker), died, terminate: () => worker.terminate() };
  });
}

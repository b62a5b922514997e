import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { type CellApi, type PoolWorker, WorkerPool } from './pool.js';

/** Default pool size: one worker per core. */
export const defaultWorkers = (): number => availableParallelism();

/** A pool of `size` worker_threads running the bundled cell worker that sits beside this bundle. */
export function createNodePool(size = defaultWorkers(), script: URL = new URL('./worker.js', import.meta.url)): WorkerPool {
  const workers = Array.from({ length: size }, (): PoolWorker => {
    const worker = new Worker(script);
    const died = new Promise<never>((_, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
    });
    died.catch(() => {});
    return { api: Comlink.wrap<CellApi>(nodeEndpoint(worker)), died, terminate: () => worker.terminate() };
  });
  return new WorkerPool(workers);
}

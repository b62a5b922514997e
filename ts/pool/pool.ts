// A fixed set of workers running experiment cells. The same pool serves Node (worker_threads) and
// browsers (Web Workers); only spawning differs (pool/node.ts, pool/browser.ts).
import type { Remote } from 'comlink';
import type { Config } from '../config/schema.js';
import type { CapacityMeasurement, DimensionMeasurement, SeedResult } from '../results.js';
import type { BuildInfo, WasmIdentity } from '../wasm/kernels.js';

/** What a cell worker exposes through Comlink. */
export interface CellApi {
  info(): BuildInfo | Promise<BuildInfo>;
  /** `onSteps` (a Comlink proxy across workers) hears of student training steps as they complete. */
  runSeed(config: Config, seed: number, onSteps?: (steps: number) => void): SeedResult | Promise<SeedResult>;
  measureDimension(config: Config, seed: number): DimensionMeasurement | Promise<DimensionMeasurement>;
  measureCapacity(config: Config, seed: number): CapacityMeasurement | Promise<CapacityMeasurement>;
  /** Which kernels the worker runs (undefined where its loader did not read the bytes). */
  wasm(): WasmIdentity | undefined | Promise<WasmIdentity | undefined>;
}

export interface PoolWorker {
  api: Remote<CellApi>;
  /** Rejects if the worker dies (crash, out of memory): calls on it would otherwise never settle. */
  died: Promise<never>;
  terminate(): void | Promise<unknown>;
}

export class WorkerPool {
  private closed = false;

  constructor(private readonly workers: PoolWorker[]) {
    if (workers.length === 0) throw new Error('a worker pool needs at least one worker');
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs every task, at most one per worker at a time; results come back in task order. */
  async map<T, R>(tasks: readonly T[], run: (api: Remote<CellApi>, task: T) => Promise<R>, onDone?: (done: number, total: number) => void): Promise<R[]> {
    if (this.closed) throw new Error('worker pool is closed');
    const results = new Array<R>(tasks.length);
    let next = 0;
    let done = 0;
    const drain = async (worker: PoolWorker) => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await Promise.race([run(worker.api, tasks[i]!), worker.died]);
        onDone?.(++done, tasks.length);
      }
    };
    await Promise.all(this.workers.map(drain));
    return results;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

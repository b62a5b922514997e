// The local executor: cells one after another, each on a pool of worker threads in this process.
import { runExperiment } from '../../experiment/run.js';
import { createNodePool } from '../../pool/node.js';
import type { WorkerPool } from '../../pool/pool.js';
import type { RunResults } from '../../results.js';
import type { Cell } from '../sweep.js';
import { writeCellFolder } from '../files.js';
import type { Executor } from './executor.js';

/** Runs one cell on `pool` and writes its folder: what every local or Slurm-run cell goes through. */
export async function computeCell(cell: Cell, folder: string, pool: WorkerPool): Promise<RunResults> {
  const results = await runExperiment(cell.config, { pool });
  await writeCellFolder(folder, cell, results);
  return results;
}

export function localExecutor(workers: number): Executor {
  return {
    async run(pending, job) {
      if (pending.length === 0) return;
      const pool = createNodePool(workers);
      try {
        for (const p of pending) {
          process.stderr.write(`${p.label}: running ${p.cell.config.seeds} seeds on ${workers} worker${workers === 1 ? '' : 's'}\n`);
          const results = await computeCell(p.cell, p.folder, pool);
          job.finished(p, results);
        }
      } finally {
        await pool.close();
      }
    },
  };
}

// How `percolab sweep` hands its pending cells to an engine: this process (local), a Slurm job array, or
// an HTTP endpoint (the edge worker). Every executor writes each finished cell into its folder with
// `writeCellFolder`, so a cell's files are the same whoever computed them.
import { UsageError } from '../../errors.js';
import type { RunResults } from '../../results.js';
import type { Cell } from '../sweep.js';

export interface PendingCell {
  cell: Cell;
  /** `cell i/n path=value ...`, for messages. */
  label: string;
  /** Absolute path of `cells/<hash>/`. */
  folder: string;
}

export interface SweepJob {
  /** Absolute path of the sweep file. */
  file: string;
  /** Absolute path of the sweep folder. */
  out: string;
  /** Recompute cells that have results (`--force`). */
  force: boolean;
  /** Called once per cell as soon as its folder is written. */
  finished(cell: PendingCell, results: RunResults): void;
}

export interface Executor {
  /**
   * Computes every pending cell into its folder. Cells that fail are reported together at the end
   * (`IncompleteSweep`); the cells that finished are kept, so a rerun computes only the rest.
   */
  run(pending: PendingCell[], job: SweepJob): Promise<void>;
}

/** Some cells did not finish: one line per cell and why, then what to do. The CLI exits with status 2. */
export class IncompleteSweep extends UsageError {
  constructor(failures: { cell: PendingCell; why: string }[], total: number, engine: string) {
    super(
      `${failures.length} of ${total} pending cell${total === 1 ? '' : 's'} did not finish on ${engine}; the others are kept, and rerunning the sweep computes only the missing ones:\n` +
        failures.map(({ cell, why }) => `  ${cell.label}: ${why}`).join('\n'),
    );
  }
}

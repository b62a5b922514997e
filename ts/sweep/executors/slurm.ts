// The Slurm executor: one job array over the pending cells. Each task runs `percolab cell` (the same
// code as a local sweep) with this Node and this percolab, which must sit at the same paths on the
// compute nodes, as must the sweep file and folder (a shared file system). The results on disk are the
// truth: squeue only tells progress and why a task ended.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../errors.js';
import { writeFilesAtomically } from '../../io/atomic.js';
import { readCachedResults } from '../files.js';
import { type Executor, IncompleteSweep, type PendingCell, type SweepJob } from './executor.js';

export interface SlurmOptions {
  partition?: string;
  /** At most this many tasks at once (`--array=...%K`). */
  maxParallel?: number;
  /** Extra `#SBATCH` lines, as given (e.g. `--time=00:30:00`). */
  sbatchArgs: string[];
  /** Worker threads per task, and the CPUs each task asks for. */
  workers: number;
}

/** Slurm's default MaxArraySize is 1001: task indices stay below 1000 in every submission. */
const ARRAY_LIMIT = 1000;
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT', 'REVOKED']);

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The sbatch script for `cells` (task i runs cells[i]); `name` is the script's file name. */
export function sbatchScript(cells: PendingCell[], job: Pick<SweepJob, 'file' | 'out' | 'force'>, options: SlurmOptions): string {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  const lines = [
    '#!/bin/bash',
    `# Written by percolab sweep --executor slurm for ${job.file}: task i runs cell i of the list below.`,
    '#SBATCH --job-name=percolab-sweep',
    `#SBATCH --array=0-${cells.length - 1}${options.maxParallel ? `%${options.maxParallel}` : ''}`,
    `#SBATCH --output=${join(job.out, 'slurm', 'logs', '%A_%a.log')}`,
    `#SBATCH --cpus-per-task=${options.workers}`,
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    ...options.sbatchArgs.map((arg) => `#SBATCH ${arg}`),
    'set -euo pipefail',
    'cells=(',
    ...cells.map((p) => `  ${p.cell.hash} # ${p.label}`),
    ')',
    // Node and percolab as on the submitting machine: the same paths on a shared file system.
    `exec ${quote(process.execPath)} ${quote(cli)} cell ${quote(job.file)} --hash "\${cells[$SLURM_ARRAY_TASK_ID]}" --out ${quote(job.out)} --workers ${options.workers}${job.force ? ' --force' : ''}`,
    '',
  ];
  return lines.join('\n');
}

/** Checks the options that end up in the script: one line each, nothing the shell would reinterpret. */
export function checkSlurmOptions(options: SlurmOptions): void {
  for (const [flag, value] of [['--partition', options.partition], ...options.sbatchArgs.map((a) => ['--sbatch-arg', a])] as [string, string | undefined][]) {
    if (value === undefined) continue;
    if (value.trim() === '' || /[\n\r]/.test(value)) throw new UsageError(`${flag} ${JSON.stringify(value)}: expected one non-empty line`);
  }
  const bad = options.sbatchArgs.find((a) => !a.startsWith('-'));
  if (bad !== undefined) throw new UsageError(`--sbatch-arg ${JSON.stringify(bad)}: expected an sbatch option such as --time=01:00:00`);
}

/** Runs a Slurm client command; a missing client is a usage error that says what to install. */
function slurm(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new UsageError(`${command} not found: --executor slurm runs on a machine with the Slurm client commands (a login node; or scripts/bootstrap.sh and scripts/slurm/start.sh for a local one)`);
  }
  return result;
}

function submit(script: string): string {
  const result = slurm('sbatch', ['--parsable', script]);
  const id = /^(\d+)/.exec(result.stdout ?? '')?.[1];
  // sbatch has been seen to exit 0 and print nothing: the job id is the proof of submission.
  if (result.status !== 0 || id === undefined) throw new UsageError(`sbatch ${script} failed${result.status !== 0 ? ` (status ${result.status})` : ''}: ${(result.stderr || result.stdout || 'no job id printed').trim().split('\n').join('; ')}`);
  return id;
}

/** The state of each task squeue still knows (task index -> state); undefined if squeue failed. */
function taskStates(jobId: string): Map<number, string> | undefined {
  const result = slurm('squeue', ['-h', '-j', jobId, '-t', 'all', '-o', '%K|%T']);
  if (result.status !== 0) return /Invalid job id/i.test(result.stderr) ? new Map() : undefined;
  const states = new Map<number, string>();
  let pendingRange = false;
  for (const line of result.stdout.split('\n')) {
    const [task, state] = line.trim().split('|');
    if (!task || !state) continue;
    if (/^\d+$/.test(task)) states.set(Number(task), state);
    else pendingRange = true; // `0-3%2`: tasks not yet started
  }
  if (pendingRange) states.set(-1, 'PENDING');
  return states;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function slurmExecutor(options: SlurmOptions): Executor {
  const pollMs = 1000 * Number(process.env.PERCOLAB_SLURM_POLL_SECONDS ?? 2);
  return {
    async run(pending, job) {
      if (pending.length === 0) return;
      const folder = join(job.out, 'slurm');
      // A submission that fails leaves nothing behind: neither its script nor the folders made for it.
      const created = mkdirSync(join(folder, 'logs'), { recursive: true });
      const jobs: { id: string; cells: PendingCell[]; states: Map<number, string> }[] = [];
      for (let at = 0, part = 1; at < pending.length; at += ARRAY_LIMIT, part++) {
        const cells = pending.slice(at, at + ARRAY_LIMIT);
        const script = join(folder, part === 1 ? 'sweep.sbatch' : `sweep-${part}.sbatch`);
        writeFilesAtomically({ [script]: sbatchScript(cells, job, options) }, true);
        let id: string;
        try {
          id = submit(script);
        } catch (error) {
          if (jobs.length === 0) {
            rmSync(script, { force: true });
            if (created !== undefined) rmSync(created, { recursive: true, force: true });
          }
          throw error;
        }
        process.stderr.write(`slurm: submitted job ${id} (${cells.length} cell${cells.length === 1 ? '' : 's'}), script ${relative(process.cwd(), script) || script}\n`);
        jobs.push({ id, cells, states: new Map() });
      }
      const done = new Set<PendingCell>();
      let lastLine = '';
      for (let failedPolls = 0; ; ) {
        let active = 0;
        let known = true;
        for (const j of jobs) {
          const states = taskStates(j.id);
          if (states === undefined) {
            known = false;
            continue;
          }
          // Remember each task's last state: squeue forgets ended tasks after a while.
          for (const [task, state] of states) if (task >= 0) j.states.set(task, state);
          active += [...states.values()].filter((s) => !ENDED.has(s)).length;
        }
        for (const j of jobs) {
          for (const p of j.cells) {
            if (done.has(p)) continue;
            const results = readCachedResults(p.folder);
            if (results !== undefined) {
              done.add(p);
              job.finished(p, results);
            }
          }
        }
        failedPolls = known ? 0 : failedPolls + 1;
        if (failedPolls > 0 && failedPolls < 10) active = Math.max(active, 1); // squeue unreachable for a moment: keep waiting
        const running = jobs.reduce((n, j) => n + [...j.states.values()].filter((s) => s === 'RUNNING').length, 0);
        const line = `slurm: ${done.size}/${pending.length} cells done, ${running} running`;
        if (line !== lastLine) process.stderr.write(`${line}\n`);
        lastLine = line;
        if (done.size === pending.length || active === 0) break;
        await sleep(pollMs);
      }
      const failures = jobs.flatMap((j) =>
        j.cells.flatMap((p, task) => {
          if (done.has(p) || readCachedResults(p.folder) !== undefined) return [];
          const log = join(folder, 'logs', `${j.id}_${task}.log`);
          return [{ cell: p, why: `task ${j.id}_${task} ${j.states.get(task) ?? 'ended'} without results, log ${relative(process.cwd(), log) || log}` }];
        }),
      );
      if (failures.length > 0) throw new IncompleteSweep(failures, pending.length, 'Slurm');
    },
  };
}

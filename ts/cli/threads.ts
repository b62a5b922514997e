// How many threads each command runs by default, read by the entry before the program loads (to start
// helpers early) and by the commands' --threads options: one table, so the two cannot disagree.
import { availableParallelism } from 'node:os';

/** Most wasm threads a command starts (each is a worker with its own instance). */
export const MAX_THREADS = 256;

/** One per core, at most MAX_THREADS. */
export const threadsPerCore = () => Math.min(availableParallelism(), MAX_THREADS);

/** The commands that run the threaded kernels, and their --threads default. */
export const THREADED_COMMANDS = {
  generate: threadsPerCore,
  neighbors: threadsPerCore,
  estimate: threadsPerCore,
  capacity: threadsPerCore,
  train: threadsPerCore,
  teacher: () => 2,
} as const satisfies Record<string, () => number>;

/**
 * Helper threads worth starting before the program has read `argv`: the thread count the command will
 * ask for, less the calling thread, and no more than the other cores (more could not start alongside the
 * program's loading anyway). A guess from the raw words (the last `--threads N` or `--threads=N`, else the
 * command's default); none for help, or for a count the command will refuse. A wrong guess costs time
 * and memory, not results: helpers not taken are never used, and missing ones start when asked for.
 */
export function helpersToPrestart(argv: readonly string[], cores = availableParallelism()): number {
  const [command, ...rest] = argv;
  if (command === undefined || !Object.hasOwn(THREADED_COMMANDS, command) || rest.includes('--help') || rest.includes('-h')) return 0;
  let threads = THREADED_COMMANDS[command as keyof typeof THREADED_COMMANDS]();
  rest.forEach((word, i) => {
    const value = word === '--threads' ? (rest[i + 1] ?? '') : word.startsWith('--threads=') ? word.slice('--threads='.length) : undefined;
    if (value !== undefined) threads = /^[0-9]+$/.test(value) ? Number(value) : 0;
  });
  return threads >= 2 && threads <= MAX_THREADS ? Math.min(threads, cores) - 1 : 0;
}

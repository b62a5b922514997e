// The `percolab` command's program: its commands, and `main`, which runs one. Bad input exits with status 2
// and one line on stderr, and writes nothing. The entry (main.ts) loads this module once helpers are starting.
import { Command, CommanderError } from 'commander';
import { CheckFailed, UsageError } from '../errors.js';
import { version } from '../version.js';
import { KernelError } from '../wasm/kernels.js';
import { setPointsFileReader } from '../experiment/file-data.js';

/**
 * A command that may read a file config's data on this thread too (`percolab teacher` on a file config;
 * runs read it in their workers), with the reader registered: points-file.ts brings Arrow and Parquet.
 */
const readsFiles = (load: () => Promise<Command>) => async () => {
  const [{ readPointsFile, inspectPointsFile }, command] = await Promise.all([import('../io/points-file.js'), load()]);
  setPointsFileReader(readPointsFile, inspectPointsFile);
  return command;
};

/**
 * Each command's module, loaded when the command is asked for: V8 parses everything a process loads
 * before running it, so `percolab neighbors` does not parse the code of `run` or `train` (nor the config
 * schema, nor Arrow). In the order help lists them; `cell` is internal (one sweep cell, for Slurm tasks:
 * `percolab sweep --executor slurm`). Only `neighbors`, `pack` and `verify` take no config.
 */
const COMMANDS = {
  run: readsFiles(async () => (await import('./commands/run.js')).runCommand()),
  sweep: readsFiles(async () => (await import('./commands/sweep.js')).sweepCommand()),
  // generate refuses a file config's data: no reader (Arrow and Parquet load only to write those formats).
  generate: async () => (await import('./commands/generate.js')).generateCommand(),
  neighbors: async () => (await import('./commands/neighbors.js')).neighborsCommand(),
  estimate: readsFiles(async () => (await import('./commands/estimate.js')).estimateCommand()),
  teacher: readsFiles(async () => (await import('./commands/teacher.js')).teacherCommand()),
  train: readsFiles(async () => (await import('./commands/train.js')).trainCommand()),
  lab: readsFiles(async () => (await import('./commands/lab.js')).labCommand()),
  superposition: readsFiles(async () => (await import('./commands/superposition.js')).superpositionCommand()),
  capacity: readsFiles(async () => (await import('./commands/capacity.js')).capacityCommand()),
  pack: async () => (await import('./commands/pack.js')).packCommand(),
  verify: async () => (await import('./commands/verify.js')).verifyCommand(),
  cell: readsFiles(async () => (await import('./commands/cell.js')).cellCommand()),
} as const satisfies Record<string, () => Promise<Command>>;

/**
 * The program with every command, or with only `argv`'s command when it names one (it parses the same:
 * a command's options and help are its own), or with none for `--version`. Anything else (no command,
 * `--help`, a misspelt command, which commander answers with the nearest names) gets them all.
 */
export async function program(argv: readonly string[] = []): Promise<Command> {
  const output = { writeErr: (text: string) => process.stderr.write(text) };
  const cli = new Command('percolab')
    .description('Scaling laws on fractal data: critical percolation clusters embedded in R^d.')
    .version(version)
    .exitOverride()
    .configureOutput(output);
  const [first] = argv;
  const all = Object.keys(COMMANDS) as (keyof typeof COMMANDS)[];
  const names = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first as keyof typeof COMMANDS] : first === '--version' || first === '-V' ? [] : all;
  // Commands built apart do not inherit these settings.
  const commands = await Promise.all(names.map((name) => COMMANDS[name]()));
  for (const [i, command] of commands.entries()) cli.addCommand(command.exitOverride().configureOutput(output), { hidden: names[i] === 'cell' });
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await program(argv)).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return 0;
      return 2; // commander has already printed its one-line message
    }
    // A kernel rejecting its arguments means the user's data or options were out of range. Errors from
    // worker threads arrive as plain errors that keep their name.
    const err = error as Error;
    if (error instanceof CheckFailed) return 1; // what failed is already printed
    if (error instanceof UsageError || error instanceof KernelError || ['UsageError', 'KernelError', 'DeviceError'].includes(err?.name)) {
      process.stderr.write(`percolab: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`percolab: internal error: ${err.name}: ${err.message}\n`);
    if (process.env.PERCOLAB_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

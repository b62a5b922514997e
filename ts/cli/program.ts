// The `percolab` command's program: its commands, and `main`, which runs one. Bad input exits with status 2
// and one line on stderr, and writes nothing. The entry (main.ts) loads this module once helpers are starting.
import { Command, CommanderError } from 'commander';
import { CheckFailed, UsageError } from '../errors.js';
import { version } from '../version.js';
import { KernelError } from '../wasm/kernels.js';
import { capacityCommand } from './commands/capacity.js';
import { estimateCommand } from './commands/estimate.js';
import { generateCommand } from './commands/generate.js';
import { labCommand } from './commands/lab.js';
import { neighborsCommand } from './commands/neighbors.js';
import { runCommand } from './commands/run.js';
import { superpositionCommand } from './commands/superposition.js';
import { sweepCommand } from './commands/sweep.js';
import { teacherCommand } from './commands/teacher.js';
import { trainCommand } from './commands/train.js';
import { cellCommand } from './commands/cell.js';
import { packCommand } from './commands/pack.js';
import { verifyCommand } from './commands/verify.js';
import { setPointsFileReader } from '../experiment/file-data.js';
import { readPointsFile } from '../io/points-file.js';

// File data read on the main thread too (`percolab teacher` on a file config); runs read it in workers.
setPointsFileReader(readPointsFile);

export function program(): Command {
  const output = { writeErr: (text: string) => process.stderr.write(text) };
  const cli = new Command('percolab')
    .description('Scaling laws on fractal data: critical percolation clusters embedded in R^d.')
    .version(version)
    .exitOverride()
    .configureOutput(output);
  // Commands built apart do not inherit these settings.
  const commands = [
    runCommand(),
    sweepCommand(),
    generateCommand(),
    neighborsCommand(),
    estimateCommand(),
    teacherCommand(),
    trainCommand(),
    labCommand(),
    superpositionCommand(),
    capacityCommand(),
    packCommand(),
    verifyCommand(),
  ];
  for (const command of commands) cli.addCommand(command.exitOverride().configureOutput(output));
  // Internal: one sweep cell, for Slurm tasks (percolab sweep --executor slurm).
  cli.addCommand(cellCommand().exitOverride().configureOutput(output), { hidden: true });
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
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

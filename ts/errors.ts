// Errors every layer may raise, in a module that imports nothing, so that e.g. ts/io/ needs nothing
// from ts/config/.

/** Invalid user input (config, option or file). The CLI prints its message and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A check that ran and failed (e.g. `percolab verify`), having printed what differs: the CLI exits with status 1. */
export class CheckFailed extends Error {
  override name = 'CheckFailed';
}

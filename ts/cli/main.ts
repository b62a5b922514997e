// The `percolab` command's entry: small, so that the helper threads a command will ask for start (about
// 0.05 s each, on other cores) while V8 parses and runs the rest of the program (about 0.1 s).
import { prepareGpuEnvironment } from '../teachers/gpu-node.js';
import { prestartHelpers } from '../wasm/helpers-node.js';
import { helpersToPrestart } from './threads.js';

prepareGpuEnvironment(); // before any worker starts: they inherit the environment
// A reader that closes the pipe early (`percolab run --help | head`) is not an error. Before any worker
// starts: each pipes its output into these streams, and a listener added after ten of them made Node warn.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const helpers = helpersToPrestart(process.argv.slice(2));
prestartHelpers(helpers);
// The kernels too, given to those helpers, which instantiate the module while this thread parses the program.
const [{ main }] = await Promise.all([import('./program.js'), helpers > 0 && import('../wasm/load-node.js').then((m) => m.prestartThreadedKernels(helpers))]);
process.exitCode = await main(process.argv.slice(2));

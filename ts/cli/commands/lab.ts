// `percolab lab`: serves the lab page on loopback, cross-origin isolated, until interrupted.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { serveLab } from '../../lab/server.js';
import { intAtLeast } from '../options.js';

/** dist/lab beside this bundle (dist/node/cli.js). */
const labFolder = () => fileURLToPath(new URL('../lab/', import.meta.url));

async function lab(options: { port: number; open: boolean }) {
  const folder = labFolder();
  if (!existsSync(`${folder}index.html`)) throw new UsageError(`the lab page is not built (no ${folder}index.html): run npm run build`);
  let site;
  try {
    site = await serveLab(folder, options.port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port ${options.port}: the port is in use; pick another (or --port 0 for any free one)`);
    if (code === 'EACCES') throw new UsageError(`--port ${options.port}: not allowed to listen there; pick a port above 1023`);
    throw error;
  }
  process.stdout.write(`lab: ${site.url} (Ctrl-C stops it)\n`);
  if (options.open) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    const child = spawn(opener, [site.url], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(`percolab: could not start ${opener}; open ${site.url} yourself\n`));
    child.unref();
  }
  await new Promise<void>((done) => {
    const stop = () => {
      site.server.close(() => done());
      site.server.closeAllConnections(); // a browser's keep-alive connections would hold close() open
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function labCommand(): Command {
  return new Command('lab')
    .description('Serve the lab page (set up, run and read experiments in a browser tab) on 127.0.0.1, cross-origin isolated.')
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').argParser(intAtLeast('--port', 0, 65535)).default(8080))
    .option('--open', 'open the page in the default browser', false)
    .action(lab);
}

// `npm run bench -- package [--wasm-pack]`: the npm tarball's size and file count (`npm pack --dry-run`
// on the current build), and with --wasm-pack the time a fresh machine's bootstrap spends building
// wasm-pack from crates.io (into a temporary root, as scripts/bootstrap.sh does into the tool cache).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmPackVersion } from '../toolchain.mjs';
import { machine, writeResult } from './lib/common.mjs';

const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const body = {
  machine: machine(),
  tarball: { command: 'npm pack --dry-run --json', file: pack.filename, bytes: pack.size, unpackedBytes: pack.unpackedSize, files: pack.entryCount },
};
if (process.argv.includes('--wasm-pack')) {
  const rootDir = mkdtempSync(join(tmpdir(), 'percolab-wasm-pack-'));
  const start = performance.now();
  try {
    execFileSync('/usr/bin/cargo', ['install', 'wasm-pack', '--version', `=${wasmPackVersion}`, '--locked', '--root', rootDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    rmSync(rootDir, { recursive: true, force: true });
  }
  body.bootstrapWasmPack = { command: `/usr/bin/cargo install wasm-pack --version =${wasmPackVersion} --locked`, seconds: +((performance.now() - start) / 1000).toFixed(1) };
}
writeResult('package', body);

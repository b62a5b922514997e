// The CLI's entry starts helper threads before the program has read the command line: its guess of how
// many, the table of defaults it shares with the commands, and a helper that fails to start.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { program } from '../ts/cli/program.js';
import { helpersToPrestart, MAX_THREADS, THREADED_COMMANDS, threadsPerCore } from '../ts/cli/threads.js';
import { helperThread, prestartHelpers, waitingHelpers } from '../ts/wasm/helpers-node.js';
import { loadThreadedKernels, prestartThreadedKernels } from '../ts/wasm/load-node.js';
import { distNode } from './helpers.js';

describe('helpers started before the program loads', () => {
  it('as many as the command will ask for, less the calling thread, up to the other cores', () => {
    expect(helpersToPrestart(['generate', '--points', '10', '--threads', '3'], 8)).toBe(2);
    expect(helpersToPrestart(['neighbors', 'a.npy', 'b.npy', '--threads=4'], 8)).toBe(3);
    expect(helpersToPrestart(['teacher', '--out', 'x'], 8)).toBe(1); // its default is 2
    expect(helpersToPrestart(['generate', '--threads', '2', '--threads', '5'], 8)).toBe(4); // the last one counts, as in commander
    expect(helpersToPrestart(['train', 'x.npy', 'y.npy'])).toBe(threadsPerCore() - 1);
    // More threads than cores: the rest start when the kernels ask for them.
    expect(helpersToPrestart(['generate', '--threads', '64'], 4)).toBe(3);
    expect(helpersToPrestart(['generate', '--threads', '2'], 1)).toBe(0);
  });

  it('none for help, other commands, or a count the command refuses', () => {
    for (const argv of [
      [],
      ['--version'],
      ['run', '--threads', '4'],
      ['sweep'],
      ['generate', '--threads', '4', '--help'],
      ['estimate', '-h'],
      ['generate', '--threads', '1'],
      ['generate', '--threads', '0'],
      ['generate', '--threads', '-3'],
      ['generate', '--threads', 'two'],
      ['generate', '--threads', String(MAX_THREADS + 1)],
      ['generate', '--threads'],
      ['toString'],
      ['__proto__'],
    ]) {
      expect(helpersToPrestart(argv), argv.join(' ')).toBe(0);
    }
  });

  it('the table lists every command with --threads, with the default its option shows', async () => {
    const withThreads = Object.fromEntries(
      (await program())
        .commands.map((c) => [c.name(), c.options.find((o) => o.long === '--threads')] as const)
        .filter(([, o]) => o !== undefined)
        .map(([name, o]) => [name, o!.defaultValue]),
    );
    expect(Object.keys(withThreads).sort()).toEqual(Object.keys(THREADED_COMMANDS).sort());
    for (const [name, byDefault] of Object.entries(THREADED_COMMANDS)) expect(withThreads[name], name).toBe(byDefault());
  });

  it('kernels started early serve any thread count the command then asks for', () => {
    // The built loader (the helpers' script lies beside it): started with one helper, asked for 1, 2 or 3
    // threads, the pool has that many and computes what the single-thread kernels do.
    const loader = readdirSync(distNode).find((f) => /^cli-load-node-.*\.js$/.test(f));
    expect(loader).toBeDefined();
    const script = `
      const m = await import(${JSON.stringify(`${distNode}${loader}`)});
      const lib = await import(${JSON.stringify(`${distNode}index.js`)});
      m.prestartThreadedKernels(1);
      const k = await m.loadThreadedKernels(Number(process.env.THREADS));
      const same = JSON.stringify(k.sampleCluster(3, 0, 5000, 20, 'exact')) === JSON.stringify(lib.loadKernels().sampleCluster(3, 0, 5000, 20, 'exact'));
      console.log(k.threads, k.shared.threadCount(), same);
      k.close();`;
    // A file, not --eval: workers inherit the process's flags, and --input-type would stop the helpers.
    const file = join(mkdtempSync(join(tmpdir(), 'percolab-early-')), 'early.mjs');
    writeFileSync(file, script);
    for (const threads of [1, 2, 3]) {
      const out = execFileSync(process.execPath, [file], { env: { ...process.env, THREADS: String(threads) } }).toString().trim();
      expect(out).toBe(`${threads} ${threads} true`);
    }
    // From the sources there is no .wasm: starting early fails quietly, and the command's own load says why.
    prestartThreadedKernels(1);
    return expect(loadThreadedKernels(2)).rejects.toThrow(/percolab-simd-threads\.wasm/);
  });

  it('an early helper that failed to start is passed over, and the process goes on', async () => {
    // Run from the sources, the helper's script (built beside the bundle) is missing: the worker fails.
    const before = waitingHelpers();
    prestartHelpers(1);
    await expect.poll(() => waitingHelpers(), { timeout: 10_000 }).toBe(before);
    // Asked for a helper, the pool starts a fresh one (here failing the same way, reported to its listener).
    const fresh = helperThread(new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
    const failed = await new Promise((resolve) => {
      fresh.once('error', resolve);
      fresh.once('exit', resolve);
    });
    expect(failed).toBeDefined();
  });
});

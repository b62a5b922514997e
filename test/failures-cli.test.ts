// Failure paths found by trying them as a user would, on the built CLI: every one exits with status 2 and
// one line naming the problem (no stack trace, never "internal error"), and leaves no partial output.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arrowFileWriter, pointsBatch, pointsSchema } from '../ts/io/arrow.js';
import { encodeNpy, parseNpy } from '../ts/io/npy.js';
import { cli, distNode } from './helpers.js';

// PERCOLAB_GPU=none: no WebGPU adapter is offered, whatever this machine has, so the device line is known.
const env = { ...process.env, PERCOLAB_DEBUG: '', PERCOLAB_GPU: 'none' };
const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env });
const square = encodeNpy({ dtype: 'float32', shape: [50, 2], data: Float32Array.from({ length: 100 }, (_, i) => (i * 0.618) % 1) });
const weights = encodeNpy({ dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });

function workdir(files: Record<string, Uint8Array | string> = {}, folders: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'percolab-fail-'));
  for (const folder of folders) mkdirSync(join(dir, folder));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

/** Status 2, exactly one line on stderr matching `message`, no stack, and the folder as it was. */
function expectUsageError(args: string[], message: RegExp, files: Record<string, Uint8Array | string> = {}, folders: string[] = []) {
  const dir = workdir(files, folders);
  const before = readdirSync(dir).sort();
  const result = percolab(args, dir);
  expect(result.stderr).toMatch(message);
  expect(result.status, result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(readdirSync(dir).sort()).toEqual(before);
}

describe('a folder given where a file is expected', () => {
  it.each([
    ['neighbors, training file', ['neighbors', 'd', 'q.npy', '--out', 'nn'], /cannot read training file d: it is a folder/],
    ['neighbors, query file', ['neighbors', 'q.npy', 'd', '--out', 'nn'], /cannot read query file d: it is a folder/],
    ['estimate, points file', ['estimate', 'd'], /cannot read points file d: it is a folder/],
    ['estimate, weights file', ['estimate', '--weights', 'q.npy,d'], /cannot read weights file d: it is a folder/],
    ['teacher --data', ['teacher', '--data', 'd', '--out', 'y.npy'], /cannot read data file d: it is a folder/],
    ['teacher --ids', ['teacher', '--data', 'q.npy', '--ids', 'd', '--out', 'y.npy', '--set', 'data.kind=population', '--set', 'teacher.perCluster=true'], /cannot read ids file d: it is a folder/],
    ['run, config', ['run', 'd', '--out', 'out'], /cannot read config d: it is a folder/],
    ['sweep, sweep file', ['sweep', 'd', '--out', 'out'], /cannot read sweep file d: it is a folder/],
  ])('%s: status 2, one line', (_name, args, message) => expectUsageError(args, message, { 'q.npy': square }, ['d']));

  it.each([
    ['generate --out', ['generate', '--points', '10', '--out', 'o.npy', '--force'], /cannot write output file o\.npy: it is a folder/],
    ['neighbors --out', ['neighbors', 'q.npy', 'q.npy', '--out', 'o', '--force'], /cannot write output file o\.indices\.npy: it is a folder/],
    ['teacher --out', ['teacher', '--data', 'q.npy', '--out', 'o.npy', '--force'], /cannot write output file o\.npy: it is a folder/],
    ['estimate --report', ['estimate', 'q.npy', '--report', 'o.html', '--force'], /cannot write report file o\.html: it is a folder/],
  ])('%s naming a folder, even with --force: status 2, one line', (_name, args, message) =>
    expectUsageError(args, message, { 'q.npy': square }, ['o.npy', 'o.indices.npy', 'o.html']));
});

describe('numbers as given', () => {
  it.each([
    ['generate --seed -5', ['generate', '--seed', '-5', '--points', '10', '--out', 'x.npy'], /--seed = "-5": expected an integer >= 0/],
    ['generate --seed NaN', ['generate', '--seed', 'NaN', '--points', '10', '--out', 'x.npy'], /--seed = "NaN": expected an integer >= 0/],
    ['generate --seed 1.5', ['generate', '--seed', '1.5', '--points', '10', '--out', 'x.npy'], /--seed = "1\.5": expected an integer >= 0/],
    ['generate --seed beyond 2^53', ['generate', '--seed', '99999999999999999999', '--points', '10', '--out', 'x.npy'], /--seed = "99999999999999999999": expected an integer >= 0 and <= 9007199254740991/],
    ['estimate --replicates 1e9 (it ran for ever)', ['estimate', 'q.npy', '--replicates', '1e9'], /--replicates = "1e9": expected an integer >= 1 and <= 100000/],
    ['run --workers 2000 (the config allows 1024)', ['run', '--workers', '2000', '--out', 'out'], /--workers = "2000": expected an integer >= 1 and <= 1024/],
    ['sweep --workers 0', ['sweep', 's.json', '--workers', '0', '--out', 'out'], /--workers = "0": expected an integer >= 1 and <= 1024/],
    ['generate --points -3', ['generate', '--points', '-3', '--out', 'x.npy'], /--points = "-3": expected an integer >= 1/],
    ['generate --points with no digits', ['generate', '--points', ' ', '--out', 'x.npy'], /--points = " ": expected an integer >= 1/],
    // 4 x 10^9 rows of 4097 floats: 65.6 TB, more than any disk this runs on has free.
    ['generate, more than the disk holds', ['generate', '--set', 'data.dimension=4096', '--points', '4000000000', '--out', 'x.npy'], /not enough space for x\.npy: the output takes about 65\.6 TB, and \/.* has [\d.]+ [kMGTP]?B(ytes)? free/],
    ['teacher --seed -5', ['teacher', '--seed', '-5', '--nonlinearity'], /--seed = "-5": expected an integer >= 0/],
    ['teacher --at -5', ['teacher', '--slice', '0,1', '--at', '-5', '--out', 's.svg'], /--at = "-5": expected an integer >= 0/],
    ['teacher --at beyond the data', ['teacher', '--data', 'q.npy', '--slice', '0,1', '--at', '50', '--out', 's.svg'], /--at 50: the data have 50 points/],
    ['estimate --seed -5', ['estimate', 'q.npy', '--seed', '-5'], /--seed = "-5": expected an integer >= 0/],
    ['estimate --replicates NaN', ['estimate', 'q.npy', '--replicates', 'NaN'], /--replicates = "NaN": expected an integer >= 1/],
    ['neighbors --k -1', ['neighbors', 'q.npy', 'q.npy', '--k', '-1', '--out', 'nn'], /--k = "-1": expected an integer >= 1/],
    ['run --workers 1e400', ['run', '--workers', '1e400', '--out', 'out'], /--workers = "1e400": expected an integer >= 1/],
    ['a seed of NaN in --set', ['run', '--set', 'seed=NaN', '--out', 'out'], /seed = "NaN": expected number/],
    ['a negative seed in --set', ['run', '--set', 'seed=-5', '--out', 'out'], /seed = -5: expected a value at least 0/],
  ])('%s: status 2, one line naming the value given', (_name, args, message) => expectUsageError(args, message, { 'q.npy': square, 's.json': JSON.stringify({ grid: { seeds: [1] } }) }));
});

describe('output paths that name no file', () => {
  it.each([
    ['generate --out ""', ['generate', '--points', '10', '--out', ''], /--out "": expected a file name, e\.g\. data\.npy/],
    ['generate --out .npy', ['generate', '--points', '10', '--out', '.npy'], /--out "\.npy": expected a file name/],
    ['generate --out d/.arrow', ['generate', '--points', '10', '--out', 'd/.arrow'], /--out "d\/\.arrow": expected a file name/],
    ['neighbors --out ""', ['neighbors', 'q.npy', 'q.npy', '--out', ''], /--out "": expected a file name prefix/],
    ['neighbors --out d/', ['neighbors', 'q.npy', 'q.npy', '--out', 'd/'], /--out "d\/": expected a file name prefix/],
    ['teacher --out ""', ['teacher', '--data', 'q.npy', '--out', ''], /--out "": expected a file name/],
    ['run --out ""', ['run', '--out', ''], /--out "": expected a folder/],
    ['sweep --out ""', ['sweep', 's.json', '--out', ''], /--out "": expected a folder/],
    ['neighbors --threads 100000 (it hung, starting that many workers)', ['neighbors', 'q.npy', 'q.npy', '--out', 'nn', '--threads', '100000'], /--threads = "100000": expected an integer >= 1 and <= 256/],
  ])('%s: status 2, one line', (_name, args, message) => expectUsageError(args, message, { 'q.npy': square, 's.json': JSON.stringify({ grid: { seeds: [1] } }) }, ['d']));
});

describe('flags that do not apply', () => {
  it.each([
    ['estimate --points with a file', ['estimate', 'q.npy', '--points', '10'], /--points does not apply to a points file/],
    ['estimate --method with --weights', ['estimate', '--weights', 'w.npy', '--method', 'twonn'], /--method does not apply to --weights/],
    ['estimate --duplicates with --weights', ['estimate', '--weights', 'w.npy', '--duplicates', 'drop'], /--duplicates does not apply to --weights/],
    ['estimate --centres with --weights', ['estimate', '--weights', 'w.npy', '--centres', '5'], /--centres does not apply to --weights/],
    ['teacher --resolution without --slice', ['teacher', '--data', 'q.npy', '--out', 'y.npy', '--resolution', '20'], /--resolution does not apply without --slice/],
    ['teacher --at without --slice', ['teacher', '--data', 'q.npy', '--out', 'y.npy', '--at', '3'], /--at does not apply without --slice/],
    ['teacher --out with --nonlinearity', ['teacher', '--nonlinearity', '--out', 'y.npy'], /--out does not apply to --nonlinearity/],
  ])('%s: status 2, one line', (_name, args, message) => expectUsageError(args, message, { 'q.npy': square, 'w.npy': weights }));
});

describe('percolab teacher --resolution', () => {
  it('rejects a grid of fewer than 2 points per side (1 divided by zero and drew NaN)', () => {
    expectUsageError(['teacher', '--data', 'q.npy', '--slice', '0,1', '--resolution', '1', '--out', 's.svg'], /--resolution = "1": expected an integer >= 2 and <= 2000/, { 'q.npy': square });
  });

  it('draws finite values at the smallest grid, 2 x 2', () => {
    const dir = workdir({ 'q.npy': square });
    const result = percolab(['teacher', '--data', 'q.npy', '--slice', '0,1', '--resolution', '2', '--out', 's.svg'], dir);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 's.svg'), 'utf8')).not.toMatch(/NaN/);
  });
});

describe('percolab generate: output locations', () => {
  it('creates a missing folder for --out (it ended as "internal error", exit 1)', () => {
    const dir = workdir();
    const result = percolab(['generate', '--set', 'data.dimension=3', '--points', '100', '--out', 'new/deeper/x.npy'], dir);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(join(dir, 'new/deeper')).sort()).toEqual(['x.json', 'x.labels.npy', 'x.npy']);
    expect(parseNpy(readFileSync(join(dir, 'new/deeper/x.npy')), 'x').shape).toEqual([100, 3]);
  });

  // A full disk, simulated by a file-size limit (with SIGXFSZ ignored, a write past it fails with EFBIG):
  // one line, status 2, and neither the temporary files nor the folder made for them are left.
  it.each(['npy', 'arrow', 'parquet'])('a failing write of .%s: status 2, one line, nothing left behind', (ext) => {
    const dir = workdir();
    const args = ['generate', '--set', 'data.dimension=8', '--points', '200000', '--out', `new/x.${ext}`, '--no-progress'].map((a) => `'${a}'`).join(' ');
    const result = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 512; exec '${process.execPath}' '${cli}' ${args}`], { cwd: dir, encoding: 'utf8', env });
    expect(result.stderr).toMatch(new RegExp(`^(percolab: teacher device: .*\\n)?percolab: cannot write output file new/x\\.${ext}: EFBIG`));
    expect(result.status).toBe(2);
    expect(result.stderr).not.toMatch(/internal error|\n\s+at |Unhandled|node:internal/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the Arrow writer hands a failing sink\'s error to write/finish, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const schema = pointsSchema(2, false, '{}');
      let calls = 0;
      const writer = arrowFileWriter(schema, () => {
        if (++calls > 1) throw new Error('disk full');
      });
      const batch = pointsBatch(schema, new Float32Array(2000), new Float32Array(1000));
      const attempt = async () => {
        for (let i = 0; i < 5; i++) await writer.write(batch);
        await writer.finish();
      };
      await expect(attempt()).rejects.toThrow('disk full');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('wasm panics', () => {
  // In a child process with a time limit: a helper thread's panic used to leave the caller blocked.
  const script = (onHelper: boolean) => `
    const lib = await import(${JSON.stringify(`${distNode}index.js`)});
    const kernels = await lib.loadThreadedKernels(2);
    try { kernels.debugPanic(${onHelper}); console.log('no panic'); }
    catch (error) { console.log(error.name + ': ' + error.message); }
    process.exit(0);`;
  const panicLine = (onHelper: boolean) => {
    const file = join(workdir(), 'panic.mjs');
    writeFileSync(file, script(onHelper));
    const result = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    expect(result.error, 'the caller was left blocked').toBeUndefined();
    expect(result.status, result.stderr).toBe(0);
    return result.stdout.trim();
  };

  it('a panic on a helper thread surfaces as the same one-line error as one on the calling thread', () => {
    const main = panicLine(false);
    const helper = panicLine(true);
    expect(main).toMatch(/^KernelPanic: wasm kernel panicked: .*debug panic \(requested on the calling thread\)/);
    expect(helper).toMatch(/^KernelPanic: wasm kernel panicked: .*debug panic \(requested on a helper thread\)/);
    expect(helper.split('\n')).toHaveLength(1);
  });
});

describe('percolab sweep: bad grids', () => {
  it.each([
    ['a repeated value', { grid: { seeds: [1, 1] } }, /sweep cells seeds=1 and seeds=1 are the same config/],
    ['workers in the grid', { grid: { workers: [1, 2] } }, /workers cannot be swept/],
  ])('%s: status 2, one line', (_name, sweep, message) => {
    expectUsageError(['sweep', 's.json', '--out', 'out'], message, { 's.json': JSON.stringify(sweep) });
  });

  it('an --out that is a file: status 2, one line', () => {
    expectUsageError(['sweep', 's.json', '--out', 'f'], /cannot write output file f\/report\.html: .*f is not a folder/, { 's.json': JSON.stringify({ grid: { seeds: [1] } }), f: 'not a folder' });
  });
});

describe('a reader that closes the pipe early', () => {
  it('ends the command quietly: `percolab estimate --help | true` (the reader is gone before the first write)', () => {
    // `true` exits at once; node starts in ~0.2 s and then writes into a closed pipe: EPIPE.
    const r = spawnSync('bash', ['-c', `node ${JSON.stringify(cli)} estimate --help | true; exit \${PIPESTATUS[0]}`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

// `percolab generate` as a user runs it: streamed .npy files that round-trip, and bad input writing nothing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '../ts/io/npy.js';
import { cli, distNode } from './helpers.js';

const lib = await import(`${distNode}index.js`);
const kernels = lib.loadKernels();
// PERCOLAB_GPU=none: no WebGPU adapter is offered whatever this machine has, so the labels come from the
// CPU twin and teacher.device "auto" says so in one known line.
const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'generate', ...args], { cwd, encoding: 'utf8', env: { ...process.env, PERCOLAB_GPU: 'none' } });
const deviceLine = 'percolab: teacher device: CPU twin: no hardware GPU qualifies (WebGPU turned off by PERCOLAB_GPU=none)\n';
const withoutDeviceLine = (stderr: string) => (stderr.startsWith(deviceLine) ? stderr.slice(deviceLine.length) : `missing device line: ${stderr}`);
const workdir = () => mkdtempSync(join(tmpdir(), 'percolab-gen-'));

describe('percolab generate', () => {
  it('streams points, teacher labels and a record; chunks join into the whole and reproduce from the record', async () => {
    const dir = workdir();
    // 150000 points: five chunks of 32768 rows or fewer.
    const result = percolab(['--set', 'data.dimension=8', '--points', '150000', '--out', 'data.npy', '--seed', '3'], dir);
    expect(withoutDeviceLine(result.stderr)).toBe('');
    expect(result.status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['data.json', 'data.labels.npy', 'data.npy']);
    const points = parseNpy(readFileSync(join(dir, 'data.npy')), 'points');
    const labels = parseNpy(readFileSync(join(dir, 'data.labels.npy')), 'labels');
    expect(points.dtype).toBe('float32');
    expect(points.shape).toEqual([150000, 8]);
    expect(labels.shape).toEqual([150000]);
    // The same stream read in one piece, and the same teacher, give the same numbers.
    const record = JSON.parse(readFileSync(join(dir, 'data.json'), 'utf8'));
    expect(record).toMatchObject({ seed: 3, points: 150000, dimension: 8, percolab: lib.version, dataVersion: 2 });
    const config = lib.resolveConfig(record.config);
    const stream = kernels.dataStream({ ...config.data, clusterSize: 150000 }, 3);
    const whole = stream.next(150000);
    stream.free();
    expect(points.data).toEqual(whole);
    expect(labels.data).toEqual(await lib.createTeacher(config.teacher, kernels, 8, 3).label(whole));
  });

  it('writes the same files with 1, 2 and 3 threads', () => {
    const dir = workdir();
    // 150000 points at d = 8: three chunks, each 1.2 million normals decoded in pieces across the pool.
    const args = ['--set', 'data.dimension=8', '--points', '150000', '--seed', '4'];
    for (const threads of [1, 2, 3]) expect(percolab([...args, '--threads', String(threads), '--out', `t${threads}.npy`], dir).status).toBe(0);
    for (const file of ['npy', 'labels.npy']) {
      const one = readFileSync(join(dir, `t1.${file}`));
      expect(one.length).toBeGreaterThan(150000 * 4);
      for (const threads of [2, 3]) expect(readFileSync(join(dir, `t${threads}.${file}`)).equals(one)).toBe(true);
    }
  });

  it.each([
    ['Arrow IPC', 'arrow', (bytes: Uint8Array) => lib.readArrowPoints(bytes)],
    ['Parquet', 'parquet', (bytes: Uint8Array) => lib.readParquetPoints(bytes)],
  ])('writes one %s file (points, labels, cluster ids, the record as metadata) that reads back equal to the .npy files', (_name, ext, read) => {
    const dir = workdir();
    const sets = ['data.kind=population', 'data.clusters=5000', 'data.maxClusterSize=2000', 'data.dimension=5'].flatMap((s) => ['--set', s]);
    expect(percolab([...sets, '--points', '70000', '--out', 'p.npy'], dir).status).toBe(0);
    // 70000 rows: two batches of the stream, and for Parquet more than one row group is not needed to
    // show the batches join (row groups hold ~64 MiB).
    const result = percolab([...sets, '--points', '70000', '--out', `p.${ext}`], dir);
    expect(withoutDeviceLine(result.stderr)).toBe('');
    const back = read(readFileSync(join(dir, `p.${ext}`)));
    expect(back.dimension).toBe(5);
    expect(back.points).toEqual(parseNpy(readFileSync(join(dir, 'p.npy')), 'p').data);
    expect(back.labels).toEqual(parseNpy(readFileSync(join(dir, 'p.labels.npy')), 'l').data);
    expect(back.ids).toEqual(parseNpy(readFileSync(join(dir, 'p.ids.npy')), 'i').data);
    // The same record as the .npy files' sidecar, naming its one file.
    const npyRecord = JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8'));
    expect(back.record).toEqual({ ...npyRecord, files: { points: `p.${ext}` } });
  });

  it('runs optimised wasm: on one thread from the start, on two once past the start-up code (helpers set the flag themselves)', () => {
    // V8 says how it compiles each function (a diagnostic flag); names come from the module's name section.
    const names = new Map<string, string>();
    const sections = spawnSync('wasm-objdump', ['-x', '-j', 'Function', `${distNode}percolab-simd-threads.wasm`], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
    for (const m of sections.matchAll(/^ - func\[(\d+)\] sig=\d+ <(.*)>$/gm)) names.set(m[1]!, m[2]!);
    expect(names.size).toBeGreaterThan(1000);
    const baseline = (threads: number) => {
      const dir = workdir();
      const run = spawnSync(process.execPath, ['--trace-wasm-compilation-times', cli, 'generate', '--points', '70000', '--out', 'x.npy', '--threads', String(threads)], { cwd: dir, encoding: 'utf8', env: { ...process.env, PERCOLAB_GPU: 'none' }, maxBuffer: 1 << 28 });
      expect(run.status).toBe(0);
      const compiled = [...run.stdout.matchAll(/^Compiled function \S+#(\d+) using (\w+)/gm)];
      expect(compiled.filter((m) => m[2] === 'TurboFan').length).toBeGreaterThan(100);
      return [...new Set(compiled.filter((m) => m[2] === 'Liftoff').map((m) => names.get(m[1]!) ?? `#${m[1]}`))];
    };
    expect(baseline(1)).toEqual([]);
    // Two threads: only what instantiating runs before the helpers are up (start-up, the allocator,
    // formatting the build info) may start in the baseline tier; none of the kernels' work.
    const startUp = /start|init|malloc|alloc|free|dispose_chunk|fmt|format|write_str|set_hook|buildInfo|Display/;
    expect(baseline(2).filter((name) => !startUp.test(name))).toEqual([]);
  });

  it('writes manifold samples and the branching construction', () => {
    const dir = workdir();
    expect(percolab(['--set', 'data.kind=manifold', '--set', 'data.manifold=sphere', '--set', 'data.manifoldDimension=2', '--set', 'data.dimension=5', '--points', '1000', '--out', 's.npy'], dir).status).toBe(0);
    const s = parseNpy(readFileSync(join(dir, 's.npy')), 's').data as Float32Array;
    for (let i = 0; i < 1000; i++) expect(Math.hypot(...s.subarray(i * 5, i * 5 + 5))).toBeCloseTo(1, 5);
    const b = percolab(['--set', 'data.embedder=branching', '--set', 'data.branches=4', '--set', 'data.branchSize=50', '--set', 'sizes=[10,20]', '--set', 'testSize=10', '--points', '200', '--out', 'b.npy'], dir);
    expect(withoutDeviceLine(b.stderr)).toBe('');
    expect(parseNpy(readFileSync(join(dir, 'b.npy')), 'b').shape).toEqual([200, 16]);
  });

  it('writes a population with every point\'s cluster id, clusters in id order and of their drawn sizes', () => {
    const dir = workdir();
    const sets = ['data.kind=population', 'data.clusters=300', 'data.minClusterSize=5', 'data.maxClusterSize=500', 'data.dimension=4'];
    const result = percolab([...sets.flatMap((s) => ['--set', s]), '--points', '2000', '--out', 'p.npy'], dir);
    expect(withoutDeviceLine(result.stderr)).toBe('');
    expect(readdirSync(dir).sort()).toEqual(['p.ids.npy', 'p.json', 'p.labels.npy', 'p.npy']);
    const ids = parseNpy(readFileSync(join(dir, 'p.ids.npy')), 'ids');
    expect(ids.dtype).toBe('uint32');
    const list = Array.from(ids.data as Uint32Array);
    expect(list).toHaveLength(2000);
    list.slice(1).forEach((id, i) => expect(id).toBeGreaterThanOrEqual(list[i]!));
    // Every complete cluster (all but the last one cut by --points) has between 5 and 500 points.
    const counts = new Map<number, number>();
    for (const id of list) counts.set(id, (counts.get(id) ?? 0) + 1);
    const complete = [...counts.entries()].filter(([id]) => id !== list.at(-1));
    for (const [, c] of complete) expect(c).toBeGreaterThanOrEqual(5);
    for (const [, c] of complete) expect(c).toBeLessThanOrEqual(500);
  });

  it.each([
    ['unknown format', ['--points', '10', '--out', 'x.csv'], /--out x\.csv: expected a \.npy, \.arrow or \.parquet file name/],
    ['no points', ['--points', '0', '--out', 'x.npy'], /--points = "0": expected an integer >= 1/],
    ['missing --points', ['--out', 'x.npy'], /required option '--points <n>' not specified/],
    ['no threads', ['--points', '10', '--out', 'x.npy', '--threads', '0'], /--threads = "0": expected an integer >= 1/],
    ['more points than the construction has', ['--set', 'data.embedder=branching', '--set', 'data.branches=4', '--set', 'data.branchSize=50', '--set', 'sizes=[10,20]', '--set', 'testSize=10', '--points', '201', '--out', 'x.npy'], /--points 201: this config's data set has only 200 points \(raise data\.branchSize or data\.levels\)/],
    ['more points than the population has', ['--set', 'data.kind=population', '--set', 'data.clusters=3', '--set', 'data.minClusterSize=10', '--set', 'data.maxClusterSize=10', '--points', '31', '--out', 'x.npy'], /--points 31: this config's data set has only 30 points \(raise data\.clusters, data\.minClusterSize or data\.maxClusterSize\)/],
    ['bad config', ['--set', 'data.kind=sheet', '--points', '10', '--out', 'x.npy'], /data\.kind = "sheet"/],
    ['unwritable output', ['--points', '10', '--out', 'f/x.npy'], /cannot write output file f\/x\.npy: .*f is not a folder/],
  ])('%s: status 2, one line, nothing written', (_name, args, message) => {
    const dir = workdir();
    writeFileSync(join(dir, 'f'), 'a file, not a folder');
    const result = percolab(args, dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('interrupted (SIGINT, SIGTERM) mid-write, leaves nothing: no temporary files, no folder it made', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const dir = workdir();
      const out = join(dir, 'made', 'here');
      // 5 x 10^7 points take many seconds: the signal comes while the files are being written.
      const child = spawn(process.execPath, [cli, 'generate', '--threads', '1', '--points', '50000000', '--out', join(out, 'data.npy')], { env: { ...process.env, PERCOLAB_GPU: 'none' }, stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, got) => resolve(got)));
      const writing = () => existsSync(out) && readdirSync(out).some((f) => f.startsWith('.data.npy.tmp-'));
      for (let waited = 0; !writing() && waited < 60_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(writing()).toBe(true);
      child.kill(signal);
      // Ended by the same signal, after removing its temporaries and the folders it made for them.
      expect(await exited).toBe(signal);
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});

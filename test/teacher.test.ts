// Teachers: the WebGPU kernels against the CPU twin on this machine's software adapter, the known-answer
// check refusing a device that returns wrong numbers, the non-linearity score and vetting, the CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../ts/io/npy.js';
import { probeNow } from '../ts/teachers/device.js';
import { cli, distNode, uniformSource } from './helpers.js';

process.env.EGL_PLATFORM ??= 'surfaceless';
// The GPU these tests expect is this machine's software adapter (Dawn's OpenGL ES on llvmpipe), whatever
// hardware it has: hardware adapters are not offered, here or to the workers and commands started here.
process.env.PERCOLAB_GPU = 'software';
const lib = await import(`${distNode}index.js`);
const kernels = lib.loadKernels();
const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'teacher', ...args], { cwd, encoding: 'utf8' });
const workdir = () => mkdtempSync(join(tmpdir(), 'percolab-teacher-'));
const spec = (teacher: { perCluster?: boolean; [key: string]: unknown }) => lib.resolveConfig({ teacher, ...(teacher.perCluster ? { data: { kind: 'population' } } : {}) }).teacher;

function randomPoints(rows: number, d: number, seed: number, spread = 4) {
  const next = uniformSource(seed);
  return new Float32Array(rows * d).map(() => (next() - 0.5) * 2 * spread);
}

/** Max |a - b| / (1 + |b|), the measure the known-answer check bounds. */
const maxRelativeError = (a: Float32Array, b: Float32Array): number => lib.agreementError(a, b);

const choice = await lib.chooseDevice('gpu', lib.nodeGpu, kernels);

describe('GPU and CPU twins', () => {
  const kinds = [
    { kind: 'linear' },
    { kind: 'relu', depth: 1, width: 10 },
    { kind: 'relu', depth: 4, width: 100, sigmaB: 0.2 },
    { kind: 'fourier', terms: 30, maxFreq: 3 },
  ];
  const measured: Record<string, number> = {};
  for (const teacher of kinds) {
    it(`agree on fresh random inputs: ${JSON.stringify(teacher)}`, async () => {
      expect(choice.device).toBe('gpu');
      expect(choice.why).toMatch(/^WebGPU software adapter/);
      const d = 12;
      const points = randomPoints(20000, d, 7 + Object.keys(measured).length);
      const s = spec({ ...teacher, repetitions: 0 });
      const cpu = lib.createTeacher(s, kernels, d, 5, { reference: points });
      const gpu = lib.createTeacher(s, kernels, d, 5, { reference: points, gpu: choice.gpu });
      const [a, b] = [await cpu.label(points), await gpu.label(points)];
      const error = maxRelativeError(b, a);
      measured[JSON.stringify(teacher)] = error;
      console.log(`Node WebGPU (${choice.gpu.description}) vs CPU twin, ${JSON.stringify(teacher)}: max relative error ${error.toExponential(2)}`);
      expect(error).toBeLessThanOrEqual(lib.AGREEMENT_TOLERANCE);
      // Not a constant: the comparison has something to compare.
      expect(new Set(a.slice(0, 100)).size).toBeGreaterThan(90);
      cpu.free();
      gpu.free();
    });
  }

  it('agree on a wide network (width 1024: the layer-by-layer kernel; a per-point kernel with the layer in private memory was wrong here)', async () => {
    const d = 12;
    const points = randomPoints(500, d, 77);
    const s = spec({ kind: 'relu', depth: 2, width: 1024, repetitions: 0 });
    const [a, b] = [await lib.createTeacher(s, kernels, d, 5).label(points), await lib.createTeacher(s, kernels, d, 5, { gpu: choice.gpu }).label(points)];
    const error = maxRelativeError(b, a);
    console.log(`Node WebGPU vs CPU twin, relu depth 2 width 1024: max relative error ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(lib.AGREEMENT_TOLERANCE);
  });

  it('agree on per-cluster teachers (each point by its cluster\'s parameters)', async () => {
    const d = 6;
    const points = randomPoints(5000, d, 99);
    const ids = Uint32Array.from({ length: 5000 }, (_, i) => [3, 17, 17, 250, 4_000_000][i % 5]!);
    for (const kind of ['linear', 'relu', 'fourier']) {
      const s = spec({ kind, perCluster: true, depth: 2, width: 16, repetitions: 0 });
      const cpu = lib.createTeacher(s, kernels, d, 2, { reference: points, ids });
      const gpu = lib.createTeacher(s, kernels, d, 2, { reference: points, ids, gpu: choice.gpu });
      const [a, b] = [await cpu.label(points, ids), await gpu.label(points, ids)];
      expect(maxRelativeError(b, a)).toBeLessThanOrEqual(lib.AGREEMENT_TOLERANCE);
      // Cluster 17's points are labelled by teacher 17, the one drawn for cluster 17 alone (whatever other
      // clusters share the batch), and not by teacher 0, the seed's single teacher.
      const only17 = kernels.teacherModel({ ...s, minNonlinearity: null }, d, 2, points, new Uint32Array([17]));
      const teacher17 = only17.evaluate(points, new Uint32Array(5000).fill(17));
      only17.free();
      const rows17 = ids.reduce((rows: number[], id, i) => (id === 17 ? [...rows, i] : rows), []);
      expect(rows17).toHaveLength(2000);
      expect(rows17.map((i) => a[i])).toEqual(rows17.map((i) => teacher17[i]));
      const single = kernels.teacherModel({ ...s, perCluster: false, minNonlinearity: null }, d, 2, points);
      const teacher0 = single.evaluate(points);
      single.free();
      expect(rows17.every((i) => a[i] !== teacher0[i])).toBe(true);
      expect(cpu.record.clusters).toBe(4);
    }
  });

  it('the known-answer check refuses a device that returns wrong numbers', async () => {
    // A real device whose uploads are corrupted in one float in a thousand: it runs, and it is wrong.
    const fresh = async () => (await lib.nodeGpu(true)).candidates[0].device as GPUDevice;
    const device = await fresh();
    const honest = new lib.GpuEvaluator(device, 'honest');
    expect((await lib.knownAnswerCheck((t: unknown, p: Float32Array, s?: Uint32Array) => honest.label(t, p, s), kernels)).passed).toBe(true);
    const queue = new Proxy(device.queue, {
      get(target, key) {
        if (key !== 'writeBuffer') return Reflect.get(target, key).bind?.(target) ?? Reflect.get(target, key);
        return (buffer: GPUBuffer, offset: number, data: Float32Array, from = 0, size?: number) => {
          if (data instanceof Float32Array) {
            const copy = data.slice(from, size === undefined ? undefined : from + size);
            for (let i = 0; i < copy.length; i += 1000) copy[i] = copy[i]! * 1.01 + 0.01;
            return target.writeBuffer(buffer, offset, copy);
          }
          return target.writeBuffer(buffer, offset, data, from, size);
        };
      },
    });
    const faulty = new Proxy(device, { get: (target, key) => (key === 'queue' ? queue : Reflect.get(target, key)?.bind?.(target) ?? Reflect.get(target, key)) });
    const evaluator = new lib.GpuEvaluator(faulty, 'faulty');
    const check = await lib.knownAnswerCheck((t: unknown, p: Float32Array, s?: Uint32Array) => evaluator.label(t, p, s), kernels);
    expect(check.passed).toBe(false);
    // A teacher handed that device checks its own first labels: "auto" falls back to the twin (and says
    // so), "gpu" refuses.
    const points = randomPoints(3000, 6, 21);
    const relu = spec({ kind: 'relu', depth: 2, width: 64, repetitions: 0 });
    const twin = await lib.createTeacher(relu, kernels, 6, 3).label(points);
    const fallback = lib.createTeacher(relu, kernels, 6, 3, { gpu: evaluator });
    expect(await fallback.label(points)).toEqual(twin);
    expect(fallback.record.device).toBe('cpu');
    expect(fallback.record.why).toMatch(/^CPU twin: the GPU's relu kernel for this teacher differs from the CPU twin by .* on its first 256 points$/);
    const strict = lib.createTeacher({ ...relu, device: 'gpu' }, kernels, 6, 3, { gpu: evaluator });
    await expect(strict.label(points)).rejects.toThrow(/teacher.device is "gpu" but the GPU's relu kernel/);
    const provider = async () => ({ candidates: [{ device: faulty, description: 'faulty', software: false }], notes: [] });
    await expect(lib.chooseDevice('gpu', provider, kernels)).rejects.toThrow(/"faulty" failed the known-answer check/);
    // chooseDevice destroyed the refused device.
    expect(((await lib.chooseDevice('auto', provider, kernels)) as { why: string }).why).toMatch(/CPU twin: no hardware GPU qualifies \("faulty" failed/);
    await fresh();
  });

  it('auto takes the CPU twin when no hardware adapter is offered, saying why; cpu never touches a GPU', async () => {
    const auto = await lib.chooseDevice('auto', lib.nodeGpu, kernels);
    expect(auto.device).toBe('cpu');
    expect(auto.why).toBe('CPU twin: no hardware GPU qualifies (hardware adapters not probed: PERCOLAB_GPU=software)');
    // A hardware adapter that passes the check is taken by auto.
    const hardware = async () => ({ candidates: [{ ...(await lib.nodeGpu(true)).candidates[0], software: false }], notes: [] });
    const taken = await lib.chooseDevice('auto', hardware, kernels);
    expect(taken.device).toBe('gpu');
    expect(taken.why).toMatch(/^WebGPU GPU ".*" \(known-answer check passed/);
    expect((await lib.chooseDevice('cpu', undefined, kernels)).why).toBe('teacher.device is "cpu"');
    await expect(lib.chooseDevice('gpu', undefined, kernels)).rejects.toThrow(/no WebGPU/);
  });

  it('a probe started early (probeNow) runs once, at once, and is what chooseDevice then decides on', async () => {
    const calls: boolean[] = [];
    const provider = async (allowSoftware: boolean) => {
      calls.push(allowSoftware);
      return { candidates: [], notes: ['probed early'] };
    };
    const early = probeNow('auto', provider)!;
    expect(calls).toEqual([false]);
    expect((await lib.chooseDevice('auto', early, kernels)).why).toBe('CPU twin: no hardware GPU qualifies (probed early)');
    expect(calls).toEqual([false]);
    probeNow('gpu', provider);
    expect(calls).toEqual([false, true]);
    // "cpu" probes nothing; no provider stays none.
    expect(probeNow('cpu', provider)).toBe(provider);
    expect(calls).toHaveLength(2);
    expect(probeNow('auto', undefined)).toBeUndefined();
    // A probe that fails fails where the choice is made, not as an unhandled rejection meanwhile.
    const failing = probeNow('auto', async () => {
      throw new Error('no driver');
    })!;
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(lib.chooseDevice('auto', failing, kernels)).rejects.toThrow('no driver');
  });
});

describe('the linear teacher on the CPU twin', () => {
  it('gives each row the bits of its own in-order float64 sum, in blocks of eight rows (SIMD) and alone', async () => {
    // Rows 8k + 7 (blocks of eight, one of four, three alone); d around the four coordinates loaded at once.
    for (const d of [1, 3, 4, 5, 16, 17, 33]) {
      const rows = 8 * 5 + 7;
      const points = randomPoints(rows, d, 100 + d, 1e3);
      // Zero rows (the sign of an empty sum), and values whose sums round differently in other orders.
      points.fill(0, 0, d);
      points.fill(-0, d, 2 * d);
      for (let i = 2 * d; i < points.length; i += 3) points[i] = Math.fround(points[i]! * 1e6);
      const teacher = lib.createTeacher(spec({ kind: 'linear', repetitions: 0 }), kernels, d, 9);
      const all: Float32Array = await teacher.label(points);
      const alone = new Float32Array(rows);
      for (let r = 0; r < rows; r++) alone[r] = (await teacher.label(points.subarray(r * d, (r + 1) * d)))[0]!;
      expect(Array.from(new Uint32Array(all.buffer, all.byteOffset, rows)), `d = ${d}`).toEqual(Array.from(new Uint32Array(alone.buffer)));
      expect(new Set(all).size).toBeGreaterThan(rows - 3);
      teacher.free();
    }
  });
});

describe('non-linearity score and vetting', () => {
  const score = (teacher: Record<string, unknown>, seed = 1, d = 8) => {
    const t = lib.createTeacher(spec(teacher), kernels, d, seed);
    t.free();
    return t.record.nonlinearity;
  };

  it('is 1 for linear teachers, to rounding', () => {
    for (const seed of [1, 2, 3]) expect(Math.abs(score({ kind: 'linear' }, seed).score - 1)).toBeLessThan(1e-9);
  });

  it('falls with ReLU depth at fixed width (depths 1-4, fixed seeds, mean of 4 teachers)', () => {
    const byDepth = [1, 2, 3, 4].map((depth) => [1, 2, 3, 4].reduce((sum, seed) => sum + score({ kind: 'relu', depth, width: 64 }, seed).score, 0) / 4);
    for (let i = 1; i < 4; i++) expect(byDepth[i]).toBeLessThan(byDepth[i - 1]!);
  });

  it('vetting redraws until the score is at or below the threshold, and records the draws', () => {
    const plain = score({ kind: 'relu', depth: 1, width: 8 }, 4);
    const threshold = plain.score - 0.02;
    const t = lib.createTeacher(spec({ kind: 'relu', depth: 1, width: 8, minNonlinearity: threshold }), kernels, 8, 4);
    t.free();
    expect(t.record.nonlinearity.score).toBeLessThanOrEqual(threshold);
    expect(t.record.draws).toBeGreaterThan(1);
  });
});

describe('percolab teacher', () => {
  it('labels a .npy file like the API, and writes nothing on bad input', async () => {
    const dir = workdir();
    const points = randomPoints(3000, 5, 11);
    writeFileSync(join(dir, 'x.npy'), encodeNpy({ dtype: 'float32', shape: [3000, 5], data: points }));
    const ok = percolab(['--set', 'teacher.kind=fourier', '--data', 'x.npy', '--out', 'y.npy', '--device', 'cpu'], dir);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toBe('percolab: teacher device: teacher.device is "cpu"\n');
    const labels = parseNpy(readFileSync(join(dir, 'y.npy')), 'y');
    expect(labels.shape).toEqual([3000]);
    const teacher = lib.createTeacher(spec({ kind: 'fourier' }), kernels, 5, 1, { reference: points });
    expect(labels.data).toEqual(await teacher.label(points));
    const before = readdirSync(dir).sort();
    const bad: [string[], RegExp][] = [
      [['--data', 'x.npy', '--out', 'y.csv', '--force'], /expected a \.npy file name/],
      [['--data', 'x.npy', '--out', 'z.npy', '--set', 'teacher.kind=cubic'], /teacher\.kind/],
      [['--data', 'missing.npy', '--out', 'z.npy'], /cannot read data file missing\.npy/],
      [['--data', 'x.npy', '--out', 'z.npy', '--set', 'teacher.perCluster=true', '--set', 'data.kind=population'], /--ids/],
      [['--nonlinearity', '--slice', '0,1', '--out', 'a.png'], /choose one of/],
      [['--slice', '0,0', '--out', 'a.png'], /two different coordinate indices/],
      [['--slice', '0,99', '--out', 'a.svg', '--set', 'sizes=[100,200]'], /coordinates 0\.\.15/],
      [['--nonlinearity', '--set', 'teacher.minNonlinearity=0.5', '--set', 'teacher.maxDraws=3'], /no teacher among 3 draws/],
    ];
    for (const [args, message] of bad) {
      const r = percolab(args, dir);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('prints the score as JSON, and draws a slice as SVG and PNG', () => {
    const dir = workdir();
    const r = percolab(['--set', 'teacher.kind=relu', '--set', 'teacher.depth=3', '--nonlinearity'], dir);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ kind: 'relu', repetitions: 200, dimension: 16, draws: 1 });
    expect(out.score).toBeGreaterThan(0);
    expect(out.score).toBeLessThan(1);
    for (const file of ['s.svg', 's.png']) {
      const p = percolab(['--set', 'teacher.kind=relu', '--set', 'sizes=[100,1000]', '--slice', '2,5', '--resolution', '50', '--out', file], dir);
      expect(p.status, p.stderr).toBe(0);
    }
    expect(readFileSync(join(dir, 's.svg'), 'utf8')).toMatch(/<svg[\s\S]*data:image\/png;base64[\s\S]*teacher output/);
    expect(readFileSync(join(dir, 's.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('experiments with non-linear teachers', () => {
  it('run relu and fourier teachers through the pool and record each seed\'s teacher', async () => {
    for (const kind of ['relu', 'fourier']) {
      const seeds = kind === 'relu' ? 10 : 2;
      const results = await lib.run({ seeds, sizes: [100, 300, 1000], testSize: 200, measure: { points: 0 }, data: { dimension: 8 }, teacher: { kind, repetitions: 20, device: 'cpu' } }, { workers: 2 });
      expect(results.teachers.map((t: { seed: number }) => t.seed)).toEqual(Array.from({ length: seeds }, (_, i) => i + 1));
      expect(results.teachers[0]).toMatchObject({ kind, device: 'cpu', draws: 1, why: 'teacher.device is "cpu"' });
      expect(results.teachers[0].nonlinearity.repetitions).toBe(20);
      if (kind === 'fourier') expect(results.teachers[0].standardization).toMatchObject({ by: 'range', offset: expect.any(Array), scale: expect.any(Array) });
      if (kind === 'fourier') expect(results.teachers[0].standardization.offset).toHaveLength(8);
      // 1-NN on a Lipschitz (ReLU) target: theory 0.5. Over one decade of small sizes one seed's exponent
      // scatters a lot (measured: sd 0.08 over these 10 seeds, median 0.539), so the band is 3 standard
      // errors of the median, sqrt(pi/2) sd / sqrt(10) each, with sd measured in this run: about +-0.095
      // (two seeds gave 0.377 and 3 standard errors of 0.21, which could not tell 0.5 from 0.3). A Fourier
      // teacher with maxFreq 1 oscillates faster than these sizes resolve (see README): no band.
      if (kind === 'relu') {
        const e = results.fit.perSeed.map((p: { exponent: number }) => p.exponent);
        const mean = e.reduce((a: number, b: number) => a + b, 0) / e.length;
        const sd = Math.sqrt(e.reduce((a: number, b: number) => a + (b - mean) ** 2, 0) / (e.length - 1));
        const band = (3 * Math.sqrt(Math.PI / 2) * sd) / Math.sqrt(e.length);
        expect(band).toBeGreaterThan(0.05);
        expect(band).toBeLessThan(0.15);
        expect(Math.abs(results.fit.exponent.median - 0.5)).toBeLessThan(band);
      }
    }
  });

  it('labels on the GPU inside the worker pool, with the same losses as the CPU twin (ReLU is bit-identical)', async () => {
    const input = { seeds: 2, sizes: [100, 300, 1000], testSize: 200, measure: { points: 0 }, data: { dimension: 8 }, teacher: { kind: 'relu', width: 16, repetitions: 0 } };
    const gpu = await lib.run({ ...input, teacher: { ...input.teacher, device: 'gpu' } }, { workers: 2 });
    const cpu = await lib.run({ ...input, teacher: { ...input.teacher, device: 'cpu' } }, { workers: 2 });
    expect(gpu.teachers.map((t: { device: string }) => t.device)).toEqual(['gpu', 'gpu']);
    expect(gpu.points).toEqual(cpu.points);
  });
});

describe('Fourier standardization', () => {
  it('"sd" takes z-scores and "range" maps the data into [0, 1], and percolab generate matches the in-memory teacher', async () => {
    const d = 3;
    const points = randomPoints(4000, d, 5, 7);
    for (const standardize of ['sd', 'range']) {
      const t = lib.createTeacher(spec({ kind: 'fourier', standardize, repetitions: 0 }), kernels, d, 2, { reference: points });
      const s = t.record.standardization;
      expect(s.by).toBe(standardize);
      for (let j = 0; j < d; j++) {
        const col = Array.from({ length: 4000 }, (_, i) => points[i * d + j]!);
        const mean = col.reduce((a, b) => a + b, 0) / col.length;
        const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
        const [lo, hi] = [Math.min(...col), Math.max(...col)];
        if (standardize === 'sd') {
          expect(s.offset[j]).toBeCloseTo(mean, 5);
          expect(s.scale[j]).toBeCloseTo(sd, 5);
        } else {
          expect(s.offset[j]).toBe(Math.fround(lo));
          expect(s.scale[j]).toBeCloseTo(hi - lo, 5);
        }
      }
      t.free();
    }
    // generate standardizes by a pass over the whole stream in wasm (two for "sd"), with the teacher's own
    // implementation: the labels are those of the in-memory teacher, bit for bit.
    const dir = workdir();
    for (const standardize of ['sd', 'range']) {
      const sets = ['teacher.kind=fourier', `teacher.standardize=${standardize}`, 'data.dimension=4'].flatMap((x) => ['--set', x]);
      const r = spawnSync(process.execPath, [cli, 'generate', ...sets, '--points', '70000', '--out', `${standardize}.npy`, '--no-progress'], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const x = parseNpy(readFileSync(join(dir, `${standardize}.npy`)), 'g').data as Float32Array;
      const y = parseNpy(readFileSync(join(dir, `${standardize}.labels.npy`)), 'y').data as Float32Array;
      const config = lib.resolveConfig(JSON.parse(readFileSync(join(dir, `${standardize}.json`), 'utf8')).config);
      const whole = lib.createTeacher({ ...config.teacher, repetitions: 0 }, kernels, 4, config.seed, { reference: x });
      expect(y).toEqual(await whole.label(x));
      whole.free();
    }
  });
});

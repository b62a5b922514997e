// The wasm kernels through the built Node bundle: exactness, determinism, SIMD, errors.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { distNode, referenceKnn, uniformSource } from './helpers.js';

const lib = await import(`${distNode}index.js`);
const kernels = lib.loadKernels();

describe('wasm kernels', () => {
  it('are the SIMD build, and its code really contains f32x4 instructions', () => {
    expect(kernels.info).toMatchObject({ simd: true, threads: false, version: lib.version });
    const disassembly = execFileSync('wasm-objdump', ['-d', `${distNode}percolab-simd.wasm`], { maxBuffer: 1 << 28 }).toString();
    expect(disassembly).toMatch(/f32x4\.(sub|mul|add)/);
  });

  it('sample the same cluster and points from the same seed, and others from other seeds', () => {
    const a = kernels.sampleCluster(7, 0, 5000, 16, 'exact');
    const b = kernels.sampleCluster(7, 0, 5000, 16, 'exact');
    expect(a).toEqual(b);
    expect(kernels.sampleCluster(8, 0, 5000, 16, 'exact')).not.toEqual(a);
    expect(kernels.embedNaive(a, 8, 7, 0)).toEqual(kernels.embedNaive(b, 8, 7, 0));
    // Breadth-first tree: root first, parents precede children, n-1 edges.
    expect(a[0]).toBe(0xffffffff);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBeLessThan(i);
  });

  it('k-NN is identical to a float64 brute-force reference on uniform, cluster and duplicate-heavy data', () => {
    expectReferenceKnn(kernels);
  });

  it('searchSelf (leaf groups: simd128 box and tile kernels) equals a float64 reference on cluster data, duplicates included', () => {
    // The MLE's search (k = 20) at d = 32, and d = 17 where the boxes' last f32x4 lanes are padding; then
    // 60 points 20 times each: leaves of duplicates wider than the leaf groups' 16 lanes, ties at 0.
    const repeated = (points: Float32Array, d: number, times: number) =>
      Float32Array.from({ length: points.length * times }, (_, i) => points[(Math.floor(i / d) % (points.length / d)) * d + (i % d)]!);
    for (const [d, dup] of [[32, 1], [17, 1], [17, 20]] as const) {
      const n = 1200;
      const k = 20;
      const points = repeated(kernels.embedNaive(kernels.sampleCluster(4, 0, n / dup, 2 * d, 'exact'), d, 4, 0), d, dup);
      const want = referenceKnn(points, points, d, k + 1);
      const index = kernels.knnIndex(points, d);
      const got = index.searchSelf(k);
      index.free();
      for (let i = 0; i < n; i++) {
        const row = Array.from(want.indices.subarray(i * (k + 1), (i + 1) * (k + 1)));
        const own = row.indexOf(i) === -1 ? k : row.indexOf(i);
        const keep = row.map((_, c) => c).filter((c) => c !== own);
        expect(Array.from(got.indices.subarray(i * k, (i + 1) * k))).toEqual(keep.map((c) => row[c]));
        expect(Array.from(got.distances.subarray(i * k, (i + 1) * k))).toEqual(keep.map((c) => Math.fround(Math.sqrt(want.squared[i * (k + 1) + c]!))));
      }
    }
  });

  it('index a point buffer filled in wasm memory exactly like a copied array, and consume it', () => {
    const d = 6;
    const points = kernels.embedNaive(kernels.sampleCluster(9, 0, 4000, 2 * d, 'exact'), d, 9, 0);
    const buffer = kernels.pointBuffer(points.length);
    expect(buffer.view()).toEqual(new Float32Array(points.length));
    buffer.view().set(points);
    const queries = points.subarray(0, 300 * d);
    const fromBuffer = kernels.knnIndex(buffer, d);
    const fromArray = kernels.knnIndex(points, d);
    expect(fromBuffer.search(queries, 5)).toEqual(fromArray.search(queries, 5));
    expect(fromBuffer.searchSelf(3)).toEqual(fromArray.searchSelf(3));
    fromBuffer.free();
    fromArray.free();
    expect(() => buffer.view()).toThrow(/point buffer has been consumed/);
    expect(() => kernels.knnIndex(buffer, d)).toThrow(/point buffer has been consumed/);
    const other = lib.loadKernels().pointBuffer(6);
    expect(() => kernels.knnIndex(other, d)).toThrow(/belongs to another kernels instance/);
    expect(() => kernels.pointBuffer(2 ** 31)).toThrow(/cannot allocate 2147483648 floats/);
  });

  it('data streams: deterministic whatever the chunking, branching sizes, manifolds on their sphere', () => {
    const d = 6;
    // An exact cluster walked depth-first (its points in preorder, the root at the origin), the same
    // whatever the chunking.
    // Specs are resolved config sections, handed across as they are.
    const data = (set: Record<string, unknown>) => lib.resolveConfig({ sizes: [10, 20], testSize: 10, data: { dimension: d, ...set } }).data;
    const spec0 = data({ clusterSize: 3000 });
    const walk = kernels.dataStream(spec0, 4);
    expect(walk.length).toBe(3000);
    const chunks = [walk.next(1000), walk.next(5000), walk.next(10)];
    walk.free();
    expect(chunks.map((c) => c.length / d)).toEqual([1000, 2000, 0]);
    expect(Array.from(chunks[0]!.subarray(0, d))).toEqual(new Array(d).fill(0));
    const once = kernels.dataStream(spec0, 4);
    expect(once.next(3000)).toEqual(Float32Array.from([...chunks[0]!, ...chunks[1]!]));
    once.free();
    // Read where the stream leaves them in wasm memory: the same rows, then an empty view.
    const into = kernels.dataStream(spec0, 4);
    const parts: number[] = [];
    for (let view: Float32Array; (view = into.nextView(1300)).length > 0; ) parts.push(...view);
    expect(Float32Array.from(parts)).toEqual(Float32Array.from([...chunks[0]!, ...chunks[1]!]));
    expect(into.nextView(10).length).toBe(0);
    into.free();
    // Every kind's chunks start on a page (4096 bytes: files opened for direct I/O take them), and the two
    // buffers stay where they are once made for the chunk size (one that moved would leave its first
    // place resident: wasm memory does not shrink).
    const kinds = [
      { clusterSize: 70000 },
      { clusterSize: 70000, sampler: 'grow-cut' },
      { embedder: 'branching', levels: 2, branchSize: 300 },
      { kind: 'manifold', manifold: 'sphere', manifoldDimension: 3 },
      { kind: 'population', clusters: 300, maxClusterSize: 500 },
    ];
    for (const kind of kinds) {
      const stream = kernels.dataStream(data(kind), 2);
      // The buffers take turns: chunks 0, 2, 4 in one, 1, 3, 5 in the other.
      const places = [20000, 20000, 777, 20000, 20000, 5].map((rows) => stream.nextView(rows).byteOffset);
      stream.free();
      expect(places.map((p) => p % 4096), JSON.stringify(kind)).toEqual(new Array(6).fill(0));
      expect(places, JSON.stringify(kind)).toEqual([0, 1, 0, 1, 0, 1].map((b) => places[b]));
    }
    // Labels read where nextView left the rows equal labels of the copied rows: one teacher, and one
    // per cluster of a population (with the rows' cluster ids); a model of other kernels is refused.
    for (const [dataSet, teacherSet] of [
      [{ clusterSize: 3000 }, { kind: 'relu' }],
      [{ kind: 'population', clusters: 12 }, { kind: 'linear', perCluster: true }],
    ] as const) {
      const config = lib.resolveConfig({ sizes: [10, 20], testSize: 10, data: { dimension: d, ...dataSet }, teacher: teacherSet });
      const [spec, teacherSpec] = [config.data, config.teacher];
      const labelled = kernels.dataStream(spec, 5);
      const rows = labelled.nextView(700).length / d;
      const again = kernels.dataStream(spec, 5);
      const copied = again.nextView(700).slice();
      const ids = teacherSpec.perCluster ? again.lastIds() : undefined;
      if (ids) {
        // Ids into a buffer the caller reuses: the same ids; too short refused.
        const idsOut = new Uint32Array(rows + 2).fill(99);
        expect(Array.from(again.lastIds(idsOut))).toEqual(Array.from(ids));
        expect(Array.from(idsOut.subarray(rows))).toEqual([99, 99]);
        expect(() => again.lastIds(new Uint32Array(rows - 1))).toThrow(new RegExp(`fewer than the ${rows} rows`));
      }
      const model = kernels.teacherModel(teacherSpec, d, 8, undefined, ids);
      const want = Array.from(model.evaluate(copied.subarray(0, rows * d), ids));
      expect(Array.from(labelled.labelFilled(model))).toEqual(want);
      // Into a buffer the caller reuses: its first `rows` floats, the rest untouched; too short refused.
      const out = new Float32Array(rows + 3).fill(-7);
      const into = labelled.labelFilled(model, out);
      expect(into.buffer).toBe(out.buffer);
      expect(Array.from(into)).toEqual(want);
      expect(Array.from(out.subarray(rows))).toEqual([-7, -7, -7]);
      expect(() => labelled.labelFilled(model, new Float32Array(rows - 1))).toThrow(new RegExp(`fewer than the ${rows} rows`));
      const other = lib.loadKernels().teacherModel(teacherSpec, d, 8, undefined, ids);
      expect(() => labelled.labelFilled(other)).toThrow(/teacher model of other kernels/);
      for (const x of [labelled, again, model, other]) x.free();
    }
    // Branching: exactly B^L x N_branch points, the same for the same seed whatever the chunking.
    const spec = data({ embedder: 'branching', branches: 5, branchSize: 40, baseSize: 400, levels: 2 });
    const a = kernels.dataStream(spec, 9);
    expect(a.length).toBe(5 ** 2 * 40);
    const whole = a.next(10_000);
    a.free();
    expect(whole.length).toBe(1000 * d);
    const b = kernels.dataStream(spec, 9);
    const pieces = [b.next(333), b.next(333), b.next(334)];
    b.free();
    expect(Float32Array.from(pieces.flatMap((p) => Array.from(p)))).toEqual(whole);
    // A unit sphere S^3 rotated into R^6: every point at distance 1 from the origin; endless.
    const sphere = kernels.dataStream(data({ kind: 'manifold', manifold: 'sphere', manifoldDimension: 3 }), 2);
    expect(sphere.length).toBe(Infinity);
    const s = sphere.next(500);
    sphere.free();
    for (let i = 0; i < 500; i++) expect(Math.hypot(...s.subarray(i * d, i * d + d))).toBeCloseTo(1, 5);
    // A torus T^2 needs 4 ambient coordinates: refused by the kernel as by the config.
    expect(() => kernels.dataStream({ ...data({ kind: 'manifold', manifoldDimension: 2 }), manifold: 'torus', dimension: 3 }, 1)).toThrow(/ambient|dimension/i);
  });

  it('a depth-first walk takes the reference steps: on a path (z = 2) it equals the stream\'s normals summed in order', () => {
    expectReferenceWalk(kernels);
  });

  it('k-NN regression averages the targets of the reference neighbours', () => {
    const next = uniformSource(9);
    const d = 3;
    const train = Float32Array.from({ length: 500 * d }, next);
    const targets = Float32Array.from({ length: 500 }, next);
    const queries = Float32Array.from({ length: 50 * d }, next);
    const want = referenceKnn(train, queries, d, 4);
    const got = kernels.knnRegress(train, targets, d, queries, 4);
    for (let i = 0; i < 50; i++) {
      let sum = 0;
      for (let t = 0; t < 4; t++) sum += targets[want.indices[i * 4 + t]!]!;
      expect(got[i]).toBe(sum / 4);
    }
  });

  it('distance-weighted k-NN regression weights the reference neighbours by 1/distance, exact matches first', () => {
    const next = uniformSource(10);
    const d = 3;
    const train = Float32Array.from({ length: 500 * d }, next);
    const targets = Float32Array.from({ length: 500 }, next);
    // The first 5 queries are training points: the prediction is their own target.
    const queries = Float32Array.from({ length: 50 * d }, (_, i) => (i < 5 * d ? train[i]! : next()));
    const want = referenceKnn(train, queries, d, 4);
    const got = kernels.knnRegress(train, targets, d, queries, 4, 'distance');
    for (let i = 0; i < 50; i++) {
      let [num, den] = [0, 0];
      const zero = want.squared[i * 4] === 0;
      for (let t = 0; t < 4; t++) {
        const w = zero ? (want.squared[i * 4 + t] === 0 ? 1 : 0) : 1 / Math.sqrt(want.squared[i * 4 + t]!);
        num += w * targets[want.indices[i * 4 + t]!]!;
        den += w;
      }
      expect(got[i]).toBeCloseTo(num / den, 12);
      if (i < 5) expect(got[i]).toBe(targets[i]);
    }
    expect(() => kernels.knnRegress(train, targets, d, queries, 4, 'cosine')).toThrow(/weights must be "uniform" or "distance", got "cosine"/);
  });

  it('local-linear k-NN regression reproduces an affine target on a plane in R^5, and the local mean is unchanged', () => {
    const next = uniformSource(11);
    const d = 5;
    // Orthonormal-ish frame: two coordinates of a plane mixed into five.
    const frame = [
      [0.6, 0.0, 0.8, 0.0, 0.0],
      [0.0, 0.28, 0.0, 0.96, 0.0],
    ];
    const embed = (s: number, t: number) => frame[0]!.map((a, j) => 0.3 + a * s + frame[1]![j]! * t);
    const affine = (x: ArrayLike<number>) => 1 + 2 * x[0]! - x[1]! + 0.5 * x[4]!;
    const train = Float32Array.from(Array.from({ length: 400 }, () => embed(next(), next())).flat());
    const targets = Float32Array.from({ length: 400 }, (_, i) => affine(train.subarray(i * d, i * d + d)));
    const queries = Float32Array.from(Array.from({ length: 30 }, () => embed(0.1 + 0.8 * next(), 0.1 + 0.8 * next())).flat());
    for (const local of [{ kind: 'linear', tangentDimension: 2, tangentCutoff: 1e-3 }, { kind: 'linear', tangentCutoff: 1e-3 }] as const) {
      const got = kernels.knnRegress(train, targets, d, queries, 8, 'uniform', local);
      got.forEach((p: number, i: number) => expect(Math.abs(p - affine(queries.subarray(i * d, i * d + d)))).toBeLessThan(1e-5));
    }
    expect(kernels.knnRegress(train, targets, d, queries, 4, 'distance', { kind: 'constant' })).toEqual(kernels.knnRegress(train, targets, d, queries, 4, 'distance'));
    expect(() => kernels.knnRegress(train, targets, d, queries, 3, 'uniform', { kind: 'linear', tangentDimension: 3, tangentCutoff: 1e-3 })).toThrow(/k = 3 is too small for a local-linear fit in tangent dimension 3/);
    expect(() => kernels.knnRegress(train, targets, d, queries, 3, 'uniform', { kind: 'linear', tangentCutoff: 2 })).toThrow(/cutoff is 2; it must lie strictly between 0 and 1/);
  });

  it('turn bad arguments into KernelErrors whose message says what is allowed', () => {
    const bad = (call: () => unknown, message: RegExp) => {
      let caught: unknown;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(lib.KernelError);
      expect((caught as Error).message).toMatch(message);
    };
    bad(() => kernels.sampleCluster(1, 0, 10, 1, 'exact'), /coordination must be an integer >= 2, got 1/);
    bad(() => kernels.sampleCluster(1, 0, 0, 4, 'exact'), /cluster size must be between 1/);
    bad(() => kernels.sampleCluster(1, 0, 10, 4, 'fast'), /sampler must be "exact" or "grow-cut"/);
    bad(() => kernels.embedNaive(new Uint32Array([0xffffffff, 1]), 3, 1, 0), /site 1: parents must precede/);
    bad(() => kernels.standardNormals(1, 2 ** 48, 5), /stream index must be at most 2\^48 - 1, got 281474976710656/);
    bad(() => kernels.standardNormals(1, 0, 2 ** 28 + 1), /at most 2\^28 normals at once, got 268435457/);
    bad(() => kernels.knnSearch(new Float32Array(8), 4, new Float32Array(4), 3), /k = 3 exceeds the number of training points \(2\)/);
    bad(() => kernels.knnSearch(new Float32Array(8), 4, new Float32Array(5), 1), /not a multiple of dimension 4/);
    bad(() => kernels.knnSearch(Float32Array.of(0, NaN, 0, 0), 4, new Float32Array(4), 1), /NaN/);
    // The instance stays usable after a rejected call.
    expect(kernels.permutation(1, 0, 5).length).toBe(5);
  });

  it('release what they allocate: repeated calls leave linear memory where the first left it', () => {
    const next = uniformSource(4);
    const d = 8;
    const train = Float32Array.from({ length: 4000 * d }, next);
    const queries = Float32Array.from({ length: 500 * d }, next);
    const targets = Float32Array.from({ length: 4000 }, next);
    const work = () => {
      kernels.knnSearch(train, d, queries, 10).indices;
      kernels.knnRegress(train, targets, d, queries, 3);
      kernels.embedNaive(kernels.sampleCluster(1, 0, 20000, 16, 'exact'), d, 1, 0);
      const buffer = kernels.pointBuffer(train.length);
      buffer.view().set(train);
      kernels.knnIndex(buffer, d).free();
      kernels.pointBuffer(100).free();
    };
    work();
    const settled = kernels.memoryBytes();
    for (let i = 0; i < 30; i++) work();
    expect(kernels.memoryBytes()).toBe(settled);
  });

  it('threaded flavour: shared memory, atomics, a running pool, and the same numbers as the SIMD flavour', async () => {
    const disassembly = execFileSync('wasm-objdump', ['-x', '-d', `${distNode}percolab-simd-threads.wasm`], { maxBuffer: 1 << 28 }).toString();
    expect(disassembly).toMatch(/memory\[0\].*shared/);
    expect(disassembly).toMatch(/memory\.atomic\.wait32/);
    expect(disassembly).toMatch(/f32x4\.(sub|mul|add)/);
    const threaded = await lib.loadThreadedKernels(2);
    try {
      expect(threaded.info).toMatchObject({ simd: true, threads: true });
      expect(threaded.flavour).toBe('simd-threads');
      expect(threaded.shared.threadCount()).toBe(2);
      const parents = kernels.sampleCluster(11, 0, 30000, 20, 'exact');
      expect(threaded.sampleCluster(11, 0, 30000, 20, 'exact')).toEqual(parents);
      const points = kernels.embedNaive(parents, 10, 11, 0);
      expect(threaded.embedNaive(parents, 10, 11, 0)).toEqual(points);
      const train = points.subarray(0, 20000 * 10);
      const queries = points.subarray(20000 * 10, 21000 * 10);
      // Warming the index's code on the helper (widths and k past what it clamps to, and nothing at all
      // without a width) leaves answers as they were; the single-thread flavour has no helper to ask.
      for (const [width, k] of [[10, 7], [0, 0], [2000, 500]] as const) threaded.warmKnn(width, k);
      kernels.warmKnn(10, 7);
      expect(threaded.knnSearch(train, 10, queries, 7)).toEqual(kernels.knnSearch(train, 10, queries, 7));
      // Local-linear fits run per chunk of queries on the pool: bit-identical to one thread.
      const targets = Float32Array.from({ length: 20000 }, (_, i) => Math.sin(train[i * 10]!) + train[i * 10 + 1]! * train[i * 10 + 2]!);
      const local = { kind: 'linear', tangentCutoff: 1e-3 } as const;
      expect(threaded.knnRegress(train, targets, 10, queries, 22, 'uniform', local)).toEqual(kernels.knnRegress(train, targets, 10, queries, 22, 'uniform', local));
      expectReferenceKnn(threaded);
      // Pieces of the step sequence decoded on two threads: the same walk.
      expectReferenceWalk(threaded);
      // Two buffers in turn: a chunk's view is unchanged through the next nextView (shared memory never
      // moves), and is overwritten by the one after.
      const spec = lib.resolveConfig({ sizes: [10, 20], testSize: 10, data: { dimension: 4, clusterSize: 5000 } }).data;
      const stream = threaded.dataStream(spec, 3);
      const first = stream.nextView(1000);
      const kept = first.slice();
      const second = stream.nextView(1000).slice();
      expect(first).toEqual(kept);
      stream.nextView(1000);
      expect(first).not.toEqual(kept);
      const once = kernels.dataStream(spec, 3);
      expect(Float32Array.from([...kept, ...second])).toEqual(once.next(2000));
      once.free();
      stream.free();
      // The serial start in steps (the walk's first draw of its offspring counts): on one thread made by
      // prepare, on two by the helper while prepare looks at its progress; the fraction rises to 1, and the
      // rows are those read with no steps. A manifold sample has no such start.
      const big = lib.resolveConfig({ sizes: [10, 20], testSize: 10, data: { dimension: 4, clusterSize: 3_000_000 } }).data;
      const plain = kernels.dataStream(big, 5);
      const want = plain.next(3000);
      plain.free();
      for (const k of [kernels, threaded]) {
        // A rehearsed first draw (on the helper, or nothing on one thread) changes no row.
        k.warmCluster();
        const stepped = k.dataStream(big, 5);
        const fractions: number[] = [];
        for (let f = 0; f < 1; ) {
          f = stepped.prepare(100_000);
          fractions.push(f);
          if (f < 1 && k === threaded) await new Promise((r) => setTimeout(r, 5));
        }
        expect(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!))).toBe(true);
        if (k === kernels) expect(fractions.length).toBeGreaterThanOrEqual(20); // 3 x 10^6 sites, 10^5 and a leaf at most per step
        expect(stepped.next(3000)).toEqual(want);
        expect(stepped.prepare(100_000)).toBe(1);
        stepped.free();
      }
      const manifold = kernels.dataStream(lib.resolveConfig({ sizes: [10, 20], testSize: 10, data: { kind: 'manifold', dimension: 4 } }).data, 5);
      expect(manifold.prepare(1)).toBe(1);
      manifold.free();
    } finally {
      threaded.close();
    }
  });
});

/**
 * At z = 2 every site has one child, so the exact cluster is a path, read the same depth-first and
 * breadth-first: the streamed walk (normals decoded ahead in segments, sites placed in parts) must equal
 * the path placed site by site from the stream's normals in order, each step `(z / sqrt(d)) as f32` and
 * each position one f32 addition. 120 000 sites at d = 8 are about 117 segments of 8192 normals.
 */
function expectReferenceWalk(k: typeof kernels) {
  const n = 120_000;
  const d = 8;
  const spec = lib.resolveConfig({ sizes: [10, 20], testSize: 10, data: { dimension: d, coordination: 2, clusterSize: n } }).data;
  const stream = k.dataStream(spec, 5);
  const walk = stream.next(n);
  stream.free();
  // The normals themselves: the digest the native Rust tests compute (crates/random/src/normals/tests.rs).
  const first = k.standardNormals(1, 0, 1 << 20);
  const bytes = new Uint8Array(first.buffer, first.byteOffset, first.byteLength);
  let digest = 0x811c9dc5;
  for (const byte of bytes) digest = Math.imul(digest ^ byte, 0x01000193) >>> 0;
  expect(digest).toBe(3_385_788_662);
  const normals = k.standardNormals(5, 0, (n - 1) * d);
  const scale = 1 / Math.sqrt(d);
  const reference = new Float32Array(n * d);
  for (let i = d; i < n * d; i++) reference[i] = reference[i - d]! + Math.fround(normals[i - d]! * scale);
  expect(walk.length).toBe(n * d);
  expect(walk.findIndex((v: number, i: number) => !Object.is(v, reference[i]))).toBe(-1);
}

/**
 * Exact k-NN against the float64 reference on uniform, cluster and duplicate-heavy data, k in {1, 5, 100},
 * and on uniform data in d = 32 and 128 (the blocked scan), k in {1, 10}.
 * 700 queries span several work chunks (256 queries each), which the threaded flavour runs concurrently.
 */
function expectReferenceKnn(k: typeof kernels) {
  const next = uniformSource(3);
  const d = 10;
  const n = 3000;
  const uniform = Float32Array.from({ length: (n + 700) * d }, next);
  const cluster = kernels.embedNaive(kernels.sampleCluster(5, 0, n + 700, 2 * d, 'exact'), d, 5, 0);
  // Every training point three times over, coordinates on a coarse grid: many exact ties.
  const duplicates = Float32Array.from({ length: (n + 700) * d }, (_, i) => Math.round(uniform[Math.floor(i / d / 3) * d + (i % d)]! * 4) / 4);
  for (const data of [uniform, cluster, duplicates]) {
    const train = data.subarray(0, n * d);
    // Queries: fresh points, and training points themselves (distance 0, ties among duplicates).
    const queries = Float32Array.from([...data.subarray(n * d, (n + 680) * d), ...train.subarray(0, 20 * d)]);
    for (const kk of [1, 5, 100]) {
      const got = k.knnSearch(train, d, queries, kk);
      const want = referenceKnn(train, queries, d, kk);
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.distances)).toEqual(Array.from(want.squared, (s) => Math.fround(Math.sqrt(s))));
    }
  }
  // Uniform in d = 32 and 128, where no tree prunes: the blocked f32x4 scan answers, then the exact re-rank.
  for (const [dd, nn, qq] of [[32, 2000, 300], [128, 1000, 60]] as const) {
    const points = Float32Array.from({ length: (nn + qq) * dd }, next);
    const train = points.subarray(0, nn * dd);
    const queries = Float32Array.from([...points.subarray(nn * dd), ...train.subarray(0, 5 * dd)]);
    for (const kk of [1, 10]) {
      const got = k.knnSearch(train, dd, queries, kk);
      const want = referenceKnn(train, queries, dd, kk);
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.distances)).toEqual(Array.from(want.squared, (s) => Math.fround(Math.sqrt(s))));
    }
  }
}

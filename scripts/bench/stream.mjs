// `npm run bench -- stream --baseline OLD_DIST_NODE [--points N] [--rounds R] [--dim D]`: the CPU time of
// drawing a naive cluster's points (the depth-first walk, its normals and offspring counts; no teacher, no
// files) with this build's single-threaded kernels and another build's, in one process, taking turns, so
// that both see the same moments of a shared machine; checks both give the same points (SHA-256 of every chunk). Best of R rounds.
// OLD_DIST_NODE is another build's dist/node folder (e.g. a copy of it taken before a change).
// Writes bench/results/stream.json (--out NAME: NAME.json).
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as current from '../../dist/node/index.js';
import { machine, writeResult } from './lib/common.mjs';

const { values } = parseArgs({ options: { baseline: { type: 'string' }, points: { type: 'string' }, rounds: { type: 'string' }, dim: { type: 'string' }, out: { type: 'string' } } });
if (!values.baseline) throw new Error('--baseline DIR: another build\'s dist/node folder to compare with');
const n = Number(values.points ?? 3_000_000);
const rounds = Number(values.rounds ?? 6);
const d = Number(values.dim ?? 16);
const old = await import(pathToFileURL(resolve(values.baseline, 'index.js')).href);

const CHUNK = 65536;
const builds = [['baseline', old], ['this build', current]].map(([name, lib]) => ({ name, lib, kernels: lib.loadKernels(), seconds: [], digest: undefined }));
const loadAtStart = loadavg();
// Round 0 compiles and warms each build; it is not counted.
for (let r = 0; r <= rounds; r++) {
  for (const b of builds) {
    const spec = b.lib.resolveConfig({ data: { dimension: d, clusterSize: n } }).data;
    const stream = b.kernels.dataStream(spec, 1);
    const chunk = new Float32Array(CHUNK * d);
    const hash = createHash('sha256');
    let micros = 0;
    for (;;) {
      const before = process.cpuUsage();
      // Builds before nextView copied each chunk out (nextInto); this one's view is copied too, for the same work.
      let rows;
      if (stream.nextView) {
        const view = stream.nextView(CHUNK);
        chunk.set(view);
        rows = view.length / d;
      } else rows = stream.nextInto(CHUNK, chunk);
      const used = process.cpuUsage(before);
      micros += used.user + used.system;
      if (rows === 0) break;
      hash.update(chunk.subarray(0, rows * d));
    }
    stream.free();
    if (r > 0) b.seconds.push(micros / 1e6);
    b.digest = hash.digest('hex');
  }
}
const best = builds.map((b) => Math.min(...b.seconds));
const row = {
  points: n, dimension: d, rounds,
  seconds: Object.fromEntries(builds.map((b, i) => [b.name, { best: best[i], each: b.seconds }])),
  thisOverBaseline: best[1] / best[0],
  samePoints: builds[0].digest === builds[1].digest,
};
process.stderr.write(`stream of ${n} points, d = ${d}: baseline ${best[0].toFixed(3)} s, this build ${best[1].toFixed(3)} s CPU (${row.thisOverBaseline.toFixed(3)}x), same points: ${row.samePoints}\n`);
writeResult(values.out ?? 'stream', { machine: machine(), loadAtStart, loadAverage: loadavg(), baseline: values.baseline, note: 'one thread (the SIMD kernels), CPU seconds of the whole stream, best of the rounds', row });

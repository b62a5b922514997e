// `npm run science -- students CASE [--seeds N]`: neural-network students against theory c = 4, beside
// 1-NN (c = 2) and local-linear k-NN (c = 4) on the same data and teacher. Each case writes
// bench/results/science-students-CASE.json, and its run folder (results.json, report.html) under
// examples/students/CASE/. Cases: cluster (d = 16, Fourier teacher), cube2, cube3 (manifold controls).
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
// PERCOLAB_DIST: a frozen copy of dist/node (a long science run should not see a rebuild).
const { percentile, renderReport, run } = await import(process.env.PERCOLAB_DIST ?? '../../dist/node/index.js');
import { machine, writeResult } from '../bench/lib/common.mjs';

const fourier = { kind: 'fourier', repetitions: 0 };
const student = { kind: 'mlp', widths: [128, 128], activation: 'gelu' };
const cases = {
  cluster: { data: {}, sizes: [1000, 2000, 4000, 8000, 16000], train: { learningRate: [0.001, 0.003] } },
  // The controls: sizes small enough that data, not optimization, limits the student (at N >= 8000 on the
  // 2-cube train and test loss meet near 2e-4 relative), and half the steps.
  cube2: { data: { kind: 'manifold', manifoldDimension: 2 }, sizes: [125, 250, 500, 1000, 2000], train: { learningRate: [0.003], steps: 10000 } },
  cube3: { data: { kind: 'manifold', manifoldDimension: 3 }, sizes: [250, 500, 1000, 2000, 4000], train: { learningRate: [0.003], steps: 10000 } },
};
const name = process.argv[2];
const c = cases[name];
if (!c) {
  process.stderr.write(`science students: unknown case ${name}; have ${Object.keys(cases).join(', ')}\n`);
  process.exit(2);
}
const seedsAt = process.argv.indexOf('--seeds');
const seeds = seedsAt > 0 ? Number(process.argv[seedsAt + 1]) : 10;
const learners = process.argv.includes('--students-only') ? ['student'] : process.argv.includes('--references-only') ? ['1-NN', 'local-linear'] : ['student', '1-NN', 'local-linear'];
const models = { student: { model: student, train: c.train }, '1-NN': { model: { kind: 'knn', k: 1 } }, 'local-linear': { model: { kind: 'knn', local: 'linear' } } };

const rows = [];
for (const learner of learners) {
  const input = { seeds, sizes: c.sizes, measure: { points: learner === 'student' ? 20000 : 0 }, data: c.data, teacher: fourier, ...models[learner] };
  const start = performance.now();
  let results;
  try {
    results = await run(input, { workers: 2 });
  } catch (error) {
    rows.push({ learner, error: error.message });
    process.stderr.write(`${name} ${learner}: ${error.message}\n`);
    continue;
  }
  const seconds = (performance.now() - start) / 1000;
  const e = results.fit.exponent;
  const perSize = results.config.sizes.map((n) => {
    const at = results.points.filter((p) => p.n === n);
    const row = { n, loss: percentile(at.map((p) => p.loss), 50), relative: percentile(at.map((p) => p.relative), 50) };
    if (results.students) {
      const s = results.students.map((x) => x.sizes.find((r) => r.n === n));
      const med = (f) => { const v = s.map(f).filter((x) => typeof x === 'number' && Number.isFinite(x)); return v.length ? percentile(v, 50) : null; };
      Object.assign(row, { trainLoss: med((r) => r.trainLoss), bestStep: med((r) => r.summary.bestStep), penultimateTwoNN: med((r) => r.penultimate?.twonn), penultimateMle: med((r) => r.penultimate?.mle), learningRates: s.map((r) => r.learningRate) });
    }
    return row;
  });
  rows.push({ learner, config: input, exponent: e, theory: results.theory, perSize, widthCheck: results.widthCheck, dimension: results.dimension?.estimates.map((m) => ({ method: m.method, dimension: m.dimension })), seconds });
  process.stderr.write(`${name} ${learner}: exponent ${e.median.toFixed(3)} [${e.p16.toFixed(3)}, ${e.p84.toFixed(3)}] vs ${results.theory.exponent.toFixed(3)} in ${seconds.toFixed(0)} s\n`);
  const dir = `examples/students/${name}/${learner}`;
  const temp = `${dir}.tmp`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  writeFileSync(`${temp}/results.json`, `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(`${temp}/report.html`, await renderReport(results));
  rmSync(dir, { recursive: true, force: true });
  renameSync(temp, dir);
}
writeResult(`science-students-${name}${learners.length === 1 ? `-${learners[0]}` : learners.length === 2 ? '-references' : ''}`, { machine: machine(), case: name, seeds, rows });

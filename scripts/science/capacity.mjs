// `npm run science -- capacity`: GLUE capacity against its known answers on many draws. P orthonormal
// point manifolds (Cover: alpha = 2) and orthonormal segments c ± R u (alpha(R) = 1 / (3/2 - (2/pi)
// arctan(1/R))), each within 4 Monte-Carlo standard deviations (sqrt(5 / (P draws)) relative); the
// percolation population of the README (its 10 largest clusters, 50 points each) beside the
// shuffled-label control. Writes bench/results/science-capacity.json and examples/capacity/segments.png.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { compile } from 'vega-lite';
import { parse, View } from 'vega';
import { Resvg } from '@resvg/resvg-js';
const { loadThreadedKernels, measureClusterCapacity, resolveConfig } = await import(process.env.PERCOLAB_DIST ?? '../../dist/node/index.js');
import { machine, writeResult } from '../bench/lib/common.mjs';

const [P, DRAWS] = [40, 2000];
const kernels = await loadThreadedKernels();
const law = (r) => 1 / (1.5 - (2 / Math.PI) * Math.atan(1 / r));
const sd = Math.sqrt(5 / (P * DRAWS));

/** P orthonormal segments c_i ± R u_i in R^(2P) (c_i = e_i, u_i = e_(P+i)); R = 0 gives points. */
function segments(radius) {
  const n = 2 * P;
  const rows = radius === 0 ? P : 2 * P;
  const points = new Float64Array(rows * n);
  const ids = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    const i = radius === 0 ? r : r >> 1;
    ids[r] = i;
    points[r * n + i] = 1;
    if (radius > 0) points[r * n + P + i] = r % 2 ? -radius : radius;
  }
  return { points, ids, n };
}

try {
  const rows = [];
  for (const radius of [0, 0.25, 0.5, 1, 2, 3, 5]) {
    const { points, ids, n } = segments(radius);
    const r = kernels.measureCapacity(points, n, ids, { draws: DRAWS, seed: 7, centre: false });
    const theory = radius === 0 ? 2 : law(radius);
    const deviation = (r.capacity / theory - 1) / sd;
    rows.push({ radius, capacity: r.capacity, standardError: r.capacityStandardError, theory, deviationInSd: deviation, dimension: r.dimension, glueRadius: r.radius, utility: r.utility });
    process.stderr.write(`R = ${radius}: alpha ${r.capacity.toFixed(4)} ± ${r.capacityStandardError.toFixed(4)}, theory ${theory.toFixed(4)} (${deviation.toFixed(2)} sd)\n`);
  }
  const config = resolveConfig({ data: { kind: 'population', clusters: 300, dimension: 8 }, seeds: 1, sizes: [200, 400], testSize: 100, capacity: { draws: 1000 } });
  const population = measureClusterCapacity(kernels, config, config.seed);
  const pick = (r) => Object.fromEntries(['capacity', 'dimension', 'radius', 'utility'].flatMap((k) => [[k, r[k]], [`${k}StandardError`, r[`${k}StandardError`]]]));
  process.stderr.write(`population (10 largest clusters, 50 points, R^8): alpha ${population.data.capacity.toFixed(3)} ± ${population.data.capacityStandardError.toFixed(3)}, shuffled ${population.control.capacity.toFixed(3)} ± ${population.control.capacityStandardError.toFixed(3)}\n`);

  const curve = Array.from({ length: 118 }, (_, i) => 0.1 * 1.04 ** i).map((radius) => ({ radius, theory: law(radius) }));
  const measured = rows.filter((r) => r.radius > 0).map((r) => ({ ...r, low: r.capacity - 2 * r.standardError, high: r.capacity + 2 * r.standardError }));
  const x = { field: 'radius', type: 'quantitative', scale: { type: 'log', domain: [0.1, 10], nice: false }, title: 'segment radius R (orthonormal segments c ± R u)' };
  const spec = {
    background: 'white', padding: 8, width: 560, height: 320,
    title: `GLUE capacity of ${P} segments, ${DRAWS} draws: measured (±2 s.e.) vs 1 / (3/2 − (2/π) arctan(1/R))`,
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 13 } },
    layer: [
      { data: { values: curve }, mark: { type: 'line', color: '#1d3557' }, encoding: { x, y: { field: 'theory', type: 'quantitative', title: 'capacity α', scale: { zero: false } } } },
      { data: { values: measured }, mark: { type: 'rule', color: '#d62828' }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
      { data: { values: measured }, mark: { type: 'point', filled: true, color: '#d62828', size: 50 }, encoding: { x, y: { field: 'capacity', type: 'quantitative' } } },
    ],
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  mkdirSync('examples/capacity', { recursive: true });
  writeFileSync('examples/capacity/segments.png.tmp', new Resvg(svg, { fitTo: { mode: 'zoom', value: 1.5 }, background: 'white' }).render().asPng());
  renameSync('examples/capacity/segments.png.tmp', 'examples/capacity/segments.png');
  const worst = Math.max(...rows.map((r) => Math.abs(r.deviationInSd)));
  writeResult('science-capacity', { machine: machine(), manifolds: P, draws: DRAWS, monteCarloSd: sd, worstDeviationInSd: worst, segments: rows, population: { clusterIds: population.clusterIds, data: pick(population.data), control: pick(population.control) } });
  if (worst > 4) process.exitCode = 1;
} finally {
  kernels.close();
}

// Plots and tables of dimension estimates: the correlation integral with its local slopes (the scaling
// window shows as a plateau), and the multifractal spectrum f(alpha) with D_q.
import type { TopLevelSpec } from 'vega-lite';
import type { CorrIntEstimate, DimensionEstimate, SandboxEstimate } from '../wasm/kernels.js';
import { escapeHtml } from './escape.js';
import { htmlPage } from './page.js';
import { PLOT_WIDTH, specToSvg } from './plot.js';

const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : NaN)) : []);
const rows = (xs: number[], ys: number[], keep: (x: number, y: number) => boolean) =>
  xs.map((x, i) => ({ x, y: ys[i]! })).filter(({ x, y }) => Number.isFinite(x) && Number.isFinite(y) && keep(x, y));

const base = { background: 'white', padding: 8, config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 } } };

/** C(r) on log-log axes above its local slopes d ln C / d ln r; `reference` draws a dashed line (e.g. D = 4). */
export function correlationSpec(corrint: CorrIntEstimate, reference?: number): TopLevelSpec {
  const curve: Partial<NonNullable<CorrIntEstimate['curve']>> = corrint.curve ?? {};
  const c = rows(numbers(curve.radii), numbers(curve.correlation), (x, y) => x > 0 && y > 0);
  const slopes = rows(numbers(curve.slopeRadii), numbers(curve.localSlopes), (x) => x > 0);
  const logX = { field: 'x', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'r' } as const;
  const slopeLayers: object[] = [
    { name: 'local_slopes', data: { values: slopes }, mark: { type: 'line', point: true, color: '#1d3557' }, encoding: { x: logX, y: { field: 'y', type: 'quantitative', title: 'd ln C / d ln r' } } },
  ];
  if (reference !== undefined) {
    slopeLayers.push({ name: 'reference_dimension', data: { values: [{ y: reference }] }, mark: { type: 'rule', color: '#2a9d8f', strokeDash: [6, 4] }, encoding: { y: { field: 'y', type: 'quantitative' } } });
  }
  return {
    ...base,
    vconcat: [
      { name: 'correlation_integral', width: PLOT_WIDTH, height: 260, title: 'Correlation integral C(r)', data: { values: c }, mark: { type: 'line', point: true, color: '#d62828' }, encoding: { x: logX, y: { field: 'y', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'C(r)' } } },
      { width: PLOT_WIDTH, height: 200, title: 'Local slopes', layer: slopeLayers },
    ],
  } as unknown as TopLevelSpec;
}

/** The Legendre spectrum f(alpha), beside D_q against q. */
export function spectrumSpec(dq: SandboxEstimate): TopLevelSpec {
  // Joined in q order (alpha need not be monotone in noisy data).
  const q = numbers(dq.q);
  const f = numbers(dq.alpha).map((x, i) => ({ x, y: numbers(dq.fAlpha)[i]!, q: q[i]! })).filter((p) => [p.x, p.y, p.q].every(Number.isFinite));
  const d = rows(numbers(dq.q), numbers(dq.generalizedDimensions), () => true);
  const panel = (title: string, values: object[], x: string, y: string, name: string) => ({
    name, width: PLOT_WIDTH / 2 - 30, height: 260, title, data: { values },
    mark: { type: 'line', point: true, color: '#1d3557' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: x, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: y, scale: { zero: false } },
      order: { field: name === 'f_alpha' ? 'q' : 'x', type: 'quantitative' },
    },
  });
  return { ...base, hconcat: [panel('Spectrum f(α)', f, 'α', 'f(α)', 'f_alpha'), panel('Generalized dimensions', d, 'q', 'D_q', 'generalized_dimensions')] } as unknown as TopLevelSpec;
}

const fmt = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** Which radii the sandbox fitted (points mode reports them; the rest of the grid had an empty ball or lay outside). */
function fittedNote(dq: SandboxEstimate): string {
  const fitted = Array.isArray(dq.fitted) ? numbers(dq.fitted) : [];
  if (fitted.length !== 2 || !fitted.every((v) => Number.isFinite(v) && v > 0)) return '';
  const factor = fitted[1]! / fitted[0]!;
  return `<p class="note">Sandbox slopes fitted over r = ${fmt(fitted[0])} to ${fmt(fitted[1])} (a factor ${factor.toFixed(2)} in r)${factor < 2 ? ': less than a factor 2, so read D_q for q &lt; 0 with care' : ''}.</p>`;
}

/** An HTML fragment: the estimates table and, where the methods were run, both figures. */
export async function dimensionSection(estimates: DimensionEstimate[], reference?: number): Promise<string> {
  const table = `<table><thead><tr><th>method</th><th>dimension</th><th>16th–84th percentile</th></tr></thead><tbody>
${estimates.map((e) => `<tr><td>${escapeHtml(e.method)}</td><td>${fmt(e.dimension)}</td><td>${e.interval ? `${fmt(e.interval[0])}–${fmt(e.interval[1])}` : typeof e.error === 'string' ? escapeHtml(e.error) : 'n/a'}</td></tr>`).join('\n')}
</tbody></table>
<p class="note">dq reports the information dimension D_1 (sandbox method); box the box-counting D_0, which only
suits low ambient dimensions (in many, every point sits in a box of its own). A sandbox ball's mass counts
the other points within r, as C(r) does, so D_2 is the correlation dimension on the sandbox's radii. D_q
for negative q weighs the sparsest balls most and rests on a handful of them: D_q cannot increase with q,
and where it does, or where f(α) rises above D_0, the sample is too sparse for those q at these radii.</p>`;
  const corrint = estimates.find((e): e is CorrIntEstimate => e.method === 'corrint' && !!e.curve);
  const dq = estimates.find((e): e is SandboxEstimate => (e.method === 'dq' || e.method === 'weights') && !!e.alpha);
  const figures = [
    corrint ? `<figure class="plot">${await specToSvg(correlationSpec(corrint, reference))}</figure>` : '',
    dq ? `<figure class="plot">${await specToSvg(spectrumSpec(dq))}</figure>${fittedNote(dq)}` : '',
  ];
  return `${table}\n${figures.join('\n')}`;
}

/** A self-contained HTML page of a dimension analysis of `source`. */
export async function renderDimensionReport(source: string, points: { rows: number; cols: number }, estimates: DimensionEstimate[]): Promise<string> {
  return htmlPage('percolab estimate', `<h1>Dimension of ${escapeHtml(source)}</h1>
<p>${points.cols > 0 ? `${points.rows} points in R<sup>${points.cols}</sup>.` : `${points.rows} nodes.`}</p>
${await dimensionSection(estimates)}
`);
}

// GLUE capacity in reports: one panel per headline quantity (capacity, dimension, radius, utility), each
// measurement a point with its ±1 standard error bar, and a table with the alignments.
import type { TopLevelSpec } from 'vega-lite';
import type { CapacityResult } from '../wasm/kernels.js';
import { escapeHtml } from './escape.js';
import { htmlPage } from './page.js';
import { PLOT_WIDTH, specToSvg } from './plot.js';

/** A named measurement (e.g. "data", "hidden layer 1", "shuffled labels"). */
export interface CapacityEntry {
  label: string;
  result: CapacityResult;
}

const headline = [
  ['capacity', 'capacity α'],
  ['dimension', 'dimension D'],
  ['radius', 'radius R'],
  ['utility', 'utility Ψ'],
] as const;

const alignments = [
  ['centreAlignment', 'centre alignment'],
  ['axesAlignment', 'axes alignment'],
  ['centreAxesAlignment', 'centre–axes alignment'],
] as const;

type Quantity = (typeof headline)[number][0] | (typeof alignments)[number][0];
const value = (r: CapacityResult, q: Quantity) => r[q];
const error = (r: CapacityResult, q: Quantity) => r[`${q}StandardError`];

export function capacitySpec(entries: CapacityEntry[]): TopLevelSpec {
  const rows = entries.flatMap(({ label, result }) =>
    headline.map(([q, title]) => ({ label, quantity: title, value: value(result, q), low: value(result, q) - error(result, q), high: value(result, q) + error(result, q) })),
  );
  const y = { field: 'label', type: 'nominal', title: null, sort: entries.map((e) => e.label) } as const;
  return {
    background: 'white',
    padding: 8,
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, header: { labelFontSize: 12 } },
    data: { values: rows },
    facet: { row: { field: 'quantity', type: 'nominal', title: null, sort: headline.map(([, t]) => t) } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      name: 'glue_capacity',
      width: PLOT_WIDTH - 160,
      height: { step: 22 },
      layer: [
        { mark: { type: 'rule', color: '#1d3557' }, encoding: { y, x: { field: 'low', type: 'quantitative', title: null, scale: { zero: false } }, x2: { field: 'high' } } },
        { mark: { type: 'point', filled: true, color: '#d62828', size: 60 }, encoding: { y, x: { field: 'value', type: 'quantitative' } } },
      ],
    },
  } as unknown as TopLevelSpec;
}

const fmt = (x: number, se: number) => `${x.toFixed(4)} ± ${se.toFixed(4)}`;

/** An HTML fragment: the table of every estimate and the figure. */
export async function capacitySection(entries: CapacityEntry[]): Promise<string> {
  const quantities = [...headline, ...alignments];
  const head = `<tr><th></th>${quantities.map(([, t]) => `<th>${escapeHtml(t)}</th>`).join('')}<th>manifolds × points</th><th>participation</th></tr>`;
  const body = entries
    .map(({ label, result: r }) => {
      const m = r.points.length ? `${r.manifolds} × ${Math.min(...r.points)}${Math.max(...r.points) > Math.min(...r.points) ? `–${Math.max(...r.points)}` : ''}` : '';
      return `<tr><td>${escapeHtml(label)}</td>${quantities.map(([q]) => `<td>${fmt(value(r, q), error(r, q))}</td>`).join('')}<td>${m}</td><td>${r.participation.toFixed(3)}</td></tr>`;
    })
    .join('\n');
  const first = entries[0]?.result;
  const note = first
    ? `<p class="note">GLUE (Chou, Chung et al. 2024): ${first.draws} draws, ${first.dichotomy} dichotomies, ${first.centred ? 'centred' : 'uncentred'} data in R<sup>${first.dimensionUsed}</sup>${first.dimensionUsed < first.ambientDimension ? ` (projected from R<sup>${first.ambientDimension}</sup>)` : ''}; each draw's anchor problem solved exactly; a manifold taking no part in a draw has a zero anchor. α = Ψ(1 + R<sup>-2</sup>)/D. Errors are jackknife standard errors over draws (for D, R, Ψ and the alignments the centres are held fixed). Finite point counts inflate capacity.</p>`
    : '';
  return `<table><thead>${head}</thead><tbody>\n${body}\n</tbody></table>\n${note}\n<figure class="plot">${await specToSvg(capacitySpec(entries))}</figure>`;
}

/** A self-contained HTML page. */
export async function renderCapacityReport(source: string, entries: CapacityEntry[]): Promise<string> {
  return htmlPage('percolab capacity', `<h1>Manifold capacity of ${escapeHtml(source)}</h1>
${await capacitySection(entries)}
`);
}

// The page's plots and tables, loaded on first use (vega is most of the page's weight). They are the HTML
// report's own pieces, so the page and `report.html` draw the same thing.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResults } from '../results.js';
import type { DimensionEstimate } from '../wasm/kernels.js';
import { capacitySection, type CapacityEntry } from '../report/capacity.js';
import { dimensionSection } from '../report/dimension.js';
import { escapeHtml } from '../report/escape.js';
import { exponentTable, headline, lossTable, renderReport } from '../report/html.js';
import { lossCurveSvg, PLOT_WIDTH, specToSvg } from '../report/plot.js';
import { studentSection } from '../report/students.js';
import { superpositionPlots, superpositionRowsHtml } from '../report/superposition.js';
import type { SuperpositionCurves, SuperpositionResult } from '../superposition/analysis.js';
import { sweepSpec } from '../sweep/report.js';
import type { Config } from '../config/schema.js';
import type { SliceGrid } from '../teachers/slice-grid.js';
import type { Projection } from './lab-api.js';

export { renderReport };

/** The run's headline, loss curve and exponent table; with `final`, the report's other sections too. */
export async function resultsHtml(results: RunResults, final: boolean): Promise<string> {
  const parts = [
    `<p class="headline" id="headline">${escapeHtml(headline(results))}</p>`,
    `<h3>Test loss against training-set size</h3><figure class="plot" id="loss-plot">${await lossCurveSvg(results)}</figure>`,
    `<h3>Exponents</h3>${exponentTable(results)}`,
  ];
  if (final) {
    parts.push(await studentSection(results));
    if (results.dimension) {
      parts.push(`<h3>Intrinsic dimension of the data</h3><p class="note">${results.dimension.points} points of seed ${results.dimension.seed}'s data; theory D = ${results.theory.dimension}.</p>`);
      parts.push(await dimensionSection(results.dimension.estimates, results.theory.dimension));
    }
    parts.push(`<h3>Test losses (MSE)</h3>${lossTable(results)}`);
  }
  return parts.join('\n');
}

export const dimensionHtml = (estimates: DimensionEstimate[]): Promise<string> => dimensionSection(estimates);

/** The data on its first principal axes (1-2 and 1-3), coloured by the teacher's label. */
export function projectionSvg(p: Projection): Promise<string> {
  const values = Array.from({ length: p.rows }, (_, i) => ({ a: p.coords[i * 3]!, b: p.coords[i * 3 + 1]!, c: p.coords[i * 3 + 2]!, label: p.labels[i]! }));
  const pct = (k: number) => `${((p.explained[k] ?? 0) * 100).toFixed(1)}% of the variance`;
  const panel = (y: 'b' | 'c', title: string) => ({
    width: PLOT_WIDTH / 2 - 20,
    height: PLOT_WIDTH / 2 - 20,
    mark: { type: 'circle', size: 6, opacity: 0.7 },
    encoding: {
      x: { field: 'a', type: 'quantitative', title: `PC 1 (${pct(0)})`, scale: { zero: false } },
      y: { field: y, type: 'quantitative', title, scale: { zero: false } },
      color: { field: 'label', type: 'quantitative', title: 'label', scale: { scheme: 'viridis' } },
    },
  });
  return specToSvg({
    background: 'white',
    padding: 8,
    data: { values },
    config: { font: 'sans-serif' },
    hconcat: [panel('b', `PC 2 (${pct(1)})`), panel('c', `PC 3 (${pct(2)})`)],
  } as unknown as TopLevelSpec);
}

/** The teacher on a slice through the data, as a heatmap (the picture `percolab teacher --slice` draws). */
export function sliceSvg(grid: SliceGrid, title: string): Promise<string> {
  const { resolution: n, range, axes } = grid;
  const step = (r: [number, number]) => (r[1] - r[0]) / (n - 1);
  const [si, sj] = [step(range.i), step(range.j)];
  const values = Array.from(grid.values, (label, k) => {
    const x = range.i[0] + (k % n) * si;
    const y = range.j[0] + Math.floor(k / n) * sj;
    // Cells overlap a little, so no anti-aliased seams show between them.
    return { x: x - si * 0.51, x2: x + si * 0.51, y: y - sj * 0.51, y2: y + sj * 0.51, label };
  });
  return specToSvg({
    background: 'white',
    padding: 8,
    title,
    width: 360,
    height: 360,
    data: { values },
    config: { font: 'sans-serif', view: { stroke: null } },
    mark: { type: 'rect', tooltip: false },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: `x${axes[0]}`, scale: { zero: false, nice: false } },
      x2: { field: 'x2' },
      y: { field: 'y', type: 'quantitative', title: `x${axes[1]}`, scale: { zero: false, nice: false } },
      y2: { field: 'y2' },
      color: { field: 'label', type: 'quantitative', title: 'label', scale: { scheme: 'viridis' } },
    },
  } as unknown as TopLevelSpec);
}

/** A sweep's exponents against the swept values: the plot of `percolab sweep`'s report. */
export async function sweepHtml(path: string, rows: { value: unknown; results: RunResults }[]): Promise<string> {
  const spec = sweepSpec(rows.map(({ value, results }) => ({ cell: { values: { [path]: value }, config: results.config as Config, hash: '' }, results, cached: false })), [path]);
  const table = rows.map(({ value, results }) => `<tr><th scope="row">${escapeHtml(JSON.stringify(value))}</th><td>${results.fit.exponent.median.toFixed(3)}</td><td>${results.fit.exponent.p16.toFixed(3)} – ${results.fit.exponent.p84.toFixed(3)}</td><td>${results.theory.exponent.toFixed(3)}</td></tr>`).join('');
  return `<h3>Exponent against ${escapeHtml(path)}</h3><figure class="plot" id="sweep-plot">${await specToSvg(spec)}</figure>` +
    `<table id="sweep-table"><thead><tr><th>${escapeHtml(path)}</th><th>exponent α</th><th>p16 – p84</th><th>theory</th></tr></thead><tbody>${table}</tbody></table>`;
}

/** `percolab capacity --report`'s table, note and plot. */
export const capacityHtml = (entries: CapacityEntry[]): Promise<string> => capacitySection(entries);

/** `percolab superposition --report`'s table and its four plots. */
export async function superpositionHtml(result: SuperpositionResult, curves: SuperpositionCurves): Promise<string> {
  const plots = await superpositionPlots(result, curves);
  return `<table id="superposition-table"><thead><tr><th>model</th><th>loss</th><th>loss / (p/3)</th><th style="text-align:left">details</th></tr></thead><tbody>${superpositionRowsHtml(result)}</tbody></table>
<h3>Loss against r = m / n</h3><figure class="plot" id="superposition-by-ratio">${plots.byRatio}</figure>
<h3>Loss against p</h3><figure class="plot">${plots.byP}</figure>
<h3>Closed form over (r, p)</h3><figure class="plot">${plots.heatMap}</figure>
<h3>The W matrix</h3><figure class="plot">${plots.w}</figure>`;
}

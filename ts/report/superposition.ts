// The Persian-rug report: loss against r at fixed p, against p at fixed r, the closed form over (r, p),
// and the W matrix; one self-contained HTML page, each plot also available as SVG (and PNG via resvg).
import type { TopLevelSpec } from 'vega-lite';
import type { SuperpositionCurves, SuperpositionResult, WBlock } from '../superposition/analysis.js';
import { escapeHtml } from './escape.js';
import { formatLoss } from './html.js';
import { htmlPage } from './page.js';
import { PLOT_HEIGHT, PLOT_WIDTH, specToSvg } from './plot.js';

const MODELS = ['closed form', 'Hadamard (simulated)', 'trained', 'optimal linear', 'zero output (p/3)'];
const COLORS = ['#1d3557', '#2a9d8f', '#d62828', '#f4a261', '#8d99ae'];
const color = (orient: string) => ({ field: 'model', type: 'nominal', title: null, scale: { domain: MODELS, range: COLORS }, legend: { orient, fillColor: 'rgba(255,255,255,0.85)', padding: 6, labelLimit: 240 } });
const frame = { width: PLOT_WIDTH, height: PLOT_HEIGHT * 0.8, background: 'white', padding: 8, config: { font: 'sans-serif' } };
const logLoss = { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss (MSE per feature)' };

type Row = { loss: number; model: string };

/** Closed form and baselines as lines, simulated and trained models as points, on a log loss axis. */
function lossSpec(title: string, x: Record<string, unknown>, lines: Row[], points: Row[], legend: string): TopLevelSpec {
  const encoding = { x, y: logLoss, color: color(legend) };
  return {
    ...frame,
    title,
    layer: [
      { data: { values: lines.filter((v) => v.loss > 0) }, mark: { type: 'line', strokeWidth: 2 }, encoding },
      { data: { values: points.filter((v) => v.loss > 0) }, mark: { type: 'point', filled: true, size: 70 }, encoding },
    ],
  } as unknown as TopLevelSpec;
}

/** Loss against r = m/n at the result's p. */
export function lossByRatioSpec(curves: SuperpositionCurves, result?: SuperpositionResult): TopLevelSpec {
  const lines = curves.byRatio.flatMap((c) => [
    { r: c.r, loss: c.closedForm, model: 'closed form' },
    { r: c.r, loss: c.linear, model: 'optimal linear' },
    { r: c.r, loss: c.zero, model: 'zero output (p/3)' },
  ]);
  const points = [...curves.hadamardByRatio.map((h) => ({ r: h.r, loss: h.loss, model: 'Hadamard (simulated)' })), ...(result?.trained ? [{ r: result.r, loss: result.trained.loss, model: 'trained' }] : [])];
  const x = { field: 'r', type: 'quantitative', title: 'r = m / n', scale: { domain: [0, 1] } };
  return lossSpec(`Loss against r at p = ${curves.p} (simulations at n = ${curves.n})`, x, lines, points, 'bottom-left');
}

/** Loss against p at the result's r. */
export function lossByPSpec(curves: SuperpositionCurves, result?: SuperpositionResult): TopLevelSpec {
  const lines = curves.byP.flatMap((c) => [
    { p: c.p, loss: c.closedForm, model: 'closed form' },
    { p: c.p, loss: c.linear, model: 'optimal linear' },
    { p: c.p, loss: c.zero, model: 'zero output (p/3)' },
  ]);
  const points = [...curves.hadamardByP.map((h) => ({ p: h.p, loss: h.loss, model: 'Hadamard (simulated)' })), ...(result?.trained ? [{ p: result.p, loss: result.trained.loss, model: 'trained' }] : [])];
  const x = { field: 'p', type: 'quantitative', title: 'feature probability p', scale: { type: 'log' } };
  return lossSpec(`Loss against p at r = ${curves.m / curves.n} (n = ${curves.n}, m = ${curves.m})`, x, lines, points, 'top-left');
}

/** The closed-form loss over (r, p), as a fraction of the zero output's p/3. */
export function heatMapSpec(curves: SuperpositionCurves): TopLevelSpec {
  return {
    ...frame,
    height: PLOT_WIDTH * 0.75,
    width: PLOT_WIDTH * 0.85,
    title: 'Closed-form loss / (p/3) over (r, p)',
    data: { values: curves.grid.map((g) => ({ ...g, rLabel: g.r.toFixed(2), pLabel: g.p.toPrecision(2) })) },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'rLabel', type: 'ordinal', title: 'r = m / n', sort: null },
      y: { field: 'pLabel', type: 'ordinal', title: 'p', sort: { field: 'p', order: 'descending' } },
      color: { field: 'relative', type: 'quantitative', title: 'loss / (p/3)', scale: { scheme: 'viridis', domain: [0, 1] } },
      tooltip: [{ field: 'r', format: '.2f' }, { field: 'p', format: '.3g' }, { field: 'loss', format: '.4g' }],
    },
  } as unknown as TopLevelSpec;
}

/** Top-left blocks of W, side by side (Hadamard, and trained when present). */
export function wMatrixSpec(blocks: { title: string; w: WBlock }[]): TopLevelSpec {
  const side = Math.min(PLOT_WIDTH / blocks.length - 40, 360);
  return {
    background: 'white',
    padding: 8,
    config: { font: 'sans-serif', view: { stroke: null } },
    hconcat: blocks.map(({ title, w }) => ({
      title,
      width: side,
      height: side,
      data: { values: w.values.map((v, k) => ({ i: Math.floor(k / w.size), j: k % w.size, w: v })) },
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'j', type: 'ordinal', axis: null },
        y: { field: 'i', type: 'ordinal', axis: null },
        color: { field: 'w', type: 'quantitative', title: 'W_ij', scale: { scheme: 'redblue', domain: [-1, 1], clamp: true, reverse: true } },
      },
    })),
    resolve: { scale: { color: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** The loss-against-r plot alone, as SVG (the README's picture). */
export const lossByRatioSpecSvg = (curves: SuperpositionCurves, result?: SuperpositionResult) => specToSvg(lossByRatioSpec(curves, result));

/** SVGs of the four plots, in report order. */
export async function superpositionPlots(result: SuperpositionResult, curves: SuperpositionCurves) {
  const blocks = [{ title: `Hadamard W (top-left ${result.w.size} x ${result.w.size})`, w: result.w }, ...(result.trained ? [{ title: 'trained W_out W_in', w: result.trained.w }] : [])];
  return {
    byRatio: await specToSvg(lossByRatioSpec(curves, result)),
    byP: await specToSvg(lossByPSpec(curves, result)),
    heatMap: await specToSvg(heatMapSpec(curves)),
    w: await specToSvg(wMatrixSpec(blocks)),
  };
}

/** The numbers, one row per model. */
export function superpositionTable(result: SuperpositionResult): { model: string; loss: number; detail: string }[] {
  const rows = [
    { model: 'closed form', loss: result.closedForm.loss, detail: `A = ${result.closedForm.a.toFixed(4)}, c = ${result.closedForm.c.toFixed(4)} (mean ${result.closedForm.mean.toFixed(4)}), sigma = ${result.closedForm.sigma.toFixed(4)}` },
    { model: 'Hadamard (simulated)', loss: result.hadamard.loss, detail: `A = ${result.hadamard.a.toFixed(4)}, mean = ${result.hadamard.mean.toFixed(4)}; ${result.hadamard.rows} rows fitted, ${result.hadamard.rows} held out` },
  ];
  if (result.trained) rows.push({ model: 'trained', loss: result.trained.loss, detail: `${result.trained.steps} Adam steps; mean bias ${result.trained.biasMean.toFixed(4)}` });
  rows.push(
    { model: 'optimal linear', loss: result.linear.loss, detail: `(1 - r)(p/3 - p^2/4); the paper's code: (n - m - 1)/n p/3 = ${formatLoss(result.linear.referenceLoss)}` },
    { model: 'zero output', loss: result.zero.loss, detail: 'p/3' },
  );
  return rows;
}

/** The table's rows as HTML (the report's and the lab page's). */
export const superpositionRowsHtml = (result: SuperpositionResult): string =>
  superpositionTable(result)
    .map((r) => `<tr><th scope="row">${escapeHtml(r.model)}</th><td>${formatLoss(r.loss)}</td><td>${formatLoss(r.loss / result.zero.loss)}</td><td class="note" style="text-align:left">${escapeHtml(r.detail)}</td></tr>`)
    .join('');

/** A self-contained HTML page: inline CSS and SVG only. */
export async function renderSuperpositionReport(result: SuperpositionResult, curves: SuperpositionCurves): Promise<string> {
  const plots = await superpositionPlots(result, curves);
  const rows = superpositionRowsHtml(result);
  const title = `Persian rug: n = ${result.n}, m = ${result.m} (r = ${result.r}), p = ${result.p}, seed ${result.seed}`;
  return htmlPage(
    'percolab superposition',
    `<h1>Toy model of superposition</h1>
<p class="headline">${escapeHtml(title)}</p>
<p class="note">y = ReLU(W_out W_in x + b) on n sparse features (each 0 with probability 1 − p, else uniform on [0, 1]) through m hidden units.
The Hadamard model takes W_in = m rows of a Sylvester Hadamard matrix (never the all-ones row) and W_out = W_in^T / m, and learns two scalars:
y = ReLU(A (W x + mean)). Cowsik, Dolev &amp; Infanger 2024, arXiv:2410.12101.</p>
<table><thead><tr><th>model</th><th>loss</th><th>loss / (p/3)</th><th style="text-align:left">details</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Loss against r = m / n</h2>
<figure class="plot">${plots.byRatio}</figure>
<h2>Loss against p</h2>
<figure class="plot">${plots.byP}</figure>
<h2>Closed form over (r, p)</h2>
<figure class="plot">${plots.heatMap}</figure>
<h2>The W matrix</h2>
<figure class="plot">${plots.w}</figure>
<p class="note">Cross-talk of the Hadamard model: mean ${formatLoss(result.crosstalk.mean)}, variance ${formatLoss(result.crosstalk.variance)} = (1/r − 1)(p/3 − p²/4).</p>
`,
  );
}

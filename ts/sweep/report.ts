// The combined report of a sweep: each cell's fitted exponent (median, 16th-84th percentile band)
// against the swept parameter, with the theory line.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResults } from '../results.js';
import { escapeHtml } from '../report/escape.js';
import { htmlPage } from '../report/page.js';
import { PLOT_HEIGHT, PLOT_WIDTH, specToSvg } from '../report/plot.js';
import { describeCell } from './describe.js';
import type { Cell } from './sweep.js';

export interface SweepRow {
  cell: Cell;
  results: RunResults;
  cached: boolean;
}

/** Exponent against the first swept path; one series per value of the other paths. */
export function sweepSpec(rows: SweepRow[], paths: string[]): TopLevelSpec {
  const [x, ...rest] = paths;
  const values = rows.map(({ cell, results }) => ({
    x: cell.values[x!],
    series: rest.length ? describeCell(Object.fromEntries(rest.map((p) => [p, cell.values[p]]))) : 'exponent',
    median: results.fit.exponent.median,
    p16: results.fit.exponent.p16,
    p84: results.fit.exponent.p84,
    theory: results.theory.exponent,
  }));
  const numeric = values.every((v) => typeof v.x === 'number' && v.x > 0);
  const xs = values.map((v) => v.x as number);
  const log = numeric && Math.max(...xs) / Math.min(...xs) >= 8;
  const xEnc = { field: 'x', type: numeric ? 'quantitative' : 'ordinal', title: x, ...(log ? { scale: { type: 'log' } } : {}) };
  const color = { field: 'series', type: 'nominal', title: rest.join(', ') || null, legend: rest.length ? {} : null };
  return {
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    background: 'white',
    padding: 8,
    data: { values },
    layer: [
      { name: 'theory_line', mark: { type: 'line', strokeDash: [6, 4], color: '#2a9d8f' }, encoding: { x: xEnc, y: { field: 'theory', type: 'quantitative', title: 'exponent α' }, detail: { field: 'series' } } },
      { name: 'bands', mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: xEnc, y: { field: 'p16', type: 'quantitative' }, y2: { field: 'p84' }, color } },
      { name: 'medians', mark: { type: 'line', point: { size: 60 } }, encoding: { x: xEnc, y: { field: 'median', type: 'quantitative', scale: { zero: false } }, color } },
    ],
  } as unknown as TopLevelSpec;
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** Mean non-linearity score of a cell's teachers (NaN when none was scored, or for older results). */
export function meanScore(results: RunResults): number {
  const scores = (results.teachers ?? []).map((t) => t.nonlinearity?.score).filter((s): s is number => s !== undefined);
  return scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : Number.NaN;
}

export async function renderSweepReport(title: string, rows: SweepRow[], paths: string[]): Promise<string> {
  const table = rows
    .map(({ cell, results, cached }) => {
      const e = results.fit.exponent;
      return `<tr>${paths.map((p) => `<td>${escapeHtml(JSON.stringify(cell.values[p]))}</td>`).join('')}<td>${f3(e.median)}</td><td>${f3(e.p16)}–${f3(e.p84)}</td><td>${f3(results.theory.exponent)}</td><td>${f3(meanScore(results))}</td><td>${results.timing.seconds.toFixed(1)} s${cached ? ' (cached)' : ''}</td><td><a href="cells/${cell.hash}/report.html">${cell.hash}</a></td></tr>`;
    })
    .join('\n');
  return htmlPage(title, `<h1>${escapeHtml(title)}</h1>
<figure>${await specToSvg(sweepSpec(rows, paths))}</figure>
<p class="note">Points: the median exponent over seeds; bars: 16th–84th percentile across seeds; dashed: theory c/D.</p>
<table><thead><tr>${paths.map((p) => `<th>${escapeHtml(p)}</th>`).join('')}<th>exponent</th><th>p16–p84</th><th>theory</th><th>teacher non-linearity</th><th>time</th><th>cell</th></tr></thead>
<tbody>
${table}
</tbody></table>
`);
}

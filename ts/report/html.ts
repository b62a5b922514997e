import type { RunResults } from '../results.js';
import { capacitySection } from './capacity.js';
import { dimensionSection } from './dimension.js';
import { escapeHtml } from './escape.js';
import { htmlPage } from './page.js';
import { formatAlpha, lossCurveSvg, medianLossBySize, modelScaling } from './plot.js';
import { studentSection } from './students.js';

/** Four significant digits; exponent notation only where fixed notation would be unreadable. */
export function formatLoss(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  if (x !== 0 && (abs < 1e-3 || abs >= 1e6)) return x.toExponential(3);
  return x.toPrecision(4);
}

function formatSize(n: number): string {
  return Number.isInteger(n) ? String(n) : formatLoss(n);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'n/a';
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${(s - 60 * m).toFixed(0)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** JSON.stringify that survives values JSON cannot represent instead of throwing. */
function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** D as given, or a measured D to 3 significant digits. */
export const formatDimension = (d: number): string => (Number.isInteger(d) ? String(d) : d.toPrecision(3));

const METHOD_NAMES: Record<string, string> = { twonn: 'TwoNN', mle: 'MLE', corrint: 'CorrInt', dq: 'sandbox D_1' };

/** e.g. "0.532 (c/D = 2/3.76, TwoNN; 0.527–0.536 over its bootstrap band)"; plain text, escape where it goes. */
function measuredText(t: RunResults['theory']): string {
  const m = t.measured!;
  const band = m.exponentInterval ? `; ${formatAlpha(m.exponentInterval[0])}–${formatAlpha(m.exponentInterval[1])} over its bootstrap band` : '';
  return `${formatAlpha(m.exponent)} (c/D = ${t.c}/${m.dimension.toFixed(2)}, ${METHOD_NAMES[m.method] ?? m.method}${band})`;
}

export function headline(results: RunResults): string {
  const { median, p16, p84 } = results.fit.exponent;
  const [w0, w1] = results.fit.window;
  const t = results.theory;
  return (
    `Fitted exponent ${formatAlpha(median)} (16th–84th percentile ${formatAlpha(p16)}–${formatAlpha(p84)}) ` +
    `over ${modelScaling(results) ? 'parameter counts P' : 'N'} in [${formatSize(w0)}, ${formatSize(w1)}]; ` +
    `theory ${formatAlpha(t.exponent)} (c/D = ${t.c}/${formatDimension(t.dimension)})` +
    // File data: where D came from (given, or the run's measurement).
    (t.dimensionSource ? `; D ${t.dimensionSource}` : '') +
    (t.measured ? `; from the measured dimension ${measuredText(t)}` : '') +
    (t.caveat ? `. Caveat: ${t.caveat}.` : '')
  );
}

export function exponentTable(results: RunResults): string {
  const e = results.fit.exponent;
  const rows = [
    `<tr class="summary"><th scope="row">median (p16 – p84)</th><td>${formatAlpha(e.median)}</td>` +
      `<td>${formatAlpha(e.p16)} – ${formatAlpha(e.p84)}</td></tr>`,
    `<tr><th scope="row">fit of the median curve</th><td>${formatAlpha(results.fit.medianCurve.exponent)}</td><td></td></tr>`,
    ...results.fit.perSeed.map(
      (s) =>
        `<tr><th scope="row">seed ${escapeHtml(String(s.seed))}</th><td>${formatAlpha(s.exponent)}</td>` +
        `<td>${formatLoss(Math.exp(s.intercept))}</td></tr>`,
    ),
  ];
  return (
    `<table><thead><tr><th></th><th>exponent α</th><th>range / prefactor e<sup>intercept</sup></th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

export function lossTable(results: RunResults): string {
  const loss = new Map<string, number>();
  for (const p of results.points) loss.set(`${p.seed}:${p.n}`, p.loss);
  const medians = new Map(medianLossBySize(results).map((m) => [m.n, m.loss]));
  const sizes = [...new Set(results.points.map((p) => p.n))].sort((a, b) => a - b);
  const [w0, w1] = results.fit.window;
  const head =
    `<tr><th>N</th>${results.seeds.map((s) => `<th>seed ${escapeHtml(String(s))}</th>`).join('')}` +
    `<th>median</th></tr>`;
  const body = sizes.map((n) => {
    const cells = results.seeds.map((s) => {
      const v = loss.get(`${s}:${n}`);
      return `<td>${v === undefined ? '' : formatLoss(v)}</td>`;
    });
    const m = medians.get(n);
    const cls = n >= w0 && n <= w1 ? ' class="in-window"' : '';
    return `<tr${cls}><th scope="row">${formatSize(n)}</th>${cells.join('')}<td class="median">${m === undefined ? '' : formatLoss(m)}</td></tr>`;
  });
  return `<table class="losses"><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}


/** The teacher's device and non-linearity score (mean over seeds), when the run recorded them. */
function teacherRows(results: RunResults): string {
  const teachers = results.teachers ?? [];
  if (teachers.length === 0) return '';
  const scores = teachers.map((t) => t.nonlinearity?.score).filter((s): s is number => s !== undefined);
  const draws = teachers.reduce((n, t) => n + t.draws, 0);
  const rows = [`<dt>teacher</dt><dd>${escapeHtml(`${teachers[0]!.kind} on ${teachers[0]!.device}${teachers[0]!.why ? ` (${teachers[0]!.why})` : ''}`)}</dd>`];
  if (scores.length) {
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    rows.push(`<dt>non-linearity score</dt><dd>${mean.toFixed(3)} (mean over ${scores.length} seeds; 1 = linear; ${draws} draws in all)</dd>`);
  }
  return `${rows.join('\n')}\n`;
}

async function dimensionReport(results: RunResults): Promise<string> {
  const m = results.dimension;
  if (!m) return '';
  return `<h2>Intrinsic dimension of the data</h2>
<p class="note">${m.points} points of seed ${m.seed}'s data; theory: D = ${results.theory.dimension}. The local slopes of the
correlation integral should level off near D inside the scaling window.${results.theory.measured ? ` The exponent expected from the measured dimension is ${escapeHtml(measuredText(results.theory))}.` : ''}</p>
${await dimensionSection(m.estimates, results.theory.dimension)}
`;
}

async function capacityReport(results: RunResults): Promise<string> {
  const m = results.capacity;
  if (!m) return '';
  const entries = [
    ...(m.data ? [{ label: 'clusters', result: m.data }] : []),
    ...(m.control ? [{ label: 'shuffled labels', result: m.control }] : []),
    ...(m.layers ?? []).flatMap((l) => [{ label: `hidden layer ${l.layer}`, result: l.data }, ...(l.control ? [{ label: `hidden layer ${l.layer}, shuffled`, result: l.control }] : [])]),
  ];
  return `<h2>Manifold capacity of the clusters</h2>
<p class="note">The ${m.clusterIds.length} largest clusters of seed ${m.seed}'s data as manifolds${m.control ? '; the control shuffles their cluster ids' : ''}${m.layers?.length ? "; hidden layers: the post-activations of the first seed's last student on the same points" : ''}.${m.error ? ` ${escapeHtml(m.error)}.` : ''}</p>
${entries.length ? await capacitySection(entries) : ''}
`;
}


/** A self-contained HTML5 report: inline CSS and SVG only, nothing fetched at view time. */
export async function renderReport(results: RunResults): Promise<string> {
  const svg = await lossCurveSvg(results);
  const [w0, w1] = results.fit.window;
  return htmlPage(
    'percolab run',
    `<h1>percolab run</h1>
<p class="headline">${escapeHtml(headline(results))}</p>
<h2>Test loss against training-set size</h2>
<figure class="plot">${svg}</figure>
<h2>Exponents</h2>
${exponentTable(results)}
<p class="note">Per-seed least-squares fits of ln(loss) on ln(N) for N in [${escapeHtml(formatSize(w0))}, ${escapeHtml(formatSize(w1))}].</p>
${await studentSection(results)}${await dimensionReport(results)}${await capacityReport(results)}<h2>Test losses (MSE)</h2>
${lossTable(results)}
<p class="note">Shaded rows lie inside the fit window.</p>
<h2>Run</h2>
<dl>
<dt>percolab</dt><dd>${escapeHtml(results.percolab)}</dd>
<dt>wall time</dt><dd>${escapeHtml(formatSeconds(results.timing.seconds))}</dd>
<dt>seeds</dt><dd>${escapeHtml(results.seeds.join(', '))}</dd>
${teacherRows(results)}</dl>
<h2>Config</h2>
<pre>${escapeHtml(prettyJson(results.config))}</pre>
`,
  );
}

// The students' part of a run report: what separates approximation error from optimization error.
// Learning curves, the chosen learning rate per size, train against test loss, local slopes of the loss
// curve, the width-doubling check and the penultimate layer's dimension against N.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResults, StudentRecord } from '../results.js';
import { percentile } from '../fit/scaling.js';
import { modelScaling, PLOT_HEIGHT, PLOT_WIDTH, specToSvg } from './plot.js';

/** What a student is plotted against: its training size N, or its parameter count P (model scaling). */
const xOf = (results: RunResults) => (r: StudentRecord) => (modelScaling(results) ? r.summary.parameters : r.n);

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5 ? x.toExponential(2) : x.toPrecision(digits));
const median = (xs: (number | null | undefined)[]) => {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? percentile(v, 50) : null;
};

/** Per size: medians over seeds, and how often each learning rate was chosen. */
export function studentTable(results: RunResults) {
  const students = results.students ?? [];
  const x = xOf(results);
  const sizes = [...new Set(students.flatMap((s) => s.sizes.map(x)))].sort((a, b) => a - b);
  return sizes.map((n) => {
    const at = students.map((s) => s.sizes.find((r) => x(r) === n)).filter((r) => r !== undefined);
    const chosen = new Map<number, number>();
    for (const r of at) chosen.set(r.learningRate, (chosen.get(r.learningRate) ?? 0) + 1);
    return {
      n,
      learningRates: [...chosen.entries()].sort((a, b) => a[0] - b[0]),
      trainLoss: median(at.map((r) => r.trainLoss)),
      validationLoss: median(at.map((r) => r.validationLoss)),
      testLoss: median(at.map((r) => r.testLoss)),
      relative: median(at.map((r) => r.relative)),
      bestStep: median(at.map((r) => r.summary.bestStep)),
      twonn: median(at.map((r) => r.penultimate?.twonn)),
      mle: median(at.map((r) => r.penultimate?.mle)),
    };
  });
}

/** -d ln L / d ln N between consecutive sizes of the median curve. */
export function localSlopes(results: RunResults): { from: number; to: number; slope: number }[] {
  const rows = studentTable(results).filter((r) => r.testLoss !== null && r.testLoss > 0);
  return rows.slice(1).map((r, i) => ({ from: rows[i]!.n, to: r.n, slope: -Math.log(r.testLoss! / rows[i]!.testLoss!) / Math.log(r.n / rows[i]!.n) }));
}

function curveSpec(results: RunResults): TopLevelSpec {
  const first = results.students![0]!;
  const values = first.sizes.flatMap((r) =>
    r.curve.flatMap((p) =>
      (['train', 'test'] as const)
        .filter((k) => p[k] !== null && p[k]! > 0)
        .map((k) => ({ step: Math.max(p.step, 1), loss: p[k], size: modelScaling(results) ? `P = ${r.summary.parameters}` : `N = ${r.n}`, set: k })),
    ),
  );
  return {
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT * 0.8,
    background: 'white',
    padding: 8,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', scale: { type: 'log' }, title: 'optimizer step' },
      y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'MSE' },
      color: { field: 'size', type: 'nominal', sort: null, title: null },
      strokeDash: { field: 'set', type: 'nominal', title: null, scale: { domain: ['train', 'test'], range: [[4, 3], [1, 0]] } },
    },
  } as unknown as TopLevelSpec;
}

export async function studentSection(results: RunResults): Promise<string> {
  if (!results.students?.length) return '';
  const table = studentTable(results);
  const slopes = localSlopes(results);
  const xName = modelScaling(results) ? 'P' : 'N';
  const rows = table
    .map(
      (r) =>
        `<tr><th scope="row">${r.n}</th><td>${r.learningRates.map(([lr, k]) => `${lr} (${k})`).join(', ')}</td>` +
        `<td>${fmt(r.trainLoss)}</td><td>${fmt(r.validationLoss)}</td><td>${fmt(r.testLoss)}</td><td>${fmt(r.relative)}</td>` +
        `<td>${fmt(r.testLoss !== null && r.trainLoss ? r.testLoss / r.trainLoss : null)}</td><td>${r.bestStep === null ? "n/a" : Math.round(r.bestStep)}</td><td>${fmt(r.twonn)}</td><td>${fmt(r.mle)}</td></tr>`,
    )
    .join('');
  const check = results.widthCheck;
  const checkText = check
    ? `<p>Width check (seed ${check.seed}, N = ${check.n}): widths [${check.widths.join(', ')}] give test MSE ${fmt(check.testLoss)}, ` +
      `[${check.doubledWidths.join(', ')}] give ${fmt(check.doubledTestLoss)}: a change of ${(100 * check.change).toFixed(1)}% ` +
      `(${Math.abs(check.change) < 0.05 ? 'under 5%: resolution-limited' : 'over 5%: the student is not large enough for this N'}).</p>`
    : '';
  const slopeText = slopes.length
    ? `<p>Local slopes of the median test loss, −Δln L/Δln ${xName}: ${slopes.map((s) => `${s.from}→${s.to}: ${s.slope.toFixed(2)}`).join('; ')} ` +
      `(c = 4 predicts ${(4 / results.theory.dimension).toFixed(2)}, c = 2 ${(2 / results.theory.dimension).toFixed(2)}).</p>`
    : '';
  const svg = await specToSvg(curveSpec(results));
  return `<h2>Students</h2>
<p class="note">Medians over seeds. A test loss far above the train loss at small N is the data limit; a train loss that stops
falling with N, or a learning curve still descending at the last step, is optimization error. The learning rate is chosen per size on
the validation split (how many seeds chose each).</p>
<table><thead><tr><th>${xName}</th><th>learning rate (seeds)</th><th>train MSE</th><th>validation MSE</th><th>test MSE</th><th>test MSE / Var(y)</th><th>test / train</th><th>best step</th><th>penultimate TwoNN</th><th>MLE</th></tr></thead><tbody>${rows}</tbody></table>
${slopeText}
${checkText}
<h3>Learning curves (seed ${results.students[0]!.seed})</h3>
<figure class="plot">${svg}</figure>
<p class="note">Solid: test loss; dashed: train loss (first 2048 training rows), against the optimizer step.</p>
`;
}

import type { TopLevelSpec } from 'vega-lite';
import type { RunResults } from '../results.js';
import { percentile } from '../fit/scaling.js';

export const PLOT_WIDTH = 640;
export const PLOT_HEIGHT = 400;

/** Mark names; vega writes them into the SVG class attribute, which the tests rely on. */
export const MARK_NAMES = {
  window: 'fit_window',
  seeds: 'seed_curves',
  median: 'median_curve',
  fit: 'fit_line',
  theory: 'theory_line',
} as const;

const COLORS = { seeds: '#6b7f99', median: '#1d3557', fit: '#d62828', theory: '#2a9d8f', window: '#f4a261' };

/** Log axes cannot show non-positive or non-finite values. */
function plottable(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}

/** Per-size median loss across seeds, sorted by n; sizes with no finite loss are dropped. */
export function medianLossBySize(results: RunResults): { n: number; loss: number }[] {
  const bySize = new Map<number, number[]>();
  for (const p of results.points) {
    if (!Number.isFinite(p.loss)) continue;
    const list = bySize.get(p.n) ?? [];
    list.push(p.loss);
    bySize.set(p.n, list);
  }
  return [...bySize.entries()].sort(([a], [b]) => a - b).map(([n, losses]) => ({ n, loss: percentile(losses, 50) }));
}

/** Whether the run fitted loss against students' parameter counts (scaling "model") rather than N. */
export const modelScaling = (results: RunResults): boolean => (results.config as { scaling?: string }).scaling === 'model';

export function formatAlpha(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : 'n/a';
}

/** The vega-lite spec of the loss curve; exported so callers can embed it interactively too. */
export function lossCurveSpec(results: RunResults): TopLevelSpec {
  const seedLabel = results.seeds.length === 1 ? 'seed' : `seeds (${results.seeds.length})`;
  const medianLabel = 'median over seeds';
  const fitLabel = `fit: α = ${formatAlpha(results.fit.medianCurve.exponent)}`;
  const theoryLabel = `theory: α = ${formatAlpha(results.theory.exponent)}`;

  const seedValues = results.points
    .filter((p) => plottable(p.n) && plottable(p.loss))
    .map((p) => ({ n: p.n, loss: p.loss, seed: String(p.seed) }));
  const medianValues = medianLossBySize(results).filter((p) => plottable(p.n) && plottable(p.loss));

  const [w0, w1] = results.fit.window;
  const { exponent: fitAlpha, intercept } = results.fit.medianCurve;
  const fitAt = (n: number) => Math.exp(intercept) * Math.pow(n, -fitAlpha);
  const fitValues = [w0, w1].map((n) => ({ n, loss: fitAt(n) })).filter((p) => plottable(p.n) && plottable(p.loss));

  // The theory line is anchored on the fitted line at the window's geometric middle, so only slopes differ,
  // and spans all sizes so its slope can be compared against points outside the window too.
  const mid = Math.sqrt(w0 * w1);
  const anchor = fitAt(mid);
  const sizes = seedValues.map((p) => p.n);
  const nMin = Math.min(w0, ...sizes);
  const nMax = Math.max(w1, ...sizes);
  const theoryValues = [nMin, nMax]
    .map((n) => ({ n, loss: anchor * Math.pow(n / mid, -results.theory.exponent) }))
    .filter((p) => plottable(p.n) && plottable(p.loss));

  const tickSizes = [...new Set(sizes)].sort((a, b) => a - b);
  const x = {
    field: 'n',
    type: 'quantitative' as const,
    scale: { type: 'log' as const, nice: false },
    // Experiments use a handful of geometric sizes: ticking exactly those reads best on a log axis.
    axis: {
      title: modelScaling(results) ? 'student parameters P' : 'training points N',
      grid: true,
      labelFlush: false,
      format: '~s',
      ...(tickSizes.length >= 2 && tickSizes.length <= 16 ? { values: tickSizes } : {}),
    },
  };
  const y = {
    field: 'loss',
    type: 'quantitative' as const,
    scale: { type: 'log' as const, nice: false },
    axis: { title: 'test MSE', grid: true },
  };
  // One shared colour/dash/width/opacity scale over `datum` labels merges into a single legend for all layers.
  const domain = [seedLabel, medianLabel, fitLabel, theoryLabel];
  const series = (label: string) => ({
    color: {
      datum: label,
      type: 'nominal' as const,
      scale: { domain, range: [COLORS.seeds, COLORS.median, COLORS.fit, COLORS.theory] },
      legend: {
        title: null,
        orient: 'top-right' as const,
        symbolType: 'stroke',
        symbolStrokeWidth: 2.5,
        symbolSize: 500,
        labelLimit: 240,
        padding: 6,
        fillColor: 'rgba(255,255,255,0.85)',
        // vega-lite does not merge a datum-driven strokeDash legend into the colour one, so borrow its scale here.
        encode: {
          symbols: {
            update: {
              strokeDash: { scale: 'strokeDash', field: 'value' },
              opacity: { signal: `datum.value === ${JSON.stringify(seedLabel)} ? 0.4 : 1` },
            },
          },
        },
      },
    },
    strokeDash: {
      datum: label,
      type: 'nominal' as const,
      scale: { domain, range: [[1, 0], [1, 0], [8, 5], [2, 4]] },
      legend: null,
    },
  });

  const layers: Record<string, unknown>[] = [];
  if (plottable(w0) && plottable(w1) && w1 > w0) {
    layers.push({
      name: MARK_NAMES.window,
      data: { values: [{ n: w0, n2: w1 }] },
      mark: { type: 'rect', color: COLORS.window, opacity: 0.12, tooltip: false },
      encoding: { x: { ...x, field: 'n' }, x2: { field: 'n2' } },
    });
    layers.push({
      data: { values: [{ n: mid }] },
      mark: { type: 'text', text: 'fit window', baseline: 'top', dy: 4, color: '#9a5b2b', fontSize: 11, y: 0 },
      encoding: { x: { ...x, field: 'n' } },
    });
  }
  layers.push({
    name: MARK_NAMES.seeds,
    data: { values: seedValues },
    mark: { type: 'line', strokeWidth: 1.5, opacity: 0.25, point: { size: 14, opacity: 0.25 } },
    encoding: { x, y, detail: { field: 'seed', type: 'nominal' }, ...series(seedLabel) },
  });
  layers.push({
    name: MARK_NAMES.median,
    data: { values: medianValues },
    mark: { type: 'line', strokeWidth: 3, point: { size: 45, filled: true } },
    encoding: { x, y, ...series(medianLabel) },
  });
  layers.push({
    name: MARK_NAMES.fit,
    data: { values: fitValues },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: { x, y, ...series(fitLabel) },
  });
  if (results.theory.c !== 2) {
    // Students: the nearest-neighbour rate c = 2 beside the theory's c = 4, through the same anchor.
    const reference = [nMin, nMax].map((n) => ({ n, loss: anchor * Math.pow(n / mid, -2 / results.theory.dimension) })).filter((p) => plottable(p.loss));
    layers.push({
      name: 'reference_c2',
      data: { values: reference },
      mark: { type: 'line', strokeWidth: 1.5, color: '#999999', strokeDash: [1, 3] },
      encoding: { x, y },
    });
  }
  layers.push({
    name: MARK_NAMES.theory,
    data: { values: theoryValues },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: { x, y, ...series(theoryLabel) },
  });

  return {
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    background: 'white',
    padding: 8,
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 12 } },
    layer: layers,
  } as unknown as TopLevelSpec;
}

/** Renders a vega-lite spec to a standalone SVG string (no canvas, no network). */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on first use: vega is a third of the CLI bundle, and most commands draw nothing.
  const [{ parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders the log-log loss curve to a standalone SVG string. */
export function lossCurveSvg(results: RunResults): Promise<string> {
  return specToSvg(lossCurveSpec(results));
}

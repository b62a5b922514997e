import { describe, expect, it } from 'vitest';
import type { RunResults } from '../ts/results.js';
import { fitScaling } from '../ts/fit/scaling.js';
import { escapeHtml, lossCurveSvg, MARK_NAMES, renderReport } from '../ts/report/index.js';

function synthetic(opts: { seeds?: number[]; window?: [number, number]; config?: Record<string, unknown> } = {}): RunResults {
  const seeds = opts.seeds ?? [11, 12, 13];
  const sizes = [1000, 2000, 4000, 8000, 16000, 32000];
  // Deterministic wobble that differs per seed and size, so per-seed exponents differ.
  const points = seeds.flatMap((seed) =>
    sizes.map((n, j) => ({ seed, n, loss: 2 * n ** -0.5 * (1 + 0.04 * Math.sin(1.3 * seed + 0.9 * j)) })),
  );
  const window = opts.window ?? [sizes[0]!, sizes[sizes.length - 1]!];
  return {
    percolab: '0.1.0-test',
    // A partial config: the report reads only what it shows.
    config: (opts.config ?? { seed: seeds[0], dimension: 4 }) as RunResults['config'],
    seeds,
    points,
 teachers: [],
    fit: fitScaling(points, seeds, window),
    theory: { dimension: 4, c: 2, exponent: 0.5 },
    timing: { seconds: 3.25 },
  };
}

/** The `<g class="mark-... role-mark NAME_marks">` groups vega emits for a named vega-lite layer. */
function markGroups(svg: string, name: string): string[] {
  const re = new RegExp(`<g class="mark-\\w+ role-mark ${name}_marks"[^>]*>(.*?)</g>`, 'g');
  return [...svg.matchAll(re)].map((m) => m[1]!);
}

/** Vertex x coordinates of the first path in a mark group. */
function pathXs(group: string): number[] {
  const d = /\sd="([^"]*)"/.exec(group)?.[1] ?? '';
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => Number(m[1]));
}

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('renderReport', () => {
  it('is a self-contained document with the headline, tables and escaped config', async () => {
    const results = synthetic({ config: { seed: 11, label: 'x <b>&"' } });
    const html = await renderReport(results);

    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>percolab run</title>');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/url\(/i);
    const urls = new Set(html.match(/https?:\/\/[^\s"'<>)]+/g) ?? []);
    for (const u of urls) expect(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']).toContain(u);

    const e = results.fit.exponent;
    expect(html).toContain(
      `Fitted exponent ${e.median.toFixed(3)} (16th–84th percentile ${e.p16.toFixed(3)}–${e.p84.toFixed(3)}) ` +
        'over N in [1000, 32000]; theory 0.500 (c/D = 2/4)',
    );

    const seedExps = results.fit.perSeed.map((s) => s.exponent.toFixed(3));
    expect(new Set(seedExps).size).toBe(results.seeds.length); // otherwise the next check proves little
    for (const s of results.fit.perSeed) {
      expect(html).toMatch(new RegExp(`seed ${s.seed}</th><td>${s.exponent.toFixed(3)}</td>`));
    }

    // Loss table: one row per size, one cell per seed plus the median.
    const lossTable = /<table class="losses">(.*?)<\/table>/s.exec(html)![1]!;
    const rows = [...lossTable.matchAll(/<tr[^>]*><th scope="row">(\d+)<\/th>(.*?)<\/tr>/g)];
    expect(rows.map((r) => Number(r[1]))).toEqual([1000, 2000, 4000, 8000, 16000, 32000]);
    for (const r of rows) expect(r[2]!.match(/<td/g)).toHaveLength(results.seeds.length + 1);
    const p = results.points.find((q) => q.seed === 12 && q.n === 4000)!;
    expect(rows[2]![2]).toContain(`<td>${p.loss.toPrecision(4)}</td>`);

    expect(html).toContain('0.1.0-test');
    expect(html).toContain('3.25 s');
    expect(html).toContain('&quot;label&quot;: &quot;x &lt;b&gt;&amp;\\&quot;&quot;');
    expect(html).not.toContain('<b>&');
  });
  it('shows the exponent expected from the measured dimension beside c/D', async () => {
    const results = synthetic();
    results.theory = { ...results.theory, measured: { dimension: 3.8, method: 'twonn', interval: [3.75, 3.85], exponent: 2 / 3.8, exponentInterval: [2 / 3.85, 2 / 3.75] } };
    const html = await renderReport(results);
    expect(html).toContain('theory 0.500 (c/D = 2/4); from the measured dimension 0.526 (c/D = 2/3.80, TwoNN; 0.519–0.533 over its bootstrap band)');
    expect(await renderReport(synthetic())).not.toContain('measured dimension');
  });
});

describe('lossCurveSvg', () => {
  it('draws one faint curve per seed plus median, dashed fit and dotted theory', async () => {
    const results = synthetic();
    const svg = await lossCurveSvg(results);
    expect(svg.startsWith('<svg')).toBe(true);

    const seeds = markGroups(svg, MARK_NAMES.seeds);
    expect(seeds).toHaveLength(results.seeds.length);
    for (const g of seeds) {
      expect(pathXs(g)).toHaveLength(6);
      expect(g).toMatch(/opacity="0\.2\d*"/);
    }
    const median = markGroups(svg, MARK_NAMES.median);
    expect(median).toHaveLength(1);
    expect(pathXs(median[0]!)).toHaveLength(6);

    const fit = markGroups(svg, MARK_NAMES.fit);
    const theory = markGroups(svg, MARK_NAMES.theory);
    expect(fit).toHaveLength(1);
    expect(theory).toHaveLength(1);
    expect(fit[0]).toContain('stroke-dasharray="8,5"');
    expect(theory[0]).toContain('stroke-dasharray="2,4"');

    expect(svg).toMatch(/aria-roledescription="legend"[^>]*median over seeds, fit: α = \d\.\d{3}, theory: α = 0\.500/);
    expect(svg).toContain('training points N');
    expect(svg).toContain('test MSE');
  });

  it('handles a single seed and draws the fit only over a narrower window', async () => {
    const results = synthetic({ seeds: [5], window: [2000, 16000] });
    const svg = await lossCurveSvg(results);

    expect(markGroups(svg, MARK_NAMES.seeds)).toHaveLength(1);
    expect(markGroups(svg, MARK_NAMES.window)).toHaveLength(1);

    // On the log x axis [1000, 32000] (5 doublings), the theory line spans every size and the fit line
    // spans doublings 1..4 of it.
    const theoryXs = pathXs(markGroups(svg, MARK_NAMES.theory)[0]!);
    const fitXs = pathXs(markGroups(svg, MARK_NAMES.fit)[0]!);
    const [x0, x1] = [Math.min(...theoryXs), Math.max(...theoryXs)];
    const step = (x1 - x0) / 5;
    expect(step).toBeGreaterThan(0);
    expect(Math.min(...fitXs)).toBeCloseTo(x0 + step, 0);
    expect(Math.max(...fitXs)).toBeCloseTo(x0 + 4 * step, 0);

    const html = await renderReport(results);
    expect(html).toContain('over N in [2000, 16000]');
    expect(html.match(/<tr class="in-window">/g)).toHaveLength(4);
  });
});

import type { LossPoint, ScalingFit } from '../results.js';

/** Least squares of ln(loss) on ln(n); returns alpha = -slope and the intercept of ln(loss). */
export function fitPowerLaw(ns: readonly number[], losses: readonly number[]): { exponent: number; intercept: number } {
  if (ns.length !== losses.length || ns.length < 2) throw new Error('a power-law fit needs at least two (n, loss) pairs');
  const xs = ns.map(Math.log);
  const ys = losses.map(Math.log);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxy / sxx;
  return { exponent: -slope, intercept: my - slope * mx };
}

/** Population variance (mean of squared deviations). */
export function variance(values: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i]! - mean) ** 2;
  return s / values.length;
}

/** The q-th percentile (0-100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Per-seed fits inside the window, their median and 16th/84th percentiles, and the median-curve fit. */
export function fitScaling(points: readonly LossPoint[], seeds: readonly number[], window: [number, number]): ScalingFit {
  const inWindow = points.filter((p) => p.n >= window[0] && p.n <= window[1]);
  const perSeed = seeds.map((seed) => {
    const own = inWindow.filter((p) => p.seed === seed);
    return { seed, ...fitPowerLaw(own.map((p) => p.n), own.map((p) => p.loss)) };
  });
  const sizes = [...new Set(inWindow.map((p) => p.n))].sort((a, b) => a - b);
  const medians = sizes.map((n) => percentile(inWindow.filter((p) => p.n === n).map((p) => p.loss), 50));
  const exponents = perSeed.map((s) => s.exponent);
  return {
    exponent: { median: percentile(exponents, 50), p16: percentile(exponents, 16), p84: percentile(exponents, 84) },
    perSeed,
    medianCurve: fitPowerLaw(sizes, medians),
    window: [sizes[0]!, sizes[sizes.length - 1]!],
  };
}

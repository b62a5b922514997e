import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../ts/config/load.js';
import { theoryFor, withMeasured } from '../ts/experiment/theory.js';
import { fitPowerLaw, fitScaling, percentile } from '../ts/fit/scaling.js';

describe('scaling fit', () => {
  it('recovers exponent and prefactor of an exact power law', () => {
    const ns = [100, 300, 1000, 3000];
    const fit = fitPowerLaw(ns, ns.map((n) => 3 * n ** -0.37));
    expect(fit.exponent).toBeCloseTo(0.37, 12);
    expect(Math.exp(fit.intercept)).toBeCloseTo(3, 10);
  });

  it('computes percentiles like numpy (linear interpolation)', () => {
    // numpy.percentile([4, 1, 3, 2, 10], [16, 50, 84]) = [1.64, 3.0, 6.16]
    expect(percentile([4, 1, 3, 2, 10], 16)).toBeCloseTo(1.64, 12);
    expect(percentile([4, 1, 3, 2, 10], 50)).toBe(3);
    expect(percentile([4, 1, 3, 2, 10], 84)).toBeCloseTo(6.16, 12);
    expect(() => percentile([], 50)).toThrow();
  });

  it('fits each seed inside the window only and summarises across seeds', () => {
    const sizes = [10, 100, 1000, 10000];
    const exponents = { 1: 0.4, 2: 0.5, 3: 0.6 } as Record<number, number>;
    const points = [1, 2, 3].flatMap((seed) =>
      sizes.map((n) => ({ seed, n, loss: n === 10000 ? 1 : 2 * n ** -exponents[seed]! })),
    );
    const fit = fitScaling(points, [1, 2, 3], [10, 1000]);
    expect(fit.window).toEqual([10, 1000]);
    fit.perSeed.forEach((s) => expect(s.exponent).toBeCloseTo(exponents[s.seed]!, 10));
    expect(fit.exponent.median).toBeCloseTo(0.5, 10);
    expect(fit.exponent.p16).toBeCloseTo(0.4 + 0.32 * 0.1, 10);
    expect(fit.exponent.p84).toBeCloseTo(0.5 + 0.68 * 0.1, 10);
    expect(fit.medianCurve.exponent).toBeCloseTo(0.5, 10);
  });
});

describe('theory', () => {
  it('predicts c/D: 2/4 for clusters, 2/D for manifolds, with a caveat for populations only', () => {
    expect(theoryFor(resolveConfig({}))).toEqual({ dimension: 4, c: 2, exponent: 0.5 });
    expect(theoryFor(resolveConfig({ data: { kind: 'manifold', manifoldDimension: 3 } }))).toEqual({ dimension: 3, c: 2, exponent: 2 / 3 });
    expect(theoryFor(resolveConfig({ data: { embedder: 'branching' } })).caveat).toBeUndefined();
    expect(theoryFor(resolveConfig({ data: { kind: 'population' } })).caveat).toMatch(/which clusters the training set has reached/);
  });

  it('adds c over the measured TwoNN dimension when the run measured one, and nothing otherwise', () => {
    const theory = theoryFor(resolveConfig({}));
    const estimates = [
      { method: 'mle' as const, dimension: 3.9, interval: [3.85, 3.95] as [number, number] },
      { method: 'twonn' as const, dimension: 3.8, interval: [3.75, 3.85] as [number, number] },
    ];
    const withIt = withMeasured(theory, { seed: 1, points: 20000, estimates });
    expect(withIt).toMatchObject({ dimension: 4, c: 2, exponent: 0.5 });
    expect(withIt.measured).toEqual({ dimension: 3.8, method: 'twonn', interval: [3.75, 3.85], exponent: 2 / 3.8, exponentInterval: [2 / 3.85, 2 / 3.75] });
    expect(withMeasured(theory, undefined)).toBe(theory);
    // A failed estimate (dimension null) or an unknown c leaves the theory as it is.
    expect(withMeasured(theory, { seed: 1, points: 20000, estimates: [{ method: 'twonn', dimension: null, interval: null, error: 'x' }] })).toBe(theory);
    expect(withMeasured({ ...theory, c: Number.NaN }, { seed: 1, points: 20000, estimates })).toEqual({ ...theory, c: Number.NaN });
    expect(withMeasured(theory, { seed: 1, points: 20000, estimates: [{ ...estimates[1]!, interval: null }] }).measured?.exponentInterval).toBeNull();
  });
});

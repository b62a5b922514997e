// The headline result, as a user gets it from `npm start`: the default experiment's median exponent.
import { describe, expect, it } from 'vitest';
import { distNode } from './helpers.js';

const lib = await import(`${distNode}index.js`);

describe('headline experiment', () => {
  it('the default run (10 seeds, d = 16) fits a median exponent within 0.50 ± 0.05', async () => {
    // Theory: 2/D = 0.5. Measured seed-to-seed spread (p16..p84) is about ±0.015, so the median of 10
    // seeds has a standard error near 0.01; ±0.05 is the band and about 5 standard errors.
    const results = await lib.run({}, { workers: 2 });
    expect(results.theory.exponent).toBe(0.5);
    expect(Math.abs(results.fit.exponent.median - 0.5)).toBeLessThan(0.05);
    expect(results.fit.exponent.p16).toBeLessThanOrEqual(results.fit.exponent.median);
    expect(results.fit.exponent.p84).toBeGreaterThanOrEqual(results.fit.exponent.median);
    // Losses fall monotonically in N for the median curve.
    const sizes = results.config.sizes as number[];
    const median = sizes.map((n) => lib.percentile(results.points.filter((p: any) => p.n === n).map((p: any) => p.loss), 50));
    median.slice(1).forEach((m: number, i: number) => expect(m).toBeLessThan(median[i]!));
  });
});

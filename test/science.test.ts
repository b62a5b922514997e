// The headline result, as a user gets it from `npm start`: the default experiment's median exponent.
import { describe, expect, it } from 'vitest';
import { distNode } from './helpers.js';

const lib = await import(`${distNode}index.js`);

/**
 * The statistical part of every band, from the seed-to-seed spread measured in the run itself: one
 * seed's exponent scatters with the sample standard deviation s of the per-seed fits, so the median of
 * n seeds has a standard error of about sqrt(pi/2) s / sqrt(n) (the median's asymptotic factor for a
 * normal scatter). A band of 3 standard errors makes a false alarm about 1 in 400 for a new draw of the
 * random numbers (a change of the random streams gives one).
 */
function seedBand(results: { fit: { perSeed: { exponent: number }[] } }): number {
  const e = results.fit.perSeed.map((p) => p.exponent);
  const mean = e.reduce((a, b) => a + b, 0) / e.length;
  const s = Math.sqrt(e.reduce((a, b) => a + (b - mean) ** 2, 0) / (e.length - 1));
  return (3 * Math.sqrt(Math.PI / 2) * s) / Math.sqrt(e.length);
}

/**
 * |median - theory| must stay within the known excess over theory (`bias`: the median measured with the
 * same config and seeds, stated in each test) plus 3 standard errors: today's numbers pass with exactly
 * 3 standard errors to spare, and a change that moves the median by more than the seed noise fails.
 */
function expectNearTheory(results: { fit: { exponent: { median: number }; perSeed: { exponent: number }[] }; theory: { exponent: number } }, bias: number) {
  const band = seedBand(results);
  console.log(`median ${results.fit.exponent.median.toFixed(3)}, theory ${results.theory.exponent.toFixed(3)}: |difference| must be < ${bias} + ${band.toFixed(3)} (3 standard errors)`);
  expect(band).toBeGreaterThan(0);
  expect(Math.abs(results.fit.exponent.median - results.theory.exponent)).toBeLessThan(bias + band);
}

describe('headline experiment', () => {
  it('the default run (10 seeds, d = 16) fits a median exponent within its known excess and 3 standard errors of 0.5', async () => {
    // Theory: 2/D = 0.5. Measured: 0.525, with a per-seed sd of 0.018, so 3 standard errors of the
    // median are 0.022: the band is 0.025 + 0.022. The excess (the data's measured dimension is nearer
    // 3.8 than 4) is a finding of its own, not noise.
    const results = await lib.run({}, { workers: 2 });
    expect(results.theory.exponent).toBe(0.5);
    expectNearTheory(results, 0.025);
    // The exponent expected from the dimension the run measured on its own data (TwoNN on 20 000 points
    // of the first seed: 3.76, so 2/3.76 = 0.532, when this test was written) needs no excess: the
    // median must be within 3 standard errors of it, the seed band `seedBand` derives from this run's
    // per-seed spread (sd 0.018 over 10 seeds: 0.022). The dimension's own bootstrap band (3.73-3.79)
    // moves 2/D by only ±0.004. 2/4 is 0.025 away, outside that band: the finite cluster's dimension is
    // below its asymptotic 4. (MLE's 3.90 would give 0.513, also inside; see theory.ts for why TwoNN is
    // the estimate that 1-NN regression sees.)
    const measured = results.theory.measured;
    expect(measured?.method).toBe('twonn');
    const band = seedBand(results);
    console.log(`median ${results.fit.exponent.median.toFixed(3)}, from the measured dimension ${measured!.exponent.toFixed(3)} (2/${measured!.dimension.toFixed(2)}): |difference| must be < ${band.toFixed(3)}`);
    expect(Math.abs(results.fit.exponent.median - measured!.exponent)).toBeLessThan(band);
    // Losses fall monotonically in N for the median curve.
    const sizes = results.config.sizes as number[];
    const median = sizes.map((n) => lib.percentile(results.points.filter((p: any) => p.n === n).map((p: any) => p.loss), 50));
    median.slice(1).forEach((m: number, i: number) => expect(m).toBeLessThan(median[i]!));
  });

  it.each([
    [2, 0.003],
    [3, 0.016],
    [6, 0.025],
  ])('manifold control: a %i-cube rotated into R^16 gives 2/D within its known excess (%f) and 3 standard errors', async (D, bias) => {
    // Same pipeline on data of known dimension. Measured 1.003, 0.683, 0.358 with these 4 seeds (3
    // standard errors 0.022, 0.020, 0.029): the excess over 2/D grows with D as the training sets get
    // sparser relative to the cube's edges.
    const results = await lib.run({ seeds: 4, data: { kind: 'manifold', manifoldDimension: D }, measure: { points: 0 } }, { workers: 2 });
    expect(results.theory.dimension).toBe(D);
    expectNearTheory(results, bias);
  });

  it.each([2, 3, 4])('local-linear k-NN of a Fourier teacher on a %i-cube in R^16 gives 4/D within 10%%', async (D) => {
    // The c = 4 reference: an affine fit on k = 2(D + 1) neighbours in their local tangent space (the
    // cutoff rule finds m = D on the flat cube). Measured at these sizes, median (16th-84th percentile):
    // seeds 1-6 (this test): D = 2: 1.999 (1.985-2.017), 3: 1.322 (1.305-1.329), 4: 0.966 (0.952-0.978);
    // seeds 1-10 (the README table): 2.009 (1.988-2.029), 1.322 (1.297-1.335), 0.966 (0.945-0.979).
    // The seed-to-seed sd is 1-1.7% of 4/D, so the median of 6 seeds has a standard error under 1%; the
    // largest offset (-3.4% at D = 4, the approach to the asymptote from below) is 7 standard errors
    // inside the issue's ±10% band, and a 1-NN-like c = 2 fit (offset -50%) is far outside it.
    // Sizes: at the default N = 1000 ... 32 000 the fit is still pre-asymptotic for D >= 3 (measured 1.268
    // at D = 3 and 0.897 at D = 4, 4 seeds). The loss approaches N^(-4/D) from below: at D = 4 the local
    // slopes of the 10-seed median curve are 0.77 (N = 4000-8000), 0.93, 0.94, 0.97, then 1.02 and 0.99
    // above 64 000. At N = 1000 the 10-neighbour ball has radius about 0.2 of the cube's side, comparable to
    // the teacher's length scale (unit frequencies across each coordinate's range), where the Taylor
    // remainder beyond second order still counts; at that radius most balls also touch a face, and we did
    // not separate the two causes. Starting at N = 4000 and running to 256 000 keeps the fit close to the
    // r^4 regime at 10 s per D here.
    const sizes = [4000, 8000, 16000, 32000, 64000, 128000, 256000];
    const config = { seeds: 6, sizes, data: { kind: 'manifold', manifoldDimension: D }, teacher: { kind: 'fourier', repetitions: 0 }, model: { local: 'linear' }, measure: { points: 0 } };
    const results = await lib.run(config, { workers: 2 });
    expect(results.config.model.k).toBe(2 * (D + 1));
    expect(results.theory).toMatchObject({ dimension: D, c: 4 });
    expect(Math.abs(results.fit.exponent.median / (4 / D) - 1)).toBeLessThan(0.1);
  });

  it('branching embedder (B = 100, one level) keeps the exponent within its known excess and 3 standard errors of 0.5', async () => {
    // 100 pieces of 680 points stand in for one large cluster. Measured 0.524 with these 4 seeds (3
    // standard errors 0.033; the dimension sweep's 10 seeds give 0.544).
    const results = await lib.run({ seeds: 4, data: { embedder: 'branching' }, measure: { points: 0 } }, { workers: 2 });
    expect(results.config.data.branchSize).toBe(680);
    expectNearTheory(results, 0.024);
  });

  it('branching embedder at B = 1000 (d = 10) stays within its known excess and 3 standard errors of 0.5: the pieces form a critical tree', async () => {
    // Measured 0.548 with these 4 seeds (3 standard errors 0.036; the sweep's 10 seeds give 0.552). The
    // write-up's star (every branch on the base) gave 0.363 here, 0.137 below theory: far outside the band.
    const results = await lib.run({ seeds: 4, data: { embedder: 'branching', dimension: 10, branches: 1000 }, measure: { points: 0 } }, { workers: 2 });
    expectNearTheory(results, 0.048);
  });
});

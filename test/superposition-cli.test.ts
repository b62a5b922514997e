// `percolab superposition` as a user runs it: the JSON numbers against independent formulas, the table,
// the report, and every bad-input class exiting 2 with one line and no output file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { superpositionCommand } from '../ts/cli/commands/superposition.js';
import { cli } from './helpers.js';

const run = (args: string[], cwd = tmpdir()) => spawnSync(process.execPath, [cli, 'superposition', ...args], { cwd, encoding: 'utf8' });
/**
 * E[(ReLU(a(x + c + sigma z)) - x)^2] by brute force: Simpson's rule over x in [0, 1] and z in [-9, 9]
 * (no normal CDF, unlike the kernel's closed form).
 */
function bruteForceLoss(a: number, c: number, sigma: number, p: number): number {
  const simpson = (k: number, lo: number, hi: number, f: (t: number) => number) => {
    const h = (hi - lo) / k;
    let sum = f(lo) + f(hi);
    for (let i = 1; i < k; i++) sum += (i % 2 ? 4 : 2) * f(lo + i * h);
    return (sum * h) / 3;
  };
  const inner = (x: number) => simpson(1200, -9, 9, (z) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI) * (Math.max(0, a * (x + c + sigma * z)) - x) ** 2);
  return (1 - p) * inner(0) + p * simpson(1200, 0, 1, inner);
}

describe('percolab superposition', () => {
  it('prints the closed form at its minimum, a simulated Hadamard model near it, and the exact baselines', () => {
    const result = run(['--n', '256', '--m', '64', '--p', '0.1', '--rows', '4096', '--seed', '3', '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const r = JSON.parse(result.stdout);
    const [n, m, p] = [256, 64, 0.1];
    expect([r.n, r.m, r.p, r.r, r.seed]).toEqual([n, m, p, 0.25, 3]);
    expect(r.crosstalk.variance).toBeCloseTo((n / m - 1) * (p / 3 - p ** 2 / 4), 14);
    expect(r.closedForm.sigma).toBeCloseTo(Math.sqrt(r.crosstalk.variance), 14);
    expect(r.linear.loss).toBeCloseTo((1 - m / n) * (p / 3 - p ** 2 / 4), 15);
    expect(r.linear.referenceLoss).toBeCloseTo(((n - m - 1) / n) * (p / 3), 15);
    expect(r.zero.loss).toBeCloseTo(p / 3, 15);
    // The closed form's loss is the brute-force expectation at its (A, c), and no nearby (A, c) is lower.
    const { a, c, sigma, loss } = r.closedForm;
    expect(Math.abs(bruteForceLoss(a, c, sigma, p) - loss)).toBeLessThan(1e-6 * loss);
    for (const [da, dc] of [[0.02, 0], [-0.02, 0], [0, 0.005], [0, -0.005]]) expect(bruteForceLoss(a * (1 + da!), c + dc!, sigma, p)).toBeGreaterThan(loss);
    expect(r.closedForm.mean).toBeCloseTo(c + p / 2, 14);
    // The simulation: within 10% of the closed form at this size (the Gaussian approximation is a few %),
    // its fitted mean within 0.03 of the closed form's, and below the linear baseline.
    expect(Math.abs(r.hadamard.loss / loss - 1)).toBeLessThan(0.1);
    expect(Math.abs(r.hadamard.mean - r.closedForm.mean)).toBeLessThan(0.03);
    expect(r.hadamard.rows).toBe(4096);
    expect(r.hadamard.loss).toBeLessThan(r.linear.loss);
    expect(r.trained).toBeUndefined();
  });

  it('trains the full model with --train and writes a report with the four plots', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-sp-'));
    const result = run(['--n', '16', '--m', '4', '--p', '0.1', '--rows', '512', '--train', '--steps', '300', '--learning-rate', '0.003', '--report', 'sp.html', '--no-progress'], dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const row of ['closed form', 'Hadamard (simulated)', 'trained', 'optimal linear', 'zero output']) expect(result.stdout).toContain(row);
    const trained = Number(/^trained\s+(\S+)/m.exec(result.stdout)![1]);
    const zero = Number(/^zero output\s+(\S+)/m.exec(result.stdout)![1]);
    expect(trained).toBeGreaterThan(0);
    expect(trained).toBeLessThan(zero);
    const html = readFileSync(join(dir, 'sp.html'), 'utf8');
    expect(html.match(/<svg/g)).toHaveLength(4);
    for (const title of ['Loss against r', 'Loss against p', 'Closed form over (r, p)', 'The W matrix']) expect(html).toContain(title);
    // An existing report is kept unless --force.
    const again = run(['--n', '32', '--m', '8', '--report', 'sp.html'], dir);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe('percolab: report file sp.html already exists; choose another --report or pass --force to replace it\n');
  });

  it('refuses every bad input with one line and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-sp-bad-'));
    writeFileSync(join(dir, 'exists.html'), 'keep');
    const cases: [string[], RegExp][] = [
      [['--m', '100'], /^--m 100: expected a power of two/],
      [['--n', '1000'], /^--n 1000: expected a power of two from 2 to 65536/],
      [['--n', '64', '--m', '128'], /^--m 128: expected at most --n \(64\)/],
      [['--p', '0'], /^--p = "0": expected a number in \(0, 1\]/],
      [['--p', '1.5'], /^--p = "1.5": expected a number in \(0, 1\]/],
      [['--n', '-4'], /^--n = "-4": expected an integer >= 2/],
      [['--m', '-2'], /^--m = "-2": expected an integer >= 1/],
      [['--steps', '10'], /^--steps does not apply without --train/],
      [['--learning-rate', '0.1'], /^--learning-rate does not apply without --train/],
      [['--force'], /^--force does not apply without --report/],
      [['--report', 'out.txt'], /^--report out\.txt: expected an \.html file name/],
      [['--report', dir], /expected an \.html file name/],
      [['--report', join(dir, 'exists.html')], /report file .*exists\.html already exists; choose another --report/],
      [['--train', '--steps', '0'], /^--steps = "0": expected an integer >= 1/],
      [['--n', '65536', '--m', '64', '--rows', '4096'], /^--rows 4096: rows x n must be at most 2\^27 features \(2048 rows at n = 65536\)/],
    ];
    // In process (the command's own parser and checks, which run before any kernel loads)...
    for (const [args, message] of cases) {
      const command = superpositionCommand().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
      const error = await command.parseAsync(args, { from: 'user' }).then(() => undefined, (e: Error) => e);
      expect(error?.name, args.join(' ')).toBe('UsageError');
      expect(error!.message).toMatch(message);
    }
    expect(readFileSync(join(dir, 'exists.html'), 'utf8')).toBe('keep');
    // ...and once through the real CLI: status 2, one line, nothing written.
    const result = run(['--m', '100', '--report', 'r.html'], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('percolab: --m 100: expected a power of two (m rows of the Hadamard matrix)\n');
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
  });
});

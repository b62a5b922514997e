// Sweeps: a base config and a grid of `--set`-style paths and values. Every cell is an ordinary run,
// stored under a hash of its resolved config, so an interrupted sweep resumes where it stopped and
// cells shared between sweeps are computed once.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { applySets, formatIssues, resolveConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import type { Config } from '../config/schema.js';
import { describeCell } from './describe.js';

export const SweepSchema = z.strictObject({
  name: z.string().optional().describe('A title for the combined report.'),
  base: z
    .union([z.record(z.string(), z.unknown()), z.string()])
    .default({})
    .describe('The config every cell starts from: an object, or a path to a config file relative to the sweep file.'),
  grid: z
    .record(z.string(), z.array(z.unknown()).min(1))
    .refine((g) => Object.keys(g).length > 0, 'give at least one swept path')
    .describe('Dotted config paths (as for --set) and the values each takes; cells are every combination.'),
});

export interface Cell {
  /** The swept values of this cell, by path, in grid order. */
  values: Record<string, unknown>;
  config: Config;
  /** `cellHash` of the config and the code: the cell's folder name. */
  hash: string;
}

/** JSON with object keys sorted at every level: equal configs give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The part of `value` that differs from `defaults`: objects key by key, anything else whole. Equal
 * values (a key set to its default) are left out, so a config that says what the defaults say differs
 * in nothing.
 */
export function differences(value: unknown, defaults: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(value) && isObject(defaults)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const d = differences(v, defaults[key]);
      if (d !== undefined) out[key] = d;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return canonicalJson(value) === canonicalJson(defaults) ? undefined : value;
}

let defaultConfig: Config | undefined;

/**
 * A cell's folder name: a hash of what its resolved config sets apart from the defaults (keys sorted;
 * `workers` and the record left out, as they cannot change the numbers) and of `code`, the fingerprint of
 * the code that computes cells (the version and a hash of the kernels' wasm bytes). A new config key
 * with a default leaves every name alone; a rebuilt kernel renames every cell, so stale results are
 * never reused.
 */
export function cellHash(config: Config, code: string): string {
  const { workers: _workers, percolab: _record, ...rest } = config as Config & { percolab?: unknown };
  defaultConfig ??= resolveConfig({});
  const set = differences(rest, defaultConfig) ?? {};
  return createHash('sha256').update(canonicalJson({ code, config: set })).digest('hex').slice(0, 16);
}

/** Every combination of the grid's values (the last path varies fastest), validated before any work. */
export function expandSweep(sweep: z.output<typeof SweepSchema>, base: Record<string, unknown>, code: string, resolve: (input: Record<string, unknown>) => Config = resolveConfig): Cell[] {
  const paths = Object.keys(sweep.grid);
  if (paths.includes('workers')) throw new UsageError('sweep grid: workers cannot be swept (it does not change the results); set it in the base or pass --workers');
  let combos: Record<string, unknown>[] = [{}];
  for (const path of paths) combos = combos.flatMap((c) => sweep.grid[path]!.map((v) => ({ ...c, [path]: v })));
  const seen = new Map<string, string>();
  return combos.map((values) => {
    const label = describeCell(values);
    let config: Config;
    try {
      config = resolve(applySets(base, Object.entries(values).map(([p, v]) => `${p}=${JSON.stringify(v)}`)));
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(`sweep cell ${label}: ${error.message}`);
      throw error;
    }
    const hash = cellHash(config, code);
    const twin = seen.get(hash);
    if (twin !== undefined) throw new UsageError(`sweep cells ${twin} and ${label} are the same config; list each value once`);
    seen.set(hash, label);
    return { values, config, hash };
  });
}

export { describeCell };

/**
 * Parses and validates a sweep file's text; `readBase` loads a base given as a path; `code` is the code
 * fingerprint that goes into every cell's hash.
 */
/** `resolve` resolves each cell's config (default `resolveConfig`; the CLI's also reads file data's shape). */
export function parseSweep(text: string, source: string, readBase: (path: string) => Record<string, unknown>, code: string, resolve?: (input: Record<string, unknown>) => Config): { sweep: z.output<typeof SweepSchema>; cells: Cell[] } {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: malformed JSON: ${(error as Error).message}`);
  }
  const parsed = SweepSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(`${source}: ${formatIssues(parsed.error, input).replace(/^invalid config: /, 'invalid sweep: ')}`);
  const sweep = parsed.data;
  const base = typeof sweep.base === 'string' ? readBase(sweep.base) : sweep.base;
  return { sweep, cells: expandSweep(sweep, base, code, resolve) };
}

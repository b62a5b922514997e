import { z } from 'zod';
import { ConfigSchema, parameterCount, resolvedK, type Config, type ConfigInput } from './schema.js';

import { UsageError } from '../errors.js';

// Re-exported for existing importers; new code imports it from ts/errors.ts.
export { UsageError };

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A key as written in a message: quoted when it holds control characters (one line per message). */
const keyText = (key: PropertyKey) => (/[\x00-\x1f\x7f]/.test(String(key)) ? JSON.stringify(String(key)) : String(key));

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${keyText(key)}` : keyText(key)), '');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** What an issue allows, in the words of the CLI's messages (the lab page shows them beside its fields). */
export function issueDetail(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'expected an integer' : `expected ${issue.expected}`;
    case 'too_small': {
      const what = issue.origin === 'array' ? 'at least' : issue.inclusive === false ? 'greater than' : 'at least';
      return issue.origin === 'array' ? `expected ${what} ${issue.minimum} entries` : `expected a value ${what} ${issue.minimum}`;
    }
    case 'too_big': {
      const what = issue.inclusive === false ? 'less than' : 'at most';
      return issue.origin === 'array' ? `expected ${what} ${issue.maximum} entries` : `expected a value ${what} ${issue.maximum}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return 'unknown key; see `percolab --help` for the config reference';
    case 'invalid_format':
      return issue.message;
    default:
      return issue.message;
  }
}

/** One line per problem: `<path> = <value>: <what is allowed>`; the first problem is the headline. */
export function formatIssues(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0]!;
  let path = issue.path;
  if (issue.code === 'unrecognized_keys') path = [...path, issue.keys[0]!];
  const value = issue.code === 'custom' && 'input' in issue ? (issue as { input?: unknown }).input : valueAt(input, path);
  const where = pathOf(path) || '(config)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `invalid config: ${where} = ${describeValue(value)}: ${issueDetail(issue)}${more}`;
}

/** Applies `path=value` overrides (dotted paths; the value is JSON, or a bare string) to a config object. */
export function applySets(config: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(config);
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --set ${JSON.stringify(set)}: expected path=value, e.g. data.dimension=32`);
    const path = set.slice(0, eq).split('.');
    if (path.some((key) => key === '' || key === '__proto__' || key === 'constructor' || key === 'prototype')) {
      throw new UsageError(`invalid --set ${JSON.stringify(set)}: bad path ${JSON.stringify(set.slice(0, eq))}`);
    }
    const raw = set.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let node: Record<string, unknown> = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined) node[key] = {};
      else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        throw new UsageError(`invalid --set ${JSON.stringify(set)}: ${keyText(key)} is not an object`);
      }
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}

/** Validates a config object and fills every default, including the derived ones. */
export function resolveConfig(input: unknown): Config {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new UsageError(`invalid config: expected a JSON object, got ${describeValue(input)}`);
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(formatIssues(parsed.error, input));
  const { percolab: _record, ...c } = parsed.data;
  const largest = c.sizes[c.sizes.length - 1]!;
  const clusterSize = c.data.clusterSize ?? Math.ceil(c.data.clusterFactor * (largest + c.testSize));
  if (clusterSize > 2 ** 32 - 1) {
    throw new UsageError(`invalid config: data.clusterSize = ${clusterSize}: expected at most ${2 ** 32 - 1} (lower data.clusterFactor or sizes)`);
  }
  const needed = largest + c.testSize;
  const pieces = c.data.branches ** c.data.levels;
  const branchSize = c.data.branchSize ?? Math.ceil((2 * needed) / pieces);
  const baseSize = c.data.baseSize ?? Math.max(10 * branchSize, 2);
  if (pieces * branchSize > 2 ** 40) {
    throw new UsageError(`invalid config: data.branches^levels x branchSize = ${pieces * branchSize}: expected at most 2^40 points`);
  }
  if (baseSize > 2 ** 32 - 1) throw new UsageError(`invalid config: data.baseSize = ${baseSize}: expected at most ${2 ** 32 - 1} (lower data.branchSize)`);
  return {
    ...c,
    data: { ...c.data, coordination: c.data.coordination ?? 2 * c.data.dimension, clusterSize, branchSize, baseSize },
    model: { ...c.model, k: resolvedK(c) },
    fit: { window: c.fit.window ?? (c.scaling === 'model' ? ([c.model.widthGrid[0]!, c.model.widthGrid.at(-1)!].map((w) => parameterCount(c.data.dimension, c.model.widths.length, w)) as [number, number]) : [c.sizes[0]!, largest]) },
    train: { ...c.train, evalEvery: c.train.evalEvery ?? Math.max(1, Math.round(c.train.steps / 100)) },
  };
}

/**
 * Rows of one seed's data set: the cluster, the branching construction, or the manifold sample (i.i.d.,
 * just enough). A population's size is random: the data stream knows it; a file's is the file's (`undefined` here).
 */
export function rowsPerSeed(config: Config): number | undefined {
  if (config.data.kind === 'population' || config.data.kind === 'file') return undefined;
  const { kind, embedder, branches, levels, branchSize, clusterSize } = config.data;
  if (kind === 'manifold') return config.sizes[config.sizes.length - 1]! + config.testSize;
  return embedder === 'branching' ? branches ** levels * branchSize : clusterSize;
}

/** The JSON object in config text, not yet validated; `source` names it in messages. */
export function parseConfigObject(text: string, source: string): Record<string, unknown> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`invalid config: ${source} is not valid JSON (${(error as Error).message})`);
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new UsageError(`invalid config: ${source} must hold a JSON object, got ${describeValue(input)}`);
  }
  return input as Record<string, unknown>;
}

/** Parses config text (JSON) and applies overrides; `source` names it in messages. */
export function parseConfigText(text: string, source: string, sets: readonly string[] = []): Config {
  return resolveConfig(applySets(parseConfigObject(text, source), sets));
}

export type { Config, ConfigInput };

// What the lab page knows about configs, apart from the DOM: the form's fields walked from the one config
// schema (so the page never drifts from the CLI), field text <-> values, validation mapped onto fields, the
// URL codec and the presets. Pure, so the Node tests check it directly.
import { configJsonSchema } from '../config/reference.js';
import { ConfigSchema, type Config, type ConfigInput } from '../config/schema.js';
import { issueDetail, resolveConfig } from '../config/load.js';
import { BROWSER_FILE_ERROR } from '../experiment/file-data.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
}

export type FieldKind = 'enum' | 'integer' | 'number' | 'boolean' | 'json';

export interface Field {
  /** Dotted path, as `--set` takes it. */
  key: string;
  path: string[];
  /** The config section ('' for top-level keys). */
  section: string;
  kind: FieldKind;
  options?: string[];
  default?: unknown;
  description: string;
}

/** Keys a browser cannot use: file data reads from disk; `percolab` is a run's record. */
const NOT_IN_BROWSER = new Set(['percolab', 'data.path', 'data.labels', 'data.intrinsicDimension']);

function kindOf(s: JsonSchema): FieldKind {
  if (s.enum) return 'enum';
  if (s.type === 'integer' || s.type === 'number' || s.type === 'boolean') return s.type;
  return 'json'; // arrays, tuples, unions: edited as JSON text
}

/** The form's fields, in schema order: top-level keys, then each section's. */
export function formFields(schema: JsonSchema = configJsonSchema() as JsonSchema): Field[] {
  const out: Field[] = [];
  const walk = (s: JsonSchema, prefix: string[]) => {
    for (const [key, field] of Object.entries(s.properties ?? {})) {
      const path = [...prefix, key];
      const dotted = path.join('.');
      if (NOT_IN_BROWSER.has(dotted)) continue;
      if (field.type === 'object' && field.properties && field.default !== undefined) {
        walk(field, path);
        continue;
      }
      const kind = kindOf(field);
      const options = kind === 'enum' ? field.enum!.map(String).filter((v) => !(dotted === 'data.kind' && v === 'file')) : undefined;
      out.push({ key: dotted, path, section: prefix.join('.'), kind, options, default: field.default, description: field.description ?? '' });
    }
  };
  walk(schema, []);
  return out;
}

/** A field's text as typed: '' unsets the key; text that is not a number stays text, so the schema names the problem. */
export function parseFieldText(field: Field, text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  if (field.kind === 'integer' || field.kind === 'number') {
    const n = Number(t);
    return Number.isFinite(n) ? n : t;
  }
  if (field.kind === 'json') {
    try {
      return JSON.parse(t);
    } catch {
      return t;
    }
  }
  if (field.kind === 'boolean') return t === 'true' ? true : t === 'false' ? false : t;
  return t;
}

export function fieldText(field: Field, value: unknown): string {
  if (value === undefined) return '';
  return field.kind === 'json' || typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function getPath(input: unknown, path: readonly string[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A copy of `input` with `path` set to `value` (removed when undefined; emptied sections removed too). */
export function setPath(input: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const out = structuredClone(input);
  const parents: Record<string, unknown>[] = [out];
  for (const key of path.slice(0, -1)) {
    const parent = parents.at(-1)!;
    const next = parent[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) parent[key] = {};
    parents.push(parent[key] as Record<string, unknown>);
  }
  const last = path.at(-1)!;
  if (value === undefined) delete parents.at(-1)![last];
  else parents.at(-1)![last] = value;
  for (let i = parents.length - 1; i > 0; i--) if (Object.keys(parents[i]!).length === 0) delete parents[i - 1]![path[i - 1]!];
  return out;
}

export interface Validation {
  /** The resolved config when the input is valid. */
  config?: Config;
  /** Messages by field key (the schema's own words, as the CLI prints them). */
  fields: Map<string, string>;
  /** Problems no shown field owns (unknown keys, limits on derived values). */
  general: string[];
}

/** Validates `input` with the schema, and says each problem at the field it concerns. */
export function validate(input: unknown, fields: readonly Field[] = formFields()): Validation {
  const out: Validation = { fields: new Map(), general: [] };
  const keys = new Set(fields.map((f) => f.key));
  const say = (path: readonly PropertyKey[], message: string) => {
    const names = path.filter((p): p is string => typeof p === 'string');
    for (let n = names.length; n > 0; n--) {
      const key = names.slice(0, n).join('.');
      if (keys.has(key)) {
        if (!out.fields.has(key)) out.fields.set(key, message);
        return;
      }
    }
    out.general.push(`${names.join('.') || '(config)'}: ${message}`);
  };
  if (getPath(input, ['data', 'kind']) === 'file') say(['data', 'kind'], BROWSER_FILE_ERROR);
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) out.general.push(`${[...issue.path, key].join('.')}: ${issueDetail(issue)}`);
      else say(issue.path, issueDetail(issue));
    }
    return out;
  }
  if (out.fields.size) return out;
  try {
    out.config = resolveConfig(input);
  } catch (error) {
    out.general.push((error as Error).message);
  }
  return out;
}

/** The cells of a sweep over `path` (undefined without one), each validated; or the first problem. */
export function sweepPlan(input: Record<string, unknown>, path: string, valuesText: string, fields: readonly Field[] = formFields()): { cells?: { value: unknown; config: Config }[]; error?: string } {
  if (!path) return {};
  const field = fields.find((f) => f.key === path);
  if (!field) return { error: `${path}: not a config key` };
  let values: unknown;
  try {
    values = JSON.parse(valuesText);
  } catch {
    return { error: 'expected a JSON list of values, e.g. [8, 16, 32]' };
  }
  if (!Array.isArray(values) || values.length < 2 || values.length > 16) return { error: 'expected a JSON list of 2 to 16 values, e.g. [8, 16, 32]' };
  const cells: { value: unknown; config: Config }[] = [];
  for (const value of values) {
    const v = validate(setPath(input, field.path, value), fields);
    if (!v.config) return { error: `${path} = ${JSON.stringify(value)}: ${v.fields.values().next().value ?? v.general[0]}` };
    cells.push({ value, config: v.config });
  }
  return { cells };
}

/** Whether a field matters for the config as it stands (others are hidden, unless they hold an error). */
export function relevant(field: Field, input: unknown): boolean {
  const at = (key: string) => {
    const value = getPath(input, key.split('.'));
    return value ?? fieldDefault(key);
  };
  const [section, key] = field.section ? [field.section, field.path.at(-1)!] : ['', field.key];
  const kind = at('data.kind');
  const branching = kind === 'cluster' && at('data.embedder') === 'branching';
  const mlp = at('model.kind') === 'mlp';
  if (section === 'data') {
    if (['branches', 'levels', 'branchSize', 'baseSize'].includes(key)) return branching;
    if (['clusters', 'minClusterSize', 'maxClusterSize', 'sizeExponent', 'placement'].includes(key)) return kind === 'population';
    if (['manifold', 'manifoldDimension'].includes(key)) return kind === 'manifold';
    if (key === 'embedder') return kind === 'cluster';
    if (['sampler', 'clusterSize', 'clusterFactor'].includes(key)) return kind === 'cluster' && !branching;
    if (key === 'coordination') return kind !== 'manifold';
  }
  if (section === 'teacher') {
    const teacher = at('teacher.kind');
    if (['depth', 'width', 'sigmaW', 'sigmaB'].includes(key)) return teacher === 'relu';
    if (['terms', 'maxFreq', 'standardize'].includes(key)) return teacher === 'fourier';
    if (key === 'scale') return teacher !== 'linear';
    if (key === 'perCluster') return kind === 'population';
  }
  if (section === 'model') {
    if (['k', 'weights', 'local'].includes(key)) return !mlp;
    if (['tangentDimension', 'tangentCutoff'].includes(key)) return !mlp && at('model.local') === 'linear';
    if (['widths', 'activation'].includes(key)) return mlp;
    if (key === 'widthGrid') return mlp && at('scaling') === 'model';
  }
  if (section === 'train') return mlp;
  if (field.key === 'scaling') return mlp;
  return true;
}

let defaults: Map<string, unknown> | undefined;
function fieldDefault(key: string): unknown {
  defaults ??= new Map(formFields().map((f) => [f.key, f.default]));
  return defaults.get(key);
}

/** A sweep as the form holds it: a config key and the text of its JSON list of values. */
export interface SweepInput {
  path: string;
  values: string;
}

/** `?config=<URL-encoded JSON>`, `&sweep=<key>&values=<JSON list>` for a sweep, plus `&run` to start at once. */
export function configQuery(input: ConfigInput, run = false, sweep?: SweepInput): string {
  const swept = sweep?.path ? `&sweep=${encodeURIComponent(sweep.path)}&values=${encodeURIComponent(sweep.values)}` : '';
  return `?config=${encodeURIComponent(JSON.stringify(input))}${swept}${run ? '&run' : ''}`;
}

/**
 * The config a link carries (undefined without `config=`), its sweep if any, whether it asks to run, or
 * why it cannot be read. A sweep's key and values are checked by the form like typed ones.
 */
export function configFromQuery(search: string): { input?: Record<string, unknown>; run: boolean; sweep?: SweepInput; error?: string } {
  const params = new URLSearchParams(search);
  const run = params.has('run');
  const text = params.get('config');
  const path = params.get('sweep');
  const sweep = path ? { sweep: { path, values: params.get('values') ?? '' } } : {};
  if (text === null) return { run, ...sweep };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { run: false, error: `the link's config is not valid JSON (${(error as Error).message}); the form shows the defaults` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { run: false, error: "the link's config is not a JSON object; the form shows the defaults" };
  return { input: value as Record<string, unknown>, run, ...sweep };
}

export interface Preset {
  name: string;
  config: ConfigInput;
}

/** The headline experiment and the write-up's ablations (one cell of each sweep in examples/sweeps/). */
export const PRESETS: Preset[] = [
  { name: 'Headline: 1-NN, linear teacher, cluster in d = 16, 10 seeds, N = 1000 … 32 000', config: {} },
  { name: 'Quick headline: 3 seeds, N = 1000 … 8000', config: { seeds: 3, sizes: [1000, 2000, 4000, 8000] } },
  { name: 'Ablation, dimension: branching embedder, B = 100, d = 64', config: { data: { embedder: 'branching', branches: 100, dimension: 64 } } },
  { name: 'Ablation, branches: branching embedder, B = 300, d = 10', config: { data: { embedder: 'branching', branches: 300, dimension: 10 } } },
  { name: 'Control: cube of dimension D = 3 in R^16 (theory 2/3)', config: { data: { kind: 'manifold', manifold: 'cube', manifoldDimension: 3 }, measure: { points: 0 } } },
  { name: 'Teacher: random ReLU network, depth 4, width 100', config: { teacher: { kind: 'relu', depth: 4, width: 100 } } },
  { name: 'Local-linear k-NN (c = 4) on the cube D = 2, Fourier teacher', config: { data: { kind: 'manifold', manifoldDimension: 2 }, teacher: { kind: 'fourier' }, model: { local: 'linear' }, sizes: [4000, 8000, 16000, 32000], measure: { points: 0 } } },
  { name: 'Population: 2000 clusters, sizes ~ s^-5/2', config: { data: { kind: 'population' } } },
];

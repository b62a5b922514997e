// The config reference (docs/config.md and `--help`) generated from the schema, so documentation cannot drift.
import { z } from 'zod';
import { ConfigSchema } from './schema.js';
import type { JsonValue } from '../json.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: JsonValue;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  enum?: JsonValue[];
  const?: JsonValue;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
}

export interface FieldDoc {
  path: string;
  type: string;
  default: string;
  description: string;
}

/** The config as JSON Schema (input side: what a user may write). */
export function configJsonSchema(): JsonSchema {
  return z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'object') return 'object';
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.prefixItems) return `[${s.prefixItems.map(typeOf).join(', ')}]`;
  if (s.type === 'array' && s.items && !Array.isArray(s.items)) return `${typeOf(s.items)}[]`;
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
  const range = s.minimum !== undefined || s.maximum !== undefined ? ` (${s.minimum ?? ''}..${s.maximum ?? ''})` : '';
  return t + range;
}

export function fieldDocs(schema: JsonSchema = configJsonSchema(), prefix = ''): FieldDoc[] {
  const out: FieldDoc[] = [];
  for (const [key, field] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    // Sections (objects with a default) expand into their keys; other objects are one field.
    if (field.type === 'object' && field.properties && field.default !== undefined) {
      out.push(...fieldDocs(field, path));
      continue;
    }
    out.push({
      path,
      type: typeOf(field),
      default: field.default === undefined ? '—' : JSON.stringify(field.default),
      description: field.description ?? '',
    });
  }
  return out;
}

export function referenceMarkdown(): string {
  const rows = fieldDocs().map((f) => `| \`${f.path}\` | ${f.type} | \`${f.default}\` | ${f.description} |`);
  return ['| key | type | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function referenceText(): string {
  return fieldDocs()
    .map((f) => `  ${f.path.padEnd(20)} ${f.description}${f.default === '—' ? '' : ` [default: ${f.default}]`}`)
    .join('\n');
}

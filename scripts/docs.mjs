// Regenerates docs/config.md's config reference from the schema (via the built Node bundle).
import { readFileSync, writeFileSync } from 'node:fs';
import { referenceMarkdown } from '../dist/node/index.js';

const file = new URL('../docs/config.md', import.meta.url);
const start = '<!-- config-reference:start -->';
const end = '<!-- config-reference:end -->';
const text = readFileSync(file, 'utf8');
const [before, rest] = text.split(start);
if (rest === undefined || !rest.includes(end)) throw new Error(`docs/config.md needs ${start} ... ${end} markers`);
const after = rest.slice(rest.indexOf(end));
writeFileSync(file, `${before}${start}\n${referenceMarkdown()}\n${after}`);

// `npm run bench -- NAME [options]`: runs the benchmark scripts/bench/NAME.mjs.
import { readdirSync } from 'node:fs';

const names = readdirSync(new URL('./bench/', import.meta.url)).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4));
const [name, ...rest] = process.argv.slice(2);
if (!names.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${names.sort().join('|')}> [--quick]\n`);
  process.exit(2);
}
process.argv = [process.argv[0], `scripts/bench/${name}.mjs`, ...rest];
await import(`./bench/${name}.mjs`);

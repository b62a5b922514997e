// `npm run science [-- NAME ...]`: the science checks in scripts/science/ (default: foundation), each
// writing its numbers to bench/results/. Exits 1 if any fails.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const all = readdirSync(new URL('./science/', import.meta.url)).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4)).sort();
const [first, ...rest] = process.argv.slice(2);
const names = first && !first.startsWith('-') ? [first] : ['foundation'];
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  process.stderr.write(`science: unknown ${unknown.join(', ')}; have ${all.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of names) {
  try {
    execFileSync(process.execPath, [`scripts/science/${name}.mjs`, ...(first && !first.startsWith('-') ? rest : process.argv.slice(2))], { stdio: 'inherit' });
  } catch {
    failed++;
  }
}
process.exit(failed ? 1 : 0);

// `npm run crosscheck [-- NAME ...]`: runs the cross-checks in scripts/crosscheck/ (all by default), each
// against reference Python libraries in the project-local virtual environment. Exits 1 if any fails.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const all = readdirSync(new URL('./crosscheck/', import.meta.url)).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4)).sort();
const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !all.includes(n));
if (unknown.length) {
  process.stderr.write(`crosscheck: unknown ${unknown.join(', ')}; have ${all.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of asked.length ? asked : all) {
  process.stderr.write(`crosscheck: ${name}\n`);
  try {
    execFileSync(process.execPath, [`scripts/crosscheck/${name}.mjs`], { stdio: 'inherit' });
  } catch {
    failed++;
  }
}
process.exit(failed ? 1 : 0);

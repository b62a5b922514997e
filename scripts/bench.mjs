// `npm run bench -- NAME [options]`: runs one benchmark from scripts/bench/.
const names = ['neighbors'];
const [name, ...rest] = process.argv.slice(2);
if (!names.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${names.join('|')}> [--quick]\n`);
  process.exit(2);
}
process.argv = [process.argv[0], `scripts/bench/${name}.mjs`, ...rest];
await import(`./bench/${name}.mjs`);

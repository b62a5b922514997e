// `npm run bench -- lab [--quick]`: the lab page served by `percolab lab`, in headless Chromium: its
// first render (navigation start to the form being up, fresh browser context each time, so nothing is
// cached), and a 3-seed headline experiment (N = 1000 … 8000) run in the page against the same config
// from the CLI, interleaved, same worker count (one per core). Writes bench/results/lab.json.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { machine, median, writeResult } from './lib/common.mjs';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const renders = values.quick ? 3 : 7;
const repeats = values.quick ? 1 : 3;
const config = { seeds: 3, sizes: [1000, 2000, 4000, 8000] };

const server = spawn(process.execPath, ['dist/node/cli.js', 'lab', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /^lab: (http:\S+) /m.exec(out);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`percolab lab exited with ${code}`)));
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const dir = mkdtempSync(join(tmpdir(), 'percolab-bench-lab-'));

async function firstRender() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  const ms = await page.evaluate(() => ({
    ready: performance.getEntriesByName('lab-ready')[0].startTime,
    firstContentfulPaint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
  }));
  await context.close();
  return ms;
}

async function inPage() {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${url}?config=${encodeURIComponent(JSON.stringify(config))}&run`);
  await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.body.dataset.state), null, { timeout: 600_000 });
  if ((await page.getAttribute('body', 'data-state')) !== 'done') throw new Error(`page run failed: ${await page.textContent('#run-status')}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a.download:text-is("results.json")')]);
  const results = JSON.parse(readFileSync(await download.path(), 'utf8'));
  await context.close();
  return results;
}

function fromCli(i) {
  const out = join(dir, `cli-${i}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/node/cli.js', 'run', '--set', `seeds=${config.seeds}`, '--set', `sizes=${JSON.stringify(config.sizes)}`, '--out', out, '--no-progress'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))) : reject(new Error(`percolab run failed: ${err}`))));
  });
}

try {
  const render = [];
  for (let i = 0; i < renders; i++) render.push(await firstRender());
  const page = [];
  const cli = [];
  for (let i = 0; i < repeats; i++) {
    cli.push(await fromCli(i));
    page.push(await inPage());
    process.stderr.write(`repeat ${i + 1}: CLI ${cli.at(-1).timing.seconds.toFixed(2)} s, page ${page.at(-1).timing.seconds.toFixed(2)} s\n`);
  }
  const same = page.every((p) => JSON.stringify(p.points) === JSON.stringify(cli[0].points) && JSON.stringify(p.fit) === JSON.stringify(cli[0].fit));
  const pageSeconds = median(page.map((r) => r.timing.seconds));
  const cliSeconds = median(cli.map((r) => r.timing.seconds));
  const body = {
    machine: machine(),
    browser: `Chromium ${browser.version()} (headless)`,
    loadAverage: loadavg(),
    note: 'ratios from interleaved runs; a loaded machine makes absolute times noisy (see loadAverage)',
    quick: values.quick,
    firstRender: {
      what: 'navigation start to the form being up (performance mark lab-ready), fresh context, served by percolab lab on 127.0.0.1',
      medianMs: median(render.map((r) => r.ready)),
      runsMs: render.map((r) => r.ready),
      firstContentfulPaintMedianMs: median(render.map((r) => r.firstContentfulPaint)),
    },
    headline3Seeds: {
      config,
      what: 'runExperiment wall time (results.timing.seconds) in the page (Web Workers) and in `percolab run` (worker_threads), one worker per core in both',
      pageSeconds: page.map((r) => r.timing.seconds),
      cliSeconds: cli.map((r) => r.timing.seconds),
      medianPageSeconds: pageSeconds,
      medianCliSeconds: cliSeconds,
      pageOverCli: pageSeconds / cliSeconds,
      exponent: cli[0].fit.exponent.median,
      bitIdentical: same,
    },
  };
  process.stderr.write(`first render ${body.firstRender.medianMs.toFixed(0)} ms; page ${pageSeconds.toFixed(2)} s vs CLI ${cliSeconds.toFixed(2)} s (${body.headline3Seeds.pageOverCli.toFixed(2)}x); bit-identical ${same}\n`);
  writeResult('lab', body);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

// `percolab sweep --executor slurm` on a real single-node Slurm that the repo's script starts on
// localhost (scripts/slurm/start.sh; stopped by process id): the cells and the combined report match a
// local run, a killed task is reported with its log, and a rerun submits only what is missing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, root } from './helpers.js';

const cluster = mkdtempSync(join(tmpdir(), 'percolab-slurm-'));
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  const started = spawnSync('bash', [join(root, 'scripts/slurm/start.sh'), cluster], { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`scripts/slurm/start.sh failed: ${started.stderr}`);
  const conf = /^SLURM_CONF=(.*)$/m.exec(started.stdout)![1]!;
  env = { ...process.env, SLURM_CONF: conf, PERCOLAB_SLURM_POLL_SECONDS: '0.3' };
}, 60_000);

afterAll(() => {
  spawnSync('bash', [join(root, 'scripts/slurm/stop.sh'), cluster]);
});

const tiny = { seeds: 2, sizes: [50, 100, 200], testSize: 50, data: { kind: 'manifold', manifoldDimension: 2, dimension: 4 }, measure: { points: 0 } };
const percolab = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'sweep', ...args], { cwd, encoding: 'utf8', env });
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
/** sweep.json without the wall-clock seconds of each cell (the only field that differs between runs). */
const withoutTiming = (path: string) => {
  const summary = json(path);
  for (const cell of summary.cells) delete cell.seconds;
  return summary;
};
const resultsWithoutTiming = (path: string) => ({ ...json(path), timing: undefined });

describe('percolab sweep --executor slurm', () => {
  it('runs the pending cells as one job array; cells and combined report identical to a local run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-slurm-sweep-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ base: tiny, grid: { 'data.manifoldDimension': [2, 3] } }));
    // --dry-run prints the script and neither writes nor submits.
    const dry = percolab(['s.json', '--out', 'slurm', '--executor', 'slurm', '--max-parallel', '2', '--partition', 'debug', '--sbatch-arg=--time=00:10:00', '--dry-run'], dir);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/#SBATCH --array=0-1%2\n/);
    expect(dry.stdout).toMatch(/#SBATCH --partition=debug\n#SBATCH --time=00:10:00\n/);
    expect(existsSync(join(dir, 'slurm'))).toBe(false);

    const local = percolab(['s.json', '--out', 'local', '--workers', '1'], dir);
    expect(local.status, local.stderr).toBe(0);
    const slurm = percolab(['s.json', '--out', 'slurm', '--executor', 'slurm', '--max-parallel', '2', '--partition', 'debug'], dir);
    expect(slurm.status, slurm.stderr).toBe(0);
    expect(slurm.stderr).toMatch(/slurm: submitted job \d+ \(2 cells\)/);
    expect(slurm.stderr).toMatch(/slurm: 2\/2 cells done/);
    expect(withoutTiming(join(dir, 'slurm/sweep.json'))).toEqual(withoutTiming(join(dir, 'local/sweep.json')));
    const summary = json(join(dir, 'local/sweep.json'));
    for (const cell of summary.cells) {
      expect(resultsWithoutTiming(join(dir, 'slurm', cell.folder, 'results.json'))).toEqual(resultsWithoutTiming(join(dir, 'local', cell.folder, 'results.json')));
      expect(readFileSync(join(dir, 'slurm', cell.folder, 'config.json'), 'utf8')).toBe(readFileSync(join(dir, 'local', cell.folder, 'config.json'), 'utf8'));
    }
    // The script is kept for the record; every cell is listed in it with its hash.
    const script = readFileSync(join(dir, 'slurm/slurm/sweep.sbatch'), 'utf8');
    for (const cell of summary.cells) expect(script).toContain(cell.hash);
    // Nothing pending: nothing submitted.
    const again = percolab(['s.json', '--out', 'slurm', '--executor', 'slurm'], dir);
    expect(again.status).toBe(0);
    expect(again.stderr).not.toMatch(/submitted/);
    expect(again.stderr.match(/\(cached\)/g)).toHaveLength(2);
  }, 60_000);

  it('reports a task killed mid-run with its log, keeps the other cells, and a rerun submits only that cell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-slurm-kill-'));
    // The second cell trains students for a few seconds: long enough to be killed while it runs.
    const students = { ...tiny, model: { kind: 'mlp' }, train: { widthCheck: false } };
    writeFileSync(join(dir, 's.json'), JSON.stringify({ base: students, grid: { 'train.steps': [5, 150] } }));
    const child = spawn(process.execPath, [cli, 'sweep', 's.json', '--out', 'out', '--executor', 'slurm'], { cwd: dir, env });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let job: string | undefined;
    // Wait until the slow cell's task has started computing (its log says so), then kill it.
    for (let killed = false; !killed; ) {
      await new Promise((r) => setTimeout(r, 100));
      job ??= /submitted job (\d+)/.exec(stderr)?.[1];
      const log = job && join(dir, 'out/slurm/logs', `${job}_1.log`);
      if (log && existsSync(log) && /running/.test(readFileSync(log, 'utf8'))) {
        expect(spawnSync('scancel', ['--signal=KILL', `${job}_1`], { env }).status).toBe(0);
        killed = true;
      }
    }
    expect(await exited).toBe(2);
    expect(stderr).toMatch(new RegExp(`1 of 2 pending cells did not finish on Slurm.*\\n  cell 2/2 train\\.steps=150: task ${job}_1 \\w+ without results, log out/slurm/logs/${job}_1\\.log`));
    expect(existsSync(join(dir, 'out/sweep.json'))).toBe(false);
    const cells = readdirSync(join(dir, 'out/cells'));
    expect(cells).toHaveLength(1); // the finished cell is kept, the killed one left nothing
    const rerun = percolab(['s.json', '--out', 'out', '--executor', 'slurm'], dir);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/submitted job \d+ \(1 cell\)/);
    expect(rerun.stderr.match(/\(cached\)/g)).toHaveLength(1);
    expect(json(join(dir, 'out/sweep.json')).cells).toHaveLength(2);
  }, 90_000);

  it('a submission the controller refuses (no such partition): status 2, one line with sbatch\'s reason, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-slurm-refused-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ base: tiny, grid: { seeds: [2] } }));
    const result = percolab(['s.json', '--out', 'out', '--executor', 'slurm', '--partition', 'nosuch'], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^percolab: sbatch .*out\/slurm\/sweep\.sbatch failed \(status 1\): sbatch: error: .*invalid partition/i);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('percolab cell refuses a hash the sweep does not have (a sweep file changed since submission)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-slurm-cell-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ base: tiny, grid: { seeds: [2] } }));
    const result = spawnSync(process.execPath, [cli, 'cell', 's.json', '--hash', '0123456789abcdef', '--out', 'out'], { cwd: dir, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^percolab: s\.json has no cell 0123456789abcdef for this percolab \(.*\): the sweep file or percolab changed since the cell was listed; rerun the sweep\n$/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it.each([
    ['--partition without slurm', ['--partition', 'debug'], /--partition does not apply without --executor slurm/],
    ['a negative --max-parallel', ['--executor', 'slurm', '--max-parallel', '-1'], /--max-parallel = "-1": expected an integer >= 1/],
    ['an sbatch arg that is not an option', ['--executor', 'slurm', '--sbatch-arg', 'time=1'], /--sbatch-arg "time=1": expected an sbatch option/],
  ])('%s: status 2, one line, nothing written', (_name, args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'percolab-slurm-bad-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ base: tiny, grid: { seeds: [2] } }));
    const result = percolab(['s.json', '--out', 'out', ...args], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

// Your own data through the pipeline (data.kind "file"): `percolab generate` writes a small data set as
// .npy, .arrow and .parquet, and `percolab run` reads each back as a seed's data set, with its labels or a
// teacher's; bad files exit 2 with one line.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../ts/io/npy.js';
import { fileSeedData, BROWSER_FILE_ERROR } from '../ts/experiment/file-data.js';
import { cli, distNode } from './helpers.js';

const lib = await import(`${distNode}index.js`);

const percolab = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, PERCOLAB_DEBUG: '', PERCOLAB_GPU: 'none' } });

// A 2-cube in R^5 with a Fourier teacher: 900 rows, enough for sizes up to 400 plus 200 test points.
const source = { seed: 4, data: { kind: 'manifold', manifold: 'cube', manifoldDimension: 2, dimension: 5 }, teacher: { kind: 'fourier', repetitions: 0 } };
const run = { seeds: 2, sizes: [50, 100, 200, 400], testSize: 200, measure: { points: 0 }, data: { kind: 'file', intrinsicDimension: 2 } };

let dir: string;
const results = (folder: string) => JSON.parse(readFileSync(join(dir, folder, 'results.json'), 'utf8'));
const config = (folder: string) => JSON.parse(readFileSync(join(dir, folder, 'config.json'), 'utf8'));

/** `percolab run` of `config` (written to `name`.json in `dir`) into `name`/. */
function runConfig(name: string, input: unknown, extra: string[] = []) {
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(input));
  return percolab(['run', `${name}.json`, '--out', name, '--workers', '2', '--no-progress', ...extra], dir);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'percolab-file-'));
  writeFileSync(join(dir, 'source.json'), JSON.stringify(source));
  mkdirSync(join(dir, 'data'));
  for (const out of ['data/X.npy', 'data/X.arrow', 'data/X.parquet']) {
    const made = percolab(['generate', 'source.json', '--points', '900', '--out', out, '--no-progress'], dir);
    expect(made.status, made.stderr).toBe(0);
  }
}, 120_000);

describe('data.kind "file"', () => {
  it('reads .npy, .arrow and .parquet alike: the same losses for the same seeds, the file\'s labels, D as given', () => {
    const losses = ['npy', 'arrow', 'parquet'].map((format) => {
      // data.path relative to the config file's folder.
      const result = runConfig(`run-${format}`, { ...run, data: { ...run.data, path: `data/X.${format}` } });
      expect(result.stderr).toBe(''); // the file's labels: no teacher, so no device line
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/vs theory 1\.000 \(c\/D = 2\/2, D given \(data\.intrinsicDimension\)\)/);
      const r = results(`run-${format}`);
      expect(r.points).toHaveLength(8);
      expect(r.teachers).toEqual([]);
      expect(r.theory).toEqual({ dimension: 2, c: 2, exponent: 1, dimensionSource: 'given (data.intrinsicDimension)' });
      // The resolved config: absolute path, the file's dimension, which labels were used.
      expect(config(`run-${format}`).data).toMatchObject({ kind: 'file', path: join(dir, `data/X.${format}`), dimension: 5, labels: 'file' });
      return r.points;
    });
    expect(losses[1]).toEqual(losses[0]);
    expect(losses[2]).toEqual(losses[0]);
    // Seeds are different splits of the same rows.
    expect(losses[0][0].loss).not.toBe(losses[0][4].loss);
    // The written config.json runs again, bit for bit.
    const again = percolab(['run', 'run-npy/config.json', '--out', 'again', '--workers', '1', '--no-progress'], dir);
    expect(again.status, again.stderr).toBe(0);
    expect(results('again').points).toEqual(losses[0]);
  }, 120_000);

  it('labels a file without labels with the teacher, and relabels with data.labels "teacher"; D measured', () => {
    copyFileSync(join(dir, 'data/X.npy'), join(dir, 'data/U.npy'));
    const plain = runConfig('unlabelled', { ...run, measure: { points: 700 }, data: { kind: 'file', path: 'data/U.npy' }, teacher: { device: 'cpu' } });
    expect(plain.status, plain.stderr).toBe(0);
    const r = results('unlabelled');
    expect(r.teachers.map((t: { kind: string }) => t.kind)).toEqual(['linear', 'linear']);
    expect(config('unlabelled').data.labels).toBe('teacher');
    // No data.intrinsicDimension: D is the run's measurement, and the report says so.
    expect(r.theory.dimensionSource).toMatch(/^measured: twonn on 700 points of seed 1$/);
    expect(r.theory.dimension).toBeGreaterThan(1.5);
    expect(r.theory.dimension).toBeLessThan(2.5);
    expect(r.theory.measured.dimension).toBe(r.theory.dimension); // the same estimate as theory.measured
    // A teacher of one's own on a labelled file: data.labels "teacher".
    const relabel = runConfig('relabel', { ...run, data: { ...run.data, path: 'data/X.npy', labels: 'teacher' }, teacher: { kind: 'relu', width: 8, repetitions: 0, device: 'cpu' } });
    expect(relabel.status, relabel.stderr).toBe(0);
    expect(results('relabel').teachers[0].kind).toBe('relu');
    expect(results('relabel').points).not.toEqual(results('run-npy').points);
  }, 120_000);

  it('runs local-linear k-NN and a small student on a file, with the fit and the report', () => {
    const path = join(dir, 'data/X.parquet');
    const linear = runConfig('local-linear', { ...run, data: { ...run.data, path }, model: { local: 'linear' } });
    expect(linear.status, linear.stderr).toBe(0);
    expect(results('local-linear').theory).toMatchObject({ c: 4, dimension: 2 });
    expect(results('local-linear').config.model.k).toBe(12); // 2(m + 1) with m = the file's 5 columns
    const student = runConfig('student', {
      ...run,
      seeds: 1,
      data: { ...run.data, path },
      model: { kind: 'mlp', widths: [8] },
      train: { steps: 50, learningRate: 0.01, widthCheck: false },
    });
    expect(student.status, student.stderr).toBe(0);
    const s = results('student');
    expect(s.points).toHaveLength(4);
    expect(s.students[0].sizes).toHaveLength(4);
    expect(readFileSync(join(dir, 'student/report.html'), 'utf8')).toContain('<svg');
  }, 120_000);

  it('sweeps over a file: a base config file with a relative data.path, a grid over the learner', () => {
    writeFileSync(join(dir, 'data/base.json'), JSON.stringify({ ...run, seeds: 1, data: { ...run.data, path: 'X.npy' } })); // beside base.json
    writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ base: 'data/base.json', grid: { 'model.local': ['constant', 'linear'] } }));
    const result = percolab(['sweep', 'sweep.json', '--out', 'sweep', '--workers', '1'], dir);
    expect(result.status, result.stderr).toBe(0);
    const sweep = JSON.parse(readFileSync(join(dir, 'sweep/sweep.json'), 'utf8'));
    expect(sweep.cells.map((c: { theory: { c: number } }) => c.theory.c)).toEqual([2, 4]);
    const cells = readdirSync(join(dir, 'sweep/cells'));
    expect(cells).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, 'sweep/cells', cells[0]!, 'config.json'), 'utf8')).data).toMatchObject({ path: join(dir, 'data/X.npy'), dimension: 5, labels: 'file' });
  }, 120_000);

  describe('bad input: status 2, one line, nothing written', () => {
    const cases: [string, (d: string) => unknown, RegExp][] = [
      ['missing file', () => ({ ...run, data: { ...run.data, path: 'nope.npy' } }), /cannot read data file .*nope\.npy: ENOENT/],
      ['a folder', (d) => (mkdirSync(join(d, 'f.npy')), { ...run, data: { ...run.data, path: 'f.npy' } }), /cannot read data file .*f\.npy: it is a folder/],
      ['float64 points', (d) => (writeFileSync(join(d, 'w.npy'), encodeNpy({ dtype: 'float64', shape: [900, 5], data: new Float64Array(4500) })), { ...run, data: { ...run.data, path: 'w.npy' } }), /w\.npy: dtype float64, expected float32/],
      ['3-d array', (d) => (writeFileSync(join(d, 's.npy'), encodeNpy({ dtype: 'float32', shape: [900, 5, 1], data: new Float32Array(4500) })), { ...run, data: { ...run.data, path: 's.npy' } }), /s\.npy: shape \(900, 5, 1\), expected \[N, d\]/],
      ['NaN in the points', (d) => (writeFileSync(join(d, 'n.npy'), encodeNpy({ dtype: 'float32', shape: [900, 5], data: new Float32Array(4500).fill(Number.NaN, 17, 18) })), { ...run, data: { ...run.data, path: 'n.npy' } }), /n\.npy: row 3, column 2 is NaN; values must be finite/],
      ['labels count mismatch', (d) => {
        copyFileSync(join(dir, 'data/X.npy'), join(d, 'L.npy'));
        writeFileSync(join(d, 'L.labels.npy'), encodeNpy({ dtype: 'float32', shape: [899], data: new Float32Array(899) }));
        return { ...run, data: { ...run.data, path: 'L.npy' } };
      }, /L\.labels\.npy: 899 x 1 labels, expected one per row of .*L\.npy \(900\)/],
      ['too few rows', () => ({ ...run, sizes: [100, 800], data: { ...run.data, path: join(dir, 'data/X.npy') } }), /has 900 rows, fewer than the largest size plus testSize \(800 \+ 200 = 1000\)/],
      ['conflicting dimension', () => ({ ...run, data: { ...run.data, path: join(dir, 'data/X.arrow'), dimension: 8 } }), /data\.dimension = 8: the file .*X\.arrow has 5 columns/],
      ['a teacher the file\'s labels would leave unused', () => ({ ...run, data: { ...run.data, path: join(dir, 'data/X.npy') }, teacher: { kind: 'relu' } }), /teacher\.kind = "relu": is not used: data\.labels "file" takes the file's labels; set data\.labels "teacher"/],
      ['labels "file" on a file without', (d) => (copyFileSync(join(dir, 'data/X.npy'), join(d, 'V.npy')), { ...run, data: { ...run.data, path: 'V.npy', labels: 'file' } }), /data\.labels = "file": .*V\.npy has no .*V\.labels\.npy beside it/],
      ['no path', () => ({ ...run, data: { kind: 'file' } }), /data\.path = missing: data\.kind "file" needs the file/],
      ['a path without kind "file"', () => ({ data: { path: 'x.npy' } }), /data\.path = ".*x\.npy": applies to data\.kind "file" only/],
      ['another extension', () => ({ ...run, data: { ...run.data, path: 'x.csv' } }), /data\.path = ".*x\.csv": expected a \.npy, \.arrow or \.parquet file/],
      ['no D for the theory', () => ({ ...run, data: { kind: 'file', path: join(dir, 'data/X.npy') } }), /measure\.points = 0: file data needs a D for the theory/],
      ['not an Arrow file', (d) => (writeFileSync(join(d, 'g.arrow'), 'not arrow at all'), { ...run, data: { ...run.data, path: 'g.arrow' } }), /g\.arrow: not an Arrow IPC file/],
      ['not a Parquet file', (d) => (writeFileSync(join(d, 'g.parquet'), 'not parquet at all'), { ...run, data: { ...run.data, path: 'g.parquet' } }), /g\.parquet: not a Parquet file/],
    ];
    it.each(cases)('%s', (_name, prepare, message) => {
      const d = mkdtempSync(join(tmpdir(), 'percolab-file-bad-'));
      writeFileSync(join(d, 'c.json'), JSON.stringify(prepare(d)));
      const before = readdirSync(d).sort();
      const result = percolab(['run', 'c.json', '--out', 'out', '--no-progress'], d);
      expect(result.stderr).toMatch(message);
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(readdirSync(d).sort()).toEqual(before);
    });
  });

  it('percolab generate refuses file data in one line (it writes generated data)', () => {
    const result = percolab(['generate', '--set', 'data.kind=file', '--set', `data.path=${join(dir, 'data/X.npy')}`, '--set', 'data.intrinsicDimension=2', '--set', 'sizes=[10,20]', '--set', 'testSize=10', '--points', '10', '--out', join(dir, 'never.npy')], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('percolab: percolab generate writes generated data; data.kind "file" is a file already (use another data.kind)\n');
  });

  it('the Node API resolves a file config from the file; without a reader (the browser) a file is refused', async () => {
    const resolved = lib.resolveFileConfig({ ...run, data: { ...run.data, path: join(dir, 'data/X.npy') } });
    expect(resolved.data).toMatchObject({ dimension: 5, labels: 'file' });
    const labels = parseNpy(readFileSync(join(dir, 'data/X.labels.npy')), 'labels').data;
    expect(lib.seedData(lib.loadKernels(), resolved, 1).labels).toEqual(labels);
    // This module's own copy of file-data (imported from ts/, not the bundle) has no reader registered.
    expect(() => fileSeedData(resolved)).toThrow(BROWSER_FILE_ERROR);
  });
});

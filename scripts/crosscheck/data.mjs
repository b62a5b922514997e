// `npm run crosscheck -- data`: files from `percolab generate` (.npy, .arrow, .parquet) loaded by numpy and pyarrow (project-local Python)
// hold exactly the values percolab reads back. Writes bench/results/crosscheck-data.json; exits 1 on a mismatch.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy } from '../../dist/node/index.js';
import { machine, writeResult } from '../bench/lib/common.mjs';

const python = execFileSync('bash', ['scripts/python/env.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const cases = [
  { name: 'cluster-d16', sets: ['data.dimension=16'], points: 100_000 },
  { name: 'branching-d10', sets: ['data.dimension=10', 'data.embedder=branching'], points: 50_000 },
  { name: 'torus-T3-in-R8', sets: ['data.kind=manifold', 'data.manifold=torus', 'data.manifoldDimension=3', 'data.dimension=8'], points: 20_000 },
];
const script = `
import json, sys
import numpy as np
x = np.load(sys.argv[1]); y = np.load(sys.argv[2])
print(json.dumps({"shape": list(x.shape), "dtype": str(x.dtype), "labels": list(y.shape), "sum": float(x.astype(np.float64).sum()), "labelSum": float(y.astype(np.float64).sum()), "first": x[1].tolist()}))
`;
const arrowScript = `
import json, sys
import numpy as np, pyarrow as pa
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1]) if sys.argv[1].endswith('.parquet') else pa.ipc.open_file(sys.argv[1]).read_all()
x = np.stack(t.column('x').to_numpy(zero_copy_only=False)).astype(np.float32)
print(json.dumps({"shape": list(x.shape), "sum": float(x.astype(np.float64).sum()), "labelSum": float(t.column('y').to_numpy().astype(np.float64).sum()), "record": json.loads(t.schema.metadata[b'percolab'])["seed"]}))
`;
const dir = mkdtempSync(join(tmpdir(), 'percolab-crosscheck-data-'));
const rows = [];
let failed = false;
try {
  for (const c of cases) {
    const file = join(dir, `${c.name}.npy`);
    execFileSync('node', ['dist/node/cli.js', 'generate', ...c.sets.flatMap((s) => ['--set', s]), '--points', String(c.points), '--out', file, '--no-progress'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const labelsFile = file.replace(/\.npy$/, '.labels.npy');
    const numpy = JSON.parse(execFileSync(python, ['-c', script, file, labelsFile], { encoding: 'utf8' }));
    const ours = parseNpy(readFileSync(file), file);
    const labels = parseNpy(readFileSync(labelsFile), labelsFile);
    const sum = (a) => a.reduce((s, v) => s + v, 0);
    const d = ours.shape[1];
    const row = {
      name: c.name,
      numpy: { shape: numpy.shape, dtype: numpy.dtype, labels: numpy.labels },
      sameShape: JSON.stringify(numpy.shape) === JSON.stringify(ours.shape) && numpy.dtype === 'float32' && numpy.labels[0] === c.points,
      sumDifference: Math.abs(numpy.sum - sum(ours.data)),
      labelSumDifference: Math.abs(numpy.labelSum - sum(labels.data)),
      sameSecondRow: numpy.first.every((v, j) => v === ours.data[d + j]),
    };
    // Both sum the same float32 values in float64, in the same order up to summation algorithm: allow rounding.
    row.ok = row.sameShape && row.sameSecondRow && row.sumDifference <= 1e-6 * Math.max(1, Math.abs(numpy.sum)) && row.labelSumDifference <= 1e-6 * Math.max(1, Math.abs(numpy.labelSum));
    // The same data as one Arrow IPC file and one Parquet file, read by pyarrow.
    for (const ext of ['arrow', 'parquet']) {
      const tableFile = join(dir, `${c.name}.${ext}`);
      execFileSync('node', ['dist/node/cli.js', 'generate', ...c.sets.flatMap((s) => ['--set', s]), '--points', String(c.points), '--out', tableFile, '--no-progress'], { stdio: ['ignore', 'ignore', 'inherit'] });
      const pa = JSON.parse(execFileSync(python, ['-c', arrowScript, tableFile], { encoding: 'utf8' }));
      row[ext === 'arrow' ? 'pyarrow' : 'pyarrowParquet'] = pa;
      row.ok &&= JSON.stringify(pa.shape) === JSON.stringify(ours.shape) && Math.abs(pa.sum - numpy.sum) <= 1e-6 * Math.max(1, Math.abs(numpy.sum)) && Math.abs(pa.labelSum - numpy.labelSum) <= 1e-6 * Math.max(1, Math.abs(numpy.labelSum)) && pa.record === 1;
    }
    failed ||= !row.ok;
    rows.push(row);
    process.stderr.write(`${c.name.padEnd(16)} numpy ${numpy.shape.join('x')} ${numpy.dtype}, pyarrow .arrow ${row.pyarrow.shape.join('x')}, .parquet ${row.pyarrowParquet.shape.join('x')}  ${row.ok ? 'same values' : 'MISMATCH'}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeResult('crosscheck-data', { machine: machine(), rows });
process.exit(failed ? 1 : 0);

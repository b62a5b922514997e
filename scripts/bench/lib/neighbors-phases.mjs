// The steps of `percolab neighbors TRAIN QUERY --k K --out OUT` timed one by one in one process (seconds),
// for `npm run bench -- neighbors-process`: where the whole process's time goes.
const atStart = performance.now(); // since the process started: Node's own start-up
const { readFileSync, statSync, writeFileSync } = await import('node:fs');
const lib = await import('../../../dist/node/index.js');
const [train, query, kText, out] = process.argv.slice(2);
const k = Number(kText);
const phases = { nodeStartup: atStart / 1000 };
let t = atStart;
const lap = (name) => {
  const now = performance.now();
  phases[name] = (now - t) / 1000;
  t = now;
};
lap('importBundle');
const kernels = await lib.loadThreadedKernels(2);
lap('loadKernelsAndThreads');
const queries = lib.asFloat32Matrix(lib.parseNpy(readFileSync(query), query), query);
// As the command does: a helper compiles the index's code while a large training file is read.
if (statSync(train).size >= 32 * 2 ** 20) kernels.warmKnn(queries.cols, k);
lap('readQueries');
const trainData = lib.readFloat32MatrixInto(train, 'training file', (rows, cols) => kernels.pointBuffer(rows * cols));
lap('readTrainIntoWasm');
const index = kernels.knnIndex(trainData.buffer, trainData.cols);
lap('buildIndex');
const found = index.search(queries.data, k);
lap('search');
index.free();
lap('freeIndex');
const shape = [queries.rows, k];
const indices = lib.encodeNpy({ dtype: 'int64', shape, data: BigInt64Array.from(found.indices, (i) => BigInt(i)) });
const distances = lib.encodeNpy({ dtype: 'float32', shape, data: found.distances });
lap('encodeOutputs');
writeFileSync(`${out}.indices.npy`, indices);
writeFileSync(`${out}.distances.npy`, distances);
lap('writeOutputs');
kernels.close();
lap('close');
phases.total = performance.now() / 1000;
console.log(JSON.stringify(phases));

import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { nodeGpu } from '../ts/teachers/gpu-node.js';
import { loadKernels } from '../ts/wasm/load-node.js';
import { cellApi } from './cell-api.js';
import { setPointsFileReader } from '../ts/experiment/file-data.js';
import { inspectPointsFile, readPointsFile } from '../ts/io/points-file.js';

if (!parentPort) throw new Error('workers/node.ts must run inside a worker_threads Worker');
// File data (data.kind "file") is read here, in the worker that runs a seed.
setPointsFileReader(readPointsFile, inspectPointsFile);
Comlink.expose(cellApi(loadKernels(), nodeGpu), nodeEndpoint(parentPort));

// A helper thread of the SIMD+threads kernels in Node: instantiate on the shared memory, report ready,
// then run one rayon thread for the life of the pool.
import { setFlagsFromString } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { initSync, runThread } from '../ts/wasm/generated/simd-threads/kernels.js';

// Optimised wasm (see optimiseWasm in ts/wasm/load-node.ts), set only now that Node's own start-up is done.
setFlagsFromString('--no-liftoff');
initSync({ module: workerData.module, memory: workerData.memory });
parentPort!.postMessage('ready');
runThread();

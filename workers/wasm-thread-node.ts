// A helper thread of the SIMD+threads kernels in Node: instantiate on the shared memory, report ready,
// then run one rayon thread for the life of the pool.
import { parentPort, workerData } from 'node:worker_threads';
import { initSync, runThread } from '../ts/wasm/generated/simd-threads/kernels.js';
import { optimiseWasm } from '../ts/wasm/optimise-node.js';

// Optimised wasm, set only now that Node's own start-up is done (see optimiseWasm).
optimiseWasm();
initSync({ module: workerData.module, memory: workerData.memory });
parentPort!.postMessage('ready');
runThread();

// A helper thread of the SIMD+threads kernels in Node: instantiate on the shared memory, report ready,
// then run one rayon thread for the life of the pool. It may start before the kernels exist
// (ts/wasm/helpers-node.ts), so it waits for the module and memory by message.
import { parentPort } from 'node:worker_threads';
import { initSync, runThread } from '../ts/wasm/generated/simd-threads/kernels.js';
import { optimiseWasm } from '../ts/wasm/optimise-node.js';

interface Shared {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

function run({ module, memory }: Shared): void {
  // Optimised wasm, set only now: Node's own start-up is done, and so is the main thread's (see optimiseWasm).
  optimiseWasm();
  initSync({ module, memory });
  parentPort!.postMessage('ready');
  runThread();
}

parentPort!.once('message', run);

// A helper thread of the SIMD+threads kernels in a browser (see wasm-thread-node.ts).
import { initSync, runThread } from '../ts/wasm/generated/simd-threads/kernels.js';

self.addEventListener(
  'message',
  (event: MessageEvent<{ module: WebAssembly.Module; memory: WebAssembly.Memory }>) => {
    initSync({ module: event.data.module, memory: event.data.memory });
    self.postMessage('ready');
    runThread();
  },
  { once: true },
);

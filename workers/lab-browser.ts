import * as Comlink from 'comlink';
import { labApi } from '../ts/lab/lab-api.js';
import { loadThreadedKernels } from '../ts/wasm/load-browser.js';

// Two threads at least where isolation allows them, so the page can show that the threaded kernels run.
const load = loadThreadedKernels(Math.max(2, navigator.hardwareConcurrency || 1));
load.catch(() => {});
Comlink.expose(labApi(load, self.crossOriginIsolated));

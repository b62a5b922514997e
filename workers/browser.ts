import * as Comlink from 'comlink';
import { browserGpu } from '../ts/teachers/gpu-browser.js';
import { loadKernels } from '../ts/wasm/load-browser.js';
import { cellApi } from './cell-api.js';

Comlink.expose(cellApi(loadKernels(), browserGpu));

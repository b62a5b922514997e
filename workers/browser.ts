import * as Comlink from 'comlink';
import { loadKernels } from '../ts/wasm/load-browser.js';
import { cellApi } from './cell-api.js';

Comlink.expose(cellApi(loadKernels()));

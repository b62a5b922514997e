import { readFileSync } from 'node:fs';
import { chooseFlavour, instantiateKernels, type Kernels } from './kernels.js';

/** Loads the kernels from the `.wasm` file that the build places beside this bundle. */
export function loadKernels(): Kernels {
  const flavour = chooseFlavour();
  return instantiateKernels(readFileSync(new URL(`./percolab-${flavour}.wasm`, import.meta.url)), flavour);
}

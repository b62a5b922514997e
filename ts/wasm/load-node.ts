import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { chooseFlavour, instantiateKernels, type Kernels } from './kernels.js';

/** Loads the kernels from the `.wasm` file that the build places beside this bundle. */
export function loadKernels(): Kernels {
  // V8 runs new wasm in its baseline tier and only swaps in optimised code on a function's next call;
  // our kernels are few long calls, so compile them optimised up front (measured 2-3x on the first call).
  setFlagsFromString('--no-liftoff');
  const flavour = chooseFlavour();
  return instantiateKernels(readFileSync(new URL(`./percolab-${flavour}.wasm`, import.meta.url)), flavour);
}

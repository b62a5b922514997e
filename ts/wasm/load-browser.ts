import { chooseFlavour, instantiateKernels, type Kernels } from './kernels.js';

/** Fetches and compiles the `.wasm` file that the build places beside this bundle. */
export async function loadKernels(): Promise<Kernels> {
  const flavour = chooseFlavour();
  const module = await WebAssembly.compileStreaming(fetch(new URL(`./percolab-${flavour}.wasm`, import.meta.url)));
  return instantiateKernels(module, flavour);
}

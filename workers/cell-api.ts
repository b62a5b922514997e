import { measureDimension, runSeed } from '../ts/experiment/cell.js';
import type { CellApi } from '../ts/pool/pool.js';
import type { Kernels } from '../ts/wasm/kernels.js';

/** The worker side of the pool contract; kernels may still be loading when the first call arrives. */
export function cellApi(kernels: Kernels | Promise<Kernels>): CellApi {
  return {
    info: async () => (await kernels).info,
    runSeed: async (config, seed) => runSeed(await kernels, config, seed),
    measureDimension: async (config, seed) => ({ seed, ...measureDimension(await kernels, config, seed) }),
  };
}

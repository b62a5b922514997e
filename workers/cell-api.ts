import { measureClusterCapacity, measureDimension, runSeed } from '../ts/experiment/cell.js';
import type { CellApi } from '../ts/pool/pool.js';
import { chooseDevice, type DeviceChoice, type GpuProvider } from '../ts/teachers/device.js';
import type { Kernels } from '../ts/wasm/kernels.js';

/**
 * The worker side of the pool contract; kernels may still be loading when the first call arrives. A
 * worker resolves `teacher.device` once per setting (the GPU check runs once) and keeps the device.
 */
export function cellApi(kernels: Kernels | Promise<Kernels>, gpu?: GpuProvider): CellApi {
  const devices = new Map<string, Promise<DeviceChoice>>();
  const device = async (setting: 'auto' | 'gpu' | 'cpu') => {
    if (!devices.has(setting)) devices.set(setting, (async () => chooseDevice(setting, gpu, await kernels))());
    return devices.get(setting)!;
  };
  return {
    info: async () => (await kernels).info,
    runSeed: async (config, seed, onSteps) => {
      // File data with its own labels has no teacher, so no device to choose.
      const choice = config.data.kind === 'file' && config.data.labels === 'file' ? undefined : await device(config.teacher.device);
      // Fire and forget: the caller's progress must not hold up training.
      const report = onSteps ? (steps: number) => void Promise.resolve(onSteps(steps)).catch(() => {}) : undefined;
      const result = await runSeed(await kernels, config, seed, choice?.gpu, report);
      return result.teacher ? { ...result, teacher: { ...result.teacher, why: result.teacher.why ?? choice?.why } } : result;
    },
    measureDimension: async (config, seed) => ({ seed, ...measureDimension(await kernels, config, seed) }),
    measureCapacity: async (config, seed) => ({ seed, ...measureClusterCapacity(await kernels, config, seed) }),
    wasm: async () => {
      const { flavour, sha256 } = await kernels;
      return sha256 ? { flavour, sha256 } : undefined;
    },
  };
}

// WebGPU in Node through Dawn (the pinned `webgpu` package). Vulkan reaches real GPUs; without one,
// Dawn's OpenGL ES backend on Mesa's llvmpipe is the software fallback (Debian 12's lavapipe is refused by
// Dawn's Vulkan backend; llvmpipe needs EGL_PLATFORM=surfaceless and the compatibility feature level).
import { existsSync } from 'node:fs';
import type { GpuCandidate, GpuProvider } from './device.js';

const VULKAN_LOADERS = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];

/** Must run before any WebGPU instance exists in the process (workers inherit the environment). */
export function prepareGpuEnvironment(): void {
  process.env.EGL_PLATFORM ??= 'surfaceless';
}

// One Dawn instance per backend for the life of the process: Dawn aborts if instances come and go.
const instances = new Map<string, GPU>();
function instance(webgpu: typeof import('webgpu'), backend: string): GPU {
  if (!instances.has(backend)) instances.set(backend, webgpu.create(backend ? [`backend=${backend}`] : []));
  return instances.get(backend)!;
}

/**
 * Node's adapters: a hardware GPU through Vulkan, else (when allowed) Dawn's OpenGL ES backend on Mesa.
 * `PERCOLAB_GPU` narrows what is offered, so that tests and users can say which device they expect
 * whatever the machine has: `none` offers no adapter; `software` skips hardware adapters.
 */
export const nodeGpu: GpuProvider = async (allowSoftware) => {
  const notes: string[] = [];
  const candidates: GpuCandidate[] = [];
  const only = process.env.PERCOLAB_GPU;
  if (only === 'none') return { candidates, notes: ['WebGPU turned off by PERCOLAB_GPU=none'] };
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (error) {
    return { candidates, notes: [`the webgpu package did not load (${(error as Error).message.split('\n')[0]})`] };
  }
  Object.assign(globalThis, webgpu.globals);
  // Dawn prints to stderr while it probes a backend: ask Vulkan only where a loader exists.
  if (only === 'software') notes.push('hardware adapters not probed: PERCOLAB_GPU=software');
  else if (VULKAN_LOADERS.some((p) => existsSync(p))) {
    const adapter = await instance(webgpu, '').requestAdapter({ powerPreference: 'high-performance' });
    if (adapter && !adapter.info.isFallbackAdapter) {
      candidates.push({ device: await adapter.requestDevice(), description: adapter.info.description || adapter.info.vendor || 'Vulkan adapter', software: /llvmpipe|lavapipe|swiftshader/i.test(adapter.info.description) });
    } else notes.push('Vulkan offered no hardware adapter');
  } else notes.push('no Vulkan loader (libvulkan.so.1) on this machine');
  if (allowSoftware && !candidates.some((c) => !c.software)) {
    prepareGpuEnvironment();
    const adapter = await instance(webgpu, 'opengles').requestAdapter({ featureLevel: 'compatibility' });
    if (adapter) candidates.push({ device: await adapter.requestDevice(), description: `${adapter.info.description || 'OpenGL ES'} (Dawn OpenGL ES)`, software: true });
    else notes.push('Dawn\'s OpenGL ES backend found no adapter (are libegl1, libegl-mesa0 and libgl1-mesa-dri installed?)');
  }
  return { candidates, notes };
};

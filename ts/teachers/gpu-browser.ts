// WebGPU in a browser: navigator.gpu (in a page or a worker).
import type { GpuProvider } from './device.js';

export const browserGpu: GpuProvider = async (allowSoftware) => {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { candidates: [], notes: ['navigator.gpu is missing (WebGPU disabled or unsupported)'] };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { candidates: [], notes: ['navigator.gpu offered no adapter'] };
  const description = [adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(' ') || 'browser adapter';
  const software = adapter.info.isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(description);
  if (software && !allowSoftware) return { candidates: [], notes: [`only a software adapter (${description})`] };
  return { candidates: [{ device: await adapter.requestDevice(), description, software }], notes: [] };
};

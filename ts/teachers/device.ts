// Which device evaluates a teacher. A GPU is trusted only after a known-answer check against the CPU
// twin: some runtimes hand out devices that accept work and return garbage.
/// <reference types="@webgpu/types" preserve="true" />  // the WebGPU types in this module's public signatures reach the emitted .d.ts
import { TeacherSchema } from '../config/schema.js';
import type { Kernels } from '../wasm/kernels.js';
import { GpuEvaluator } from './gpu.js';
import { cpuModel, gpuTeacher, type TeacherSpec } from './model.js';

export type DeviceSetting = 'auto' | 'gpu' | 'cpu';

/** An adapter a platform offers, already opened. */
export interface GpuCandidate {
  device: GPUDevice;
  description: string;
  /** A software rasterizer (llvmpipe, SwiftShader): correct but no faster than the CPU twin. */
  software: boolean;
}

/** Opens the platform's adapters, hardware first; `notes` says what was tried and why it failed. */
export type GpuProvider = (allowSoftware: boolean) => Promise<{ candidates: GpuCandidate[]; notes: string[] }>;

/** Largest |gpu - cpu| allowed, relative to 1 + |cpu|: f32 sums in another order (or fused). */
export const AGREEMENT_TOLERANCE = 1e-4;

export interface CheckResult {
  passed: boolean;
  /** Max |gpu - cpu| / (1 + |cpu|) per teacher kind. */
  maxError: Record<TeacherSpec['kind'], number>;
}

/** One small teacher of every kind, every other key the schema's default. */
const CHECK_SPECS: TeacherSpec[] = (['linear', 'relu', 'fourier'] as const).map((kind) =>
  TeacherSchema.parse({ kind, depth: 3, width: 24, sigmaB: 0.1, terms: 12, maxFreq: 2, scale: 1.5, maxDraws: 1, repetitions: 0 }),
);

/** Max |got - expected| / (1 + |expected|): Infinity for a NaN or a length mismatch. */
export function agreementError(got: Float32Array, expected: Float32Array): number {
  let worst = got.length === expected.length ? 0 : Infinity;
  expected.forEach((e, i) => {
    const error = Math.abs(got[i]! - e) / (1 + Math.abs(e));
    worst = Number.isNaN(error) ? Infinity : Math.max(worst, error);
  });
  return worst;
}

/** Runs one small teacher of every kind on the GPU and compares with the CPU twin. */
export async function knownAnswerCheck(label: GpuEvaluator['label'], kernels: Kernels): Promise<CheckResult> {
  const d = 7;
  const rows = 1000;
  const points = new Float32Array(rows * d).map((_, i) => Math.sin(i * 12.9898) * 3);
  const maxError = {} as CheckResult['maxError'];
  for (const spec of CHECK_SPECS) {
    const model = cpuModel(kernels, spec, d, 12345, points);
    try {
      maxError[spec.kind] = agreementError(await label(gpuTeacher(model, spec, d), points), model.evaluate(points));
    } finally {
      model.free();
    }
  }
  return { passed: Object.values(maxError).every((e) => e <= AGREEMENT_TOLERANCE), maxError };
}

export interface DeviceChoice {
  device: 'gpu' | 'cpu';
  /** One line: which device and why. */
  why: string;
  gpu?: GpuEvaluator;
}

const fmt = (r: CheckResult) => Object.entries(r.maxError).map(([k, e]) => `${k} ${e.toExponential(1)}`).join(', ');

/**
 * Resolves a `teacher.device` setting. "cpu": the twin. "gpu": the first adapter (software allowed) that
 * passes the check, else an error. "auto": the first hardware adapter that passes, else the twin.
 */
export async function chooseDevice(setting: DeviceSetting, provider: GpuProvider | undefined, kernels: Kernels): Promise<DeviceChoice> {
  if (setting === 'cpu') return { device: 'cpu', why: 'teacher.device is "cpu"' };
  if (!provider) {
    if (setting === 'gpu') throw new DeviceError('teacher.device is "gpu" but this runtime has no WebGPU');
    return { device: 'cpu', why: 'CPU twin: this runtime has no WebGPU' };
  }
  const { candidates, notes } = await provider(setting === 'gpu');
  const rejected: string[] = [];
  for (const c of candidates) {
    const evaluator = new GpuEvaluator(c.device, c.description);
    const check = await knownAnswerCheck((t, p, s) => evaluator.label(t, p, s), kernels).catch((error: Error) => error);
    if (check instanceof Error) {
      rejected.push(`"${c.description}" failed the known-answer check (${check.message})`);
      c.device.destroy();
      continue;
    }
    if (check.passed) {
      const kind = c.software ? 'software adapter' : 'GPU';
      return { device: 'gpu', gpu: evaluator, why: `WebGPU ${kind} "${c.description}" (known-answer check passed: max error ${fmt(check)})` };
    }
    rejected.push(`"${c.description}" failed the known-answer check (${fmt(check)})`);
    c.device.destroy();
  }
  const reasons = [...notes, ...rejected].join('; ') || 'no adapter';
  if (setting === 'gpu') throw new DeviceError(`teacher.device is "gpu" but no WebGPU adapter qualifies: ${reasons}`);
  return { device: 'cpu', why: `CPU twin: no hardware GPU qualifies (${reasons})` };
}

/**
 * Starts `provider`'s probe for `setting` at once and returns a provider that hands back that probe: a
 * caller about to wait (for threads to start, say) lets the WebGPU package load meanwhile.
 */
export function probeNow(setting: DeviceSetting, provider: GpuProvider | undefined): GpuProvider | undefined {
  if (setting === 'cpu' || !provider) return provider;
  const started = provider(setting === 'gpu');
  started.catch(() => {}); // surfaces where chooseDevice awaits it
  return () => started;
}

export class DeviceError extends Error {
  override name = 'DeviceError';
}

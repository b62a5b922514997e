// A drawn teacher: the CPU twin in wasm, and the same parameters shaped for the GPU kernels.
import type { Config } from '../config/schema.js';
import type { Kernels, TeacherModel } from '../wasm/kernels.js';
import type { GpuTeacher } from './gpu.js';
import { parameterCount } from './wgsl.js';

export type TeacherSpec = Omit<Config['teacher'], 'device'>;

/** Draws `spec` for `seed` on the CPU (vetting included); `reference` standardizes a Fourier teacher. */
export function cpuModel(kernels: Kernels, spec: TeacherSpec, dimension: number, seed: number, reference?: Float32Array, ids?: Uint32Array): TeacherModel {
  return kernels.teacherModel({ ...spec, minNonlinearity: spec.minNonlinearity ?? null }, dimension, seed, reference, ids);
}

/** The model's parameters and shape as the WGSL kernel reads them. */
export function gpuTeacher(model: TeacherModel, spec: TeacherSpec, dimension: number, perPoint = false): GpuTeacher {
  const shape = { kind: spec.kind, dimension, depth: spec.depth, width: spec.width, terms: spec.terms };
  return { shape: { ...shape, stride: parameterCount(shape), perPoint }, parameters: model.parameters(), scale: spec.scale };
}

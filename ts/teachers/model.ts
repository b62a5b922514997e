// A drawn teacher: the CPU twin in wasm, and the same parameters shaped for the GPU kernels.
import type { Kernels, TeacherModel, TeacherSpec } from '../wasm/kernels.js';
import type { GpuTeacher } from './gpu.js';

export type { TeacherSpec };

/**
 * Draws `spec` for `seed` on the CPU (vetting included); a Fourier teacher is standardized by
 * `standardization` (offset then scale) when given, else by `reference`.
 */
export function cpuModel(kernels: Kernels, spec: TeacherSpec, dimension: number, seed: number, reference?: Float32Array, ids?: Uint32Array, standardization?: Float32Array): TeacherModel {
  return kernels.teacherModel(spec, dimension, seed, reference, ids, standardization);
}

/**
 * The model's parameters and shape as the WGSL kernels read them: the layout is the one Rust wrote the
 * parameters by, and the parameters must fill whole blocks of its stride (checked here, at run time).
 */
export function gpuTeacher(model: TeacherModel, spec: TeacherSpec, dimension: number, perPoint = false): GpuTeacher {
  const layout = model.layout();
  const parameters = model.parameters();
  if (layout.kind !== spec.kind || layout.stride <= 0 || parameters.length % layout.stride !== 0) {
    throw new Error(`the ${spec.kind} teacher's parameters (${parameters.length} floats) do not fit its ${layout.kind} layout (stride ${layout.stride})`);
  }
  return { shape: { kind: spec.kind, dimension, layout, perPoint }, parameters, scale: spec.scale };
}

// The teacher interface: every kind, on every device, labels row-major points with the function drawn
// from the seed. The CPU twin (wasm) draws the parameters; the GPU path evaluates those same numbers.
import type { Config } from '../config/schema.js';
import type { Kernels, TeacherDraw } from '../wasm/kernels.js';
import type { GpuEvaluator } from './gpu.js';
import { cpuModel, gpuTeacher } from './model.js';

/** What a results file records about a seed's teacher. */
export interface TeacherRecord extends TeacherDraw {
  kind: Config['teacher']['kind'];
  device: 'cpu' | 'gpu';
  /** How the device was chosen (set by the worker that ran the seed). */
  why?: string;
}

export interface Teacher {
  readonly kind: Config['teacher']['kind'];
  readonly device: 'cpu' | 'gpu';
  readonly record: TeacherRecord;
  /** One label per row of the row-major `[n, dimension]` points (per-cluster teachers: `ids` too). */
  label(points: Float32Array, ids?: Uint32Array): Promise<Float32Array>;
  free(): void;
}

export interface TeacherOptions {
  /** Points that standardize a Fourier teacher (the data set it labels). */
  reference?: Float32Array;
  /** Cluster ids present (per-cluster teachers are drawn for these). */
  ids?: Uint32Array;
  /** Evaluate on this GPU instead of the CPU twin. */
  gpu?: GpuEvaluator;
}

/** The teacher of `spec` for `seed` on points of `dimension` coordinates. */
export function createTeacher(spec: Config['teacher'], kernels: Kernels, dimension: number, seed: number, options: TeacherOptions = {}): Teacher {
  const perCluster = spec.perCluster;
  if (perCluster && !options.ids) throw new Error('per-cluster teachers need the cluster ids of the data');
  const model = cpuModel(kernels, spec, dimension, seed, options.reference, perCluster ? options.ids : undefined);
  const device = options.gpu ? 'gpu' : 'cpu';
  const record: TeacherRecord = { kind: spec.kind, device, ...model.record() };
  const gpu = options.gpu;
  const forGpu = gpu ? gpuTeacher(model, spec, dimension, perCluster) : undefined;
  return {
    kind: spec.kind,
    device,
    record,
    label: async (points, ids) => {
      if (perCluster && !ids) throw new Error('per-cluster teachers need the cluster id of every point');
      if (!gpu || !forGpu) return model.evaluate(points, perCluster ? ids : undefined);
      return gpu.label(forGpu, points, perCluster ? model.slots(ids!) : undefined);
    },
    free: () => model.free(),
  };
}

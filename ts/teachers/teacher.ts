// The teacher interface: every kind, on every device, labels row-major points with the function drawn
// from the seed. The CPU twin (wasm) draws the parameters; the GPU path evaluates those same numbers.
import type { Config } from '../config/schema.js';
import type { DataStream, Kernels, TeacherDraw } from '../wasm/kernels.js';
import { AGREEMENT_TOLERANCE, agreementError, DeviceError } from './device.js';
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
  /**
   * One label per row of the row-major `[n, dimension]` points (per-cluster teachers: `ids` too). When
   * `points` are the rows `filled.nextView` gave last, the CPU twin reads them in wasm memory instead,
   * and writes the labels into `into` when given (a buffer the caller reuses; the GPU returns new arrays).
   */
  label(points: Float32Array, ids?: Uint32Array, filled?: DataStream, into?: Float32Array): Promise<Float32Array>;
  free(): void;
}

export interface TeacherOptions {
  /** Points that standardize a Fourier teacher (the data set it labels). */
  reference?: Float32Array;
  /** A Fourier teacher's standardization, offset then scale (e.g. `kernels.streamStandardization`), instead of `reference`. */
  standardization?: Float32Array;
  /** Cluster ids present (per-cluster teachers are drawn for these). */
  ids?: Uint32Array;
  /**
   * Evaluate on this GPU instead of the CPU twin. The first labels are checked against the twin (as the
   * adapter's known-answer check, but for this teacher's own kernel and shape); on a mismatch a teacher
   * with `device: "gpu"` throws a DeviceError, any other falls back to the twin and records why.
   */
  gpu?: GpuEvaluator;
}

/** Rows of the first batch checked against the CPU twin. */
const CHECKED_ROWS = 256;

/** The teacher of `spec` for `seed` on points of `dimension` coordinates. */
export function createTeacher(spec: Config['teacher'], kernels: Kernels, dimension: number, seed: number, options: TeacherOptions = {}): Teacher {
  const perCluster = spec.perCluster;
  if (perCluster && !options.ids) throw new Error('per-cluster teachers need the cluster ids of the data');
  const model = cpuModel(kernels, spec, dimension, seed, options.reference, perCluster ? options.ids : undefined, options.standardization);
  const record: TeacherRecord = { kind: spec.kind, device: options.gpu ? 'gpu' : 'cpu', ...model.record() };
  let gpu = options.gpu;
  const forGpu = gpu ? gpuTeacher(model, spec, dimension, perCluster) : undefined;
  let checked = false;
  const teacher: Teacher = {
    kind: spec.kind,
    get device() {
      return record.device;
    },
    record,
    label: async (points, ids, filled, into) => {
      if (perCluster && !ids) throw new Error('per-cluster teachers need the cluster id of every point');
      const pointIds = perCluster ? ids : undefined;
      if (!gpu || !forGpu) return filled ? filled.labelFilled(model, into) : model.evaluate(points, pointIds);
      const labels = await gpu.label(forGpu, points, pointIds ? model.slots(pointIds) : undefined);
      if (!checked) {
        checked = true;
        const n = Math.min(CHECKED_ROWS, labels.length);
        const worst = agreementError(labels.subarray(0, n), model.evaluate(points.subarray(0, n * dimension), pointIds?.subarray(0, n)));
        if (worst > AGREEMENT_TOLERANCE) {
          const why = `the GPU's ${spec.kind} kernel for this teacher differs from the CPU twin by ${worst.toExponential(1)} on its first ${n} points`;
          if (spec.device === 'gpu') throw new DeviceError(`teacher.device is "gpu" but ${why}`);
          record.device = 'cpu';
          record.why = `CPU twin: ${why}`;
          gpu = undefined;
          return model.evaluate(points, pointIds);
        }
      }
      return labels;
    },
    free: () => model.free(),
  };
  return teacher;
}

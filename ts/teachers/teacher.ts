// The teacher interface: every kind (and every device that evaluates it) labels row-major points the
// same way. Parameters are drawn from the teacher stream of the seed, so any device gives one function.
import type { Config } from '../config/schema.js';
import type { Kernels } from '../wasm/kernels.js';

export interface Teacher {
  readonly kind: Config['teacher']['kind'];
  /** Where the labels are computed (`"cpu"` for the wasm kernels). */
  readonly device: 'cpu';
  /** One label per row of the row-major `[n, dimension]` points. */
  label(points: Float32Array, dimension: number): Float32Array;
}

/** The teacher of `config.teacher` for one seed; `index` selects among several teachers of a seed. */
export function createTeacher(spec: Config['teacher'], kernels: Kernels, seed: number, index = 0): Teacher {
  switch (spec.kind) {
    case 'linear':
      return { kind: 'linear', device: 'cpu', label: (points, dimension) => kernels.teacherLinear(points, dimension, seed, index) };
  }
}

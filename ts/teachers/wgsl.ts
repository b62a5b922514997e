// WGSL compute kernels of the teachers: the same operations in the same order as the CPU twin
// (crates/teachers), reading the twin's own f32 parameters. Linear and Fourier: one invocation per
// point; ReLU: one pass per layer, one invocation per (point, unit).
import type { TeacherLayout } from '../wasm/kernels.js';

/**
 * What a kernel needs to know of a teacher: its kind, dimension, and the layout of its parameters as
 * Rust wrote them (`TeacherModel.layout()`); the kernels read every parameter by the layout's offsets.
 */
export interface TeacherShape {
  kind: 'linear' | 'relu' | 'fourier';
  dimension: number;
  layout: TeacherLayout;
  /** Points carry a teacher slot each (per-cluster teachers: one block of `layout.stride` floats each). */
  perPoint: boolean;
}

export const WORKGROUP = 64;

function body(s: TeacherShape): string {
  const d = s.dimension;
  const l = s.layout;
  if (l.kind === 'linear') {
    return `
  var acc = 0.0;
  for (var i = 0u; i < ${d}u; i++) { acc = acc + params[base + ${l.weights}u + i] * points[row + i]; }
  return acc;`;
  }
  if (l.kind === 'fourier') {
    return `
  var sum = 0.0;
  for (var t = 0u; t < ${l.terms}u; t++) {
    let at = base + ${l.firstTerm}u + t * ${l.termStride}u;
    var turns = 0.0;
    for (var i = 0u; i < ${d}u; i++) {
      let z = (points[row + i] - params[base + ${l.offset}u + i]) * params[base + ${l.invScale}u + i];
      turns = turns + params[at + ${l.frequencies}u + i] * z;
    }
    turns = turns + params[at + ${l.phase}u];
    sum = sum + params[at + ${l.amplitude}u] * cos_turns(turns - round(turns));
  }
  return sum * u.scale;`;
  }
  throw new Error('ReLU teachers run layer by layer: see mlpLayerShader');
}

// cos(2 pi r) for r in [-1/2, 1/2] turns by a Taylor polynomial on [0, pi/2] (truncation < 1e-10) and
// symmetry: WGSL's cos is only as accurate as the device makes it (SwiftShader's is off by ~3e-4).
const COS_TURNS = `
fn cos_quarter(x: f32) -> f32 {
  let x2 = x * x;
  return 1.0 + x2 * (-0.5 + x2 * (0.041666668 + x2 * (-0.0013888889 + x2 * (0.000024801587 + x2 * (-2.7557319e-7 + x2 * (2.0876757e-9 + x2 * -1.1470746e-11))))));
}
fn cos_turns(r: f32) -> f32 {
  let a = abs(r);
  if (a <= 0.25) { return cos_quarter(6.2831855 * a); }
  return -cos_quarter(6.2831855 * (0.5 - a));
}
`;

/**
 * One affine layer of a ReLU teacher for a batch of points, one invocation per (point, unit):
 * `output[p][j] = act(sum_i input[p][i] w_ij + b_j) * scale`, the sum in input order as on the CPU. Layers
 * run as separate passes through activation buffers, so no invocation holds a layer in private memory
 * (large private arrays were miscomputed on llvmpipe) and every unit of a wide layer runs in parallel.
 */
export function mlpLayerShader(perPoint: boolean): string {
  return `
struct Layer { rows: u32, fanIn: u32, fanOut: u32, weights: u32, stride: u32, relu: u32, scale: f32, biases: u32 }
@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<uniform> u: Layer;
${perPoint ? '@group(0) @binding(4) var<storage, read> slots: array<u32>;' : ''}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * ${WORKGROUP}u;
  if (index >= u.rows * u.fanOut) { return; }
  let p = index / u.fanOut;
  let j = index % u.fanOut;
  let block = ${perPoint ? 'slots[p] * u.stride' : '0u'};
  var acc = 0.0;
  for (var i = 0u; i < u.fanIn; i++) { acc = acc + input[p * u.fanIn + i] * params[block + u.weights + i * u.fanOut + j]; }
  var z = acc + params[block + u.biases + j];
  if (u.relu == 1u) { z = select(0.0, z, z > 0.0); }
  output[index] = z * u.scale;
}
`;
}

/** The kernel for `shape` (linear, Fourier): bindings 0 points, 1 parameters, 2 labels, 3 uniforms, (4 slots). */
export function teacherShader(s: TeacherShape): string {
  return `
struct Uniforms { rows: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> points: array<f32>;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> labels: array<f32>;
@group(0) @binding(3) var<uniform> u: Uniforms;
${s.perPoint ? '@group(0) @binding(4) var<storage, read> slots: array<u32>;' : ''}

${s.kind === 'fourier' ? COS_TURNS : ''}
fn teacher(row: u32, base: u32) -> f32 {${body(s)}
}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = id.x + id.y * groups.x * ${WORKGROUP}u;
  if (p >= u.rows) { return; }
  let base = ${s.perPoint ? `slots[p] * ${s.layout.stride}u` : '0u'};
  labels[p] = teacher(p * ${s.dimension}u, base);
}
`;
}

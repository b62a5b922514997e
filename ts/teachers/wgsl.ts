// WGSL compute kernels of the teachers: one invocation per point, the same operations in the same
// order as the CPU twin (crates/teachers), reading the twin's own f32 parameters.

/** What a kernel needs to know of a teacher; `stride` is the float count of one teacher's parameters. */
export interface TeacherShape {
  kind: 'linear' | 'relu' | 'fourier';
  dimension: number;
  depth: number;
  width: number;
  terms: number;
  /** Parameters per teacher (per-cluster models hold one block per cluster). */
  stride: number;
  /** Points carry a teacher slot each (per-cluster teachers). */
  perPoint: boolean;
}

export const WORKGROUP = 64;

/** The floats of one teacher's parameters in the twin's layout. */
export function parameterCount(s: Omit<TeacherShape, 'stride' | 'perPoint'>): number {
  const d = s.dimension;
  if (s.kind === 'linear') return d;
  if (s.kind === 'fourier') return 2 * d + s.terms * (d + 2);
  const h = s.width;
  return d * h + h + (s.depth - 1) * (h * h + h) + h + 1;
}

function body(s: TeacherShape): string {
  const d = s.dimension;
  if (s.kind === 'linear') {
    return `
  var acc = 0.0;
  for (var i = 0u; i < ${d}u; i++) { acc = acc + params[base + i] * points[row + i]; }
  return acc;`;
  }
  if (s.kind === 'fourier') {
    return `
  var z: array<f32, ${d}>;
  for (var i = 0u; i < ${d}u; i++) { z[i] = (points[row + i] - params[base + i]) * params[base + ${d}u + i]; }
  var sum = 0.0;
  for (var t = 0u; t < ${s.terms}u; t++) {
    let at = base + ${2 * d}u + t * ${d + 2}u;
    var turns = 0.0;
    for (var i = 0u; i < ${d}u; i++) { turns = turns + params[at + i] * z[i]; }
    turns = turns + params[at + ${d + 1}u];
    sum = sum + params[at + ${d}u] * cos_turns(turns - round(turns));
  }
  return sum * u.scale;`;
  }
  const h = s.width;
  return `
  var act: array<array<f32, ${h}>, 2>;
  for (var j = 0u; j < ${h}u; j++) {
    var acc = 0.0;
    for (var i = 0u; i < ${d}u; i++) { acc = acc + points[row + i] * params[base + i * ${h}u + j]; }
    act[0][j] = max(acc + params[base + ${d * h}u + j], 0.0);
  }
  var at = base + ${d * h + h}u;
  for (var l = 1u; l < ${s.depth}u; l++) {
    let src = (l - 1u) % 2u;
    for (var j = 0u; j < ${h}u; j++) {
      var acc = 0.0;
      for (var i = 0u; i < ${h}u; i++) { acc = acc + act[src][i] * params[at + i * ${h}u + j]; }
      act[1u - src][j] = max(acc + params[at + ${h * h}u + j], 0.0);
    }
    at = at + ${h * h + h}u;
  }
  let last = (${s.depth}u - 1u) % 2u;
  var acc = 0.0;
  for (var i = 0u; i < ${h}u; i++) { acc = acc + act[last][i] * params[at + i]; }
  return (acc + params[at + ${h}u]) * u.scale;`;
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

/** The kernel for `shape`: bindings 0 points, 1 parameters, 2 labels, 3 uniforms, (4 slots). */
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
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let p = id.x;
  if (p >= u.rows) { return; }
  let base = ${s.perPoint ? `slots[p] * ${s.stride}u` : '0u'};
  labels[p] = teacher(p * ${s.dimension}u, base);
}
`;
}

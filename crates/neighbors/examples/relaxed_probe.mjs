// Can the quantized scan use relaxed SIMD on this Node, and would it pay? Writes
// bench/results/neighbors-relaxed-probe.json:
//   node crates/neighbors/examples/relaxed_probe.mjs
// 1. Whether a module using `i32x4.relaxed_dot_i8x16_i7x16_add_s` validates before and after
//    `v8.setFlagsFromString('--experimental-wasm-relaxed-simd')`, and in a worker started afterwards.
// 2. Multiply-adds per second of two loops shaped like the quantized tile (per step: 2 panel loads, 4 row
//    splats, 8 accumulators): `i32x4.dot_i16x8_s` + `i32x4.add` (8 multiply-adds each, what we ship) and
//    the relaxed i8 dot with accumulate (16 each). One thread, best of `REPEATS` after a warm-up.
// The module is assembled here byte by byte (the installed wat2wasm predates relaxed SIMD).
import { writeFileSync, renameSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';

const REPEATS = 9;
const STEPS = 50_000_000;

const leb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const section = (id, body) => [id, ...leb(body.length), ...body];
const vec = (items) => [...leb(items.length), ...items.flat()];
const name = (s) => [...leb(s.length), ...Buffer.from(s)];
const simd = (op) => [0xfd, ...leb(op)];
const get = (i) => [0x20, i];
const set = (i) => [0x21, i];

// Locals: 0 = steps * 32 (param), 1..8 accumulators, 9 and 10 panel vectors, 11 the row splat, 12 the offset.
function body(relaxed) {
  const code = [0x03, 0x40]; // loop
  const addr = [...get(12), 0x41, 0xff, 0x1f, 0x71]; // p & 4095 (i32.const takes a signed LEB128)
  code.push(...addr, ...simd(0x00), 0, 0, ...set(9));
  code.push(...addr, ...simd(0x00), 0, 16, ...set(10));
  for (let r = 0; r < 4; r++) {
    code.push(...addr, ...simd(0x09), 0, ...leb(8192 + 4 * r), ...set(11));
    for (let j = 0; j < 2; j++) {
      const acc = 1 + 2 * r + j;
      if (relaxed) code.push(...get(11), ...get(9 + j), ...get(acc), ...simd(0x113), ...set(acc));
      else code.push(...get(11), ...get(9 + j), ...simd(0xba), ...get(acc), ...simd(0xae), ...set(acc));
    }
  }
  code.push(...get(12), 0x41, 32, 0x6a, ...set(12), ...get(12), ...get(0), 0x49, 0x0d, 0, 0x0b);
  code.push(...get(1));
  for (let a = 2; a <= 8; a++) code.push(...get(a), ...simd(0xae));
  code.push(...simd(0x1b), 0, 0x0b);
  const locals = vec([[11, 0x7b], [1, 0x7f]]);
  return [...leb(locals.length + code.length), ...locals, ...code];
}

function module() {
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 1, 0x7f, 1, 0x7f]])),
    ...section(3, vec([[0], [0]])),
    ...section(5, vec([[0, 1]])),
    ...section(7, vec([[...name('mem'), 2, 0], [...name('i16'), 0, 0], [...name('i8'), 0, 1]])),
    ...section(10, [...leb(2), ...body(false), ...body(true)]),
  ]);
}

const bytes = module();
const validBefore = WebAssembly.validate(bytes);
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const validAfter = WebAssembly.validate(bytes);
const validInWorker = await new Promise((resolve, reject) => {
  const w = new Worker('const { parentPort, workerData } = require("node:worker_threads"); parentPort.postMessage(WebAssembly.validate(workerData));', { eval: true, workerData: bytes });
  w.once('message', (m) => { resolve(m); w.terminate(); });
  w.once('error', reject);
});

const loops = {};
if (validAfter) {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  // Small values (the relaxed dot's second operand must stay within 0..127).
  new Uint8Array(exports.mem.buffer, 0, 16384).forEach((_, i, a) => { a[i] = (i * 37) % 100; });
  const kinds = [['i16', 64], ['i8', 128]];
  for (const [fn] of kinds) for (let w = 0; w < 3; w++) exports[fn](32 * 1_000_000);
  // Alternating, so that both see the same moments of a shared machine.
  const best = { i16: Infinity, i8: Infinity };
  for (let r = 0; r < REPEATS; r++) {
    for (const [fn] of kinds) {
      const t = process.cpuUsage();
      exports[fn](32 * STEPS);
      const u = process.cpuUsage(t);
      best[fn] = Math.min(best[fn], (u.user + u.system) / 1e6);
    }
  }
  for (const [fn, macsPerStep] of kinds) loops[fn] = { seconds: best[fn], gmacPerSecond: (macsPerStep * STEPS) / best[fn] / 1e9 };
}
const result = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, v8: process.versions.v8 },
  loadAverage: loadavg(),
  note: 'one thread, CPU seconds, best of repeats; i16 = i32x4.dot_i16x8_s + i32x4.add (shipped), i8 = i32x4.relaxed_dot_i8x16_i7x16_add_s',
  validBefore,
  validAfter,
  validInWorker,
  loops,
  relaxedOverI16: loops.i8 ? loops.i8.gmacPerSecond / loops.i16.gmacPerSecond : null,
};
const file = 'bench/results/neighbors-relaxed-probe.json';
writeFileSync(`${file}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
renameSync(`${file}.tmp`, file);
process.stdout.write(`${JSON.stringify(result)}\n`);

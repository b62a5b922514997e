import { cpus, totalmem } from 'node:os';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { version } from '../../../dist/node/index.js';

export function machine() {
  return { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version };
}

/** Writes bench/results/NAME.json atomically, stamped with the version and date. */
export function writeResult(name, body) {
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${name}.json`;
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ percolab: version, date: new Date().toISOString(), ...body }, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  process.stderr.write(`wrote ${file}\n`);
}

/** The median (the mean of the two middle values for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
}

/** A small seeded uniform generator (mulberry32) for benchmark and cross-check data. */
export function mulberry(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * This process's peak RSS in MiB (VmHWM). Not getrusage's maxRSS: on Linux that survives exec, so a
 * child would inherit the peak of the (large) benchmark driver that forked it.
 */
export function peakRssMiB() {
  return Number(/VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
}

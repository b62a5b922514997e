// What `percolab superposition` and the lab page share: the flags' parsers (so both say the same for the
// same text) and the JSON the CLI prints.
import { intAtLeast, nonNegativeInt, positiveInt, positiveNumber } from '../option-parsers.js';
import { checkShape, type SuperpositionResult } from './analysis.js';

export const superpositionFlags = {
  n: intAtLeast('--n', 2, 65536),
  m: positiveInt('--m'),
  p: positiveNumber('--p', 1),
  seed: nonNegativeInt('--seed'),
  steps: positiveInt('--steps'),
};

/** The flags as typed (e.g. in the lab's form), parsed and checked as the CLI does; throws its UsageError. */
export function parseSuperpositionFlags(text: { n: string; m: string; p: string; seed: string }): { n: number; m: number; p: number; seed: number } {
  const shape = { n: superpositionFlags.n(text.n), m: superpositionFlags.m(text.m), p: superpositionFlags.p(text.p), seed: superpositionFlags.seed(text.seed) };
  checkShape(shape.n, shape.m, shape.p);
  return shape;
}

/** `--json`'s object: the result without the W blocks (they are for the report). */
export function superpositionJson(result: SuperpositionResult) {
  const { w: _w, trained, ...rest } = result;
  return { ...rest, ...(trained ? { trained: { loss: trained.loss, steps: trained.steps, biasMean: trained.biasMean, windowLosses: trained.windowLosses } } : {}) };
}

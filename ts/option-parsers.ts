// Commander parsers for numeric options, without Node imports: the lab page checks its forms with them, so
// it says what the CLI says for the same value.
import { UsageError } from './errors.js';

/**
 * A commander parser for an integer option in [`min`, `max`] (at most 2^53 - 1) that fails with a usage error
 * naming the option and the value as given.
 */
export function intAtLeast(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const tooLarge = max < Number.MAX_SAFE_INTEGER || (Number.isFinite(n) && n > max);
      throw new UsageError(`${name} = ${JSON.stringify(value)}: expected an integer >= ${min}${tooLarge ? ` and <= ${max}` : ''}`);
    }
    return n;
  };
}

/** A commander parser for an integer option >= 1. */
export const positiveInt = (name: string) => intAtLeast(name, 1);

/** A commander parser for an integer option >= 0 (seeds, row indices). */
export const nonNegativeInt = (name: string) => intAtLeast(name, 0);

/** A commander parser for a number in (0, max]. */
export function positiveNumber(name: string, max = Infinity) {
  return (value: string) => {
    const x = value.trim() === '' ? NaN : Number(value);
    if (!(x > 0 && x <= max)) throw new UsageError(`${name} = ${JSON.stringify(value)}: expected a number in (0, ${max === Infinity ? 'infinity)' : `${max}]`}`);
    return x;
  };
}

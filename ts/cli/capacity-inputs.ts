// Reading `percolab capacity`'s input files (the checks are ts/capacity/inputs.ts, shared with the lab page).
import { parseCapacityInputs, type CapacityInputs } from '../capacity/inputs.js';
import { readInput } from './options.js';

export type { CapacityInputs } from '../capacity/inputs.js';

/** Both files, checked against each other (one id per point). */
export function readCapacityInputs(pointsPath: string, idsPath: string): CapacityInputs {
  return parseCapacityInputs({ bytes: readInput(pointsPath, 'points file'), name: pointsPath }, { bytes: readInput(idsPath, 'ids file'), name: idsPath });
}

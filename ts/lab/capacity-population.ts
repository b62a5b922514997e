// A population of equal clusters to measure (the lab's "generated population"): the same points and ids as
// `percolab generate` writes for the config below, so `percolab capacity` on those files gives the same numbers.
import { resolveConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { readRows } from '../experiment/cell.js';
import type { Kernels } from '../wasm/kernels.js';

export interface PopulationShape {
  clusters: number;
  /** Points in every cluster. */
  points: number;
  dimension: number;
}

/** The config's `--set` overrides (as `percolab generate` takes them) for the shape. */
export const populationSets = (s: PopulationShape): Record<string, number | string> => ({
  'data.kind': 'population',
  'data.clusters': s.clusters,
  'data.minClusterSize': s.points,
  'data.maxClusterSize': s.points,
  'data.dimension': s.dimension,
});

/** Most points the capacity kernel takes in all (crates/capacity's MAX_POINTS): larger populations are refused before they are made. */
export const MAX_CAPACITY_POINTS = 8192;

/** The population's data section, validated as `percolab generate` validates its config. */
export function populationData(shape: PopulationShape): Config['data'] {
  const total = shape.clusters * shape.points;
  if (total > MAX_CAPACITY_POINTS) throw new UsageError(`${shape.clusters} clusters of ${shape.points} points: ${total} points in all, more than ${MAX_CAPACITY_POINTS} (the capacity kernel's limit)`);
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(populationSets(shape))) data[key.slice('data.'.length)] = value;
  return resolveConfig({ data }).data;
}

/** Every point of the seed's population, with its cluster id. */
export function populationPoints(kernels: Kernels, data: Config['data'], seed: number): { points: Float32Array; ids: Uint32Array } {
  using stream = kernels.dataStream(data, seed);
  const ids = new Uint32Array(stream.length);
  return { points: readRows(stream, stream.length, ids), ids };
}

// A cell's name from its swept values; apart from sweep.ts (node:crypto) so the lab page can use it.
export const describeCell = (values: Record<string, unknown>): string =>
  Object.entries(values).map(([p, v]) => `${p}=${JSON.stringify(v)}`).join(' ');

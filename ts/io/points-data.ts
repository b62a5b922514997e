// What a points file holds once read (`data.kind = "file"`), shared by the Node reader (points-file.ts) and
// the experiment (browser-safe: no imports).

/** A points file as read: row-major `[rows, cols]` float32 points, and its labels when it has them. */
export interface PointsFileData {
  points: Float32Array;
  labels?: Float32Array;
  rows: number;
  cols: number;
}

/** Where a file's labels would be: the `.labels.npy` beside a `.npy` file, or a table's `y` column. */
export const labelsWhere = (path: string): string => (path.endsWith('.npy') ? `no ${path.slice(0, -4)}.labels.npy beside it` : 'no column y');

// Arrow IPC files (Feather v2) of points: columns `x` (fixed-size list of d float32), `y` (the label,
// float32) and, for populations, `cluster` (uint32); the record (config, seed, version) as the schema's
// `percolab` metadata. pyarrow reads them with `pyarrow.ipc.open_file` or `pyarrow.feather.read_table`.
import { Field, FixedSizeList, Float32, makeData, RecordBatch, RecordBatchFileWriter, Schema, Struct, type Table, tableFromIPC, Uint32 } from 'apache-arrow';

export function pointsSchema(d: number, withIds: boolean, record: string): Schema {
  const fields: Field[] = [new Field('x', new FixedSizeList(d, new Field('item', new Float32(), false)), false), new Field('y', new Float32(), false)];
  if (withIds) fields.push(new Field('cluster', new Uint32(), false));
  return new Schema(fields, new Map([['percolab', record]]));
}

/** One record batch of `rows` points. */
export function pointsBatch(schema: Schema, points: Float32Array, labels: Float32Array, ids?: Uint32Array): RecordBatch {
  const rows = labels.length;
  const listType = schema.fields[0]!.type as FixedSizeList;
  const children = [
    makeData({ type: listType, length: rows, nullCount: 0, child: makeData({ type: new Float32(), length: points.length, data: points }) }),
    makeData({ type: new Float32(), length: rows, data: labels }),
    ...(ids ? [makeData({ type: new Uint32(), length: rows, data: ids })] : []),
  ];
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }));
}

/**
 * A streaming Arrow IPC file writer: `write` batches, then `finish()`. Bytes go to `sink` as the writer
 * produces them, so memory holds about one batch. If the sink throws (a full disk), the next `write` or
 * `finish` rejects with its error (never an unhandled rejection) and the writer stops.
 */
export function arrowFileWriter(schema: Schema, sink: (bytes: Uint8Array) => void) {
  const writer = new RecordBatchFileWriter();
  writer.reset(undefined, schema);
  let failed: { error: unknown } | undefined;
  const drained = (async () => {
    for await (const bytes of writer) sink(bytes);
  })().catch((error: unknown) => {
    failed = { error };
  });
  const check = () => {
    if (failed) throw failed.error;
  };
  return {
    async write(batch: RecordBatch) {
      check();
      writer.write(batch);
      await new Promise((resolve) => setImmediate(resolve)); // let the sink take the bytes
      check();
    },
    async finish() {
      check();
      writer.finish();
      await drained;
      check();
    },
  };
}

export interface PointsFile {
  points: Float32Array;
  labels: Float32Array;
  ids?: Uint32Array;
  dimension: number;
  record: unknown;
}

/** Reads an Arrow IPC points file written by `percolab generate` (whole, into memory). */
export function readArrowPoints(bytes: Uint8Array): PointsFile {
  return pointsFromTable(tableFromIPC(bytes));
}

/** The columns of a points table as flat arrays. */
export function pointsFromTable(table: Table): PointsFile {
  const d = (table.schema.fields[0]!.type as FixedSizeList).listSize;
  const rows = table.numRows;
  const points = new Float32Array(rows * d);
  const labels = new Float32Array(rows);
  const ids = table.getChild('cluster') ? new Uint32Array(rows) : undefined;
  let at = 0;
  for (const batch of table.batches) {
    const x = batch.getChildAt(0)!.data[0]!.children[0]!.values as Float32Array;
    points.set(x.subarray(0, batch.numRows * d), at * d);
    labels.set(batch.getChildAt(1)!.data[0]!.values as Float32Array, at);
    if (ids) ids.set(batch.getChildAt(2)!.data[0]!.values as Uint32Array, at);
    at += batch.numRows;
  }
  const meta = table.schema.metadata.get('percolab');
  return { points, labels, ...(ids ? { ids } : {}), dimension: d, record: meta ? JSON.parse(meta) : undefined };
}

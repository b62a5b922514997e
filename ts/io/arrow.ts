// Arrow IPC files (Feather v2) of points: columns `x` (fixed-size list of d float32), `y` (the label,
// float32) and, for populations, `cluster` (uint32); the record (config, seed, version) as the schema's
// `percolab` metadata. pyarrow reads them with `pyarrow.ipc.open_file` or `pyarrow.feather.read_table`.
import { DataType, Field, FixedSizeList, Float32, makeData, Precision, RecordBatch, RecordBatchFileWriter, RecordBatchReader, Schema, Struct, Table, tableFromIPC, Uint32 } from 'apache-arrow';
import { UsageError } from '../errors.js';
import { checkIpcStructure } from './arrow-check.js';
import type { JsonValue } from '../json.js';

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
  /** The file's `percolab` schema metadata, parsed (what `percolab generate` wrote: config, seed, version); undefined if absent. */
  record: JsonValue | undefined;
}

/** An error's message on one line, for a usage error that quotes it. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line || 'no detail';
}

/**
 * Reads an Arrow IPC points file written by `percolab generate` (whole, into memory). Bytes that are not
 * such a file are a UsageError naming `source`, never an error from inside the Arrow decoder.
 */
export function readArrowPoints(bytes: Uint8Array, source = 'Arrow file'): PointsFile {
  let table: Table;
  try {
    table = readIpcTable(bytes);
  } catch (error) {
    throw new UsageError(`${source}: not a readable Arrow IPC file (${oneLine(error)})`);
  }
  return pointsFromTable(table, source);
}

/**
 * IPC bytes checked for structure first (`checkIpcStructure`), then a file's record batches read one by
 * one through its footer, so a block whose message is not a record batch is an error: apache-arrow
 * 21.2.0's sequential reader retries such a block forever. Streams (no footer) are read in order.
 */
export function readIpcTable(bytes: Uint8Array): Table {
  checkIpcStructure(bytes);
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  if (!reader.isFile()) return tableFromIPC(bytes);
  const batches: RecordBatch[] = [];
  for (let i = 0; i < reader.numRecordBatches; i++) {
    const batch = reader.readRecordBatch(i);
    if (!batch) throw new Error(`record batch ${i + 1} of ${reader.numRecordBatches} is not where the footer says`);
    batches.push(batch);
  }
  return new Table(reader.schema, batches);
}

const isFloat32 = (t: DataType | undefined) => t !== undefined && DataType.isFloat(t) && t.precision === Precision.SINGLE;
const isUint32 = (t: DataType | undefined) => t !== undefined && DataType.isInt(t) && t.bitWidth === 32 && !t.isSigned;

/** The columns of a points table as flat arrays; a table of any other layout is a UsageError. */
export function pointsFromTable(table: Table, source = 'points file'): PointsFile {
  const bad = (why: string) => new UsageError(`${source}: ${why}`);
  const [xField, yField, idField] = table.schema.fields;
  const xType = xField?.type;
  if (xField?.name !== 'x' || !DataType.isFixedSizeList(xType) || !isFloat32(xType.children[0]?.type) || !(xType.listSize >= 1)) {
    throw bad('not a percolab points table (expected a first column x: fixed-size list of float32)');
  }
  if (yField?.name !== 'y' || !isFloat32(yField.type)) throw bad('not a percolab points table (expected a second column y: float32)');
  if (idField && (idField.name !== 'cluster' || !isUint32(idField.type) || table.schema.fields.length > 3)) {
    throw bad('not a percolab points table (expected at most a third column cluster: uint32)');
  }
  const d = xType.listSize;
  const rows = table.numRows;
  try {
    const points = new Float32Array(rows * d);
    const labels = new Float32Array(rows);
    const ids = idField ? new Uint32Array(rows) : undefined;
    let at = 0;
    for (const batch of table.batches) {
      const n = batch.numRows;
      const columns = [batch.getChildAt(0)?.data, batch.getChildAt(1)?.data, idField ? batch.getChildAt(2)?.data : []];
      if (columns.some((c) => c === undefined || c.length !== (c === columns[2] && !idField ? 0 : 1))) throw bad('a record batch does not hold one chunk per column');
      const x = columns[0]![0]!.children[0]?.values as Float32Array | undefined;
      const y = columns[1]![0]!.values as Float32Array;
      const c = idField ? (columns[2]![0]!.values as Uint32Array) : undefined;
      if (!x || x.length < n * d || y.length < n || (c && c.length < n) || at + n > rows) throw bad(`a record batch of ${n} rows holds fewer values than its columns need`);
      if (columns.some((col) => col!.some((data) => data.nullCount !== 0 || data.offset !== 0))) throw bad('a record batch has nulls or offsets; expected plain columns');
      points.set(x.subarray(0, n * d), at * d);
      labels.set(y.subarray(0, n), at);
      if (ids && c) ids.set(c.subarray(0, n), at);
      at += n;
    }
    const meta = table.schema.metadata.get('percolab');
    let record: JsonValue | undefined;
    if (meta !== undefined) {
      try {
        record = JSON.parse(meta) as JsonValue;
      } catch {
        throw bad('its percolab metadata is not JSON');
      }
    }
    return { points, labels, ...(ids ? { ids } : {}), dimension: d, record };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw bad(`not a readable points table (${oneLine(error)})`);
  }
}

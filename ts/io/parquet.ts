// Parquet files of points (through parquet-wasm, Apache Arrow's Rust writer): the same columns and record
// as the Arrow IPC files (`x` fixed-size list of d float32, `y`, `cluster` for populations; the record as
// the schema's `percolab` metadata), streamed batch by batch into row groups. pyarrow reads them with
// `pyarrow.parquet.read_table`. Node only.
import { type RecordBatch, Table, tableFromIPC, tableToIPC, type Schema } from 'apache-arrow';
import { createRequire } from 'node:module';
import type * as ParquetWasm from 'parquet-wasm/node';
import { UsageError } from '../errors.js';
import { oneLine, pointsFromTable, type PointsFile } from './arrow.js';

/** Rows per row group: about 64 MiB of data, at least 2^14 rows. */
// Loaded on first use, so that code which never touches Parquet (the run bundles that `percolab verify`
// re-runs without node_modules) loads without parquet-wasm.
let loaded: typeof ParquetWasm | undefined;
export const parquet = (): typeof ParquetWasm => (loaded ??= createRequire(import.meta.url)('parquet-wasm/node') as typeof ParquetWasm);

export const rowGroupRows = (d: number) => Math.max(1 << 14, Math.floor((64 * 2 ** 20) / (4 * (d + 2))));

/**
 * Writes `batches` (all of `schema`) as one Parquet file, handing the bytes to `sink` as they are
 * encoded: memory holds one row group, whatever the number of batches.
 */
export async function writeParquetStream(schema: Schema, batches: AsyncIterable<RecordBatch>, sink: (bytes: Uint8Array) => void): Promise<void> {
  const d = (schema.fields[0]!.type as { listSize: number }).listSize;
  async function* converted() {
    for await (const batch of batches) {
      // Arrow JS to arrow-rs through the IPC stream format (a copy of one batch).
      const table = parquet().Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
      const converted = table.recordBatch(0)!;
      table.free(); // wasm-owned: without this every batch would stay in parquet-wasm's memory
      yield converted;
    }
  }
  // Random floats gain nothing from dictionaries, which only cost time; plain encoding, no compression.
  const props = new (parquet().WriterPropertiesBuilder)()
    .setMaxRowGroupSize(rowGroupRows(d))
    .setDictionaryEnabled(false)
    .setCompression(parquet().Compression.UNCOMPRESSED)
    .setCreatedBy('percolab')
    .build();
  const it = converted();
  // Pulled one batch at a time (no read-ahead), so the writer holds at most its current row group.
  const source = new ReadableStream<ParquetWasm.RecordBatch>(
    {
      async pull(controller) {
        const next = await it.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    },
    { highWaterMark: 0 },
  );
  const bytes = await parquet().transformParquetStream(source, props);
  for await (const chunk of bytes as unknown as AsyncIterable<Uint8Array>) sink(chunk);
}

/**
 * Reads a Parquet points file written by `percolab generate` (whole, into memory). Bytes that are not
 * such a file are a UsageError naming `source`, never an error from inside parquet-wasm or Arrow.
 */
export function readParquetPoints(bytes: Uint8Array, source = 'Parquet file'): PointsFile {
  let table: Table;
  try {
    table = tableFromIPC(parquet().readParquet(bytes).intoIPCStream());
  } catch (error) {
    throw new UsageError(`${source}: not a readable Parquet file (${oneLine(error)})`);
  }
  return pointsFromTable(table, source);
}

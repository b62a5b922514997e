// A structural check of Arrow IPC bytes before apache-arrow decodes them. Its decoder trusts every
// flatbuffer vector length, so one flipped byte can make it loop for billions of steps (a schema's custom
// metadata, a footer's record batch count) synchronously, where no timeout reaches. Here every vector
// length is bounded by the bytes that could hold it, every block and message lies inside the file, and a
// visit never takes more steps than the file has bytes.
import { Footer } from 'apache-arrow/fb/footer';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { DictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Schema } from 'apache-arrow/fb/schema';
import type { Field } from 'apache-arrow/fb/field';
import { ByteBuffer } from 'flatbuffers';

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"
/** Bytes per element of the vectors checked: table offsets, Block and FieldNode/Buffer structs, longs. */
const OFFSET = 4;
const BLOCK = 24;
const NODE = 16;
const LONG = 8;
/** Nesting of fields beyond any real schema (and a guard against cyclic offsets). */
const MAX_DEPTH = 64;

/** Throws an Error saying what is malformed; returns when apache-arrow can decode the bytes in bounded time. */
export function checkIpcStructure(bytes: Uint8Array): void {
  const size = bytes.length;
  const isFile = size >= 8 && MAGIC.every((b, i) => bytes[i] === b);
  if (!isFile) {
    for (let at = 0; at < size; ) at = checkMessageAt(bytes, at);
    return;
  }
  if (size < 18 || !MAGIC.every((b, i) => bytes[size - 6 + i] === b)) throw new Error('an Arrow file that does not end with ARROW1');
  const footerLength = new DataView(bytes.buffer, bytes.byteOffset + size - 10, 4).getInt32(0, true);
  const footerStart = size - 10 - footerLength;
  if (footerLength <= 0 || footerStart < 8) throw new Error(`a footer length (${footerLength}) that does not fit the file`);
  const footerBytes = bytes.subarray(footerStart, size - 10);
  const footer = Footer.getRootAsFooter(new ByteBuffer(footerBytes));
  bounded(footer.recordBatchesLength(), BLOCK, footerBytes.length, 'record batch blocks');
  bounded(footer.dictionariesLength(), BLOCK, footerBytes.length, 'dictionary blocks');
  bounded(footer.customMetadataLength(), OFFSET, footerBytes.length, 'footer metadata entries');
  const schema = footer.schema();
  if (!schema) throw new Error('a footer without a schema');
  checkSchema(schema, footerBytes.length);
  const blocks = [...indices(footer.dictionariesLength()).map((i) => footer.dictionaries(i)), ...indices(footer.recordBatchesLength()).map((i) => footer.recordBatches(i))];
  for (const block of blocks) {
    const offset = Number(block?.offset() ?? -1);
    const end = offset + (block?.metaDataLength() ?? 0) + Number(block?.bodyLength() ?? 0);
    if (!block || !(offset >= 8 && end <= footerStart)) throw new Error('a block that does not lie between the magic and the footer');
    checkMessageAt(bytes, offset);
  }
}

const indices = (n: number) => Array.from({ length: n }, (_, i) => i);

function bounded(length: number, bytesPerElement: number, available: number, what: string) {
  if (!(length >= 0 && length * bytesPerElement <= available)) throw new Error(`${length} ${what} in ${available} bytes`);
}

/** Checks the encapsulated message at `at` (continuation marker, length, flatbuffer, body); returns where the next one starts. */
function checkMessageAt(bytes: Uint8Array, at: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (at + 4 > bytes.length) throw new Error(`a message header cut short at byte ${at}`);
  let length = view.getInt32(at, true);
  let start = at + 4;
  if (length === -1) {
    if (at + 8 > bytes.length) throw new Error(`a message header cut short at byte ${at}`);
    length = view.getInt32(at + 4, true);
    start = at + 8;
  }
  if (length === 0) return bytes.length; // end of stream
  if (!(length > 0 && start + length <= bytes.length)) throw new Error(`a message length (${length}) that does not fit at byte ${at}`);
  const metadata = bytes.subarray(start, start + length);
  const message = Message.getRootAsMessage(new ByteBuffer(metadata));
  bounded(message.customMetadataLength(), OFFSET, metadata.length, 'message metadata entries');
  const body = Number(message.bodyLength());
  if (!(body >= 0 && start + length + body <= bytes.length)) throw new Error(`a message body (${body} bytes) that does not fit at byte ${at}`);
  const type = message.headerType();
  if (type === MessageHeader.Schema) checkSchema(message.header(new Schema()) as Schema, metadata.length);
  else if (type === MessageHeader.RecordBatch) checkRecordBatch(message.header(new RecordBatch()) as RecordBatch, metadata.length);
  else if (type === MessageHeader.DictionaryBatch) {
    const data = (message.header(new DictionaryBatch()) as DictionaryBatch).data();
    if (data) checkRecordBatch(data, metadata.length);
  }
  return start + length + body;
}

function checkRecordBatch(batch: RecordBatch, available: number) {
  bounded(batch.nodesLength(), NODE, available, 'field nodes');
  bounded(batch.buffersLength(), NODE, available, 'buffers');
  bounded(batch.variadicBufferCountsLength(), LONG, available, 'variadic buffer counts');
}

function checkSchema(schema: Schema, available: number) {
  bounded(schema.fieldsLength(), OFFSET, available, 'fields');
  bounded(schema.customMetadataLength(), OFFSET, available, 'schema metadata entries');
  let visited = 0;
  const visit = (field: Field | null, depth: number) => {
    if (!field) throw new Error('a missing field');
    if (depth > MAX_DEPTH || ++visited > available / OFFSET) throw new Error('fields nested deeper than the bytes allow');
    bounded(field.childrenLength(), OFFSET, available, 'child fields');
    bounded(field.customMetadataLength(), OFFSET, available, 'field metadata entries');
    for (let i = 0; i < field.childrenLength(); i++) visit(field.children(i), depth + 1);
  };
  for (let i = 0; i < schema.fieldsLength(); i++) visit(schema.fields(i), 0);
}

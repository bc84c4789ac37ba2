/**
 * Ingest requests forwarded as bytes. The coordinator decodes and checks a client's IngestRequest (it
 * must derive every document's id to route it), but it does not need to encode the documents again for
 * their owners: a ShardIngestRequest holds the same `Document` message, so each owner's request is made
 * from the client's encoded documents, byte for byte. The shard decodes exactly the documents the
 * coordinator decoded and checked (the same bytes, the same decoder). Encoding them again was about a
 * quarter of the coordinator's busy time during a large ingest (docs/performance.md, "The coordinator
 * forwards documents as bytes; …").
 *
 *   IngestRequest      { repeated Document docs = 1; }
 *   ShardIngestRequest { uint64 epoch = 1; repeated Document docs = 2; uint64 tick = 3; ... }
 */

import { lenFieldSize, putLenHeader, putString, putVarint, varintSize, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire-write.js';

/** Reads the varint at `at` (values up to 2^53) into `out` (its value, the offset after it); false if it is cut off or too long. */
function varintAt(buf: Uint8Array, at: number, out: { v: number; at: number }): boolean {
  let v = 0;
  let mul = 1;
  for (let k = 0; k < 10; k++) {
    if (at >= buf.length) return false;
    const x = buf[at++];
    v += (x & 0x7f) * mul;
    if (x < 0x80) {
      out.v = v;
      out.at = at;
      return true;
    }
    mul *= 0x80;
  }
  return false;
}

/**
 * The payload spans of every occurrence of length-delimited field `field` at the top level of a protobuf
 * message, flat: [start0, end0, start1, end1, …], in wire order (which is the order a decoder appends a
 * repeated field's elements). Null when the message does not parse (the caller then encodes as usual).
 */
export function fieldSpans(buf: Uint8Array, field: number): number[] | null {
  const spans: number[] = [];
  const r = { v: 0, at: 0 };
  let at = 0;
  while (at < buf.length) {
    if (!varintAt(buf, at, r)) return null;
    const tag = r.v;
    at = r.at;
    const wire = tag % 8;
    const f = Math.floor(tag / 8);
    if (wire === WIRE_LEN) {
      if (!varintAt(buf, at, r)) return null;
      const end = r.at + r.v;
      if (end > buf.length) return null;
      if (f === field) spans.push(r.at, end);
      at = end;
    } else if (wire === WIRE_VARINT) {
      if (!varintAt(buf, at, r)) return null;
      at = r.at;
    } else if (wire === WIRE_I64) at += 8;
    else if (wire === WIRE_I32) at += 4;
    else return null;
  }
  return at === buf.length ? spans : null;
}

/**
 * A ShardIngestRequest { epoch, docs, tick } whose documents are the encoded Document messages
 * `buf[spans[2i] .. spans[2i + 1])` for each i of `docs`, in that order.
 */
export function shardIngestBytes(epoch: number, tick: number, buf: Uint8Array, spans: readonly number[], docs: readonly number[]): Buffer {
  let size = 1 + varintSize(epoch) + 1 + varintSize(tick);
  for (const i of docs) {
    const len = spans[2 * i + 1] - spans[2 * i];
    size += lenFieldSize(len);
  }
  const out = Buffer.allocUnsafe(size);
  let at = putVarint(out, 0, (1 << 3) | WIRE_VARINT);
  at = putVarint(out, at, epoch);
  for (const i of docs) {
    const start = spans[2 * i];
    const end = spans[2 * i + 1];
    at = putLenHeader(out, at, 2, end - start);
    out.set(buf.subarray(start, end), at);
    at += end - start;
  }
  at = putVarint(out, at, (3 << 3) | WIRE_VARINT);
  putVarint(out, at, tick);
  return out;
}

/**
 * An IngestRequest { docs } written directly: each document's id (when it has one), title and text as
 * UTF-8 straight into one buffer, where protobufjs makes an operation object per field and copies
 * short strings character by character (the client's encoding was about 0.9 s of CPU for the 117,659
 * WordNet glosses). The strings must be well formed (ClusterEngine makes them so: the wire cannot carry a
 * lone surrogate). Null when a field is not a string (the caller then lets the generic encoder report it).
 */
export function encodeIngestRequest(docs: readonly { id?: string | null; title?: string; text: string }[]): Buffer | null {
  const n = docs.length;
  // per document: id (-1: none), title and text byte lengths, and the Document message's length
  const lens = new Int32Array(4 * n);
  let size = 0;
  for (let i = 0; i < n; i++) {
    const { id, title = '', text } = docs[i];
    if (typeof text !== 'string' || typeof title !== 'string' || (id !== undefined && id !== null && typeof id !== 'string')) return null;
    const idLen = typeof id === 'string' ? Buffer.byteLength(id, 'utf8') : -1;
    const titleLen = Buffer.byteLength(title, 'utf8');
    const textLen = Buffer.byteLength(text, 'utf8');
    const body = (idLen >= 0 ? lenFieldSize(idLen) : 0) + lenFieldSize(titleLen) + lenFieldSize(textLen);
    lens[4 * i] = idLen;
    lens[4 * i + 1] = titleLen;
    lens[4 * i + 2] = textLen;
    lens[4 * i + 3] = body;
    size += lenFieldSize(body);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const { id, title = '', text } = docs[i];
    const idLen = lens[4 * i];
    at = putLenHeader(out, at, 1, lens[4 * i + 3]);
    if (idLen >= 0) at = putString(out, at, 1, id as string, idLen);
    at = putString(out, at, 2, title, lens[4 * i + 1]);
    at = putString(out, at, 3, text, lens[4 * i + 2]);
  }
  return out;
}

/**
 * An IngestReply { results } written directly: per document its DocumentId, key, created flag and shard
 * (IngestResult fields 1–4), in request order. The coordinator answers every ingest request with one
 * (2,048 results of two strings each), which protobufjs built an operation object per field for.
 */
export function encodeIngestReply(results: readonly { id: string; key: string; created: boolean; shard: number }[]): Buffer {
  let size = 0;
  // per result: id and key byte lengths, and the IngestResult message's length
  const lens = new Int32Array(3 * results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    const idLen = Buffer.byteLength(r.id, 'utf8');
    const keyLen = Buffer.byteLength(r.key, 'utf8');
    const body = lenFieldSize(idLen) + lenFieldSize(keyLen) + (r.created ? 2 : 0) + (r.shard !== 0 ? 1 + varintSize(r.shard) : 0);
    lens[3 * i] = idLen;
    lens[3 * i + 1] = keyLen;
    lens[3 * i + 2] = body;
    size += lenFieldSize(body);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    at = putLenHeader(out, at, 1, lens[3 * i + 2]);
    at = putString(out, at, 1, r.id, lens[3 * i]);
    at = putString(out, at, 2, r.key, lens[3 * i + 1]);
    if (r.created) {
      at = putVarint(out, at, (3 << 3) | WIRE_VARINT);
      at = putVarint(out, at, 1);
    }
    if (r.shard !== 0) {
      at = putVarint(out, at, (4 << 3) | WIRE_VARINT);
      at = putVarint(out, at, r.shard);
    }
  }
  return out;
}

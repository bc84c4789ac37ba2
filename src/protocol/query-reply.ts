// A document query's reply written directly (QueryReply { repeated DocHit documents = 1; repeated
// uint32 missing_shards = 3; bool partial = 4 }, DocHit { id = 1, key = 2, title = 3, double score = 4 }):
// the coordinator answers every document query with up to k hits of three strings each, which
// protobufjs built an operation object per field for (docs/performance.md, "The coordinator's reply").
import { lenFieldSize, putLenHeader, putString, putVarint, varintSize, WIRE_I64, WIRE_VARINT } from './wire-write.js';

export interface ReplyHit {
  id: string;
  key: string;
  title: string;
  score: number;
}

/** The bytes of QueryReply { documents: hits, missing_shards: missing, partial: missing.length > 0 }. */
export function encodeDocumentsReply(hits: readonly ReplyHit[], missing: readonly number[]): Buffer {
  // per hit: the byte lengths of id, key and title, and the DocHit message's length
  const lens = new Int32Array(4 * hits.length);
  let size = 0;
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i];
    const a = Buffer.byteLength(h.id, 'utf8');
    const b = Buffer.byteLength(h.key, 'utf8');
    const c = Buffer.byteLength(h.title, 'utf8');
    const body = lenFieldSize(a) + lenFieldSize(b) + lenFieldSize(c) + 9;
    lens[4 * i] = a;
    lens[4 * i + 1] = b;
    lens[4 * i + 2] = c;
    lens[4 * i + 3] = body;
    size += lenFieldSize(body);
  }
  let packed = 0;
  for (const s of missing) packed += varintSize(s);
  if (missing.length > 0) size += lenFieldSize(packed) + 2;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i];
    at = putLenHeader(out, at, 1, lens[4 * i + 3]);
    at = putString(out, at, 1, h.id, lens[4 * i]);
    at = putString(out, at, 2, h.key, lens[4 * i + 1]);
    at = putString(out, at, 3, h.title, lens[4 * i + 2]);
    out[at++] = (4 << 3) | WIRE_I64;
    at = out.writeDoubleLE(h.score, at);
  }
  if (missing.length > 0) {
    at = putLenHeader(out, at, 3, packed);
    for (const s of missing) at = putVarint(out, at, s);
    out[at++] = (4 << 3) | WIRE_VARINT;
    out[at++] = 1;
  }
  if (at !== size) throw new Error(`query reply: wrote ${at} bytes of ${size}`);
  return out;
}

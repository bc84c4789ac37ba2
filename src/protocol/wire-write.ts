// Writing protobuf wire format directly, for the few large messages phago encodes without protobufjs
// (an operation object per field and a copy of every string add up at thousands of fields a message):
// ingest requests and replies (ingest-bytes.ts), document query replies (query-reply.ts).

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Bytes of a varint (v ≥ 0, up to 2^53). */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Write varint v at `at`; returns the offset after it. */
export function putVarint(out: Buffer, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[at++] = v;
  return at;
}

/** Bytes of a length-delimited field of `len` payload bytes (field numbers below 16: a one-byte tag). */
export function lenFieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

/** A length-delimited field's tag and length; the caller writes its `len` payload bytes next. */
export function putLenHeader(out: Buffer, at: number, field: number, len: number): number {
  return putVarint(out, putVarint(out, at, (field << 3) | WIRE_LEN), len);
}

/** A string field: tag, byte length (`len`, the string's UTF-8 length), UTF-8. */
export function putString(out: Buffer, at: number, field: number, s: string, len: number): number {
  at = putLenHeader(out, at, field, len);
  return at + out.write(s, at, len, 'utf8');
}

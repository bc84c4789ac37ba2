import { CodecError, Reader, Writer } from './codec.js';

/**
 * A df report's increments as one buffer (DfReport.df_packed): nTerms, then {term, count} per term,
 * terms as UTF-8 with their byte length (1 to 1,024 bytes, no control characters), counts as varints.
 * A report holds thousands of terms; as a protobuf map each would be its own entry message, decoded,
 * checked and copied field by field. Decoding refuses (CodecError) a truncated buffer, trailing bytes,
 * a bad term, a term twice, or a count of 0.
 */
export function encodeDfPacked(df: ReadonlyMap<string, number> | readonly (readonly [string, number])[]): Buffer {
  const count = 'size' in df ? df.size : df.length;
  const w = new Writer(16 + count * 12);
  w.varint(count);
  for (const [t, n] of df) {
    w.string(t);
    w.varint(n);
  }
  return w.done();
}

export function decodeDfPacked(buf: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  if (buf.length === 0) return out;
  const r = new Reader(buf);
  const n = r.varint();
  if (n > buf.length) throw new CodecError('truncated df report');
  for (let i = 0; i < n; i++) {
    const t = r.label();
    const c = r.varint();
    if (c === 0) throw new CodecError(`term "${t.slice(0, 40)}" counted 0 times`);
    if (out.has(t)) throw new CodecError(`term "${t.slice(0, 40)}" given twice`);
    out.set(t, c);
  }
  r.end();
  return out;
}

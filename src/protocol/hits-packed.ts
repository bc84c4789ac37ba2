import { isUtf8 } from 'node:buffer';
import { CodecError, Reader, Writer } from './codec.js';

/**
 * A shard's document hits for a query (LocalQueryReply.documents_packed) in one buffer: the records
 * first, then every string in one UTF-8 run, checked once.
 *
 *   1, nHits, {score f64, base f64, idLen, keyLen, titleLen}×nHits, then id key title of each hit
 *
 * Floats are little-endian float64 (the exact scores the coordinator merges), lengths are varints
 * counting UTF-8 bytes. As repeated protobuf messages, a reply of 100 hits cost about 200 µs to encode
 * and 60 µs to decode (an object and five fields per hit); the coordinator asks every shard for up to
 * max(k, 30) hits per query. Decoding refuses (CodecError) an empty field, a wrong version, a truncated
 * buffer, lengths that do not add up to the strings' bytes, and strings that are not valid UTF-8.
 */
const HITS = 1;

/** A document hit as holders rank it (search/bm25.ts RankedHit). */
export interface PackedHit {
  id: string;
  key: string;
  title: string;
  score: number;
  base: number;
}

export function encodeHits(hits: readonly PackedHit[]): Buffer {
  const n = hits.length;
  // every string in one UTF-8 write (a write per string cost about as much as the rest of the reply);
  // each one's byte length is its length when the run is ASCII (ids, most keys and titles)
  const parts = new Array<string>(3 * n);
  for (let i = 0; i < n; i++) {
    parts[3 * i] = hits[i].id;
    parts[3 * i + 1] = hits[i].key;
    parts[3 * i + 2] = hits[i].title;
  }
  const joined = parts.join('');
  const textBytes = Buffer.byteLength(joined, 'utf8');
  const ascii = textBytes === joined.length;
  const rec = new Writer(16 + n * 24);
  rec.varint(HITS);
  rec.varint(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    rec.f64(hits[i].score);
    rec.f64(hits[i].base);
    for (let j = 3 * i; j < 3 * i + 3; j++) {
      const len = ascii ? parts[j].length : Buffer.byteLength(parts[j], 'utf8');
      rec.varint(len);
      sum += len;
    }
  }
  // well-formed strings (ingest normalizes them) encode the same joined or apart; a lone surrogate
  // at a seam would not: then they are written one by one
  const head = rec.done();
  const out = Buffer.allocUnsafe(head.length + sum);
  head.copy(out, 0);
  if (sum === textBytes) out.write(joined, head.length, 'utf8');
  else for (let j = 0, at = head.length; j < parts.length; j++) at += out.write(parts[j], at, 'utf8');
  return out;
}

export function decodeHits(buf: Uint8Array): PackedHit[] {
  // a shard always sends the layout (no hits: 1, 0); nothing at all is a reply without the field, e.g.
  // from a shard of an older phago (every shard must run the coordinator's version): refused, so the
  // shard is reported missing rather than its hits silently lost
  if (buf.length === 0) throw new CodecError('no packed hits in the reply (a shard of another phago version?)');
  const r = new Reader(buf);
  if (r.varint() !== HITS) throw new CodecError('not a hits layout');
  const n = r.varint();
  if (n > buf.length) throw new CodecError('truncated hits');
  const score = new Float64Array(n);
  const base = new Float64Array(n);
  const lens = new Uint32Array(3 * n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    score[i] = r.f64();
    base[i] = r.f64();
    for (let j = 0; j < 3; j++) total += lens[3 * i + j] = r.varint();
  }
  const rest = r.rest();
  if (rest.length !== total) throw new CodecError(`the hits' strings take ${total} bytes, ${rest.length} follow`);
  if (!isUtf8(rest)) throw new CodecError('a hit string is not valid UTF-8');
  const strings = Buffer.from(rest.buffer, rest.byteOffset, rest.length);
  // all ASCII (as many characters as bytes): one decode, then substrings by byte offsets
  const whole = strings.toString('utf8');
  const ascii = whole.length === strings.length;
  const out: PackedHit[] = [];
  let at = 0;
  const next = (len: number) => (ascii ? whole.slice(at, (at += len)) : strings.toString('utf8', at, (at += len)));
  for (let i = 0; i < n; i++) {
    const id = next(lens[3 * i]);
    const key = next(lens[3 * i + 1]);
    const title = next(lens[3 * i + 2]);
    out.push({ id, key, title, score: score[i], base: base[i] });
  }
  return out;
}

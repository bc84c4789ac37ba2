import type { Candidate } from '../core/documents.js';
import { CodecError, Reader, Writer } from './codec.js';

/**
 * SENSE's candidates (docs/cluster.md, "The tick"): a shard's first eligible documents in (ingestTick,
 * DocumentId) order, as one buffer instead of a protobuf message per document:
 *
 *   count, {ingestTick (varint), DocumentId (its 16 bytes)}×count
 *
 * The coordinator never needs the ids as strings: it merges the shards' lists by comparing bytes (hex
 * preserves byte order, so the order is that of the id strings) and answers each shard with how many of
 * its own candidates it digests (a prefix of what it offered).
 */
export interface CandidateList {
  length: number;
  ticks: Float64Array;
  /** The ids' bytes, 16 per candidate. */
  ids: Uint8Array;
}

const ID_BYTES = 16;

export function encodeCandidates(list: readonly Candidate[]): Buffer {
  const w = new Writer(8 + list.length * (ID_BYTES + 4));
  w.varint(list.length);
  for (const c of list) {
    w.varint(c.ingestTick);
    w.uuid(c.id);
  }
  return w.done();
}

/** Decode and check a shard's list: at most `max` candidates, strictly ascending (its prefixes are what it digests). */
export function decodeCandidates(buf: Uint8Array, max: number): CandidateList {
  // an absent protobuf bytes field arrives empty: no candidates
  if (buf.length === 0) return { length: 0, ticks: new Float64Array(0), ids: new Uint8Array(0) };
  const r = new Reader(buf);
  const length = r.varint();
  if (length > max) throw new CodecError(`${length} candidates, over the ${max} a tick digests`);
  const out: CandidateList = { length, ticks: new Float64Array(length), ids: new Uint8Array(length * ID_BYTES) };
  for (let i = 0; i < length; i++) {
    out.ticks[i] = r.varint();
    out.ids.set(r.fixed(ID_BYTES), i * ID_BYTES);
    if (i > 0 && compareCandidates(out, i - 1, out, i) >= 0) throw new CodecError(`candidate ${i} is not after candidate ${i - 1} in (ingest tick, id) order`);
  }
  r.end();
  return out;
}

/** Order of candidate i of a and candidate j of b: by ingest tick, then by id. */
export function compareCandidates(a: CandidateList, i: number, b: CandidateList, j: number): number {
  if (a.ticks[i] !== b.ticks[j]) return a.ticks[i] - b.ticks[j];
  const x = a.ids;
  const y = b.ids;
  for (let k = 0; k < ID_BYTES; k++) {
    const d = x[i * ID_BYTES + k] - y[j * ID_BYTES + k];
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * How many of each list's first candidates are among the first `perTick` of all lists merged: the
 * union's first `perTick` in (ingestTick, DocumentId) order, as counts (each list is sorted, so a list's
 * share is a prefix; test/plan-reference.ts is the plan written plainly). Equal candidates (one document offered twice) go to the earlier list.
 */
export function planCounts(lists: readonly CandidateList[], perTick: number): number[] {
  const counts = lists.map(() => 0);
  for (let taken = 0; taken < perTick; taken++) {
    let best = -1;
    for (let l = 0; l < lists.length; l++) {
      if (counts[l] >= lists[l].length) continue;
      if (best < 0 || compareCandidates(lists[l], counts[l], lists[best], counts[best]) < 0) best = l;
    }
    if (best < 0) break;
    counts[best]++;
  }
  return counts;
}

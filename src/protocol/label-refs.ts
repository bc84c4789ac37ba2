import { Int32Column } from '../core/growable.js';
import { CodecError, Reader, Writer } from './codec.js';

/**
 * Tick messages that name concepts by the sender's numbers instead of their labels (docs/performance.md,
 * "Labels travel once"). A sender names a label once per receiver: the first message that needs it
 * carries (number, label); once the receiver has acknowledged that message, later ones carry the number
 * only. The receiver keeps, per sender incarnation, the node it interned for each number; a sender that
 * restarts has a new incarnation, so numbers of an earlier process are never reused.
 *
 *   presentations: 4, inc, nNew, {key, label}×nNew, nDocs, {nTerms, wired, key×nTerms}×nDocs
 *   pairs:         5, inc, nNew, {key, label}×nNew, nPairs, {key, key}×nPairs
 *
 * `inc` is the sender's incarnation (a string of 1 to 1,024 bytes), keys are varints. The decoder
 * checks the layout; which keys a receiver knows, repeated terms and pairs of one concept are
 * checked where the keys are resolved (shard/peer-labels.ts). Logs never hold these messages: a
 * logged tick names every concept by label (codec.ts), so that it replays in any process.
 */
export const PRESENTATION_REFS = 4;
export const PAIR_REFS = 5;

export interface RefMessage {
  inc: string;
  /** Numbers named in this message, and their labels. */
  newKeys: number[];
  newLabels: string[];
  /** Presentations: every document's keys, concatenated (document d: keys[start[d] .. start[d+1])). Pairs: x0, y0, x1, y1, … */
  keys: Uint32Array;
  start: Uint32Array;
  wired: Uint32Array;
}

/** What a sender encodes with: which keys the receiver knows, and a key's label. */
export interface RefNaming {
  inc: string;
  known(key: number): boolean;
  name(key: number): string;
}

/** The first varint of a tick message: which layout it is (codec.ts's 1–3, or 4–5 here). */
export function messageKind(buf: Uint8Array): number {
  return new Reader(buf).varint();
}

function writeHeader(w: Writer, kind: number, naming: RefNaming, named: number[]): void {
  w.varint(kind);
  w.string(naming.inc);
  w.varint(named.length);
  for (const k of named) {
    w.varint(k);
    w.string(naming.name(k));
  }
}

/** Which keys the current call has seen: a stamp per key (a Set per message was a tenth of ACT). */
const seenStamp = new Int32Column(1024);
let stamp = 0;

/** Keys (each once, in first-use order) the receiver does not know yet. Typed arrays only: one element kind for V8. */
function unknownKeys(keys: readonly Int32Array[], naming: RefNaming): number[] {
  if (++stamp === 0x7fffffff) {
    seenStamp.data.fill(0);
    stamp = 1;
  }
  const named: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const list = keys[i];
    for (let j = 0; j < list.length; j++) {
      const k = list[j];
      seenStamp.ensure(k);
      if (seenStamp.data[k] === stamp) continue;
      seenStamp.data[k] = stamp;
      if (!naming.known(k)) named.push(k);
    }
  }
  return named;
}

/** Presentations whose terms are the sender's numbers; returns the message and the numbers it names. */
export function encodePresentationRefs(docs: readonly { keys: Int32Array; wired: number }[], naming: RefNaming): { payload: Buffer; named: number[] } {
  // pushed, not mapped: Array.prototype.map makes a holey array, encodePairRefs's literal a packed one,
  // and unknownKeys meeting both left its optimized code
  const lists: Int32Array[] = [];
  for (const d of docs) lists.push(d.keys);
  const named = unknownKeys(lists, naming);
  let total = 0;
  for (const d of docs) total += d.keys.length;
  const w = new Writer(32 + total * 3 + named.length * 16);
  writeHeader(w, PRESENTATION_REFS, naming, named);
  writeDocs(w, docs);
  return { payload: w.done(), named };
}

// the long loops in functions of their own, as in ConceptGraph.present: V8 compiles a hot loop on its
// own (on-stack replacement), and code after it in the same function then had no type feedback, so it
// left the optimized code every tick (encodePairRefs did, 15 times in a WordNet build per shard)
function writeDocs(w: Writer, docs: readonly { keys: Int32Array; wired: number }[]): void {
  w.varint(docs.length);
  for (let i = 0; i < docs.length; i++) {
    const keys = docs[i].keys;
    w.varint(keys.length);
    w.varint(docs[i].wired);
    for (let j = 0; j < keys.length; j++) w.varint(keys[j]);
  }
}

function writePairs(w: Writer, keys: Int32Array): void {
  w.varint(keys.length >> 1);
  for (let j = 0; j + 1 < keys.length; j += 2) {
    w.varint(keys[j]);
    w.varint(keys[j + 1]);
  }
}

/** Pairs of the sender's numbers (x0, y0, x1, y1, …); returns the message and the numbers it names. */
export function encodePairRefs(keys: Int32Array, naming: RefNaming): { payload: Buffer; named: number[] } {
  const named = unknownKeys([keys], naming);
  const w = new Writer(32 + keys.length * 3 + named.length * 16);
  writeHeader(w, PAIR_REFS, naming, named);
  writePairs(w, keys);
  return { payload: w.done(), named };
}

const MAX_KEY = 0x7fffffff;

function readKey(r: Reader): number {
  const k = r.varint();
  if (k > MAX_KEY) throw new CodecError(`key ${k} out of range`);
  return k;
}

export function decodeRefs(buf: Uint8Array): RefMessage & { kind: typeof PRESENTATION_REFS | typeof PAIR_REFS } {
  const r = new Reader(buf);
  const kind = r.varint();
  if (kind !== PRESENTATION_REFS && kind !== PAIR_REFS) throw new CodecError('not a message by reference');
  const inc = r.label();
  const n = r.varint();
  if (n > buf.length) throw new CodecError('truncated message');
  const newKeys: number[] = [];
  const newLabels: string[] = [];
  for (let i = 0; i < n; i++) {
    newKeys.push(readKey(r));
    newLabels.push(r.label());
  }
  // every key takes at least one byte: the buffer's length bounds their number
  const keys = new Uint32Array(buf.length);
  let k = 0;
  const start: number[] = [0];
  const wired: number[] = [];
  const count = r.varint();
  if (count > buf.length) throw new CodecError('truncated message');
  for (let d = 0; d < count; d++) {
    const terms = kind === PAIR_REFS ? 2 : r.varint();
    if (kind === PRESENTATION_REFS) {
      const w = r.varint();
      if (w > terms) throw new CodecError(`document ${d}: wired ${w} > terms ${terms}`);
      wired.push(w);
    }
    for (let j = 0; j < terms; j++) {
      if (k >= keys.length) throw new CodecError('truncated message');
      keys[k++] = readKey(r);
    }
    if (kind === PRESENTATION_REFS) start.push(k);
  }
  r.end();
  return { kind, inc, newKeys, newLabels, keys: keys.slice(0, k), start: Uint32Array.from(start), wired: Uint32Array.from(wired) };
}

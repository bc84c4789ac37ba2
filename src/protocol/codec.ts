import type { Presentation } from '../core/graph.js';
import type { LabelPair } from '../core/partition.js';

/**
 * Compact binary encodings of what shards send each other every tick: presentations (ACT) and
 * degree-cap verdicts (DECAY). Both share a layout: a version, a dictionary of labels (each once),
 * then entries that refer to labels by index. All integers are unsigned LEB128 varints; labels are
 * UTF-8 with their byte length.
 *
 *   presentations: 1, nLabels, {len, bytes}×nLabels, nDocs, {nTerms, wired, index×nTerms}×nDocs
 *   with withdrawals (forgotten documents, docs/forget.md): 3, then as 1, then
 *                  nWithdrawn, {nTerms, wired, index×nTerms}×nWithdrawn
 *   label pairs:   2, nLabels, {len, bytes}×nLabels, nPairs, {index, index}×nPairs
 *
 * Live ticks send the layouts by reference of label-refs.ts (4 and 5), which name a label once per
 * receiver; these by label are for withdrawals and for the tick log, which must replay anywhere.
 *
 * A decoder refuses (throws CodecError) a wrong version, a truncated buffer, an index out of range,
 * a label that is empty, longer than 1 KiB, not valid UTF-8 or containing a control character, a
 * repeated term in one document, or `wired` larger than the document's terms.
 */
export class CodecError extends Error {}

const MAX_LABEL_BYTES = 1024;
const PRESENTATIONS = 1;
const PAIRS = 2;
const WITH_WITHDRAWALS = 3;

export class Writer {
  private buf: Buffer;
  private n = 0;
  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafe(Math.max(64, size));
  }
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.n);
    this.buf = next;
  }
  varint(v: number): void {
    this.room(10);
    while (v >= 0x80) {
      this.buf[this.n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.n++] = v;
  }
  bytes(b: Buffer): void {
    this.varint(b.length);
    this.room(b.length);
    b.copy(this.buf, this.n);
    this.n += b.length;
  }
  /** A string as UTF-8 with its byte length. */
  string(s: string): void {
    const max = s.length * 3;
    this.room(max + 5);
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.buf.write(s, this.n, 'utf8');
    this.n += len;
  }
  /** A float64, little-endian. */
  f64(x: number): void {
    this.room(8);
    this.buf.writeDoubleLE(x, this.n);
    this.n += 8;
  }
  /** A UUID (DocumentId, NodeId) as its 16 bytes. */
  uuid(id: string): void {
    this.room(16);
    const hex = id.length === 36 ? id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24) : '';
    if (hex.length !== 32 || this.buf.write(hex, this.n, 'hex') !== 16) throw new CodecError(`not a UUID: ${id.slice(0, 40)}`);
    this.n += 16;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const CONTROL = /[\u0000-\u001f\u007f]/;

export class Reader {
  private i = 0;
  private view: DataView | null = null;
  constructor(private readonly b: Uint8Array) {}
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 8; k++) {
      if (this.i >= this.b.length) throw new CodecError('truncated message');
      const x = this.b[this.i++];
      v += (x & 0x7f) * mul;
      if (x < 0x80) return v;
      mul *= 0x80;
    }
    throw new CodecError('varint too long');
  }
  label(): string {
    const len = this.varint();
    if (len === 0 || len > MAX_LABEL_BYTES) throw new CodecError(`label of ${len} bytes (1 to ${MAX_LABEL_BYTES} allowed)`);
    if (this.i + len > this.b.length) throw new CodecError('truncated message');
    let s: string;
    try {
      s = utf8.decode(this.b.subarray(this.i, this.i + len));
    } catch {
      throw new CodecError('a label is not valid UTF-8');
    }
    if (CONTROL.test(s)) throw new CodecError('a label contains a control character');
    this.i += len;
    return s;
  }
  /** A float64, little-endian. */
  f64(): number {
    if (this.i + 8 > this.b.length) throw new CodecError('truncated message');
    this.view ??= new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength);
    const x = this.view.getFloat64(this.i, true);
    this.i += 8;
    return x;
  }
  /** The bytes not read yet (a view). */
  rest(): Uint8Array {
    const r = this.b.subarray(this.i);
    this.i = this.b.length;
    return r;
  }
  /** The next `n` bytes (a view, not a copy). */
  fixed(n: number): Uint8Array {
    if (this.i + n > this.b.length) throw new CodecError('truncated message');
    this.i += n;
    return this.b.subarray(this.i - n, this.i);
  }
  end(): void {
    if (this.i !== this.b.length) throw new CodecError(`${this.b.length - this.i} trailing bytes`);
  }
}

function writeDictionary(w: Writer, labels: Map<string, number>): void {
  w.varint(labels.size);
  for (const l of labels.keys()) w.bytes(Buffer.from(l, 'utf8'));
}

function readDictionary(r: Reader): string[] {
  const n = r.varint();
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.label());
  return out;
}

function indexer(): { map: Map<string, number>; of: (l: string) => number } {
  const map = new Map<string, number>();
  return {
    map,
    of: (l) => {
      let i = map.get(l);
      if (i === undefined) map.set(l, (i = map.size));
      return i;
    },
  };
}

export function encodePresentations(docs: readonly Presentation[]): Buffer {
  const ix = indexer();
  const withdrawn = docs.some((d) => d.withdrawn === true);
  const rows = (withdrawn ? docs.filter((d) => d.withdrawn !== true) : docs).map((d) => ({ idx: d.labels.map(ix.of), wired: d.wired }));
  const out = withdrawn ? docs.filter((d) => d.withdrawn === true).map((d) => ({ idx: d.labels.map(ix.of), wired: d.wired })) : [];
  const w = new Writer();
  w.varint(withdrawn ? WITH_WITHDRAWALS : PRESENTATIONS);
  writeDictionary(w, ix.map);
  for (const list of withdrawn ? [rows, out] : [rows]) {
    w.varint(list.length);
    for (const r of list) {
      w.varint(r.idx.length);
      w.varint(r.wired);
      for (const i of r.idx) w.varint(i);
    }
  }
  return w.done();
}

/**
 * A presentations message decoded without a label string per term: its dictionary (each label once)
 * and every document's terms as indices into it. The receiver looks each dictionary label up once
 * (shard/participant.ts), not once per occurrence.
 */
export interface IndexedPresentations {
  dict: string[];
  /** Every document's term indices, concatenated: document d's are idx[start[d] .. start[d+1]). */
  idx: Uint32Array;
  start: Uint32Array;
  wired: Uint32Array;
  /** Documents from this one on are withdrawals (forgotten documents, docs/forget.md). */
  withdrawnFrom: number;
}

export function decodePresentationsIndexed(buf: Uint8Array): IndexedPresentations {
  const r = new Reader(buf);
  const version = r.varint();
  if (version !== PRESENTATIONS && version !== WITH_WITHDRAWALS) throw new CodecError('not a presentations message');
  const dict = readDictionary(r);
  // every index takes at least one byte: the buffer's length bounds their number
  const acc = { idx: new Uint32Array(buf.length), n: 0, start: [0] as number[], wired: [] as number[] };
  const seen = new Int32Array(dict.length).fill(-1);
  readDocs(r, dict, seen, acc);
  const withdrawnFrom = acc.wired.length;
  if (version === WITH_WITHDRAWALS) readDocs(r, dict, seen, acc);
  r.end();
  return { dict, idx: acc.idx.slice(0, acc.n), start: Uint32Array.from(acc.start), wired: Uint32Array.from(acc.wired), withdrawnFrom };
}

export function decodePresentations(buf: Uint8Array): Presentation[] {
  const m = decodePresentationsIndexed(buf);
  const out: Presentation[] = [];
  for (let d = 0; d < m.wired.length; d++) {
    const labels = Array.from(m.idx.subarray(m.start[d], m.start[d + 1]), (i) => m.dict[i]);
    out.push(d >= m.withdrawnFrom ? { labels, wired: m.wired[d], withdrawn: true } : { labels, wired: m.wired[d] });
  }
  return out;
}

function readDocs(r: Reader, dict: readonly string[], seen: Int32Array, acc: { idx: Uint32Array; n: number; start: number[]; wired: number[] }): void {
  const n = r.varint();
  for (let d = 0; d < n; d++) {
    const doc = acc.wired.length;
    const k = r.varint();
    const wired = r.varint();
    if (wired > k) throw new CodecError(`document ${d}: wired ${wired} > terms ${k}`);
    for (let j = 0; j < k; j++) {
      const i = r.varint();
      if (i >= dict.length) throw new CodecError(`document ${d}: label index ${i} out of range`);
      if (seen[i] === doc) throw new CodecError(`document ${d}: term "${dict[i].slice(0, 40)}" repeated`);
      seen[i] = doc;
      if (acc.n >= acc.idx.length) throw new CodecError('truncated message');
      acc.idx[acc.n++] = i;
    }
    acc.wired.push(wired);
    acc.start.push(acc.n);
  }
}

export function encodePairs(pairs: readonly LabelPair[]): Buffer {
  const ix = indexer();
  const rows = pairs.map(([x, y]) => [ix.of(x), ix.of(y)]);
  const w = new Writer();
  w.varint(PAIRS);
  writeDictionary(w, ix.map);
  w.varint(rows.length);
  for (const [x, y] of rows) {
    w.varint(x);
    w.varint(y);
  }
  return w.done();
}

/** A label-pairs message decoded without a string pair per entry: its dictionary and the pairs' indices (2 per pair). */
export interface IndexedPairs {
  dict: string[];
  pairs: Uint32Array;
}

export function decodePairsIndexed(buf: Uint8Array): IndexedPairs {
  const r = new Reader(buf);
  if (r.varint() !== PAIRS) throw new CodecError('not a label-pairs message');
  const dict = readDictionary(r);
  const n = r.varint();
  if (n * 2 > buf.length) throw new CodecError('truncated message');
  const pairs = new Uint32Array(n * 2);
  for (let k = 0; k < n; k++) {
    const x = r.varint();
    const y = r.varint();
    if (x >= dict.length || y >= dict.length) throw new CodecError(`pair ${k}: label index out of range`);
    if (x === y) throw new CodecError(`pair ${k}: an edge needs two different concepts`);
    pairs[2 * k] = x;
    pairs[2 * k + 1] = y;
  }
  r.end();
  return { dict, pairs };
}

export function decodePairs(buf: Uint8Array): LabelPair[] {
  return labelPairsOf(decodePairsIndexed(buf));
}

/** The label pairs of an indexed message. */
export function labelPairsOf(m: IndexedPairs): LabelPair[] {
  const out: LabelPair[] = [];
  for (let k = 0; k < m.pairs.length; k += 2) out.push([m.dict[m.pairs[k]], m.dict[m.pairs[k + 1]]]);
  return out;
}

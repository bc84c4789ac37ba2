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
 * A decoder refuses (throws CodecError) a wrong version, a truncated buffer, an index out of range,
 * a label that is empty, longer than 1 KiB, not valid UTF-8 or containing a control character, a
 * repeated term in one document, or `wired` larger than the document's terms.
 */
export class CodecError extends Error {}

const MAX_LABEL_BYTES = 1024;
const PRESENTATIONS = 1;
const PAIRS = 2;
const WITH_WITHDRAWALS = 3;

class Writer {
  private buf = Buffer.allocUnsafe(4096);
  private n = 0;
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
  done(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const CONTROL = /[\u0000-\u001f\u007f]/;

class Reader {
  private i = 0;
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

export function decodePresentations(buf: Uint8Array): Presentation[] {
  const r = new Reader(buf);
  const version = r.varint();
  if (version !== PRESENTATIONS && version !== WITH_WITHDRAWALS) throw new CodecError('not a presentations message');
  const dict = readDictionary(r);
  const out: Presentation[] = [];
  const seen = new Int32Array(dict.length).fill(-1);
  readDocs(r, dict, seen, out, false);
  if (version === WITH_WITHDRAWALS) readDocs(r, dict, seen, out, true);
  r.end();
  return out;
}

function readDocs(r: Reader, dict: string[], seen: Int32Array, out: Presentation[], withdrawn: boolean): void {
  const n = r.varint();
  const base = out.length;
  for (let d = 0; d < n; d++) {
    const k = r.varint();
    const wired = r.varint();
    if (wired > k) throw new CodecError(`document ${d}: wired ${wired} > terms ${k}`);
    const labels: string[] = [];
    for (let j = 0; j < k; j++) {
      const i = r.varint();
      if (i >= dict.length) throw new CodecError(`document ${d}: label index ${i} out of range`);
      if (seen[i] === base + d) throw new CodecError(`document ${d}: term "${dict[i].slice(0, 40)}" repeated`);
      seen[i] = base + d;
      labels.push(dict[i]);
    }
    out.push(withdrawn ? { labels, wired, withdrawn } : { labels, wired });
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

export function decodePairs(buf: Uint8Array): LabelPair[] {
  const r = new Reader(buf);
  if (r.varint() !== PAIRS) throw new CodecError('not a label-pairs message');
  const dict = readDictionary(r);
  const n = r.varint();
  const out: LabelPair[] = [];
  for (let k = 0; k < n; k++) {
    const x = r.varint();
    const y = r.varint();
    if (x >= dict.length || y >= dict.length) throw new CodecError(`pair ${k}: label index out of range`);
    if (x === y) throw new CodecError(`pair ${k}: an edge needs two different concepts`);
    out.push([dict[x], dict[y]]);
  }
  r.end();
  return out;
}

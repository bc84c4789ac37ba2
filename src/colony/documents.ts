import { type DocumentId } from '../ids/ids.js';
import { termStats, type TermStat } from '../text/tokenizer.js';

/** A document held by a colony (or by the shard that owns it). */
export interface DocRecord {
  id: DocumentId;
  /** The client's id when it gave one that is not a UUID (e.g. "cell_biology_01"), else the id. */
  key: string;
  title: string;
  text: string;
  /** Token count (the BM25 document length). */
  length: number;
  /** Distinct terms with counts, first-occurrence order. */
  terms: TermStat[];
  /** The last committed tick when the document was ingested; it can be digested from ingestTick+1. */
  ingestTick: number;
  /** Digester lane (see schedule.ts). */
  lane: number;
  /** Tick at which it was digested, or null while pending. */
  digestedTick: number | null;
}

/** Collection statistics BM25 needs; a cluster passes in the global ones. */
export interface CorpusStats {
  documents: number;
  totalLength: number;
  df: (term: string) => number;
}

/**
 * Documents with an inverted index (term → postings) and per-lane pending queues. No I/O.
 * Postings keep term frequencies keyed by an internal document number.
 */
export class DocumentStore {
  readonly byId = new Map<DocumentId, DocRecord>();
  private readonly num = new Map<DocumentId, number>();
  private readonly byNum: (DocRecord | undefined)[] = [];
  readonly postings = new Map<string, Map<number, number>>();
  totalLength = 0;
  /**
   * Pending documents per lane. Appended as they come and sorted by (ingestTick, id) lazily, when a
   * head is needed; digestion takes heads, so removal advances `head` instead of shifting.
   */
  private readonly pending = new Map<number, { items: DocRecord[]; head: number; sorted: boolean }>();
  private pendingTotal = 0;

  get size(): number {
    return this.byId.size;
  }

  get(id: DocumentId): DocRecord | undefined {
    return this.byId.get(id);
  }

  /** Index a new record. The caller has checked the id is new. */
  add(rec: DocRecord): void {
    const n = this.byNum.length;
    this.byNum.push(rec);
    this.num.set(rec.id, n);
    this.byId.set(rec.id, rec);
    this.totalLength += rec.length;
    for (const t of rec.terms) {
      let p = this.postings.get(t.term);
      if (!p) this.postings.set(t.term, (p = new Map()));
      p.set(n, t.tf);
    }
    if (rec.digestedTick === null) this.enqueue(rec);
  }

  /** Remove a document entirely (used when ownership moves). */
  remove(id: DocumentId): DocRecord | undefined {
    const rec = this.byId.get(id);
    if (!rec) return undefined;
    const n = this.num.get(id)!;
    this.byId.delete(id);
    this.num.delete(id);
    this.byNum[n] = undefined;
    this.totalLength -= rec.length;
    for (const t of rec.terms) {
      const p = this.postings.get(t.term);
      p?.delete(n);
      if (p && p.size === 0) this.postings.delete(t.term);
    }
    if (rec.digestedTick === null) this.dequeue(rec);
    return rec;
  }

  df(term: string): number {
    return this.postings.get(term)?.size ?? 0;
  }

  localStats(): CorpusStats {
    return { documents: this.size, totalLength: this.totalLength, df: (t) => this.df(t) };
  }

  docAt(n: number): DocRecord | undefined {
    return this.byNum[n];
  }

  private static cmp(x: DocRecord, y: DocRecord): number {
    return x.ingestTick - y.ingestTick || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  }

  private enqueue(rec: DocRecord): void {
    let q = this.pending.get(rec.lane);
    if (!q) this.pending.set(rec.lane, (q = { items: [], head: 0, sorted: true }));
    const last = q.items[q.items.length - 1];
    if (q.items.length > q.head && last && DocumentStore.cmp(last, rec) > 0) q.sorted = false;
    q.items.push(rec);
    this.pendingTotal++;
  }

  private dequeue(rec: DocRecord): void {
    const q = this.pending.get(rec.lane);
    if (!q) return;
    if (q.items[q.head] === rec) q.head++;
    else {
      const i = q.items.indexOf(rec, q.head);
      if (i < 0) return;
      q.items.splice(i, 1);
    }
    this.pendingTotal--;
    if (q.head === q.items.length) this.pending.delete(rec.lane);
    else if (q.head > 1024 && q.head * 2 > q.items.length) {
      q.items = q.items.slice(q.head);
      q.head = 0;
    }
  }

  private headOf(lane: number): DocRecord | undefined {
    const q = this.pending.get(lane);
    if (!q) return undefined;
    if (!q.sorted) {
      const rest = q.items.slice(q.head).sort(DocumentStore.cmp);
      q.items = rest;
      q.head = 0;
      q.sorted = true;
    }
    return q.items[q.head];
  }

  /** The first pending document of each lane that is eligible at `tick` (ingested before it). */
  laneHeads(tick: number): DocRecord[] {
    const out: DocRecord[] = [];
    for (const lane of this.pending.keys()) {
      const h = this.headOf(lane);
      if (h && h.ingestTick < tick) out.push(h);
    }
    return out.sort((x, y) => x.lane - y.lane);
  }

  get pendingCount(): number {
    return this.pendingTotal;
  }

  /** Mark a pending document digested at `tick`. */
  markDigested(id: DocumentId, tick: number): DocRecord {
    const rec = this.byId.get(id);
    if (!rec) throw new Error(`unknown document ${id}`);
    if (rec.digestedTick !== null) throw new Error(`document ${id} was already digested at tick ${rec.digestedTick}`);
    this.dequeue(rec);
    rec.digestedTick = tick;
    return rec;
  }

  /** Undo markDigested (a tick that did not commit). */
  unmarkDigested(id: DocumentId): void {
    const rec = this.byId.get(id);
    if (!rec || rec.digestedTick === null) return;
    rec.digestedTick = null;
    this.enqueue(rec);
  }
}

/** Build a record from validated input. */
export function makeRecord(id: DocumentId, key: string, title: string, text: string, ingestTick: number, lane: number): DocRecord {
  const { terms, length } = termStats(`${title}\n${text}`);
  return { id, key, title, text, length, terms, ingestTick, lane, digestedTick: null };
}

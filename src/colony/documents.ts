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
  /** Pending documents per lane, sorted by (ingestTick, id). */
  private readonly pending = new Map<number, DocRecord[]>();

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
    if (!q) this.pending.set(rec.lane, (q = []));
    // binary search for the insertion point; documents mostly arrive in order, so this is cheap
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (DocumentStore.cmp(q[mid], rec) < 0) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, rec);
  }

  private dequeue(rec: DocRecord): void {
    const q = this.pending.get(rec.lane);
    if (!q) return;
    const i = q.indexOf(rec);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.pending.delete(rec.lane);
  }

  /** The first pending document of each lane that is eligible at `tick` (ingested before it). */
  laneHeads(tick: number): DocRecord[] {
    const out: DocRecord[] = [];
    for (const q of this.pending.values()) if (q.length > 0 && q[0].ingestTick < tick) out.push(q[0]);
    return out.sort((x, y) => x.lane - y.lane);
  }

  get pendingCount(): number {
    let n = 0;
    for (const q of this.pending.values()) n += q.length;
    return n;
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

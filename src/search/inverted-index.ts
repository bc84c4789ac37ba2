/**
 * A compact inverted index with exact top-k BM25: MaxScore dynamic pruning with block-max bounds.
 *
 * Layout
 *   - Terms are interned to dense integer ids (`Map<string, number>`); everything per term lives in
 *     parallel Int32Arrays indexed by term id: offset/length/capacity of its posting list, live df,
 *     and the pruning bound data (max tf, min document length over its postings).
 *   - All posting lists share one arena: an Int32Array of document numbers and a parallel Uint8Array
 *     of term frequencies (5 bytes a posting). A tf of 255 or more is stored as 255 with the real
 *     value in a small per-term overflow map. Lists are sorted by document number because documents
 *     are added in increasing order. A full list moves to a slot of the next capacity (×2 up to 8,
 *     ×1.5 up to 64, then ×1.25) or grows in place at the arena's end; freed slots are kept per
 *     capacity and reused by the next list growing to that capacity. A full arena is compacted
 *     when more than a third of it is free, else copied into one 1.25× larger. `trim()` cuts all
 *     spare capacity (after a bulk load).
 *   - Per document: length (Int32Array, −1 = absent or removed) and its distinct term count.
 *   - Block-max data, only for lists of ≥ 2048 postings: per aligned block of 256 document numbers,
 *     the max tf (Uint8, capped) and min length (Uint16, capped downwards) of the list's postings
 *     in the block (3 bytes a block; ~0.4 MB for 100k documents).
 *
 * Removal is lazy: a removed document's length becomes −1 (that is the "deleted" mark), the live df
 * of each of its terms is decremented at once (exact), and a posting list is compacted in place
 * when more than half of its entries are dead. The max-tf/min-length bounds (per list and per
 * block) are only recomputed by compaction; until then they still bound the live postings (they
 * may only be loose).
 *
 * Scoring is that of `bm25Search` (bm25.ts), bit for bit: see `topK`.
 */
import { BM25_B, BM25_K1, idf } from './bm25.js';

/** A distinct term of a document with its frequency. */
export interface IndexedTerm {
  readonly term: string;
  readonly tf: number;
}

/** A weighted query term (the shape of bm25.ts's WeightedTerm). */
export interface TopKQueryTerm {
  readonly term: string;
  readonly weight: number;
  readonly original?: boolean;
}

/** Collection statistics used for scoring (the shape of documents.ts's CorpusStats). */
export interface TopKStats {
  readonly documents: number;
  readonly totalLength: number;
  df(term: string): number;
}

/** Counters a caller may pass in `TopKOptions.trace` to see how much work a query did. */
export interface TopKTrace {
  /** Documents taken from an essential posting list (candidates). */
  candidates: number;
  /** Candidates whose full score was computed (not rejected by the upper bound). */
  scored: number;
  /** Ranges of documents (up to a block of 256 numbers) skipped whole by their bound. */
  skips: number;
}

export interface TopKOptions {
  /** Multiply the score by matched original terms / original terms (as bm25Search). */
  coordination?: boolean;
  /** When given, its counters are incremented. */
  trace?: TopKTrace;
}

export interface ScoredDoc {
  doc: number;
  score: number;
}

/** A tf at or above this is stored as TF_BIG in the Uint8Array, the real value in an overflow map. */
const TF_BIG = 255;
const MAX_INT32 = 0x7fffffff;
/** Largest allowed |weight × idf|: keeps w·tf·(k1+1) and sums of such far from overflow. */
const MAX_WEIGHT = 1e290;
/** Absolute slack added to upper bounds: covers rounding in the subnormal range. */
const TINY = 2 ** -960;
const EPS = 2 ** -52;
/** Block-max: document numbers are grouped in aligned blocks of 2^BLOCK_SHIFT. */
const BLOCK_SHIFT = 8;
const BLOCK_DOCS = 1 << BLOCK_SHIFT;
/** Lists reaching this length keep per-block bounds; compacted below BLOCK_DROP they lose them. */
const BLOCK_MIN = 2048;
const BLOCK_DROP = 1024;
/** Per-block bounds store max tf capped at 255 (255: use the list's max tf) and min length capped at 65535 (a lower bound). */
const BLOCK_TF_CAP = 255;
const BLOCK_LEN_CAP = 65535;

/** Per-block bounds of one long posting list: for block i, documents [i·256, (i+1)·256). */
interface BlockBounds {
  /** Max tf in the block, capped at 255; 0: no posting in the block. */
  maxTf: Uint8Array;
  /** Min document length in the block, capped at 65535 (so never above the real minimum). */
  minLen: Uint16Array;
}

/** Threshold seeding scores up to this many postings' documents first (and ≤ 1/8 of the query's postings). */
const SEED_BUDGET = 128;
/** The arena grows by this factor (and keeps this much room when compacted). */
const ARENA_GROWTH = 1.25;

/** Array.prototype.slice's treatment of its end argument (what bm25Search does with k). */
function sliceCount(k: number): number {
  return Number.isNaN(k) ? 0 : Math.trunc(k);
}

export class InvertedIndex {
  // ---- terms --------------------------------------------------------------------------------
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private tOff = new Int32Array(256);
  private tLen = new Int32Array(256);
  private tCap = new Int32Array(256);
  private tDf = new Int32Array(256);
  private tMaxTf = new Int32Array(256);
  private tMinLen = new Int32Array(256);
  /** Scratch mark (an epoch per add/remove call) to detect duplicate terms. */
  private tMark = new Int32Array(256);
  private epoch = 0;
  /** Terms with df > 0. */
  private liveTermCount = 0;

  // ---- postings arena -----------------------------------------------------------------------
  private pDoc = new Int32Array(1024);
  private pTf = new Uint8Array(1024);
  /** First unused arena slot. */
  private top = 0;
  /** Freed slots by capacity (reused by lists growing to that capacity), and their total size. */
  private readonly freeSlots = new Map<number, number[]>();
  private freeTotal = 0;
  /** term id → (doc → tf) for tf ≥ TF_BIG. */
  private readonly bigTf = new Map<number, Map<number, number>>();
  /** term id → per-block bounds, for lists of at least BLOCK_MIN postings. */
  private readonly blocks: (BlockBounds | undefined)[] = [];

  // ---- documents ----------------------------------------------------------------------------
  private dLen = new Int32Array(1024).fill(-1);
  private dTerms = new Int32Array(1024);
  /** Every document added from now on must be ≥ this. */
  private nextDoc = 0;
  private live = 0;
  private liveLength = 0;

  /** Live documents. */
  get documents(): number {
    return this.live;
  }

  /** Sum of the lengths of the live documents. */
  get totalLength(): number {
    return this.liveLength;
  }

  /** Number of terms with at least one live document. */
  get termCount(): number {
    return this.liveTermCount;
  }

  /** Exact live document frequency. */
  df(term: string): number {
    const t = this.ids.get(term);
    return t === undefined ? 0 : this.tDf[t];
  }

  /** The index's own statistics, in the shape `topK` takes. */
  localStats(): TopKStats {
    return { documents: this.live, totalLength: this.liveLength, df: (t) => this.df(t) };
  }

  /** Terms with df > 0 (in interning order). */
  *terms(): IterableIterator<string> {
    for (let t = 0; t < this.names.length; t++) if (this.tDf[t] > 0) yield this.names[t];
  }

  has(doc: number): boolean {
    return Number.isInteger(doc) && doc >= 0 && doc < this.dLen.length && this.dLen[doc] >= 0;
  }

  /** Length of a live document, undefined when absent or removed. */
  lengthOf(doc: number): number | undefined {
    return this.has(doc) ? this.dLen[doc] : undefined;
  }

  /** Calls fn for each live posting of the term in increasing document order; false if the term has none. */
  forEachPosting(term: string, fn: (doc: number, tf: number) => void): boolean {
    const t = this.ids.get(term);
    if (t === undefined || this.tDf[t] === 0) return false;
    const off = this.tOff[t];
    const end = off + this.tLen[t];
    for (let i = off; i < end; i++) {
      const d = this.pDoc[i];
      if (this.dLen[d] >= 0) fn(d, this.tfAt(t, i, d));
    }
    return true;
  }

  /** The term's frequency in a live document (binary search of its posting list), 0 when absent. */
  tf(term: string, doc: number): number {
    const t = this.ids.get(term);
    if (t === undefined || this.tDf[t] === 0 || !(this.dLen[doc] >= 0)) return 0;
    let lo = this.tOff[t];
    let hi = lo + this.tLen[t];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pDoc[mid] < doc) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.tOff[t] + this.tLen[t] && this.pDoc[lo] === doc ? this.tfAt(t, lo, doc) : 0;
  }

  /** Bytes held in typed arrays (postings arena, per-term and per-document arrays). */
  get byteLength(): number {
    const ta = [this.tOff, this.tLen, this.tCap, this.tDf, this.tMaxTf, this.tMinLen, this.tMark, this.pDoc, this.pTf, this.dLen, this.dTerms];
    let bytes = ta.reduce((s, a) => s + a.byteLength, 0);
    for (const b of this.blocks) if (b) bytes += b.maxTf.byteLength + b.minLen.byteLength;
    return bytes;
  }

  /**
   * Check the internal invariants (for tests and debugging; O(postings)): lists sorted, slots
   * within the arena and disjoint, live df exact, the bounds (max tf, min length, per block) valid.
   * Throws an Error naming the first violation.
   */
  checkInvariants(): void {
    const fail = (msg: string) => {
      throw new Error(`InvertedIndex invariant: ${msg}`);
    };
    const slots: [number, number][] = [];
    let live = 0;
    let liveLength = 0;
    for (let d = 0; d < this.dLen.length; d++) {
      if (this.dLen[d] >= 0) {
        live++;
        liveLength += this.dLen[d];
      }
    }
    if (live !== this.live || liveLength !== this.liveLength) fail('document counts');
    let liveTerms = 0;
    for (let t = 0; t < this.names.length; t++) {
      const off = this.tOff[t];
      const len = this.tLen[t];
      const cap = this.tCap[t];
      if (len > cap || (cap > 0 && off + cap > this.top)) fail(`slot of "${this.names[t]}"`);
      if (cap > 0) slots.push([off, cap]);
      let df = 0;
      for (let i = off; i < off + len; i++) {
        const d = this.pDoc[i];
        if (i > off && d <= this.pDoc[i - 1]) fail(`"${this.names[t]}" not sorted`);
        const dl = this.dLen[d];
        if (dl < 0) continue;
        df++;
        const tf = this.tfAt(t, i, d);
        if (tf > this.tMaxTf[t] || dl < this.tMinLen[t]) fail(`bounds of "${this.names[t]}"`);
        const b = this.blocks[t];
        if (b) {
          const k = d >> BLOCK_SHIFT;
          if (k >= b.maxTf.length || b.maxTf[k] < Math.min(tf, BLOCK_TF_CAP) || b.minLen[k] > Math.min(dl, BLOCK_LEN_CAP)) fail(`block bounds of "${this.names[t]}" at ${d}`);
        }
      }
      if (df !== this.tDf[t]) fail(`df of "${this.names[t]}"`);
      if (df > 0) liveTerms++;
    }
    if (liveTerms !== this.liveTermCount) fail('term count');
    slots.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < slots.length; i++) if (slots[i - 1][0] + slots[i - 1][1] > slots[i][0]) fail('overlapping slots');
  }

  // ---- adding -------------------------------------------------------------------------------

  /**
   * Index a document. `doc` is a non-negative integer greater than every document added before
   * (dense numbers keep the per-document arrays small); `terms` are distinct with integer tf ≥ 1;
   * `length` is a non-negative integer. Throws RangeError (and changes nothing but term interning)
   * on invalid input.
   */
  add(doc: number, terms: readonly IndexedTerm[], length: number): void {
    if (!Number.isInteger(doc) || doc < this.nextDoc || doc >= MAX_INT32) throw new RangeError(`document number ${doc} must be an integer ≥ ${this.nextDoc} (numbers increase and are never reused)`);
    if (!Number.isInteger(length) || length < 0 || length > MAX_INT32) throw new RangeError(`document length ${length} must be a non-negative 32-bit integer`);
    const ep = this.nextEpoch();
    const tids = new Int32Array(terms.length);
    for (let i = 0; i < terms.length; i++) {
      const { term, tf } = terms[i];
      if (typeof term !== 'string') throw new RangeError('terms must be strings');
      if (!Number.isInteger(tf) || tf < 1 || tf > MAX_INT32) throw new RangeError(`tf ${tf} of "${term}" must be an integer ≥ 1`);
      const t = this.intern(term);
      if (this.tMark[t] === ep) throw new RangeError(`term "${term}" appears twice in document ${doc}`);
      this.tMark[t] = ep;
      tids[i] = t;
    }
    this.ensureDocCapacity(doc);
    this.dLen[doc] = length; // before the postings: building block bounds reads it
    this.dTerms[doc] = terms.length;
    for (let i = 0; i < terms.length; i++) this.append(tids[i], doc, terms[i].tf, length);
    this.nextDoc = doc + 1;
    this.live++;
    this.liveLength += length;
  }

  private nextEpoch(): number {
    if (this.epoch >= MAX_INT32 - 1) {
      this.tMark.fill(0);
      this.epoch = 0;
    }
    return ++this.epoch;
  }

  private intern(term: string): number {
    let t = this.ids.get(term);
    if (t !== undefined) return t;
    t = this.names.length;
    if (t === this.tOff.length) this.growTerms();
    this.names.push(term);
    this.ids.set(term, t);
    return t;
  }

  private growTerms(): void {
    const n = this.tOff.length * 2;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.tOff = grow(this.tOff);
    this.tLen = grow(this.tLen);
    this.tCap = grow(this.tCap);
    this.tDf = grow(this.tDf);
    this.tMaxTf = grow(this.tMaxTf);
    this.tMinLen = grow(this.tMinLen);
    this.tMark = grow(this.tMark);
  }

  private ensureDocCapacity(doc: number): void {
    if (doc < this.dLen.length) return;
    const n = Math.max(doc + 1, Math.ceil(this.dLen.length * 1.5));
    const len = new Int32Array(n).fill(-1);
    len.set(this.dLen);
    const terms = new Int32Array(n);
    terms.set(this.dTerms);
    this.dLen = len;
    this.dTerms = terms;
  }

  private append(t: number, doc: number, tf: number, length: number): void {
    if (this.tLen[t] === this.tCap[t]) this.growList(t);
    const len = this.tLen[t];
    const at = this.tOff[t] + len;
    this.pDoc[at] = doc;
    if (tf >= TF_BIG) {
      this.pTf[at] = TF_BIG;
      let m = this.bigTf.get(t);
      if (!m) this.bigTf.set(t, (m = new Map()));
      m.set(doc, tf);
    } else this.pTf[at] = tf;
    this.tLen[t] = len + 1;
    if (len === 0) {
      this.tMaxTf[t] = tf;
      this.tMinLen[t] = length;
    } else {
      if (tf > this.tMaxTf[t]) this.tMaxTf[t] = tf;
      if (length < this.tMinLen[t]) this.tMinLen[t] = length;
    }
    if (this.tDf[t]++ === 0) this.liveTermCount++;
    const b = this.blocks[t];
    if (b) this.noteBlock(b, doc, tf, length);
    else if (len + 1 >= BLOCK_MIN) this.buildBlocks(t);
  }

  /** (Re)compute term t's per-block bounds from its live postings. */
  private buildBlocks(t: number): void {
    const off = this.tOff[t];
    const len = this.tLen[t];
    const n = len === 0 ? 1 : (this.pDoc[off + len - 1] >> BLOCK_SHIFT) + 1;
    const b: BlockBounds = { maxTf: new Uint8Array(n), minLen: new Uint16Array(n).fill(BLOCK_LEN_CAP) };
    this.blocks[t] = b;
    for (let i = off; i < off + len; i++) {
      const d = this.pDoc[i];
      const dl = this.dLen[d];
      if (dl >= 0) this.noteBlock(b, d, this.tfAt(t, i, d), dl);
    }
  }

  private noteBlock(b: BlockBounds, doc: number, tf: number, length: number): void {
    const i = doc >> BLOCK_SHIFT;
    if (i >= b.maxTf.length) {
      const n = Math.max(i + 1, Math.ceil(b.maxTf.length * 1.5));
      const maxTf = new Uint8Array(n);
      maxTf.set(b.maxTf);
      const minLen = new Uint16Array(n).fill(BLOCK_LEN_CAP);
      minLen.set(b.minLen);
      b.maxTf = maxTf;
      b.minLen = minLen;
    }
    const tc = tf > BLOCK_TF_CAP ? BLOCK_TF_CAP : tf;
    if (tc > b.maxTf[i]) b.maxTf[i] = tc;
    const lc = length > BLOCK_LEN_CAP ? BLOCK_LEN_CAP : length;
    if (lc < b.minLen[i]) b.minLen[i] = lc;
  }

  private growList(t: number): void {
    const cap = this.tCap[t];
    const newCap = cap === 0 ? 1 : cap < 8 ? cap * 2 : cap < 64 ? cap + (cap >> 1) : cap + (cap >> 2);
    // At the arena's end with room: grow in place.
    if (cap > 0 && this.tOff[t] + cap === this.top && this.top + newCap - cap <= this.pDoc.length) {
      this.top += newCap - cap;
      this.tCap[t] = newCap;
      return;
    }
    const at = this.alloc(newCap); // may compact the arena: read the offset after
    const off = this.tOff[t];
    const len = this.tLen[t];
    if (len > 0) {
      this.pDoc.copyWithin(at, off, off + len);
      this.pTf.copyWithin(at, off, off + len);
    }
    this.release(t);
    this.tOff[t] = at;
    this.tCap[t] = newCap;
  }

  /**
   * A free slot of `cap` entries: a freed slot of that exact capacity (lists grow through the same
   * capacities, so freed slots are reused), else the arena's end; when the arena is full it is
   * compacted if more than a third of it is free, else grown (copied as it is, offsets unchanged).
   */
  private alloc(cap: number): number {
    const reuse = this.freeSlots.get(cap);
    if (reuse !== undefined && reuse.length > 0) {
      this.freeTotal -= cap;
      return reuse.pop()!;
    }
    if (this.top + cap > this.pDoc.length) {
      if (this.freeTotal * 3 > this.pDoc.length) this.compactArena(cap, ARENA_GROWTH);
      if (this.top + cap > this.pDoc.length) {
        const size = Math.max(Math.ceil(this.pDoc.length * ARENA_GROWTH), this.top + cap);
        const doc = new Int32Array(size);
        doc.set(this.pDoc.subarray(0, this.top));
        const tf = new Uint8Array(size);
        tf.set(this.pTf.subarray(0, this.top));
        this.pDoc = doc;
        this.pTf = tf;
      }
    }
    const at = this.top;
    this.top += cap;
    return at;
  }

  /** Give term t's slot back (its list moved away or died). */
  private release(t: number): void {
    const cap = this.tCap[t];
    if (cap === 0) return;
    const off = this.tOff[t];
    this.tCap[t] = 0;
    if (off + cap === this.top) {
      this.top = off;
      return;
    }
    let list = this.freeSlots.get(cap);
    if (!list) this.freeSlots.set(cap, (list = []));
    list.push(off);
    this.freeTotal += cap;
  }

  /**
   * Copy every list, in term order, into a fresh arena of (slots in use + extra) × growth, and
   * forget the free slots. `shrink` also cuts every list's capacity to its length.
   */
  private compactArena(extra: number, growth: number, shrink = false): void {
    const nTerms = this.names.length;
    let used = 0;
    for (let t = 0; t < nTerms; t++) {
      if (shrink || this.tLen[t] === 0) this.tCap[t] = this.tLen[t];
      used += this.tCap[t];
    }
    const size = Math.max(64, Math.ceil((used + extra) * growth));
    const doc = new Int32Array(size);
    const tf = new Uint8Array(size);
    const oldDoc = this.pDoc;
    const oldTf = this.pTf;
    let at = 0;
    for (let t = 0; t < nTerms; t++) {
      const off = this.tOff[t];
      const len = this.tLen[t];
      if (len < 32) {
        for (let i = 0; i < len; i++) {
          doc[at + i] = oldDoc[off + i];
          tf[at + i] = oldTf[off + i];
        }
      } else {
        doc.set(oldDoc.subarray(off, off + len), at);
        tf.set(oldTf.subarray(off, off + len), at);
      }
      this.tOff[t] = at;
      at += this.tCap[t];
    }
    this.pDoc = doc;
    this.pTf = tf;
    this.top = at;
    this.freeSlots.clear();
    this.freeTotal = 0;
  }

  /**
   * Release all spare capacity: every posting list and the arena shrink to their exact sizes, and
   * the per-document arrays to the documents added so far (e.g. after a bulk load; later adds
   * grow them again).
   */
  trim(): void {
    this.compactArena(0, 1, true);
    const n = this.nextDoc;
    if (n < this.dLen.length) {
      this.dLen = this.dLen.slice(0, n);
      this.dTerms = this.dTerms.slice(0, n);
    }
    const nt = this.names.length;
    if (nt < this.tOff.length) {
      this.tOff = this.tOff.slice(0, nt);
      this.tLen = this.tLen.slice(0, nt);
      this.tCap = this.tCap.slice(0, nt);
      this.tDf = this.tDf.slice(0, nt);
      this.tMaxTf = this.tMaxTf.slice(0, nt);
      this.tMinLen = this.tMinLen.slice(0, nt);
      this.tMark = this.tMark.slice(0, nt);
    }
  }

  private tfAt(t: number, i: number, doc: number): number {
    const tf = this.pTf[i];
    return tf === TF_BIG ? this.bigTf.get(t)!.get(doc)! : tf;
  }

  // ---- removing -----------------------------------------------------------------------------

  /**
   * Remove a live document; false when it is absent or already removed. `terms`, when given (the
   * document's terms, as added), lets the index find its postings directly; without it, or if it
   * misses some, every posting list is searched (binary search per term), so pass it whenever you
   * have it. For many documents at once use `removeMany`.
   */
  remove(doc: number, terms?: readonly { readonly term: string }[]): boolean {
    if (!this.has(doc)) return false;
    this.markRemoved(doc);
    let remaining = this.dTerms[doc];
    const ep = this.nextEpoch();
    if (terms) {
      for (const { term } of terms) {
        if (remaining === 0) break;
        const t = this.ids.get(term);
        if (t === undefined || this.tMark[t] === ep) continue;
        this.tMark[t] = ep;
        if (this.find(t, doc) >= 0) {
          this.dropOne(t);
          remaining--;
        }
      }
    }
    for (let t = 0; remaining > 0 && t < this.names.length; t++) {
      if (this.tMark[t] === ep) continue;
      if (this.find(t, doc) >= 0) {
        this.dropOne(t);
        remaining--;
      }
    }
    return true;
  }

  /** Remove many documents in one pass over all postings; returns how many were live. */
  removeMany(docs: Iterable<number>): number {
    let n = 0;
    for (const d of docs) {
      if (!this.has(d)) continue;
      this.markRemoved(d);
      n++;
    }
    if (n === 0) return 0;
    for (let t = 0; t < this.names.length; t++) {
      const len = this.tLen[t];
      if (len === 0) continue;
      const off = this.tOff[t];
      let alive = 0;
      for (let i = off; i < off + len; i++) if (this.dLen[this.pDoc[i]] >= 0) alive++;
      if (alive === this.tDf[t]) continue;
      this.tDf[t] = alive + 1;
      this.dropOne(t);
    }
    return n;
  }

  private markRemoved(doc: number): void {
    this.liveLength -= this.dLen[doc];
    this.live--;
    this.dLen[doc] = -1;
  }

  /** Position of doc in term t's list (dead or alive), or −1. */
  private find(t: number, doc: number): number {
    const len = this.tLen[t];
    if (len === 0) return -1;
    const p = this.pDoc;
    let lo = this.tOff[t];
    let hi = lo + len;
    if (doc < p[lo] || doc > p[hi - 1]) return -1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid] < doc) lo = mid + 1;
      else hi = mid;
    }
    return p[lo] === doc ? lo : -1;
  }

  /** One live posting of t died: update df; free or compact the list when due. */
  private dropOne(t: number): void {
    const df = --this.tDf[t];
    if (df === 0) {
      this.liveTermCount--;
      this.release(t);
      this.tLen[t] = 0;
      this.bigTf.delete(t);
      this.blocks[t] = undefined;
    } else if ((this.tLen[t] - df) * 2 > this.tLen[t]) this.compactList(t);
  }

  /** Drop dead entries of t's list in place and recompute its max tf and min length. */
  private compactList(t: number): void {
    const off = this.tOff[t];
    const end = off + this.tLen[t];
    const big = this.bigTf.get(t);
    let w = off;
    let maxTf = 0;
    let minLen = MAX_INT32;
    for (let i = off; i < end; i++) {
      const d = this.pDoc[i];
      const len = this.dLen[d];
      if (len < 0) {
        if (this.pTf[i] === TF_BIG) big!.delete(d);
        continue;
      }
      const tf = this.pTf[i] === TF_BIG ? big!.get(d)! : this.pTf[i];
      if (tf > maxTf) maxTf = tf;
      if (len < minLen) minLen = len;
      this.pDoc[w] = d;
      this.pTf[w] = this.pTf[i];
      w++;
    }
    if (big && big.size === 0) this.bigTf.delete(t);
    this.tLen[t] = w - off;
    this.tMaxTf[t] = maxTf;
    this.tMinLen[t] = minLen;
    if (this.blocks[t]) {
      if (w - off < BLOCK_DROP) this.blocks[t] = undefined;
      else this.buildBlocks(t);
    }
  }

  // ---- search -------------------------------------------------------------------------------

  /**
   * The best k documents by BM25, exactly as `bm25Search` ranks and scores them (same floats):
   * k1 1.2, b 0.75, idf ln(1 + (N − df + 0.5)/(df + 0.5)) with N, avgdl = totalLength/N (1 when
   * that is 0) and df from `stats`; per term w·idf·tf(k1+1)/(tf + k1(1 − b + b·dl/avgdl)), summed in
   * query-term order (each occurrence of a repeated term counts); with `coordination` and at least
   * one original term, × (original occurrences matched)/(original terms in the query). Sorted by
   * score descending, then `idOf(doc)` ascending; documents matching no term are not returned.
   * k is truncated like Array.prototype.slice's end; k ≤ 0, an empty query or stats.documents 0
   * give []. Negative weights (and negative idf, from a df above N) are handled exactly.
   *
   * Refused with RangeError (where bm25Search would produce NaN or overflowing scores): a
   * non-finite weight; non-finite or negative stats.documents or stats.totalLength; a df that is
   * not a finite number ≥ 0 for a term present here; |weight × idf| above 1e290.
   *
   * MaxScore: each query term has an upper bound on its contribution, w·idf·bound(max tf,
   * min length) (0 for w ≤ 0). Terms sorted by bound (with coordination: expansion terms first),
   * the longest prefix whose bounds sum — × the originals among them / originals, with
   * coordination — is below the current k-th score is "non-essential": only documents in the other
   * (essential) lists are candidates, and for each the non-essential lists are probed (galloping
   * nextGEQ) from the largest bound down while the candidate's partial score plus the remaining
   * bounds (× the originals it can still match / originals) could still reach the k-th score. A
   * document is skipped only when its bound is strictly below it (an equal score may still enter by
   * the id tie-break); bounds carry a relative slack that covers every float rounding, so skipping
   * never changes the result.
   *
   * Block-max: for long lists, the bound in the current block of 256 document numbers replaces
   * the global one; and at each candidate d, when the block bounds of long lists plus the bounds
   * of short lists that have a posting at d are below the k-th score, every document up to the
   * next posting of another short list (or the block's end) is skipped at once. Threshold
   * seeding: the documents of the highest-bound short lists (≤ 128 postings) are scored exactly
   * first, so the k-th score starts high.
   */
  topK(query: readonly TopKQueryTerm[], stats: TopKStats, k: number, opts: TopKOptions, idOf: (doc: number) => string): ScoredDoc[] {
    const kk = sliceCount(k);
    if (stats.documents === 0 || query.length === 0 || kk <= 0) return [];
    const N = stats.documents;
    if (!(Number.isFinite(N) && N > 0)) throw new RangeError(`stats.documents ${N} must be a finite number ≥ 0`);
    if (!(Number.isFinite(stats.totalLength) && stats.totalLength >= 0)) throw new RangeError(`stats.totalLength ${stats.totalLength} must be a finite number ≥ 0`);
    const avgdl = stats.totalLength / N || 1;
    const coordination = !!opts.coordination;
    const trace = opts.trace;

    // Query terms present here, in query order.
    const nq = query.length;
    let originals = 0;
    const tid = new Int32Array(nq);
    const w = new Float64Array(nq);
    const orig = new Uint8Array(nq);
    const ub = new Float64Array(nq);
    let m = 0;
    const K1P1 = BM25_K1 + 1;
    const ONE_MINUS_B = 1 - BM25_B;
    for (const { term, weight, original } of query) {
      if (!Number.isFinite(weight)) throw new RangeError(`weight ${weight} of "${term}" must be finite`);
      if (original) originals++;
      const t = this.ids.get(term);
      if (t === undefined || this.tDf[t] === 0) continue;
      const df = stats.df(term);
      if (!(Number.isFinite(df) && df >= 0)) throw new RangeError(`df ${df} of "${term}" must be a finite number ≥ 0`);
      const wt = weight * idf(N, df);
      if (!(Math.abs(wt) <= MAX_WEIGHT)) throw new RangeError(`weight × idf of "${term}" (${wt}) is out of range`);
      tid[m] = t;
      w[m] = wt;
      orig[m] = original ? 1 : 0;
      if (wt > 0) {
        const tf = this.tMaxTf[t];
        const kd = BM25_K1 * (ONE_MINUS_B + (BM25_B * this.tMinLen[t]) / avgdl);
        ub[m] = (wt * (tf * K1P1)) / (tf + kd);
      }
      m++;
    }
    if (m === 0) return [];

    // With coordination a document's score is at most (raw bound) × (original occurrences it can
    // still match) / originals, so expansion terms go first (a document matching only those scores
    // 0); then by bound ascending. prefix[i], origPrefix[i]: the bounds and originals of order[0..i).
    const coordN = coordination && originals > 0 ? originals : 0;
    const order = new Int32Array(m);
    for (let i = 0; i < m; i++) order[i] = i;
    const before = (x: number, y: number) => (coordN && orig[x] !== orig[y] ? orig[x] < orig[y] : ub[x] < ub[y]);
    for (let i = 1; i < m; i++) {
      const x = order[i];
      let j = i - 1;
      while (j >= 0 && before(x, order[j])) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = x;
    }
    const prefix = new Float64Array(m + 1);
    const origPrefix = new Int32Array(m + 1);
    for (let i = 0; i < m; i++) {
      prefix[i + 1] = prefix[i] + ub[order[i]];
      origPrefix[i + 1] = origPrefix[i] + orig[order[i]];
    }
    // A document whose raw score is at most r and that matches at most mo original occurrences
    // scores at most r·mo/originals (r without coordination); factor[mo] is that multiplier times
    // a slack covering every rounding (of each contribution, of sums in any order, of the factor),
    // so "r·factor[mo] + TINY < thr" proves the document is below the k-th score.
    // with coordination only documents matching a term of the query itself can answer, so the
    // expansion terms (first in `order`) never produce candidates: they are non-essential from the start
    let p = 0; // order[0..p) are non-essential
    if (coordN) while (p < m && origPrefix[p + 1] === 0) p++;
    const slack = 1 + (8 * nq + 128) * EPS;
    const factor = new Float64Array(nq + 1);
    for (let i = 0; i <= nq; i++) factor[i] = (coordN ? i / coordN : 1) * slack;

    const cur = new Int32Array(m);
    const end = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      cur[i] = this.tOff[tid[i]];
      end[i] = cur[i] + this.tLen[tid[i]];
    }
    const contrib = new Float64Array(m);
    const mark = new Int32Array(m).fill(-1);
    // Block-max. At the first candidate of each block of document numbers: per term, a bound of its
    // contribution in the block (bub; 0 and bpres 0 when it has no posting there) and prefix sums
    // in `order` (bprefix, borigPrefix).
    const blk: (BlockBounds | undefined)[] = [];
    for (let i = 0; i < m; i++) blk.push(this.blocks[tid[i]]);
    const bub = new Float64Array(m);
    const bpres = new Uint8Array(m);
    const bprefix = new Float64Array(m + 1);
    const borigPrefix = new Int32Array(m + 1);
    let blockEnd = 0; // the current block is [blockEnd − BLOCK_DOCS, blockEnd)
    let skips = 0;

    // Min-heap of the current best (root = worst: lowest score, then greatest id).
    const cap = Math.min(kk, this.live);
    const hS = new Float64Array(cap);
    const hD = new Int32Array(cap);
    const hId: (string | undefined)[] = new Array<string | undefined>(cap).fill(undefined);
    let size = 0;
    const idAt = (i: number): string => (hId[i] ??= idOf(hD[i]));
    /** True when heap entry i ranks below heap entry j. */
    const worse = (i: number, j: number): boolean => hS[i] < hS[j] || (hS[i] === hS[j] && idAt(i) > idAt(j));
    const swap = (i: number, j: number): void => {
      const s = hS[i];
      hS[i] = hS[j];
      hS[j] = s;
      const d = hD[i];
      hD[i] = hD[j];
      hD[j] = d;
      const id = hId[i];
      hId[i] = hId[j];
      hId[j] = id;
    };
    const siftDown = (i: number): void => {
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) return;
        const r = l + 1;
        const c = r < size && worse(r, l) ? r : l;
        if (!worse(c, i)) return;
        swap(c, i);
        i = c;
      }
    };
    const siftUp = (i: number): void => {
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(i, p)) return;
        swap(i, p);
        i = p;
      }
    };

    let thr = -Infinity;
    const pDoc = this.pDoc;
    const pTf = this.pTf;
    const dLen = this.dLen;
    const tMaxTf = this.tMaxTf;
    let cand = 0;
    let scored = 0;
    /** nextGEQ: move cursor j to its first posting ≥ target (gallop, then binary search). */
    const seek = (j: number, target: number): number => {
      let lo = cur[j];
      const hi = end[j];
      if (lo < hi && pDoc[lo] < target) {
        let step = 1;
        let prev = lo;
        let probe = lo + 1;
        while (probe < hi && pDoc[probe] < target) {
          prev = probe;
          step *= 2;
          probe = lo + step;
        }
        let a = prev + 1;
        let b = probe < hi ? probe : hi;
        while (a < b) {
          const mid = (a + b) >>> 1;
          if (pDoc[mid] < target) a = mid + 1;
          else b = mid;
        }
        cur[j] = lo = a;
      }
      return lo;
    };

    const insert = (d: number, score: number): void => {
      // with coordination, a document that scores 0 (it matched no term of the query itself) is no answer
      if (coordN && !(score > 0)) return;
      if (size < cap) {
        hS[size] = score;
        hD[size] = d;
        hId[size] = undefined;
        size++;
        siftUp(size - 1);
        if (size < cap) return;
      } else {
        if (score < hS[0] || (score === hS[0] && !(idOf(d) < idAt(0)))) return;
        hS[0] = score;
        hD[0] = d;
        hId[0] = undefined;
        siftDown(0);
      }
      thr = hS[0];
      while (p < m && prefix[p + 1] * factor[origPrefix[p + 1]] + TINY < thr) p++;
    };

    // Threshold seeding: the documents of the short lists with the largest bounds (rare terms,
    // usually the best documents) are scored first, each term found by binary search, so the k-th
    // score starts high instead of rising slowly as the merge meets them; the merge then passes
    // over them (`seeded`, sorted).
    let seeded: Int32Array = new Int32Array(0);
    {
      let total = 0;
      for (let i = 0; i < m; i++) total += this.tLen[tid[i]];
      const budget = Math.min(SEED_BUDGET, total >> 3);
      const byUb = Array.from(order).reverse();
      const pick: number[] = [];
      let used = 0;
      for (const j of byUb) {
        const len = this.tLen[tid[j]];
        if (ub[j] <= 0 || used + len > budget) continue;
        used += len;
        pick.push(j);
      }
      if (pick.length > 0) {
        const docs: number[] = [];
        for (const j of pick) for (let i = cur[j]; i < end[j]; i++) if (dLen[pDoc[i]] >= 0) docs.push(pDoc[i]);
        docs.sort((x, y) => x - y);
        let n = 0;
        for (let i = 0; i < docs.length; i++) if (i === 0 || docs[i] !== docs[i - 1]) docs[n++] = docs[i];
        seeded = Int32Array.from(docs.slice(0, n));
        for (const d of seeded) {
          const kd = BM25_K1 * (ONE_MINUS_B + (BM25_B * dLen[d]) / avgdl);
          let raw = 0;
          let matched = 0;
          for (let j = 0; j < m; j++) {
            // binary search d in list j
            let a = this.tOff[tid[j]];
            let b = end[j];
            while (a < b) {
              const mid = (a + b) >>> 1;
              if (pDoc[mid] < d) a = mid + 1;
              else b = mid;
            }
            if (a === end[j] || pDoc[a] !== d) continue;
            let tf = pTf[a];
            if (tf === TF_BIG) tf = this.bigTf.get(tid[j])!.get(d)!;
            raw += (w[j] * (tf * K1P1)) / (tf + kd);
            matched += orig[j];
          }
          scored++;
          insert(d, coordN ? (raw * matched) / coordN : raw);
        }
      }
    }
    let si = 0; // seeded[si] is the first seeded document ≥ the current candidate

    for (;;) {
      // Next candidate: the smallest document at an essential cursor.
      let d = MAX_INT32;
      for (let e = p; e < m; e++) {
        const j = order[e];
        const c = cur[j];
        if (c < end[j] && pDoc[c] < d) d = pDoc[c];
      }
      if (d === MAX_INT32) break;

      if (d >= blockEnd) {
        const blockNo = d >> BLOCK_SHIFT;
        blockEnd = (blockNo + 1) * BLOCK_DOCS;
        for (let e = 0; e < m; e++) {
          const j = order[e];
          const bb = blk[j];
          let u = 0;
          let present = 0;
          if (bb !== undefined) {
            const btf = blockNo < bb.maxTf.length ? bb.maxTf[blockNo] : 0;
            if (btf > 0) {
              present = 1;
              if (w[j] > 0) {
                const tf = btf === BLOCK_TF_CAP ? tMaxTf[tid[j]] : btf;
                const kb = BM25_K1 * (ONE_MINUS_B + (BM25_B * bb.minLen[blockNo]) / avgdl);
                u = (w[j] * (tf * K1P1)) / (tf + kb);
              }
            }
          } else {
            const c = e < p ? seek(j, d) : cur[j];
            if (c < end[j] && pDoc[c] < blockEnd) {
              present = 1;
              u = ub[j];
            }
          }
          bub[j] = u;
          bpres[j] = present;
          bprefix[e + 1] = bprefix[e] + u;
          borigPrefix[e + 1] = borigPrefix[e] + (present ? orig[j] : 0);
        }
      }

      if (thr > -Infinity) {
        // Range check: a term without block bounds counts only if it has a posting at d; none of
        // them has one in (d, r), so when the bound is too low, all of [d, r) is skipped.
        let r = blockEnd;
        let u = 0;
        let mo = 0;
        for (let e = 0; e < m; e++) {
          const j = order[e];
          if (blk[j] !== undefined) {
            u += bub[j];
            mo += bpres[j] ? orig[j] : 0;
          } else {
            const c = e < p ? seek(j, d) : cur[j];
            const nd = c < end[j] ? pDoc[c] : MAX_INT32;
            if (nd === d) {
              u += ub[j];
              mo += orig[j];
            } else if (nd < r) r = nd;
          }
        }
        if (u * factor[mo] + TINY < thr) {
          skips++;
          for (let e = p; e < m; e++) seek(order[e], r);
          continue;
        }
      }

      cand++;
      while (si < seeded.length && seeded[si] < d) si++;
      const dl = si < seeded.length && seeded[si] === d ? -1 : dLen[d]; // seeded: already scored
      if (dl < 0) {
        for (let e = p; e < m; e++) {
          const j = order[e];
          if (cur[j] < end[j] && pDoc[cur[j]] === d) cur[j]++;
        }
        continue;
      }
      const kd = BM25_K1 * (ONE_MINUS_B + (BM25_B * dl) / avgdl);
      let partial = 0; // positive contributions only: an upper bound however the rest adds up
      let mo = 0; // original occurrences matched so far
      for (let e = p; e < m; e++) {
        const j = order[e];
        const c = cur[j];
        if (c < end[j] && pDoc[c] === d) {
          const tf = this.tfAt(tid[j], c, d);
          const s = (w[j] * (tf * K1P1)) / (tf + kd);
          contrib[j] = s;
          mark[j] = cand;
          if (s > 0) partial += s;
          mo += orig[j];
          cur[j] = c + 1;
        }
      }
      // Non-essential terms, largest bound first, while the candidate can still make it.
      let rejected = false;
      for (let e = p - 1; e >= 0; e--) {
        if ((partial + bprefix[e + 1]) * factor[mo + borigPrefix[e + 1]] + TINY < thr) {
          rejected = true;
          break;
        }
        const j = order[e];
        const at = seek(j, d);
        if (at < end[j] && pDoc[at] === d) {
          const tf = this.tfAt(tid[j], at, d);
          const s = (w[j] * (tf * K1P1)) / (tf + kd);
          contrib[j] = s;
          mark[j] = cand;
          if (s > 0) partial += s;
          mo += orig[j];
          cur[j] = at + 1;
        }
      }
      if (rejected) continue;
      scored++;
      // The exact score, summed in query order as bm25Search does.
      let raw = 0;
      let matched = 0;
      for (let j = 0; j < m; j++) {
        if (mark[j] !== cand) continue;
        raw += contrib[j];
        if (orig[j]) matched++;
      }
      insert(d, coordN ? (raw * matched) / coordN : raw);
    }
    if (trace) {
      trace.candidates += cand;
      trace.scored += scored;
      trace.skips += skips;
    }

    const out: { doc: number; score: number; id: string }[] = [];
    for (let i = 0; i < size; i++) out.push({ doc: hD[i], score: hS[i], id: idAt(i) });
    out.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return out.map(({ doc, score }) => ({ doc, score }));
  }
}

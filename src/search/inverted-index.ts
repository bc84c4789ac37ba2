/**
 * A compact inverted index with exact top-k BM25: MaxScore dynamic pruning with block-max bounds.
 *
 * Layout
 *   - Terms are interned to dense integer ids (`Map<string, number>`); everything per term lives in
 *     parallel Int32Arrays indexed by term id: offset/length/capacity of its posting list, live df,
 *     and the pruning bound data (max tf, min document length over its postings).
 *   - All posting lists share one arena (posting-arena.ts): document numbers and term frequencies
 *     in parallel typed arrays (5 bytes a posting). A tf of 255 or more is stored as 255 with the real
 *     value in a small per-term overflow map. Lists are sorted by document number because documents
 *     are added in increasing order. `trim()` cuts all spare capacity (after a bulk load).
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
import { BLOCK_LEN_CAP, BLOCK_SHIFT, BLOCK_TF_CAP, MAX_INT32, TF_BIG, type BlockBounds, type IndexedTerm, type PostingLists, type ScoredDoc, type TopKOptions, type TopKQueryTerm, type TopKStats } from './postings.js';
import { PostingArena } from './posting-arena.js';
import { topK } from './top-k.js';

export type { IndexedTerm, ScoredDoc, TopKOptions, TopKQueryTerm, TopKStats, TopKTrace } from './postings.js';

/** Lists reaching this length keep per-block bounds; compacted below BLOCK_DROP they lose them. */
const BLOCK_MIN = 2048;
const BLOCK_DROP = 1024;

export class InvertedIndex implements PostingLists {
  // Fields without `private` are the PostingLists view that top-k.ts reads; only this class writes them.
  // ---- terms --------------------------------------------------------------------------------
  readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  tDf = new Int32Array(256);
  tMaxTf = new Int32Array(256);
  tMinLen = new Int32Array(256);
  /** Scratch mark (an epoch per add/remove call) to detect duplicate terms. */
  private tMark = new Int32Array(256);
  private epoch = 0;
  /** Terms with df > 0. */
  private liveTermCount = 0;

  // ---- postings -----------------------------------------------------------------------------
  /** Every term's posting list: its slot (offset, length, capacity) and the postings. */
  private readonly arena = new PostingArena();
  get tOff(): Int32Array {
    return this.arena.tOff;
  }
  get tLen(): Int32Array {
    return this.arena.tLen;
  }
  get pDoc(): Int32Array {
    return this.arena.pDoc;
  }
  get pTf(): Uint8Array {
    return this.arena.pTf;
  }
  /** term id → (doc → tf) for tf ≥ TF_BIG. */
  readonly bigTf = new Map<number, Map<number, number>>();
  /** term id → per-block bounds, for lists of at least BLOCK_MIN postings. */
  readonly blocks: (BlockBounds | undefined)[] = [];

  // ---- documents ----------------------------------------------------------------------------
  dLen = new Int32Array(1024).fill(-1);
  private dTerms = new Int32Array(1024);
  /** Every document added from now on must be ≥ this. */
  private nextDoc = 0;
  live = 0;
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
    const ta = [this.tDf, this.tMaxTf, this.tMinLen, this.tMark, this.dLen, this.dTerms];
    let bytes = ta.reduce((s, a) => s + a.byteLength, this.arena.byteLength);
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
      const cap = this.arena.tCap[t];
      if (len > cap || (cap > 0 && off + cap > this.arena.top)) fail(`slot of "${this.names[t]}"`);
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
   * on invalid input. Returns the term numbers of `terms`, in their order (see `termName`).
   */
  add(doc: number, terms: readonly IndexedTerm[], length: number): Int32Array {
    const tids = new Int32Array(terms.length);
    const tfs: number[] = []; // as given: addNumbered checks them
    for (let i = 0; i < terms.length; i++) {
      const { term, tf } = terms[i];
      if (typeof term !== 'string') throw new RangeError('terms must be strings');
      tids[i] = this.intern(term);
      tfs.push(tf);
    }
    this.addNumbered(doc, tids, tfs, length);
    return tids;
  }

  /**
   * `add` with the terms given by number (`internTerm`), e.g. by a caller that keeps the numbers of the
   * words it has seen; `tfs[i]` is the count of `tids[i]`. The same checks, the same postings.
   */
  addNumbered(doc: number, tids: ArrayLike<number>, tfs: ArrayLike<number>, length: number): void {
    if (!Number.isInteger(doc) || doc < this.nextDoc || doc >= MAX_INT32) throw new RangeError(`document number ${doc} must be an integer ≥ ${this.nextDoc} (numbers increase and are never reused)`);
    if (!Number.isInteger(length) || length < 0 || length > MAX_INT32) throw new RangeError(`document length ${length} must be a non-negative 32-bit integer`);
    const ep = this.nextEpoch();
    for (let i = 0; i < tids.length; i++) {
      const t = tids[i];
      if (!(t >= 0 && t < this.names.length)) throw new RangeError(`term number ${t} is not interned`);
      const tf = tfs[i];
      if (!Number.isInteger(tf) || tf < 1 || tf > MAX_INT32) throw new RangeError(`tf ${tf} of "${this.names[t]}" must be an integer ≥ 1`);
      if (this.tMark[t] === ep) throw new RangeError(`term "${this.names[t]}" appears twice in document ${doc}`);
      this.tMark[t] = ep;
    }
    this.ensureDocCapacity(doc);
    this.dLen[doc] = length; // before the postings: building block bounds reads it
    this.dTerms[doc] = tids.length;
    for (let i = 0; i < tids.length; i++) this.append(tids[i], doc, tfs[i], length);
    this.nextDoc = doc + 1;
    this.live++;
    this.liveLength += length;
  }

  /** The number of a term, interned if new (it keeps the number; no posting until a document has it). */
  internTerm(term: string): number {
    return this.intern(term);
  }

  /** The term of a term number (numbers are dense, never reused: a term keeps its number). */
  termName(t: number): string {
    return this.names[t];
  }

  /** The number of an interned term, or −1. */
  termNumber(term: string): number {
    return this.ids.get(term) ?? -1;
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
    this.arena.growTerms(n);
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
    const a = this.arena;
    if (a.tLen[t] === a.tCap[t]) a.growList(t);
    const len = a.tLen[t];
    const at = a.tOff[t] + len;
    a.pDoc[at] = doc;
    if (tf >= TF_BIG) {
      a.pTf[at] = TF_BIG;
      let m = this.bigTf.get(t);
      if (!m) this.bigTf.set(t, (m = new Map()));
      m.set(doc, tf);
    } else a.pTf[at] = tf;
    a.tLen[t] = len + 1;
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

  /**
   * Release all spare capacity: every posting list and the arena shrink to their exact sizes, and
   * the per-document arrays to the documents added so far (e.g. after a bulk load; later adds
   * grow them again).
   */
  trim(): void {
    const nt = this.names.length;
    this.arena.compact(nt, 0, 1, true);
    const n = this.nextDoc;
    if (n < this.dLen.length) {
      this.dLen = this.dLen.slice(0, n);
      this.dTerms = this.dTerms.slice(0, n);
    }
    if (nt < this.tDf.length) {
      this.arena.trimTerms(nt);
      this.tDf = this.tDf.slice(0, nt);
      this.tMaxTf = this.tMaxTf.slice(0, nt);
      this.tMinLen = this.tMinLen.slice(0, nt);
      this.tMark = this.tMark.slice(0, nt);
    }
  }

  tfAt(t: number, i: number, doc: number): number {
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
      this.arena.release(t);
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

  /** The best k documents by BM25, exactly as `bm25Search` ranks them: see `topK` (top-k.ts). */
  topK(query: readonly TopKQueryTerm[], stats: TopKStats, k: number, opts: TopKOptions, idOf: (doc: number) => string): ScoredDoc[] {
    return topK(this, query, stats, k, opts, idOf);
  }
}

import type { DocumentTable } from '../core/documents.js';
import { Int32Column } from '../core/growable.js';
import { indexTerm, tokenize } from '../text/tokenizer.js';

/**
 * How much of a document's text the second stage reads: its first 3,000 characters (and the title). This
 * bounds the cost per document, and on the man pages dev split the beginning ranks better than the whole
 * text (MRR@10 0.351 whole, 0.358 at 4,000, 0.360 at 3,000, 0.367 at 2,000): it says what a page is about.
 * 3,000 and not 2,000: the sample corpus's documents are 1,771–2,614 characters, and cutting them drops
 * its NDCG@10 from 0.876 to 0.870, below minisearch (docs/search.md).
 */
export const RESCORE_CHARS = 3000;

/**
 * Token numbers the ring of one table holds (4 bytes each), and how many windows at most: about 1.6 MB
 * a table, made at its first re-scored query. 2^14 windows hold WordNet's glosses (about 20 tokens) up
 * to the ring's size; a man page's window is about 500 tokens.
 */
export const RING_TOKENS = 1 << 18;
export const RING_WINDOWS = 1 << 14;

/**
 * The second stage's windows (a document's title, then the first RESCORE_CHARS of its text) as token
 * numbers, for the documents re-scored lately: the same documents come back in the top results of many
 * queries, and tokenizing them again is most of the second stage's cost.
 *
 * No object per window. The token numbers of every cached window share one ring (an Int32Array): a new
 * window is written after the newest and evicts the oldest windows it reaches; a window's record (where
 * its tokens are, its title's length, its document, the strings it was made from) is a slot of typed
 * columns. A window used again while in the older half of the ring is copied to the front (first in,
 * first out with reinsertion: close to least recently used). With an object and a typed array per
 * window, the windows a query cached survived each young-generation collection until promoted: every
 * collection during queries copied about 1 MB and paused a query for 1–2 ms (docs/performance.md).
 *
 * A window is valid only for the very title and text it was made from (a document number forgotten and
 * reused gets a new one). The dictionary numbering the tokens grows with the words of the windows;
 * `rescore.ts` starts a table's cache again past its bound.
 *
 * `window` answers through fields (`tokens`, `start`, `length`, `headLength`), valid until its next call:
 * a query asks for about 30 windows, and an answer object each would be garbage again.
 */
export class WindowCache {
  /** The ring; a window too large for it is made in `scratch` and not cached. */
  private readonly ring: Int32Array;
  private scratch = new Int32Array(256);
  /** Where the next window's tokens go. */
  private head = 0;
  /** Window records in the order they were written: record r is slot r % slots; [oldest, next) are in the ring. */
  private next = 0;
  private oldest = 0;
  private readonly slots: number;
  private readonly off: Int32Array;
  private readonly len: Int32Array;
  private readonly headLen: Int32Array;
  /** The slot's document number; -1 once the slot no longer stands for it (rewritten elsewhere, or stale). */
  private readonly doc: Int32Array;
  private readonly rec: Float64Array;
  private readonly titles: (string | null)[];
  private readonly texts: (string | null)[];
  /** Document number → its slot + 1 (0: not cached). */
  private readonly slotOf = new Int32Column(1024);

  /** Token → number, and each token number's index term (its stem when stemming) as a number. */
  readonly dict = new Map<string, number>();
  readonly termOf = new Int32Column(1024);
  readonly terms = new Map<string, number>();

  /** The last `window` answer: tokens[start .. start + length), the first headLength from the title. */
  tokens: Int32Array;
  start = 0;
  length = 0;
  headLength = 0;

  constructor(ringTokens = RING_TOKENS, windows = RING_WINDOWS) {
    this.ring = new Int32Array(Math.max(16, ringTokens));
    this.tokens = this.ring;
    this.slots = Math.max(2, windows);
    this.off = new Int32Array(this.slots);
    this.len = new Int32Array(this.slots);
    this.headLen = new Int32Array(this.slots);
    this.doc = new Int32Array(this.slots).fill(-1);
    this.rec = new Float64Array(this.slots);
    this.titles = new Array<string | null>(this.slots).fill(null);
    this.texts = new Array<string | null>(this.slots).fill(null);
  }

  /** Windows in the ring (tests). */
  get cached(): number {
    let n = 0;
    for (let r = this.oldest; r < this.next; r++) if (this.doc[r % this.slots] >= 0) n++;
    return n;
  }

  /** The window of document `doc` of `table`: from the ring, or made now (and cached when it fits). */
  window(table: DocumentTable, doc: number): void {
    const d = table.record(doc);
    this.slotOf.ensure(doc);
    const s = this.slotOf.data[doc] - 1;
    if (s >= 0) {
      if (this.titles[s] === d.title && this.texts[s] === d.text) {
        // in the older half of the ring: copied to the front, so a window in use is not evicted
        if (this.next - this.rec[s] > (this.next - this.oldest) / 2) this.rewrite(s, doc, d.title, d.text);
        else this.answer(this.ring, this.off[s], this.len[s], this.headLen[s]);
        return;
      }
      this.release(s); // made from another text (the document number was reused)
    }
    const { stopwords, stem } = table.text;
    const head = tokenize(d.title, stopwords);
    const body = tokenize(d.text.length > RESCORE_CHARS ? d.text.slice(0, RESCORE_CHARS) : d.text, stopwords);
    const n = head.length + body.length;
    let to: Int32Array;
    let at: number;
    // an empty window is not cached (a record without tokens would sit in the ring's order where it
    // overlaps nothing and stop the eviction of the windows after it); nor is one over half the ring
    if (n === 0 || n > this.ring.length / 2) {
      if (this.scratch.length < n) this.scratch = new Int32Array(n);
      to = this.scratch;
      at = 0;
    } else {
      at = this.place(n, doc, d.title, d.text, head.length);
      to = this.ring;
    }
    for (let i = 0; i < head.length; i++) to[at + i] = this.tokenNumber(head[i], stem);
    for (let i = 0; i < body.length; i++) to[at + head.length + i] = this.tokenNumber(body[i], stem);
    this.answer(to, at, n, head.length);
  }

  private answer(tokens: Int32Array, start: number, length: number, headLength: number): void {
    this.tokens = tokens;
    this.start = start;
    this.length = length;
    this.headLength = headLength;
  }

  /** Copy slot s's window to the front of the ring (through scratch: making room may overwrite it). */
  private rewrite(s: number, doc: number, title: string, text: string): void {
    const n = this.len[s];
    const h = this.headLen[s];
    if (this.scratch.length < n) this.scratch = new Int32Array(n);
    this.scratch.set(this.ring.subarray(this.off[s], this.off[s] + n));
    this.release(s);
    const at = this.place(n, doc, title, text, h);
    this.ring.set(this.scratch.subarray(0, n), at);
    this.answer(this.ring, at, n, h);
  }

  /** A record for a window of n tokens: room made after the newest window; returns where its tokens go. */
  private place(n: number, doc: number, title: string, text: string, headLength: number): number {
    if (this.head + n > this.ring.length) {
      // the ring's end is skipped: the windows still there (the oldest) go, and writing starts again at 0
      while (this.oldest < this.next && this.off[this.oldest % this.slots] >= this.head) this.evictOldest();
      this.head = 0;
    }
    const lo = this.head;
    const hi = lo + n;
    while (this.oldest < this.next) {
      const o = this.oldest % this.slots;
      const overlaps = this.off[o] < hi && lo < this.off[o] + this.len[o];
      if (!overlaps && this.next - this.oldest < this.slots) break;
      this.evictOldest();
    }
    const s = this.next % this.slots;
    this.off[s] = lo;
    this.len[s] = n;
    this.headLen[s] = headLength;
    this.doc[s] = doc;
    this.rec[s] = this.next;
    this.titles[s] = title;
    this.texts[s] = text;
    this.slotOf.data[doc] = s + 1;
    this.next++;
    this.head = hi;
    return lo;
  }

  private evictOldest(): void {
    this.release(this.oldest % this.slots);
    this.oldest++;
  }

  /** Slot s no longer stands for its document (its record stays in the ring's order until evicted). */
  private release(s: number): void {
    const d = this.doc[s];
    if (d >= 0 && this.slotOf.data[d] === s + 1) this.slotOf.data[d] = 0;
    this.doc[s] = -1;
    this.titles[s] = null;
    this.texts[s] = null;
  }

  private tokenNumber(tok: string, stemming: boolean): number {
    let x = this.dict.get(tok);
    if (x !== undefined) return x;
    x = this.dict.size;
    this.dict.set(tok, x);
    this.termOf.ensure(x);
    const term = indexTerm(tok, stemming);
    let t = this.terms.get(term);
    if (t === undefined) this.terms.set(term, (t = this.terms.size));
    this.termOf.data[x] = t;
    return x;
  }
}

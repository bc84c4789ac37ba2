/**
 * The storage of every posting list of an InvertedIndex (inverted-index.ts): one arena, an Int32Array
 * of document numbers and a parallel Uint8Array of term frequencies (5 bytes a posting), and per term
 * the offset, length and capacity of its slot.
 *
 * A full list moves to a slot of the next capacity (×2 up to 8, ×1.5 up to 64, then ×1.25) or grows
 * in place at the arena's end; freed slots are kept per capacity and reused by the next list growing
 * to that capacity (lists grow through the same capacities). A full arena is compacted when more
 * than a third of it is free, else copied into one 1.25× larger. `compact(…, shrink)` cuts all
 * spare capacity (after a bulk load).
 *
 * The arena only moves postings; what they mean (tf overflow, bounds, df) is the index's.
 */

/** The arena grows by this factor (and keeps this much room when compacted). */
export const ARENA_GROWTH = 1.25;

export class PostingArena {
  tOff = new Int32Array(256);
  tLen = new Int32Array(256);
  tCap = new Int32Array(256);
  pDoc = new Int32Array(1024);
  pTf = new Uint8Array(1024);
  /** First unused arena slot. */
  top = 0;
  /** Freed slots by capacity (reused by lists growing to that capacity), and their total size. */
  private readonly freeSlots = new Map<number, number[]>();
  private freeTotal = 0;

  /** Room for `n` terms' slots (the arrays are copied, never shrunk here). */
  growTerms(n: number): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.tOff = grow(this.tOff);
    this.tLen = grow(this.tLen);
    this.tCap = grow(this.tCap);
  }

  /** Term t's list is full: give it a slot of the next capacity (its postings move with it). */
  growList(t: number): void {
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
   * A free slot of `cap` entries: a freed slot of that exact capacity, else the arena's end; when
   * the arena is full it is compacted if more than a third of it is free, else grown (copied as it
   * is, offsets unchanged).
   */
  private alloc(cap: number): number {
    const reuse = this.freeSlots.get(cap);
    if (reuse !== undefined && reuse.length > 0) {
      this.freeTotal -= cap;
      return reuse.pop()!;
    }
    if (this.top + cap > this.pDoc.length) {
      if (this.freeTotal * 3 > this.pDoc.length) this.compact(this.tOff.length, cap, ARENA_GROWTH);
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
  release(t: number): void {
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
   * Copy the lists of the first `nTerms` terms, in term order, into a fresh arena of (slots in use +
   * extra) × growth, and forget the free slots. `shrink` also cuts every list's capacity to its
   * length.
   */
  compact(nTerms: number, extra: number, growth: number, shrink = false): void {
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

  /** Cut the per-term arrays to `nTerms` (after `compact(…, shrink)`). */
  trimTerms(nTerms: number): void {
    if (nTerms >= this.tOff.length) return;
    this.tOff = this.tOff.slice(0, nTerms);
    this.tLen = this.tLen.slice(0, nTerms);
    this.tCap = this.tCap.slice(0, nTerms);
  }

  get byteLength(): number {
    return this.tOff.byteLength + this.tLen.byteLength + this.tCap.byteLength + this.pDoc.byteLength + this.pTf.byteLength;
  }
}

import { Int32Column } from './growable.js';

/**
 * Short lists of term numbers per document (a pending document's terms in salience order), in one
 * arena: 4 bytes a term instead of an array of strings per document. A list is dropped once read
 * (`take`); the arena restarts when no list is left and is compacted when more than half of it is
 * dropped lists (and it is not tiny next to the number of documents, which the compaction walks), so
 * it holds about what the pending documents need.
 */
export class TermLists {
  private readonly off = new Int32Column(1024);
  /** Length + 1 of document n's list; 0 = no list. */
  private readonly len = new Int32Column(1024);
  private arena = new Int32Column(4096);
  private top = 0;
  private dead = 0;
  private live = 0;
  /** Documents addressable so far (the compaction walks them). */
  private docs = 0;

  /** Store document n's list (replacing any). */
  set(n: number, terms: readonly number[]): void {
    this.drop(n);
    this.off.ensure(n);
    this.len.ensure(n);
    if (n >= this.docs) this.docs = n + 1;
    this.arena.ensure(this.top + terms.length);
    const a = this.arena.data;
    for (let i = 0; i < terms.length; i++) a[this.top + i] = terms[i];
    this.off.data[n] = this.top;
    this.len.data[n] = terms.length + 1;
    this.top += terms.length;
    this.live++;
  }

  has(n: number): boolean {
    return n < this.docs && this.len.data[n] > 0;
  }

  /** Document n's list (a copy), or null when it has none. */
  get(n: number): number[] | null {
    if (!this.has(n)) return null;
    const o = this.off.data[n];
    const l = this.len.data[n] - 1;
    const out = new Array<number>(l);
    const a = this.arena.data;
    for (let i = 0; i < l; i++) out[i] = a[o + i];
    return out;
  }

  /** Document n's list, dropped from the store; null when it has none. */
  take(n: number): number[] | null {
    const out = this.get(n);
    if (out) this.drop(n);
    return out;
  }

  drop(n: number): void {
    if (!this.has(n)) return;
    this.dead += this.len.data[n] - 1;
    this.len.data[n] = 0;
    this.live--;
    if (this.live === 0) {
      this.top = 0;
      this.dead = 0;
    } else if (this.dead * 2 > this.top && this.top > 4096 && this.top * 8 > this.docs) this.compact(); // the walk over all documents costs O(1) per dropped entry
  }

  private compact(): void {
    const from = this.arena.data;
    const next = new Int32Column(Math.ceil((this.top - this.dead) * 1.5));
    const a = next.data;
    let at = 0;
    for (let n = 0; n < this.docs; n++) {
      const l = this.len.data[n] - 1;
      if (l < 0) continue;
      const o = this.off.data[n];
      for (let i = 0; i < l; i++) a[at + i] = from[o + i];
      this.off.data[n] = at;
      at += l;
    }
    this.arena = next;
    this.top = at;
    this.dead = 0;
  }

  /** Give back spare capacity (no list is lost). */
  trim(): void {
    if (this.live === 0) this.arena = new Int32Column(16);
    else this.arena.trim(this.top);
    this.off.trim(this.docs);
    this.len.trim(this.docs);
  }
}

import { Int32Column } from './growable.js';

/** Bytes a page holds (256 KiB); a window larger than a page gets a page of its own. */
export const WINDOW_PAGE = 1 << 18;

const NONE = new Uint8Array(0);

/** Bytes of x as a LEB128 varint (x ≥ 0, < 2^31). */
function varintBytes(x: number): number {
  return x < 0x80 ? 1 : x < 0x4000 ? 2 : x < 0x200000 ? 3 : x < 0x10000000 ? 4 : 5;
}

/**
 * Each document's second-stage window (search/rescore.ts: its title's tokens, then its text's within
 * RESCORE_CHARS) as concept term numbers, written when the document is added: a forward index, so a
 * query re-scores a document without tokenizing its text again.
 *
 * A window is its term numbers as LEB128 varints: a table numbers its words in the order it meets
 * them, so common words have small numbers (a WordNet gloss: about 20 tokens in about 45 bytes; a man
 * page at most about 1 KB). No object per window: windows are slices of byte pages (one large array
 * would be copied whole each time it grows). A page whose windows are all gone is freed; when removed
 * windows hold more bytes than the live ones, the live ones are copied into new pages.
 *
 * `window` decodes a window into fields (`terms`, `length`, `headLength`), valid until the next call:
 * a query asks for 30 or more windows, and an answer object each would be garbage.
 */
export class WindowStore {
  private pages: Uint8Array[] = [];
  /** Bytes of live windows per page, and bytes written to it. */
  private pageLive: number[] = [];
  private pageUsed: number[] = [];
  /** Per document number: its page + 1 (0: no window), where the window starts, its bytes, its title's tokens. */
  private readonly pageOf = new Int32Column(1024);
  private readonly off = new Int32Column(1024);
  private readonly len = new Int32Column(1024);
  private readonly head = new Int32Column(1024);
  private live = 0;
  private garbage = 0;

  /** The last `window` answer: its term numbers are terms[0 .. length), the first headLength from the title. */
  terms = new Int32Array(256);
  length = 0;
  headLength = 0;

  /** `page`: bytes a page holds (tests make it small). */
  constructor(private readonly page = WINDOW_PAGE) {}

  /** Bytes held in live windows, and in removed ones not yet reclaimed (tests, memory reports). */
  get size(): { live: number; garbage: number; pages: number } {
    return { live: this.live, garbage: this.garbage, pages: this.pages.filter((p) => p !== NONE).length };
  }

  /**
   * Write document `doc`'s window: n tokens, token i being `num[words[i]]` (a term number per word, a
   * word per token), the first `headLength` from its title. A document has one window: a second `add`
   * replaces the first.
   */
  add(doc: number, words: ArrayLike<number>, num: ArrayLike<number>, n: number, headLength: number): void {
    let size = 0;
    for (let i = 0; i < n; i++) size += varintBytes(num[words[i]]);
    const at = this.reserve(doc, size, headLength);
    if (at < 0) return;
    const b = this.pages[this.pages.length - 1];
    let o = at;
    for (let i = 0; i < n; i++) {
      let x = num[words[i]];
      while (x >= 0x80) {
        b[o++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      b[o++] = x;
    }
  }

  /** Room for a window of `size` bytes, in the last page (−1 for none: an empty window is not kept). */
  private reserve(doc: number, size: number, headLength: number): number {
    this.remove(doc);
    this.pageOf.ensure(doc);
    this.off.ensure(doc);
    this.len.ensure(doc);
    this.head.ensure(doc);
    if (size === 0) return -1;
    let p = this.pages.length - 1;
    if (p < 0 || this.pageUsed[p] + size > this.pages[p].length) {
      this.pages.push(new Uint8Array(Math.max(this.page, size)));
      this.pageLive.push(0);
      this.pageUsed.push(0);
      p++;
    }
    const at = this.pageUsed[p];
    this.pageOf.data[doc] = p + 1;
    this.off.data[doc] = at;
    this.len.data[doc] = size;
    this.head.data[doc] = headLength;
    this.pageLive[p] += size;
    this.pageUsed[p] += size;
    this.live += size;
    return at;
  }

  /** Document `doc`'s window decoded into the answer fields (empty when it has none). */
  window(doc: number): void {
    const p = doc < this.pageOf.data.length ? this.pageOf.data[doc] - 1 : -1;
    this.length = 0;
    this.headLength = 0;
    if (p < 0) return;
    const b = this.pages[p];
    const start = this.off.data[doc];
    const end = start + this.len.data[doc];
    // at most one term a byte
    if (this.terms.length < end - start) this.terms = new Int32Array(2 * (end - start));
    const out = this.terms;
    let n = 0;
    for (let i = start; i < end; ) {
      let x = b[i++];
      if (x >= 0x80) {
        x &= 0x7f;
        let shift = 7;
        let c: number;
        do {
          c = b[i++];
          x |= (c & 0x7f) << shift;
          shift += 7;
        } while (c >= 0x80);
      }
      out[n++] = x;
    }
    this.length = n;
    this.headLength = this.head.data[doc];
  }

  /** Document `doc`'s window as a fresh array of term numbers, and how many come from the title (tests). */
  readWindow(doc: number): { terms: number[]; headLength: number } {
    this.window(doc);
    return { terms: Array.from(this.terms.subarray(0, this.length)), headLength: this.headLength };
  }

  /** Forget document `doc`'s window (the document was removed). */
  remove(doc: number): void {
    if (doc >= this.pageOf.data.length) return;
    const p = this.pageOf.data[doc] - 1;
    if (p < 0) return;
    const n = this.len.data[doc];
    this.pageOf.data[doc] = 0;
    this.len.data[doc] = 0;
    this.pageLive[p] -= n;
    this.live -= n;
    this.garbage += n;
    if (this.pageLive[p] === 0 && p < this.pages.length - 1) {
      this.garbage -= this.pageUsed[p];
      this.pageUsed[p] = 0;
      this.pages[p] = NONE; // freed; its number stays so the other pages keep theirs
    }
    if (this.garbage > this.page && this.garbage > this.live) this.compact();
  }

  /** Give back the last page's spare room after a bulk load (the next window starts a new page). */
  trim(): void {
    const p = this.pages.length - 1;
    if (p < 0 || this.pageUsed[p] >= this.pages[p].length) return;
    this.pages[p] = this.pages[p].slice(0, Math.max(1, this.pageUsed[p]));
  }

  /** Copy the live windows into new pages, in document order. */
  private compact(): void {
    const old = this.pages;
    this.pages = [];
    this.pageLive = [];
    this.pageUsed = [];
    this.live = 0;
    this.garbage = 0;
    const docs = this.pageOf.data.length;
    for (let doc = 0; doc < docs; doc++) {
      const p = this.pageOf.data[doc] - 1;
      if (p < 0) continue;
      const from = old[p];
      const at = this.off.data[doc];
      const n = this.len.data[doc];
      this.pageOf.data[doc] = 0;
      const to = this.reserve(doc, n, this.head.data[doc]);
      this.pages[this.pages.length - 1].set(from.subarray(at, at + n), to);
    }
  }
}

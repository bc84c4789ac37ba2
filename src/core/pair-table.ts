/**
 * An open-addressing hash table from an unordered pair of small non-negative integers (two
 * interned node numbers) to a non-negative integer (an edge number). Linear probing with
 * backward-shift deletion (no tombstones, so deletions never force a rehash), any number of slots
 * (a slot's home is the hash scaled to the table, not masked), growth ×1.5 past 70 % load. Each slot
 * is (lo, hi, value) in one Int32Array: 12 bytes a slot, and no string or object is ever made for a
 * key. Nothing iterates the table, so its layout never shows.
 */
const EMPTY = -1;
const MAX_LOAD = 0.7;
/** Load after `trim()` (room for growth without a rehash soon). */
const TRIM_LOAD = 0.6;
const TWO_32 = 4294967296;

/** The pair's hash as an int32 (read as unsigned by `home`): a uint32 above 2^31 would be a boxed number wherever a call is not inlined. */
function mix(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h | 0;
}

export class PairTable {
  private s: Int32Array;
  /** Number of slots. */
  private n: number;
  size = 0;

  constructor(capacity = 1024) {
    this.n = Math.max(16, capacity * 2);
    this.s = new Int32Array(this.n * 3).fill(EMPTY);
  }

  private home(lo: number, hi: number): number {
    return Math.floor(((mix(lo, hi) >>> 0) * this.n) / TWO_32);
  }

  /** Slot index (×3) of {lo, hi}, or ~(the empty slot ending its probe) when absent. */
  private find(lo: number, hi: number): number {
    const s = this.s;
    const n = this.n;
    let i = this.home(lo, hi);
    for (;;) {
      const p = i * 3;
      const k = s[p];
      if (k === EMPTY) return ~p;
      if (k === lo && s[p + 1] === hi) return p;
      if (++i === n) i = 0;
    }
  }

  /** The value for {a, b}, or -1. */
  get(a: number, b: number): number {
    const p = a < b ? this.find(a, b) : this.find(b, a);
    return p >= 0 ? this.s[p + 2] : -1;
  }

  /**
   * The value for {a, b} if present (left as it is); otherwise insert {a, b} → v and return -1. One probe
   * where `get` then `set` would take two.
   */
  getOrInsert(a: number, b: number, v: number): number {
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    const p = this.find(lo, hi);
    if (p >= 0) return this.s[p + 2];
    this.insertAt(~p, lo, hi, v);
    return -1;
  }

  /** Set the value for {a, b} (insert or overwrite). */
  set(a: number, b: number, v: number): void {
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    const p = this.find(lo, hi);
    if (p >= 0) {
      this.s[p + 2] = v;
      return;
    }
    this.insertAt(~p, lo, hi, v);
  }

  /** Fill the empty slot q (×3) that ended the probe for {lo, hi}. */
  private insertAt(q: number, lo: number, hi: number, v: number): void {
    this.s[q] = lo;
    this.s[q + 1] = hi;
    this.s[q + 2] = v;
    this.size++;
    if (this.size > this.n * MAX_LOAD) this.rehash(Math.ceil(this.n * 1.5));
  }

  /** Remove {a, b}; returns its value or -1. */
  delete(a: number, b: number): number {
    const p = a < b ? this.find(a, b) : this.find(b, a);
    if (p < 0) return -1;
    const s = this.s;
    const n = this.n;
    const v = s[p + 2];
    // backward shift: move later entries of the probe run into the hole when their home allows
    let i = p / 3;
    let j = i;
    for (;;) {
      if (++j === n) j = 0;
      const q = j * 3;
      if (s[q] === EMPTY) break;
      const h = this.home(s[q], s[q + 1]);
      // the entry at j may fill the hole at i only if its home is not cyclically in (i, j]
      if (i <= j ? i < h && h <= j : i < h || h <= j) continue;
      const r = i * 3;
      s[r] = s[q];
      s[r + 1] = s[q + 1];
      s[r + 2] = s[q + 2];
      i = j;
    }
    s[i * 3] = EMPTY;
    this.size--;
    return v;
  }

  /** Remove every entry (keeps the capacity). */
  clear(): void {
    this.s.fill(EMPTY);
    this.size = 0;
  }

  /** Shrink to TRIM_LOAD (after a bulk load). */
  trim(): void {
    const n = Math.max(16, Math.ceil(this.size / TRIM_LOAD));
    if (n < this.n) this.rehash(n);
  }

  private rehash(n: number): void {
    const old = this.s;
    this.s = new Int32Array(n * 3).fill(EMPTY);
    this.n = n;
    const s = this.s;
    for (let p = 0; p < old.length; p += 3) {
      const lo = old[p];
      if (lo === EMPTY) continue;
      let i = this.home(lo, old[p + 1]);
      while (s[i * 3] !== EMPTY) if (++i === n) i = 0;
      const q = i * 3;
      s[q] = lo;
      s[q + 1] = old[p + 1];
      s[q + 2] = old[p + 2];
    }
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.s.byteLength;
  }
}

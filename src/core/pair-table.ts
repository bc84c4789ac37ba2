/**
 * An open-addressing hash table from an unordered pair of small non-negative integers (two
 * interned node numbers) to a non-negative integer (an edge number). Linear probing, tombstones on
 * delete, rehash past 60 % load. Each slot is (lo, hi, value, unused) in one Int32Array, so a probe
 * touches one cache line and no string or object is ever made for a key: 16 bytes a slot.
 */
const EMPTY = -1;
const TOMB = -2;

function mix(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

export class PairTable {
  private s: Int32Array;
  private mask: number;
  private used = 0; // live + tombstones
  size = 0;

  constructor(capacity = 1024) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.s = new Int32Array(n * 4).fill(EMPTY);
    this.mask = n - 1;
  }

  /** Slot index (×4) of {lo, hi}, or ~(first empty slot) when absent. */
  private find(lo: number, hi: number): number {
    const s = this.s;
    const mask = this.mask;
    let i = mix(lo, hi) & mask;
    for (;;) {
      const p = i << 2;
      const k = s[p];
      if (k === EMPTY) return ~p;
      if (k === lo && s[p + 1] === hi) return p;
      i = (i + 1) & mask;
    }
  }

  /** The value for {a, b}, or -1. */
  get(a: number, b: number): number {
    const p = a < b ? this.find(a, b) : this.find(b, a);
    return p >= 0 ? this.s[p + 2] : -1;
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
    // reuse the first tombstone on the probe path, if any
    const s = this.s;
    let i = mix(lo, hi) & this.mask;
    while (s[i << 2] !== EMPTY && s[i << 2] !== TOMB) i = (i + 1) & this.mask;
    const q = i << 2;
    if (s[q] === EMPTY) this.used++;
    s[q] = lo;
    s[q + 1] = hi;
    s[q + 2] = v;
    this.size++;
    const slots = this.mask + 1;
    if (this.used * 5 > slots * 3) this.rehash(this.size * 2 > slots ? slots * 2 : slots);
  }

  /** Remove {a, b}; returns its value or -1. */
  delete(a: number, b: number): number {
    const p = a < b ? this.find(a, b) : this.find(b, a);
    if (p < 0) return -1;
    this.s[p] = TOMB;
    this.size--;
    return this.s[p + 2];
  }

  /** Remove every entry (keeps the capacity). */
  clear(): void {
    this.s.fill(EMPTY);
    this.used = 0;
    this.size = 0;
  }

  private rehash(n: number): void {
    const old = this.s;
    const s = (this.s = new Int32Array(n * 4).fill(EMPTY));
    this.mask = n - 1;
    this.used = 0;
    for (let p = 0; p < old.length; p += 4) {
      const k = old[p];
      if (k < 0) continue;
      let i = mix(k, old[p + 1]) & this.mask;
      while (s[i << 2] !== EMPTY) i = (i + 1) & this.mask;
      const q = i << 2;
      s[q] = k;
      s[q + 1] = old[p + 1];
      s[q + 2] = old[p + 2];
      this.used++;
    }
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.s.byteLength;
  }
}

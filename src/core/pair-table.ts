/**
 * An open-addressing hash table from an unordered pair of small non-negative integers (two
 * interned node numbers) to a non-negative integer (an edge number). Linear probing, tombstones on
 * delete, rehash past 60 % load. Keys live in two Int32Arrays and values in a third, so an edge
 * costs about 24 bytes here and no string or object is ever made for a key.
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
  private ka: Int32Array;
  private kb: Int32Array;
  private val: Int32Array;
  private mask: number;
  private used = 0; // live + tombstones
  size = 0;

  constructor(capacity = 1024) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.ka = new Int32Array(n).fill(EMPTY);
    this.kb = new Int32Array(n);
    this.val = new Int32Array(n);
    this.mask = n - 1;
  }

  private slot(lo: number, hi: number): number {
    let i = mix(lo, hi) & this.mask;
    for (;;) {
      const k = this.ka[i];
      if (k === EMPTY) return ~i;
      if (k === lo && this.kb[i] === hi) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** The value for {a, b}, or -1. */
  get(a: number, b: number): number {
    const s = a < b ? this.slot(a, b) : this.slot(b, a);
    return s >= 0 ? this.val[s] : -1;
  }

  /** Set the value for {a, b} (insert or overwrite). */
  set(a: number, b: number, v: number): void {
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    const s = this.slot(lo, hi);
    if (s >= 0) {
      this.val[s] = v;
      return;
    }
    // reuse the first tombstone on the probe path, if any
    let i = mix(lo, hi) & this.mask;
    while (this.ka[i] !== EMPTY && this.ka[i] !== TOMB) i = (i + 1) & this.mask;
    if (this.ka[i] === EMPTY) this.used++;
    this.ka[i] = lo;
    this.kb[i] = hi;
    this.val[i] = v;
    this.size++;
    if (this.used * 5 > (this.mask + 1) * 3) this.rehash(this.size * 2 > this.mask + 1 ? (this.mask + 1) * 2 : this.mask + 1);
  }

  /** Remove {a, b}; returns its value or -1. */
  delete(a: number, b: number): number {
    const s = a < b ? this.slot(a, b) : this.slot(b, a);
    if (s < 0) return -1;
    const v = this.val[s];
    this.ka[s] = TOMB;
    this.size--;
    return v;
  }

  private rehash(n: number): void {
    const { ka, kb, val } = this;
    this.ka = new Int32Array(n).fill(EMPTY);
    this.kb = new Int32Array(n);
    this.val = new Int32Array(n);
    this.mask = n - 1;
    this.used = 0;
    for (let i = 0; i < ka.length; i++) {
      const k = ka[i];
      if (k < 0) continue;
      let j = mix(k, kb[i]) & this.mask;
      while (this.ka[j] !== EMPTY) j = (j + 1) & this.mask;
      this.ka[j] = k;
      this.kb[j] = kb[i];
      this.val[j] = val[i];
      this.used++;
    }
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.ka.byteLength * 3;
  }
}

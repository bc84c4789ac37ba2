/** Growable typed-array columns: amortized O(1) append (×1.5 growth), contiguous storage, no per-row objects. */
export class Int32Column {
  data: Int32Array;
  /** Drop capacity beyond n slots. */
  trim(n: number): void {
    if (n < this.data.length) this.data = this.data.slice(0, Math.max(1, n));
  }
  constructor(capacity = 16) {
    this.data = new Int32Array(Math.max(1, capacity));
  }
  /** Make index i addressable (new slots are 0). */
  ensure(i: number): void {
    if (i < this.data.length) return;
    let n = this.data.length;
    while (n <= i) n = Math.ceil(n * 1.5);
    const next = new Int32Array(n);
    next.set(this.data);
    this.data = next;
  }
}

export class Float64Column {
  data: Float64Array;
  /** Drop capacity beyond n slots. */
  trim(n: number): void {
    if (n < this.data.length) this.data = this.data.slice(0, Math.max(1, n));
  }
  constructor(capacity = 16) {
    this.data = new Float64Array(Math.max(1, capacity));
  }
  ensure(i: number): void {
    if (i < this.data.length) return;
    let n = this.data.length;
    while (n <= i) n = Math.ceil(n * 1.5);
    const next = new Float64Array(n);
    next.set(this.data);
    this.data = next;
  }
}

export class Uint8Column {
  data: Uint8Array;
  /** Drop capacity beyond n slots. */
  trim(n: number): void {
    if (n < this.data.length) this.data = this.data.slice(0, Math.max(1, n));
  }
  constructor(capacity = 16) {
    this.data = new Uint8Array(Math.max(1, capacity));
  }
  ensure(i: number): void {
    if (i < this.data.length) return;
    let n = this.data.length;
    while (n <= i) n = Math.ceil(n * 1.5);
    const next = new Uint8Array(n);
    next.set(this.data);
    this.data = next;
  }
}

type Typed = Int32Array | Float64Array | Uint8Array;

/** A growable typed-array column: amortized O(1) append (×1.5 growth), contiguous storage, no per-row objects. */
class Column<T extends Typed> {
  data: T;
  constructor(
    private readonly make: (n: number) => T,
    capacity = 16,
  ) {
    this.data = make(Math.max(1, capacity));
  }
  /** Make index i addressable (new slots are 0). */
  ensure(i: number): void {
    if (i < this.data.length) return;
    let n = this.data.length;
    while (n <= i) n = Math.ceil(n * 1.5);
    const next = this.make(n);
    next.set(this.data as never);
    this.data = next;
  }
  /** Drop capacity beyond n slots. */
  trim(n: number): void {
    if (n < this.data.length) this.data = this.data.slice(0, Math.max(1, n)) as T;
  }
}

export class Int32Column extends Column<Int32Array> {
  constructor(capacity = 16) {
    super((n) => new Int32Array(n), capacity);
  }
}

export class Float64Column extends Column<Float64Array> {
  constructor(capacity = 16) {
    super((n) => new Float64Array(n), capacity);
  }
}

export class Uint8Column extends Column<Uint8Array> {
  constructor(capacity = 16) {
    super((n) => new Uint8Array(n), capacity);
  }
}

/** A list of int32 values that only grows (amortized O(1) push, 4 bytes a value where a JS array takes 8). */
export class IntList {
  data = new Int32Array(16);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
}

/**
 * Per-node lists of edge numbers in one shared Int32Array arena (no JS array per node: a hundred
 * thousand small arrays cost ~400 bytes each in the heap; a slot here costs 4 bytes an entry plus
 * 12 bytes a node).
 *
 * A node's list lives in a slot of its capacity (×2 up to 32, then ×1.5); a full list moves to a
 * slot of the next capacity, or grows in place at the arena's end. Freed slots are kept per capacity
 * and reused by the next list growing to that capacity. A full arena is compacted when more than a
 * third of it is free, else copied into a 1.5× larger one. `trim()` cuts all spare capacity.
 *
 * The order of a list is exactly that of the array operations it replaces (append at the end,
 * swap-with-last removal, stable filtering), so readers see the same order as before.
 */
export class Adjacency {
  private off = new Int32Array(1024);
  private len = new Int32Array(1024);
  private cap = new Int32Array(1024);
  /** The arena; a node's list is arena[start(n) .. start(n) + length(n)). */
  arena = new Int32Array(4096);
  private top = 0;
  private readonly freeSlots = new Map<number, number[]>();
  private freeTotal = 0;

  /** Make node n addressable (an empty list). */
  ensure(n: number): void {
    if (n < this.off.length) return;
    const size = Math.max(n + 1, Math.ceil(this.off.length * 1.5));
    const grow = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.off = grow(this.off);
    this.len = grow(this.len);
    this.cap = grow(this.cap);
  }

  length(n: number): number {
    return this.len[n];
  }

  /** Offset of n's list in `arena` (valid until the next change). */
  start(n: number): number {
    return this.off[n];
  }

  /** A copy of n's list. */
  list(n: number): number[] {
    const out: number[] = new Array<number>(this.len[n]);
    const o = this.off[n];
    for (let i = 0; i < out.length; i++) out[i] = this.arena[o + i];
    return out;
  }

  push(n: number, e: number): void {
    if (this.len[n] === this.cap[n]) this.grow(n);
    this.arena[this.off[n] + this.len[n]++] = e;
  }

  /** Remove e from n's list: the last entry takes its place (as `l[i] = l[l.length - 1]; l.pop()`). */
  removeSwap(n: number, e: number): void {
    const o = this.off[n];
    const last = o + this.len[n] - 1;
    const a = this.arena;
    let i = o;
    while (i <= last && a[i] !== e) i++;
    if (i > last) return;
    a[i] = a[last];
    if (--this.len[n] === 0) this.release(n);
  }

  /** Keep only the entries `keep` accepts, in order. */
  filter(n: number, keep: (e: number) => boolean): void {
    const o = this.off[n];
    const end = o + this.len[n];
    const a = this.arena;
    let k = o;
    for (let i = o; i < end; i++) if (keep(a[i])) a[k++] = a[i];
    this.len[n] = k - o;
    if (k === o) this.release(n);
  }

  private grow(n: number): void {
    const cap = this.cap[n];
    const newCap = cap === 0 ? 2 : cap < 32 ? cap * 2 : cap + (cap >> 1);
    if (cap > 0 && this.off[n] + cap === this.top && this.top + newCap - cap <= this.arena.length) {
      this.top += newCap - cap;
      this.cap[n] = newCap;
      return;
    }
    const at = this.alloc(newCap); // may compact: read the offset after
    const o = this.off[n];
    const len = this.len[n];
    if (len > 0) this.arena.copyWithin(at, o, o + len);
    this.release(n);
    this.off[n] = at;
    this.cap[n] = newCap;
  }

  private alloc(cap: number): number {
    const reuse = this.freeSlots.get(cap);
    if (reuse !== undefined && reuse.length > 0) {
      this.freeTotal -= cap;
      return reuse.pop()!;
    }
    if (this.top + cap > this.arena.length) {
      if (this.freeTotal * 3 > this.arena.length) this.compact(cap, 1.5, false);
      if (this.top + cap > this.arena.length) {
        const next = new Int32Array(Math.max(Math.ceil(this.arena.length * 1.5), this.top + cap));
        next.set(this.arena.subarray(0, this.top));
        this.arena = next;
      }
    }
    const at = this.top;
    this.top += cap;
    return at;
  }

  /** Give n's slot back (its list moved or became empty). */
  private release(n: number): void {
    const cap = this.cap[n];
    if (cap === 0) return;
    const o = this.off[n];
    this.cap[n] = 0;
    if (o + cap === this.top) {
      this.top = o;
      return;
    }
    let l = this.freeSlots.get(cap);
    if (!l) this.freeSlots.set(cap, (l = []));
    l.push(o);
    this.freeTotal += cap;
  }

  /** Copy every list, in node order, into a fresh arena of (slots in use + extra) × growth. */
  private compact(extra: number, growth: number, shrink: boolean): void {
    const nodes = this.off.length;
    let used = 0;
    for (let n = 0; n < nodes; n++) {
      if (shrink || this.len[n] === 0) this.cap[n] = this.len[n];
      used += this.cap[n];
    }
    const next = new Int32Array(Math.max(64, Math.ceil((used + extra) * growth)));
    let at = 0;
    for (let n = 0; n < nodes; n++) {
      const o = this.off[n];
      const len = this.len[n];
      for (let i = 0; i < len; i++) next[at + i] = this.arena[o + i];
      this.off[n] = at;
      at += this.cap[n];
    }
    this.arena = next;
    this.top = at;
    this.freeSlots.clear();
    this.freeTotal = 0;
  }

  /** Cut all spare capacity (after a bulk load); `nodes`: how many nodes are addressable. */
  trim(nodes: number): void {
    if (nodes < this.off.length) {
      this.off = this.off.slice(0, Math.max(1, nodes));
      this.len = this.len.slice(0, Math.max(1, nodes));
      this.cap = this.cap.slice(0, Math.max(1, nodes));
    }
    this.compact(0, 1, true);
  }

  get bytes(): number {
    return this.arena.byteLength + this.off.byteLength * 3;
  }
}

/** Prior state of what an open tick touched, flat: nodes as (n, has, access, created), edges as (e, alive, w, co, created, last, sched). */
/** Fixed-width records of numbers in one growable Float64Array (no per-record allocation). */
export class FlatLog {
  data = new Float64Array(1024);
  length = 0;
  constructor(private readonly width: number) {}
  /** Room for one more record; returns its offset. */
  reserve(): number {
    const at = this.length;
    this.length += this.width;
    if (this.length > this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    return at;
  }
}

export class Journal {
  readonly nodes = new FlatLog(4);
  readonly edges = new FlatLog(7);
  /** Slots of edges removed in this tick: reusable only after commit. */
  freed: number[] = [];

  /** Empty again, keeping the capacity grown by earlier ticks (a shard journals every tick). */
  reset(): this {
    this.nodes.length = 0;
    this.edges.length = 0;
    this.freed = [];
    return this;
  }
}

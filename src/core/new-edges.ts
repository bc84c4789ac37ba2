import { Int32Column, Uint8Column } from './growable.js';
import { PairTable } from './pair-table.js';

/**
 * The pairs a tick co-activates that have no edge yet. They take part in the degree cap like edges
 * (an edge created this tick and capped this tick never existed for anyone to see), but only those
 * that no endpoint drops are materialized as edges. Most new pairs of a saturated concept lose the
 * cap at once, so this saves creating and deleting them. Tick-local: cleared by every tick.
 */
export class NewEdges {
  private readonly table = new PairTable(256);
  /** Endpoints (node numbers, lo = smaller NodeId), co-activation count, dropped flag. */
  readonly a = new Int32Column(256);
  readonly b = new Int32Column(256);
  readonly count = new Int32Column(256);
  readonly dropped = new Uint8Column(256);
  size = 0;

  /** Count one co-activation of {x, y} (lo/hi order given by the caller). */
  add(lo: number, hi: number): void {
    let c = this.table.getOrInsert(lo, hi, this.size);
    if (c < 0) {
      c = this.size++;
      if (c >= this.a.data.length) for (const col of [this.a, this.b, this.count, this.dropped]) col.ensure(c);
      this.a.data[c] = lo;
      this.b.data[c] = hi;
      this.count.data[c] = 0;
      this.dropped.data[c] = 0;
    }
    this.count.data[c]++;
  }

  find(x: number, y: number): number {
    return this.table.get(x, y);
  }

  clear(): void {
    if (this.size > 0) this.table.clear();
    this.size = 0;
  }

  /**
   * Candidates per endpoint n with owned[n] === 1, as CSR arrays: nodes, and for node i the candidate
   * indices list[start[i] .. start[i+1]).
   */
  byNode(owned: Uint8Array, scratch: Int32Column): { nodes: number[]; start: Int32Array; list: Int32Array } {
    const cnt = scratch.data; // node-indexed, all zero on entry and on exit
    // each loop in a function of its own, returning (see ConceptGraph.present: V8's per-loop code)
    const nodes = countByNode(this.a.data, this.b.data, this.size, owned, cnt);
    const start = startsOf(nodes, cnt);
    const list = new Int32Array(start[nodes.length]);
    fillByNode(this.a.data, this.b.data, this.size, cnt, list);
    for (let i = 0; i < nodes.length; i++) cnt[nodes[i]] = 0;
    return { nodes, start, list };
  }
}

/** Count each owned endpoint's candidates into cnt; returns the endpoints in first-seen order. */
function countByNode(A: Int32Array, B: Int32Array, size: number, owned: Uint8Array, cnt: Int32Array): number[] {
  const nodes: number[] = [];
  for (let c = 0; c < size; c++) {
    const x = A[c];
    const y = B[c];
    if (owned[x] === 1 && cnt[x]++ === 0) nodes.push(x);
    if (owned[y] === 1 && cnt[y]++ === 0) nodes.push(y);
  }
  return nodes;
}

/** CSR starts from the counts; cnt[n] becomes n's fill position + 1 (0 means "not listed"). */
function startsOf(nodes: readonly number[], cnt: Int32Array): Int32Array {
  const start = new Int32Array(nodes.length + 1);
  for (let i = 0; i < nodes.length; i++) {
    start[i + 1] = start[i] + cnt[nodes[i]];
    cnt[nodes[i]] = start[i] + 1;
  }
  return start;
}

function fillByNode(A: Int32Array, B: Int32Array, size: number, cnt: Int32Array, list: Int32Array): void {
  for (let c = 0; c < size; c++) {
    const x = A[c];
    const y = B[c];
    if (cnt[x] > 0) list[cnt[x]++ - 1] = c;
    if (cnt[y] > 0) list[cnt[y]++ - 1] = c;
  }
}

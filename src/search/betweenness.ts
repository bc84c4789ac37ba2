import type { Adjacency } from '../core/graph.js';

/**
 * Brandes' betweenness over a graph's compressed rows (`GraphView.adjacency`), with path costs
 * 1 / max(weight, 0.001), in typed arrays (search/structure.ts `centralConcepts` picks the sources and
 * scales). A node's index order is its NodeId order, so the heap's ties are those of NodeIds.
 */

/** Each node's summed dependency over the given sources (not scaled). */
export function betweenness(adj: Adjacency, sources: readonly number[]): Float64Array {
  const cb = new Float64Array(adj.ids.length);
  const b = new Brandes(adj);
  for (const s of sources) b.accumulate(s, cb);
  return cb;
}

/** An edge's length for paths: strong edges are short (as upstream). */
export const pathCost = (w: number) => 1 / Math.max(w, 0.001);

/** One source's single-source shortest paths and dependency accumulation, in reused typed scratch. */
class Brandes {
  private readonly dist: Float64Array;
  private readonly sigma: Float64Array;
  private readonly delta: Float64Array;
  private readonly settled: Uint8Array;
  private readonly seen: Uint8Array;
  private readonly stack: Int32Array;
  /** Predecessor lists as linked entries: predHead[v] -> entry; entry's node and next. */
  private readonly predHead: Int32Array;
  private predNode: Int32Array;
  private predNext: Int32Array;
  private readonly heap: MinHeap;
  /** Each entry's path cost, 1 / max(weight, 0.001). */
  private readonly cost: Float64Array;

  constructor(private readonly adj: Adjacency) {
    const n = adj.ids.length;
    this.dist = new Float64Array(n);
    this.sigma = new Float64Array(n);
    this.delta = new Float64Array(n);
    this.settled = new Uint8Array(n);
    this.seen = new Uint8Array(n);
    this.stack = new Int32Array(n);
    this.predHead = new Int32Array(n);
    this.predNode = new Int32Array(Math.max(16, n));
    this.predNext = new Int32Array(Math.max(16, n));
    this.heap = new MinHeap(n);
    this.cost = adj.weight.map(pathCost);
  }

  /** Add source s's dependencies to cb (every settled node but s). */
  accumulate(s: number, cb: Float64Array): void {
    const { start, to } = this.adj;
    const { dist, sigma, delta, settled, seen, stack, predHead, heap, cost } = this;
    settled.fill(0);
    seen.fill(0);
    delta.fill(0);
    predHead.fill(-1);
    let preds = 0;
    let top = 0;
    dist[s] = 0;
    sigma[s] = 1;
    seen[s] = 1;
    heap.push(0, s);
    while (heap.size > 0) {
      const d = heap.topPriority();
      const u = heap.pop();
      if (settled[u] === 1) continue;
      settled[u] = 1;
      stack[top++] = u;
      for (let o = start[u]; o < start[u + 1]; o++) {
        const v = to[o];
        const nd = d + cost[o];
        if (seen[v] === 0 || nd < dist[v] - 1e-12) {
          seen[v] = 1;
          dist[v] = nd;
          sigma[v] = sigma[u];
          preds = this.addPred(preds, v, u, true);
          heap.push(nd, v);
        } else if (Math.abs(nd - dist[v]) <= 1e-12 && settled[v] === 0) {
          sigma[v] += sigma[u];
          preds = this.addPred(preds, v, u, false);
        }
      }
    }
    while (top > 0) {
      const w = stack[--top];
      // each predecessor once per w, so their order does not change any sum
      for (let p = predHead[w]; p !== -1; p = this.predNext[p]) {
        const v = this.predNode[p];
        delta[v] += (sigma[v] / sigma[w]) * (1 + delta[w]);
      }
      if (w !== s) cb[w] += delta[w];
    }
  }

  /** Make u a predecessor of v: the only one (`replace`) or one more. Returns the entries in use. */
  private addPred(used: number, v: number, u: number, replace: boolean): number {
    if (used === this.predNode.length) {
      const node = new Int32Array(used * 2);
      const next = new Int32Array(used * 2);
      node.set(this.predNode);
      next.set(this.predNext);
      this.predNode = node;
      this.predNext = next;
    }
    this.predNode[used] = u;
    this.predNext[used] = replace ? -1 : this.predHead[v];
    this.predHead[v] = used;
    return used + 1;
  }
}

/** A binary min-heap of (priority, node) entries ordered by priority, then node index (NodeId order). */
class MinHeap {
  private prio: Float64Array;
  private node: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.prio = new Float64Array(Math.max(16, capacity));
    this.node = new Int32Array(Math.max(16, capacity));
  }

  private less(i: number, j: number): boolean {
    return this.prio[i] < this.prio[j] || (this.prio[i] === this.prio[j] && this.node[i] < this.node[j]);
  }

  private swap(i: number, j: number): void {
    const p = this.prio[i];
    this.prio[i] = this.prio[j];
    this.prio[j] = p;
    const x = this.node[i];
    this.node[i] = this.node[j];
    this.node[j] = x;
  }

  push(p: number, x: number): void {
    if (this.size === this.prio.length) {
      const prio = new Float64Array(this.size * 2);
      const node = new Int32Array(this.size * 2);
      prio.set(this.prio);
      node.set(this.node);
      this.prio = prio;
      this.node = node;
    }
    let i = this.size++;
    this.prio[i] = p;
    this.node[i] = x;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.less(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }

  topPriority(): number {
    return this.prio[0];
  }

  /** Remove the least entry; returns its node. */
  pop(): number {
    const x = this.node[0];
    const last = --this.size;
    if (last > 0) {
      this.prio[0] = this.prio[last];
      this.node[0] = this.node[last];
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < last && this.less(l, m)) m = l;
        if (r < last && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return x;
  }
}

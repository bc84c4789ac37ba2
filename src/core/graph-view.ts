import type { NodeId } from '../ids/ids.js';
import type { ConceptGraph } from './graph.js';
import type { Adjacency, GraphView } from './graph-types.js';

/** A read-only view of a concept graph with weights at one tick (what structural algorithms read). */
export class ConceptGraphView implements GraphView {
  constructor(
    private readonly g: ConceptGraph,
    readonly tick: number,
  ) {}
  get nodeCount(): number {
    return this.g.nodeCount;
  }
  private num(id: NodeId): number | undefined {
    return this.g.numberOfId(id);
  }
  hasNode(id: NodeId): boolean {
    const n = this.num(id);
    return n !== undefined && this.g.hasNode(n);
  }
  label(id: NodeId): string | undefined {
    const n = this.num(id);
    return n === undefined ? undefined : this.g.labelOf(n);
  }
  accessCount(id: NodeId): number {
    const n = this.num(id);
    return n === undefined ? 0 : (this.g.node(n)?.accessCount ?? 0);
  }
  degree(id: NodeId): number {
    const n = this.num(id);
    return n === undefined ? 0 : this.g.edgesOf(n).length;
  }
  neighbours(id: NodeId): Map<NodeId, { weight: number; coActivations: number }> {
    const out = new Map<NodeId, { weight: number; coActivations: number }>();
    const n = this.num(id);
    if (n === undefined) return out;
    for (const e of this.g.edgesOf(n)) out.set(this.g.idOf(this.g.other(e, n)), { weight: this.g.weightAt(e, this.tick), coActivations: this.g.coActivations(e) });
    return out;
  }
  connected(): NodeId[] {
    const out: NodeId[] = [];
    for (const e of this.g.edgeNumbers()) {
      for (const n of this.g.endpoints(e)) out.push(this.g.idOf(n));
    }
    return [...new Set(out)].sort();
  }
  adjacency(): Adjacency {
    const g = this.g;
    // the endpoints of live edges, as `connected` finds them, in NodeId order
    const index = new Int32Array(g.labelCount).fill(-1);
    const nums: number[] = [];
    const reach = (n: number) => {
      if (index[n] !== -1) return;
      index[n] = 0; // seen; its index is set once they are sorted
      nums.push(n);
    };
    for (const e of g.edgeNumbers()) {
      reach(g.endpointA(e));
      reach(g.endpointB(e));
    }
    const ids = nums.map((n) => g.idOf(n));
    const order = nums.map((_, i) => i).sort((x, y) => (ids[x] < ids[y] ? -1 : 1));
    const sorted = order.map((i) => nums[i]);
    sorted.forEach((n, i) => (index[n] = i));
    const start = new Int32Array(sorted.length + 1);
    const lists = sorted.map((n) => g.edgesOf(n));
    for (let i = 0; i < sorted.length; i++) start[i + 1] = start[i] + lists[i].length;
    const to = new Int32Array(start[sorted.length]);
    const weight = new Float64Array(start[sorted.length]);
    for (let i = 0; i < sorted.length; i++) {
      const list = lists[i];
      for (let j = 0, o = start[i]; j < list.length; j++, o++) {
        to[o] = index[g.other(list[j], sorted[i])];
        weight[o] = g.weightAt(list[j], this.tick);
      }
    }
    return { ids: order.map((i) => ids[i]), start, to, weight };
  }
}

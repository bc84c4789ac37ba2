import type { NodeId } from '../ids/ids.js';
import type { ConceptGraph } from './graph.js';
import type { GraphView } from './graph-types.js';

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
}

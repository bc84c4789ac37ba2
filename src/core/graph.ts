import type { EdgeRow, GraphView, NodeRow, NumPresentation, Presentation } from './graph-types.js';
import { IntList } from './growable.js';
import { CappedGraph } from './degree-cap.js';
import { ConceptGraphView } from './graph-view.js';
import { pruneTick } from './decay.js';
import { NEVER } from './graph-store.js';
import { NewEdges } from './new-edges.js';

export type { Adjacency, EdgeRow, GraphView, NodeRow, NumPresentation, Presentation, Verdicts } from './graph-types.js';

/**
 * The concept graph one holder keeps: a single process keeps all of it, a shard the concepts it owns
 * and every edge with at least one owned endpoint (a cross-shard edge lives on both owners, and both
 * copies evolve identically because every rule is a pure function of the edge and the tick).
 *
 * Layout (graph-store.ts): labels are interned to dense node numbers; node records and edge columns
 * are typed arrays; an edge is found by its endpoint pair in a PairTable; adjacency lists share one
 * arena. Decay is evaluated where a weight is read and pruning is scheduled (see decay.ts), so a
 * tick costs what it changes. A tick in progress keeps an undo journal of what it touched (only
 * that; graph-journal.ts), so an aborted tick rolls back in time proportional to its changes. The
 * degree cap is degree-cap.ts. This file: the rules that apply presentations, withdrawals and
 * pruning, and installing and dropping rows.
 */
export class ConceptGraph extends CappedGraph {
  /** Intern a presentation's labels. */
  internPresentation(p: Presentation): NumPresentation {
    return { nums: p.labels.map((l) => this.intern(l)), wired: p.wired };
  }

  /**
   * Apply one tick's presentations to the keys this holder owns: each owned concept counts one more
   * presenting document (created at this tick if new); each wired pair with an owned endpoint gets one
   * co-activation per document. A tick's co-activations are summed per edge and applied one by one,
   * so the result does not depend on how presentations were batched or ordered.
   */
  present(tick: number, docs: Iterable<NumPresentation>): { nodesCreated: number } {
    const touchedNodes: number[] = [];
    const touchedEdges: number[] = [];
    // one loop per method: V8 compiles a hot loop on its own (on-stack replacement) and reuses that
    // code every tick; code after the loop in the same method had no type feedback then, so it would
    // leave the optimized code every tick and run the rest of the method unoptimized
    this.countPresentations(docs, touchedNodes, touchedEdges);
    const nodesCreated = this.countNodes(tick, touchedNodes);
    this.applyCoActivations(tick, touchedEdges);
    return { nodesCreated };
  }

  private countPresentations(docs: Iterable<NumPresentation>, touchedNodes: number[], touchedEdges: number[]): void {
    const pn = this.pendNode;
    const owned = this.owned.data;
    for (const d of docs) {
      const nums = d.nums;
      // index loops: an iterator over a typed array allocates in this hot loop
      for (let k = 0; k < nums.length; k++) {
        const n = nums[k];
        if (owned[n] !== 1) continue;
        if (pn.data[n]++ === 0) touchedNodes.push(n);
      }
      // each unordered wired pair with an owned endpoint once: from its owned endpoint, and from the
      // earlier one when both are owned; work is proportional to owned wired terms × wired terms
      const w = Math.min(d.wired, nums.length);
      for (let i = 0; i < w; i++) {
        const a = nums[i];
        if (owned[a] !== 1) continue;
        for (let j = i + 1; j < w; j++) this.coActivate(a, nums[j], touchedEdges);
        if (this.ownsAll) continue;
        for (let j = 0; j < i; j++) if (owned[nums[j]] !== 1) this.coActivate(a, nums[j], touchedEdges);
      }
    }
  }

  /** Each touched node counts its presenting documents (created now if new); returns how many were created. */
  private countNodes(tick: number, touchedNodes: readonly number[]): number {
    const pn = this.pendNode;
    let nodesCreated = 0;
    for (let i = 0; i < touchedNodes.length; i++) {
      const n = touchedNodes[i];
      const c = pn.data[n];
      pn.data[n] = 0;
      this.saveNode(n);
      if (this.has.data[n] === 1) this.access.data[n] += c;
      else {
        this.has.data[n] = 1;
        this.access.data[n] = c;
        this.created.data[n] = tick;
        this.nodes++;
        nodesCreated++;
      }
    }
    return nodesCreated;
  }

  /** Each touched edge takes its co-activations of this tick, one by one. */
  private applyCoActivations(tick: number, touchedEdges: readonly number[]): void {
    const { edgeBaseWeight: base, edgeMaxWeight: cap } = this.config;
    for (let k = 0; k < touchedEdges.length; k++) {
      const e = touchedEdges[k];
      const c = this.pendEdge.data[e];
      this.pendEdge.data[e] = 0;
      this.saveEdge(e);
      let w = this.decay.weight(this.ew.data[e], this.el.data[e], this.eco.data[e], tick);
      for (let i = 0; i < c; i++) w = Math.min(w + base, cap);
      this.ew.data[e] = w;
      this.eco.data[e] += c;
      this.el.data[e] = tick;
      // a co-activation only delays pruning, so the edge's schedule entry stays valid (checked when due)
    }
  }

  /**
   * Withdraw forgotten documents' presentations (docs/forget.md), before this tick's presentations:
   * each owned concept counts one presenting document less and goes when none is left (with its
   * edges); each existing edge of a wired pair with an owned endpoint counts one co-activation less
   * per document and goes when none is left. A surviving edge keeps its stored weight and is
   * rescheduled (decay is damped by co-activations, so it may now be due at this tick). Both copies
   * of a cross-shard edge see the same withdrawals, so they stay identical.
   */
  withdraw(tick: number, docs: Iterable<NumPresentation>): { nodesRemoved: number; edgesRemoved: number } {
    const touchedNodes: number[] = [];
    const touchedEdges: number[] = [];
    const pn = this.pendNode;
    const owned = this.owned.data;
    const pair = (a: number, b: number) => {
      const e = this.pairs.get(a, b);
      if (e >= 0 && this.alive.data[e] === 1 && this.pendEdge.data[e]++ === 0) touchedEdges.push(e);
    };
    for (const d of docs) {
      const nums = d.nums;
      for (const n of nums) if (owned[n] === 1 && this.has.data[n] === 1 && pn.data[n]++ === 0) touchedNodes.push(n);
      const w = Math.min(d.wired, nums.length);
      for (let i = 0; i < w; i++) {
        const a = nums[i];
        if (owned[a] !== 1) continue;
        for (let j = i + 1; j < w; j++) pair(a, nums[j]);
        for (let j = 0; j < i; j++) if (owned[nums[j]] !== 1) pair(a, nums[j]);
      }
    }
    let edgesRemoved = 0;
    // edges in number order, nodes in number order: the same result whatever the batching
    touchedEdges.sort((x, y) => x - y);
    for (const e of touchedEdges) {
      const c = this.pendEdge.data[e];
      this.pendEdge.data[e] = 0;
      this.saveEdge(e);
      this.eco.data[e] -= c;
      if (this.eco.data[e] <= 0) {
        this.removeEdge(e);
        edgesRemoved++;
      } else this.schedule(e, tick);
    }
    let nodesRemoved = 0;
    touchedNodes.sort((x, y) => x - y);
    for (const n of touchedNodes) {
      const c = pn.data[n];
      pn.data[n] = 0;
      this.saveNode(n);
      this.access.data[n] -= c;
      if (this.access.data[n] > 0) continue;
      // no presenting document left: the concept goes, and any edge still on it
      for (const e of this.adj.list(n)) {
        this.removeEdge(e);
        edgesRemoved++;
      }
      this.has.data[n] = 0;
      this.access.data[n] = 0;
      this.created.data[n] = 0;
      this.nodes--;
      nodesRemoved++;
    }
    return { nodesRemoved, edgesRemoved };
  }

  /** One co-activation of {a, b}: an existing edge's count this tick, or a new pair's. */
  private coActivate(a: number, b: number, touched: number[]): void {
    const e = this.pairs.get(a, b);
    if (e >= 0) {
      if (this.pendEdge.data[e]++ === 0) touched.push(e);
    } else if (this.idLess(a, b)) this.fresh.add(a, b);
    else this.fresh.add(b, a);
  }

  /** Prune the mature edges whose weight fell below the threshold at `tick`. Returns how many. */
  prune(tick: number): number {
    const due = this.sched.get(tick);
    if (!due) return 0;
    this.sched.delete(tick);
    let pruned = 0;
    for (let i = 0; i < due.length; i++) {
      const e = due.data[i];
      if (this.alive.data[e] !== 1 || this.schedAt.data[e] !== tick) continue;
      const t = pruneTick(this.ew.data[e], this.el.data[e], this.eco.data[e], this.ec.data[e], tick, this.config);
      if (t === tick) {
        this.removeEdge(e);
        pruned++;
      } else {
        this.saveEdge(e);
        this.schedAt.data[e] = t === Infinity ? NEVER : t;
        if (t !== Infinity) this.bucket(t).push(e);
      }
    }
    return pruned;
  }

  /** A read-only view with weights at `tick`. */
  view(tick: number): GraphView {
    return new ConceptGraphView(this, tick);
  }

  installNode(row: NodeRow): void {
    const n = this.intern(row.label);
    this.saveNode(n);
    if (this.has.data[n] !== 1) this.nodes++;
    this.has.data[n] = 1;
    this.access.data[n] = row.accessCount;
    this.created.data[n] = row.createdTick;
  }

  /** Install an edge's stored state (endpoints by label); `tick` is the last committed tick. */
  installEdge(la: string, lb: string, row: Omit<EdgeRow, 'a' | 'b'>, tick: number): void {
    const a = this.intern(la);
    const b = this.intern(lb);
    let e = this.pairs.get(a, b);
    if (e < 0) e = this.newEdgeSlot(a, b);
    if (this.alive.data[e] !== 1) this.linkEdge(e, a, b);
    this.ew.data[e] = row.weight;
    this.eco.data[e] = row.coActivations;
    this.ec.data[e] = row.createdTick;
    this.el.data[e] = row.lastActivatedTick;
    this.schedule(e, tick + 1);
  }

  /** Drop node records and edges this holder no longer owns (after a membership change). */
  retainOwned(): { nodes: number; edges: number } {
    let nodes = 0;
    let edges = 0;
    for (let n = 0; n < this.labels.length; n++) {
      if (this.has.data[n] === 1 && this.owned.data[n] !== 1) {
        this.saveNode(n);
        this.has.data[n] = 0;
        this.nodes--;
        nodes++;
      }
    }
    for (let e = 0; e < this.edgeSlots; e++) {
      if (this.alive.data[e] === 1 && this.owned.data[this.ea.data[e]] !== 1 && this.owned.data[this.eb.data[e]] !== 1) {
        this.removeEdge(e);
        edges++;
      }
    }
    return { nodes, edges };
  }

  /**
   * Give back spare capacity after a bulk load: the tick-local scratch, the columns' slack beyond
   * the slots in use, and the prune schedule's stale entries. Only between ticks.
   */
  trim(): void {
    if (this.open) return;
    this.fresh = new NewEdges();
    const slots = this.edgeSlots;
    for (const c of [this.ea, this.eb, this.eco, this.ec, this.el, this.schedAt, this.pendEdge, this.edgeMark, this.ew, this.alive]) c.trim(slots);
    const n = this.labels.length;
    for (const c of [this.owned, this.has, this.access, this.created, this.pendNode, this.nodeMark, this.nodeScratch, this.idKey]) c.trim(n);
    this.adj.trim(n);
    this.pairs.trim();
    // drop the schedule's stale entries (edges removed or rescheduled since): prune skips them anyway
    for (const [t, due] of this.sched) {
      const keep = new IntList();
      for (let i = 0; i < due.length; i++) {
        const e = due.data[i];
        if (this.alive.data[e] === 1 && this.schedAt.data[e] === t) keep.push(e);
      }
      if (keep.length === 0) this.sched.delete(t);
      else this.sched.set(t, keep);
    }
  }

  /** Approximate bytes held in typed arrays (for benchmarks). */
  get arrayBytes(): number {
    const cols = [this.owned, this.has, this.access, this.created, this.ea, this.eb, this.ew, this.eco, this.ec, this.el, this.alive, this.schedAt, this.pendNode, this.pendEdge];
    return cols.reduce((s, c) => s + c.data.byteLength, 0) + this.pairs.bytes + this.adj.bytes;
  }
}

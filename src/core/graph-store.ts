import type { ColonyConfig } from './config.js';
import { deriveNodeId, leading48, type NodeId } from '../ids/ids.js';
import { DecayMemo, pruneTick } from './decay.js';
import { Float64Column, Int32Column, IntList, Uint8Column } from './growable.js';
import { NewEdges } from './new-edges.js';
import { PairTable } from './pair-table.js';
import { Adjacency } from './adjacency.js';
import type { EdgeRow, NodeRow } from './graph-types.js';
import type { Journal } from './journal.js';

export const NEVER = -1;

/**
 * The storage of a concept graph (see ConceptGraph in graph.ts for what it holds and why): labels
 * interned to dense node numbers, node records and edge columns in typed arrays, edges found by
 * their endpoint pair in a PairTable, adjacency lists in one arena (adjacency.ts), the prune
 * schedule, and the primitive edits every rule is made of (new edge slot, link, unlink, schedule).
 * Every edit records the prior state through `saveNode`/`saveEdge` (the undo journal,
 * graph-journal.ts). The layers above: graph-journal.ts (the open tick and its rollback),
 * degree-cap.ts (verdicts and settling), graph.ts (the rules of a tick, installing rows).
 */
export abstract class GraphStore {
  // interning: node number -> label, NodeId; owned by this holder?
  protected readonly labels: string[] = [];
  protected readonly ids: NodeId[] = [];
  protected readonly byLabel = new Map<string, number>();
  protected owned = new Uint8Column(1024);
  // node records (owned concepts only)
  protected readonly has = new Uint8Column(1024);
  protected readonly access = new Int32Column(1024);
  protected readonly created = new Int32Column(1024);
  protected nodes = 0;
  // edges
  protected readonly ea = new Int32Column(1024);
  protected readonly eb = new Int32Column(1024);
  protected readonly ew = new Float64Column(1024);
  protected readonly eco = new Int32Column(1024);
  protected readonly ec = new Int32Column(1024);
  protected readonly el = new Int32Column(1024);
  protected readonly alive = new Uint8Column(1024);
  protected readonly schedAt = new Int32Column(1024);
  protected readonly pairs = new PairTable(1024);
  protected readonly adj = new Adjacency();
  protected edgeSlots = 0;
  protected free: number[] = [];
  protected edges = 0;
  /** Live edges whose first endpoint this holder owns (`primaryEdgeCount`), kept as edges link and die. */
  private primaryEdges = 0;
  /** Prune schedule: tick -> edges to check then (stale entries are skipped). */
  protected readonly sched = new Map<number, IntList>();
  /** This tick's co-activated pairs that have no edge yet (see new-edges.ts). */
  protected fresh = new NewEdges();
  protected readonly nodeScratch = new Int32Column(1024);
  /** Weight of a new edge after c co-activations in its first tick, by c (the same additions as any edge). */
  protected readonly newWeight: number[] = [0];
  /** The leading 48 bits of each node's NodeId, for fast tie-breaks in NodeId order. */
  protected readonly idKey = new Float64Column(1024);
  // per-tick accumulation
  protected readonly pendNode = new Int32Column(1024);
  protected readonly pendEdge = new Int32Column(1024);
  // the open tick and its undo journal (marks say what the journal already holds; grown only when journaling)
  protected open = false;
  protected tx: Journal | null = null;
  protected txId = 0;
  protected readonly nodeMark = new Int32Column(1024);
  protected readonly edgeMark = new Int32Column(1024);
  /** True when this holder owns every key (one process): no ownership tests on the hot path. */
  protected ownsAll: boolean;
  protected readonly decay: DecayMemo;

  constructor(
    readonly config: ColonyConfig,
    private owns: ((id: NodeId) => boolean) | 'all' = 'all',
  ) {
    this.ownsAll = owns === 'all';
    this.decay = new DecayMemo(config);
  }

  protected ownsId(id: NodeId): boolean {
    return this.owns === 'all' || this.owns(id);
  }

  get nodeCount(): number {
    return this.nodes;
  }

  get edgeCount(): number {
    return this.edges;
  }

  /** The node number of a label, interning it. */
  intern(label: string): number {
    let n = this.byLabel.get(label);
    if (n === undefined) {
      n = this.labels.length;
      this.labels.push(label);
      const id = deriveNodeId(label);
      this.ids.push(id);
      this.byLabel.set(label, n);
      this.adj.ensure(n);
      if (n >= this.has.data.length) for (const c of [this.owned, this.has, this.access, this.created, this.pendNode, this.nodeScratch, this.idKey]) c.ensure(n);
      this.owned.data[n] = this.ownsId(id) ? 1 : 0;
      this.idKey.data[n] = leading48(id);
    }
    return n;
  }

  /** Labels interned (node numbers in use, with or without a node record). */
  get labelCount(): number {
    return this.labels.length;
  }

  numberOf(label: string): number | undefined {
    return this.byLabel.get(label);
  }

  /** NodeId -> node number, built on first use (structural queries speak NodeIds) and extended as labels are interned. */
  protected byId: Map<NodeId, number> | null = null;

  numberOfId(id: NodeId): number | undefined {
    if (!this.byId) this.byId = new Map();
    for (let n = this.byId.size; n < this.ids.length; n++) this.byId.set(this.ids[n], n);
    return this.byId.get(id);
  }

  labelOf(n: number): string {
    return this.labels[n];
  }

  idOf(n: number): NodeId {
    return this.ids[n];
  }

  /** Change what this holder owns (a membership change); records of nodes no longer owned stay until `retainOwned`. */
  setOwnership(owns: ((id: NodeId) => boolean) | 'all'): void {
    this.owns = owns;
    this.ownsAll = owns === 'all';
    for (let n = 0; n < this.ids.length; n++) this.owned.data[n] = this.ownsId(this.ids[n]) ? 1 : 0;
    this.primaryEdges = 0;
    for (let e = 0; e < this.edgeSlots; e++) if (this.alive.data[e] === 1 && this.owned.data[this.ea.data[e]] === 1) this.primaryEdges++;
  }

  isOwned(n: number): boolean {
    return this.owned.data[n] === 1;
  }

  hasNode(n: number): boolean {
    return this.has.data[n] === 1;
  }

  /** How many documents presented node n (its access count; 0 without a record). */
  accessOf(n: number): number {
    return this.has.data[n] === 1 ? this.access.data[n] : 0;
  }

  /** NodeId order of two nodes: the leading 48 bits decide unless equal. */
  protected idLess(a: number, b: number): boolean {
    const ka = this.idKey.data[a];
    const kb = this.idKey.data[b];
    return ka !== kb ? ka < kb : this.ids[a] < this.ids[b];
  }

  protected readonly pruneDelays: number[] = [];

  /** Ticks from creation to pruning of an edge created with c co-activations and never touched again. */
  protected newPruneDelay(c: number): number {
    let d = this.pruneDelays[c];
    if (d === undefined) d = this.pruneDelays[c] = pruneTick(this.weightOfNew(c), 0, c, 0, 0, this.config);
    return d;
  }

  protected weightOfNew(c: number): number {
    const { edgeBaseWeight: base, edgeMaxWeight: cap } = this.config;
    while (this.newWeight.length <= c) {
      const k = this.newWeight.length;
      this.newWeight.push(k === 1 ? Math.min(base, cap) : Math.min(this.newWeight[k - 1] + base, cap));
    }
    return this.newWeight[c];
  }

  /** A slot for a new edge {a, b}, not yet linked (alive = 0) nor in the pair table: `linkEdge`, which always follows, registers it. */
  protected newEdgeSlot(a: number, b: number): number {
    return this.idLess(a, b) ? this.newOrderedSlot(a, b) : this.newOrderedSlot(b, a);
  }

  /** `newEdgeSlot` for endpoints already in NodeId order (lo first), as the tick's new pairs keep them. */
  protected newOrderedSlot(lo: number, hi: number): number {
    const e = this.free.length > 0 ? this.free.pop()! : this.edgeSlots++;
    if (e >= this.ea.data.length) for (const c of [this.ea, this.eb, this.eco, this.ec, this.el, this.schedAt, this.pendEdge, this.ew, this.alive]) c.ensure(e);
    this.saveEdge(e);
    this.ea.data[e] = lo;
    this.eb.data[e] = hi;
    this.alive.data[e] = 0;
    this.schedAt.data[e] = NEVER;
    return e;
  }

  protected linkEdge(e: number, a: number, b: number): void {
    this.saveEdge(e);
    this.alive.data[e] = 1;
    this.pairs.set(a, b, e);
    this.addAdj(a, e);
    this.addAdj(b, e);
    this.edges++;
    if (this.owned.data[this.ea.data[e]] === 1) this.primaryEdges++;
  }

  protected addAdj(n: number, e: number): void {
    this.adj.push(n, e);
  }

  protected unlinkEdge(e: number): void {
    this.markDead(e);
    for (const n of [this.ea.data[e], this.eb.data[e]]) {
      this.adj.removeSwap(n, e);
    }
  }

  /** Everything of an unlink but the adjacency lists (batch removals compact those once per node). */
  protected markDead(e: number): void {
    this.saveEdge(e);
    this.alive.data[e] = 0;
    this.pairs.delete(this.ea.data[e], this.eb.data[e]);
    this.edges--;
    if (this.owned.data[this.ea.data[e]] === 1) this.primaryEdges--;
  }

  /** Remove an edge; its slot is reused once the tick commits. */
  protected removeEdge(e: number): void {
    this.unlinkEdge(e);
    this.schedAt.data[e] = NEVER;
    if (this.tx) this.tx.freed.push(e);
    else this.free.push(e);
  }

  protected bucket(t: number): IntList {
    let b = this.sched.get(t);
    if (!b) this.sched.set(t, (b = new IntList()));
    return b;
  }

  protected schedule(e: number, from: number): void {
    const t = pruneTick(this.ew.data[e], this.el.data[e], this.eco.data[e], this.ec.data[e], from, this.config);
    this.saveEdge(e);
    if (t === Infinity) {
      this.schedAt.data[e] = NEVER;
      return;
    }
    this.schedAt.data[e] = t;
    this.bucket(t).push(e);
  }

  /** An edge's weight at `tick`. */
  weightAt(e: number, tick: number): number {
    return this.decay.weight(this.ew.data[e], this.el.data[e], this.eco.data[e], tick);
  }

  /** The edge between two labels, or -1. */
  edgeBetween(x: string, y: string): number {
    const a = this.byLabel.get(x);
    const b = this.byLabel.get(y);
    if (a === undefined || b === undefined) return -1;
    return this.pairs.get(a, b);
  }

  /** Endpoint labels of an edge, smaller NodeId first. */
  edgeLabels(e: number): [string, string] {
    return [this.labels[this.ea.data[e]], this.labels[this.eb.data[e]]];
  }

  /** The edge's endpoint node numbers. */
  endpoints(e: number): [number, number] {
    return [this.ea.data[e], this.eb.data[e]];
  }

  /** An edge's first endpoint (the smaller NodeId). */
  endpointA(e: number): number {
    return this.ea.data[e];
  }

  endpointB(e: number): number {
    return this.eb.data[e];
  }

  node(n: number): NodeRow | undefined {
    if (this.has.data[n] !== 1) return undefined;
    return { id: this.ids[n], label: this.labels[n], accessCount: this.access.data[n], createdTick: this.created.data[n] };
  }

  edgeRow(e: number): EdgeRow {
    return {
      a: this.ids[this.ea.data[e]],
      b: this.ids[this.eb.data[e]],
      weight: this.ew.data[e],
      coActivations: this.eco.data[e],
      createdTick: this.ec.data[e],
      lastActivatedTick: this.el.data[e],
    };
  }

  /** Edge numbers of a node's edges (do not modify). */
  edgesOf(n: number): readonly number[] {
    return this.adj.list(n);
  }

  /** The node at the other end of edge e from n. */
  other(e: number, n: number): number {
    return this.ea.data[e] === n ? this.eb.data[e] : this.ea.data[e];
  }

  coActivations(e: number): number {
    return this.eco.data[e];
  }

  /** Node numbers that have a record (owned concepts). */
  *nodeNumbers(): IterableIterator<number> {
    for (let n = 0; n < this.labels.length; n++) if (this.has.data[n] === 1) yield n;
  }

  /** NodeIds of the concepts held (owned). */
  nodeIds(): NodeId[] {
    return [...this.nodeNumbers()].map((n) => this.ids[n]);
  }

  hasNodeId(id: NodeId): boolean {
    const n = this.numberOfId(id);
    return n !== undefined && this.has.data[n] === 1;
  }

  /**
   * Edges whose first endpoint (the smaller NodeId) this holder owns: each edge of a cluster counts on
   * one shard. Kept as edges link and die (a shard reports it with every tick and heartbeat; a scan of
   * every edge slot cost a large graph an O(edges) pass per tick, empty ticks included).
   */
  primaryEdgeCount(): number {
    return this.primaryEdges;
  }

  /** Live edge numbers. */
  *edgeNumbers(): IterableIterator<number> {
    for (let e = 0; e < this.edgeSlots; e++) if (this.alive.data[e] === 1) yield e;
  }

  /** Record a node's state before the open tick first changes it (graph-journal.ts). */
  protected abstract saveNode(n: number): void;
  /** Record an edge's state before the open tick first changes it (graph-journal.ts). */
  protected abstract saveEdge(e: number): void;
}

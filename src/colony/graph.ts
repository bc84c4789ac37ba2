import { sha256, type NodeId } from '../ids/ids.js';
import type { ColonyConfig } from './config.js';

/** A concept: one node per distinct label (exact match). */
export interface ConceptNode {
  id: NodeId;
  label: string;
  /** Number of digested documents that presented this concept. */
  accessCount: number;
  createdTick: number;
}

/** An undirected Hebbian edge, stored with a < b (NodeId order). */
export interface Edge {
  a: NodeId;
  b: NodeId;
  weight: number;
  coActivations: number;
  createdTick: number;
  lastActivatedTick: number;
}

/** Concept upsert: `count` documents presented this label in one tick. */
export interface NodeUpsert {
  id: NodeId;
  label: string;
  count: number;
}

/** Edge increment: `count` documents wired the pair (a < b) in one tick. */
export interface EdgeIncrement {
  a: NodeId;
  b: NodeId;
  count: number;
}

export function edgeKey(a: NodeId, b: NodeId): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Sum counts per key and sort by key, so applying deltas never depends on arrival order. */
export function mergeUpserts(list: Iterable<NodeUpsert>): NodeUpsert[] {
  const m = new Map<NodeId, NodeUpsert>();
  for (const u of list) {
    const cur = m.get(u.id);
    if (cur) cur.count += u.count;
    else m.set(u.id, { ...u });
  }
  return [...m.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

export function mergeIncrements(list: Iterable<EdgeIncrement>): EdgeIncrement[] {
  const m = new Map<string, EdgeIncrement>();
  for (const e of list) {
    const [a, b] = e.a < e.b ? [e.a, e.b] : [e.b, e.a];
    const k = `${a}|${b}`;
    const cur = m.get(k);
    if (cur) cur.count += e.count;
    else m.set(k, { a, b, count: e.count });
  }
  return [...m.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([, v]) => v);
}

/**
 * The concept graph held by one colony or one shard. Pure in-memory state; no I/O.
 * On a shard, `nodes` holds the concepts the shard owns and `edges` every edge with at least
 * one owned endpoint (an edge between two shards is replicated on both owners, and both replicas
 * evolve identically because decay is a pure function of the edge and the tick).
 */
export class Graph {
  readonly nodes = new Map<NodeId, ConceptNode>();
  readonly edges = new Map<string, Edge>();
  readonly adjacency = new Map<NodeId, Map<NodeId, Edge>>();
  /** Nodes whose degree grew since the last degree-cap pass (only they can exceed the cap). */
  private grown = new Set<NodeId>();
  /**
   * Undo journal of the open transaction (a shard's tick in progress): the state each touched node
   * and edge had before it, null for "did not exist". A tick that aborts rolls back to it.
   */
  private tx: { nodes: Map<NodeId, ConceptNode | null>; edges: Map<string, Edge | null> } | null = null;

  constructor(readonly config: ColonyConfig) {}

  get nodeCount(): number {
    return this.nodes.size;
  }
  get edgeCount(): number {
    return this.edges.size;
  }

  degree(id: NodeId): number {
    return this.adjacency.get(id)?.size ?? 0;
  }

  neighbours(id: NodeId): Map<NodeId, Edge> {
    return this.adjacency.get(id) ?? new Map();
  }

  getEdge(x: NodeId, y: NodeId): Edge | undefined {
    return this.edges.get(edgeKey(x, y));
  }

  begin(): void {
    if (this.tx) throw new Error('a graph transaction is already open');
    this.tx = { nodes: new Map(), edges: new Map() };
  }

  get inTransaction(): boolean {
    return this.tx !== null;
  }

  commit(): void {
    this.tx = null;
  }

  /** Undo every change since begin(). */
  rollback(): void {
    const tx = this.tx;
    if (!tx) return;
    this.tx = null;
    for (const [id, prev] of tx.nodes) {
      if (prev) this.nodes.set(id, prev);
      else this.nodes.delete(id);
    }
    for (const [key, prev] of tx.edges) {
      this.removeEdge(key);
      if (prev) this.insertEdge(prev);
    }
  }

  private saveNode(id: NodeId): void {
    if (this.tx && !this.tx.nodes.has(id)) {
      const n = this.nodes.get(id);
      this.tx.nodes.set(id, n ? { ...n } : null);
    }
  }

  private saveEdge(key: string): void {
    if (this.tx && !this.tx.edges.has(key)) {
      const e = this.edges.get(key);
      this.tx.edges.set(key, e ? { ...e } : null);
    }
  }

  /** Apply one tick's concept upserts (already merged or not). */
  applyUpserts(tick: number, upserts: Iterable<NodeUpsert>): void {
    for (const u of mergeUpserts(upserts)) {
      this.saveNode(u.id);
      const n = this.nodes.get(u.id);
      if (n) n.accessCount += u.count;
      else this.nodes.set(u.id, { id: u.id, label: u.label, accessCount: u.count, createdTick: tick });
    }
  }

  /**
   * Apply one tick's edge increments. Each co-activation adds the base weight, capped; the
   * increments of a tick are applied one by one so the float result is the same however they
   * were batched.
   */
  applyIncrements(tick: number, increments: Iterable<EdgeIncrement>): void {
    const { edgeBaseWeight: base, edgeMaxWeight: cap } = this.config;
    for (const inc of mergeIncrements(increments)) {
      const k = `${inc.a}|${inc.b}`;
      this.saveEdge(k);
      let e = this.edges.get(k);
      let n = inc.count;
      if (!e) {
        e = { a: inc.a, b: inc.b, weight: Math.min(base, cap), coActivations: 1, createdTick: tick, lastActivatedTick: tick };
        this.insertEdge(e);
        n -= 1;
      }
      for (let i = 0; i < n; i++) e.weight = Math.min(e.weight + base, cap);
      e.coActivations += n;
      e.lastActivatedTick = tick;
    }
  }

  insertEdge(e: Edge): void {
    this.saveEdge(`${e.a}|${e.b}`);
    this.edges.set(`${e.a}|${e.b}`, e);
    this.link(e.a, e.b, e);
    this.link(e.b, e.a, e);
  }

  private link(x: NodeId, y: NodeId, e: Edge): void {
    let m = this.adjacency.get(x);
    if (!m) this.adjacency.set(x, (m = new Map()));
    m.set(y, e);
    this.grown.add(x);
  }

  removeEdge(key: string): Edge | undefined {
    const e = this.edges.get(key);
    if (!e) return undefined;
    this.saveEdge(key);
    this.edges.delete(key);
    this.unlink(e.a, e.b);
    this.unlink(e.b, e.a);
    return e;
  }

  private unlink(x: NodeId, y: NodeId): void {
    const m = this.adjacency.get(x);
    if (m) {
      m.delete(y);
      if (m.size === 0) this.adjacency.delete(x);
    }
  }

  /**
   * Activity-based decay and synaptic pruning at `tick` (upstream §3.8):
   * young edges (age < maturation) decay at the base rate and are never pruned; mature ones at
   * base·(1 + staleness_factor·(staleness/100)/(1 + 0.5·co_activations)), rate capped at 0.5;
   * mature edges below the prune threshold are removed. Returns the number pruned.
   */
  decay(tick: number): number {
    const { edgeDecayRate: base, stalenessFactor: sf, maturationTicks: mat, edgePruneThreshold: thr } = this.config;
    const pruned: string[] = [];
    for (const [k, e] of this.edges) {
      this.saveEdge(k);
      const age = Math.max(0, tick - e.createdTick);
      const rate = age < mat ? base : base * (1 + sf * (Math.max(0, tick - e.lastActivatedTick) / 100) * (1 / (1 + 0.5 * e.coActivations)));
      e.weight *= 1 - Math.min(rate, 0.5);
      if (age >= mat && e.weight < thr) pruned.push(k);
    }
    for (const k of pruned) this.removeEdge(k);
    return pruned.length;
  }

  /**
   * Degree-cap verdicts: for each node (that `owns` accepts) with more than maxEdgeDegree edges,
   * the edges it does not keep among its top ones by weight (ties: the other endpoint's NodeId,
   * ascending). An edge survives only if both endpoints keep it, so the union of all verdicts is
   * what gets removed.
   */
  degreeCapVerdicts(owns: (id: NodeId) => boolean = () => true): string[] {
    const max = this.config.maxEdgeDegree;
    const drops: string[] = [];
    const candidates = [...this.grown].sort();
    this.grown = new Set();
    for (const id of candidates) {
      const adj = this.adjacency.get(id);
      if (!adj || adj.size <= max || !owns(id)) continue;
      const ranked = [...adj.entries()].sort((x, y) => y[1].weight - x[1].weight || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      for (let i = max; i < ranked.length; i++) {
        const e = ranked[i][1];
        drops.push(`${e.a}|${e.b}`);
      }
    }
    return drops;
  }

  /** Remove the edges named by degree-cap verdicts (own and received). Returns how many went. */
  applyDrops(keys: Iterable<string>): number {
    let n = 0;
    for (const k of keys) if (this.removeEdge(k)) n++;
    return n;
  }
}

/** The canonical text lines of a graph: nodes then edges, each sorted by id. */
export function canonicalNodeLine(n: ConceptNode): string {
  return `N ${n.id} ${JSON.stringify(n.label)} ${n.accessCount} ${n.createdTick}`;
}
export function canonicalEdgeLine(e: Edge): string {
  return `E ${e.a} ${e.b} ${e.weight.toFixed(12)} ${e.coActivations} ${e.createdTick} ${e.lastActivatedTick}`;
}

/**
 * Canonical graph hash: SHA-256 over the sorted node lines then the sorted edge lines, one per
 * line. Weights are written with 12 decimals. Equal hashes mean equal graphs (nodes, labels,
 * access counts, edges, weights to 1e-12, co-activations and ticks).
 */
export function hashCanonical(nodeLines: string[], edgeLines: string[]): string {
  nodeLines.sort();
  edgeLines.sort();
  return sha256(nodeLines.join('\n'), '\n--\n', edgeLines.join('\n')).toString('hex');
}

export function graphHash(g: Graph): string {
  return hashCanonical([...g.nodes.values()].map(canonicalNodeLine), [...g.edges.values()].map(canonicalEdgeLine));
}

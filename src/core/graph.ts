import type { ColonyConfig } from './config.js';
import { deriveNodeId, type NodeId } from '../ids/ids.js';
import { decayedWeight, pruneTick } from './decay.js';
import { Float64Column, Int32Column, Uint8Column } from './growable.js';
import { NewEdges } from './new-edges.js';
import { PairTable } from './pair-table.js';
import { ConceptGraphView } from './graph-view.js';
import type { EdgeRow, GraphView, NodeRow, NumPresentation, Presentation, Verdicts } from './graph-types.js';
import { Journal } from './journal.js';
import { selectTop } from './select-top.js';

export type { EdgeRow, GraphView, NodeRow, NumPresentation, Presentation, Verdicts } from './graph-types.js';

const NEVER = -1;

/**
 * The concept graph one holder keeps: a single process keeps all of it, a shard the concepts it owns
 * and every edge with at least one owned endpoint (a cross-shard edge lives on both owners, and both
 * copies evolve identically because every rule is a pure function of the edge and the tick).
 *
 * Layout: labels are interned to dense node numbers; node records and edge columns are typed arrays;
 * an edge is found by its endpoint pair in a PairTable; adjacency is a small array of edge numbers per
 * node. Decay is evaluated where a weight is read and pruning is scheduled (see decay.ts), so a tick
 * costs what it changes. A tick in progress keeps an undo journal of what it touched (only that), so
 * an aborted tick rolls back in time proportional to its changes.
 */
export class ConceptGraph {
  // interning: node number -> label, NodeId; owned by this holder?
  private readonly labels: string[] = [];
  private readonly ids: NodeId[] = [];
  private readonly byLabel = new Map<string, number>();
  private owned = new Uint8Column(1024);
  // node records (owned concepts only)
  private readonly has = new Uint8Column(1024);
  private readonly access = new Int32Column(1024);
  private readonly created = new Int32Column(1024);
  private nodes = 0;
  // edges
  private readonly ea = new Int32Column(1024);
  private readonly eb = new Int32Column(1024);
  private readonly ew = new Float64Column(1024);
  private readonly eco = new Int32Column(1024);
  private readonly ec = new Int32Column(1024);
  private readonly el = new Int32Column(1024);
  private readonly alive = new Uint8Column(1024);
  private readonly schedAt = new Int32Column(1024);
  private readonly pairs = new PairTable(1024);
  private adj: number[][] = [];
  private edgeSlots = 0;
  private free: number[] = [];
  private edges = 0;
  /** Prune schedule: tick -> edges to check then (stale entries are skipped). */
  private readonly sched = new Map<number, number[]>();
  /** This tick's co-activated pairs that have no edge yet (see new-edges.ts). */
  private fresh = new NewEdges();
  private readonly nodeScratch = new Int32Column(1024);
  /** Weight of a new edge after c co-activations in its first tick, by c (the same additions as any edge). */
  private readonly newWeight: number[] = [0];
  /** The leading 48 bits of each node's NodeId, for fast tie-breaks in NodeId order. */
  private readonly idKey = new Float64Column(1024);
  private ws = new Float64Array(64);
  private ks = new Float64Array(64);
  private os = new Int32Array(64);
  // per-tick accumulation
  private readonly pendNode = new Int32Column(1024);
  private readonly pendEdge = new Int32Column(1024);
  // the open tick and its undo journal (marks say what the journal already holds)
  private open = false;
  private tx: Journal | null = null;
  private txId = 0;
  private readonly nodeMark = new Int32Column(1024);
  private readonly edgeMark = new Int32Column(1024);

  /** True when this holder owns every key (one process): no ownership tests on the hot path. */
  private ownsAll: boolean;

  constructor(
    readonly config: ColonyConfig,
    private owns: ((id: NodeId) => boolean) | 'all' = 'all',
  ) {
    this.ownsAll = owns === 'all';
  }

  private ownsId(id: NodeId): boolean {
    return this.owns === 'all' || this.owns(id);
  }

  /** Intern a presentation's labels. */
  internPresentation(p: Presentation): NumPresentation {
    return { nums: p.labels.map((l) => this.intern(l)), wired: p.wired };
  }

  get nodeCount(): number {
    return this.nodes;
  }
  get edgeCount(): number {
    return this.edges;
  }

  // ---- interning -------------------------------------------------------------------------------

  /** The node number of a label, interning it. */
  intern(label: string): number {
    let n = this.byLabel.get(label);
    if (n === undefined) {
      n = this.labels.length;
      this.labels.push(label);
      const id = deriveNodeId(label);
      this.ids.push(id);
      this.byLabel.set(label, n);
      this.adj.push(EMPTY_ADJ);
      if (n >= this.has.data.length) for (const c of [this.owned, this.has, this.access, this.created, this.pendNode, this.nodeMark, this.nodeScratch, this.idKey]) c.ensure(n);
      this.owned.data[n] = this.ownsId(id) ? 1 : 0;
      this.idKey.data[n] = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    }
    return n;
  }

  numberOf(label: string): number | undefined {
    return this.byLabel.get(label);
  }

  /** NodeId -> node number, built on first use (structural queries speak NodeIds) and extended as labels are interned. */
  private byId: Map<NodeId, number> | null = null;
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
  }

  isOwned(n: number): boolean {
    return this.owned.data[n] === 1;
  }

  hasNode(n: number): boolean {
    return this.has.data[n] === 1;
  }

  // ---- the open tick ---------------------------------------------------------------------------

  /** Open a tick. With `undoable`, what it touches is journaled so that `rollback` can undo it. */
  begin(undoable = true): void {
    if (this.open) throw new Error('a tick is already open on this graph');
    this.open = true;
    this.fresh.clear();
    this.txId++;
    this.tx = undoable ? new Journal() : null;
  }

  get inTick(): boolean {
    return this.open;
  }

  commit(): void {
    const tx = this.tx;
    this.tx = null;
    this.open = false;
    if (tx) for (const e of tx.freed) this.free.push(e);
  }

  /** Undo everything since begin(): O(what the tick touched). */
  rollback(): void {
    if (!this.open) return;
    const tx = this.tx;
    if (!tx) throw new Error('this tick was opened without an undo journal');
    this.tx = null;
    this.open = false;
    const N = tx.nodes.data;
    for (let i = tx.nodes.length - 4; i >= 0; i -= 4) {
      const n = N[i];
      const had = this.has.data[n] === 1;
      const has = N[i + 1] === 1;
      if (had && !has) this.nodes--;
      if (!had && has) this.nodes++;
      this.has.data[n] = has ? 1 : 0;
      this.access.data[n] = N[i + 2];
      this.created.data[n] = N[i + 3];
    }
    const E = tx.edges.data;
    for (let i = tx.edges.length - 7; i >= 0; i -= 7) {
      const e = E[i];
      const wasAlive = E[i + 1] === 1;
      const isAlive = this.alive.data[e] === 1;
      if (isAlive && !wasAlive) this.unlinkEdge(e);
      if (!isAlive && wasAlive) this.linkEdge(e, this.ea.data[e], this.eb.data[e]);
      this.ew.data[e] = E[i + 2];
      this.eco.data[e] = E[i + 3];
      this.ec.data[e] = E[i + 4];
      this.el.data[e] = E[i + 5];
      this.schedAt.data[e] = E[i + 6];
      if (wasAlive && E[i + 6] !== NEVER) this.bucket(E[i + 6]).push(e);
      if (!wasAlive) {
        this.pairs.delete(this.ea.data[e], this.eb.data[e]);
        this.free.push(e);
      }
    }
    this.fresh.clear();
  }

  private saveNode(n: number): void {
    if (this.tx && this.nodeMark.data[n] !== this.txId) {
      this.nodeMark.data[n] = this.txId;
      const l = this.tx.nodes;
      const at = l.reserve();
      l.data[at] = n;
      l.data[at + 1] = this.has.data[n];
      l.data[at + 2] = this.access.data[n];
      l.data[at + 3] = this.created.data[n];
    }
  }

  private saveEdge(e: number): void {
    if (this.tx && this.edgeMark.data[e] !== this.txId) {
      this.edgeMark.data[e] = this.txId;
      const l = this.tx.edges;
      const at = l.reserve();
      l.data[at] = e;
      l.data[at + 1] = this.alive.data[e];
      l.data[at + 2] = this.ew.data[e];
      l.data[at + 3] = this.eco.data[e];
      l.data[at + 4] = this.ec.data[e];
      l.data[at + 5] = this.el.data[e];
      l.data[at + 6] = this.schedAt.data[e];
    }
  }

  // ---- the rules of a tick ---------------------------------------------------------------------

  /**
   * Apply one tick's presentations to the keys this holder owns: each owned concept counts one more
   * presenting document (created at this tick if new); each wired pair with an owned endpoint gets one
   * co-activation per document. A tick's co-activations are summed per edge and applied one by one,
   * so the result does not depend on how presentations were batched or ordered.
   */
  present(tick: number, docs: Iterable<NumPresentation>): { nodesCreated: number } {
    const touchedNodes: number[] = [];
    const touchedEdges: number[] = [];
    const pn = this.pendNode;
    const owned = this.owned.data;
    for (const d of docs) {
      const nums = d.nums;
      for (const n of nums) {
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
    let nodesCreated = 0;
    for (const n of touchedNodes) {
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
    const { edgeBaseWeight: base, edgeMaxWeight: cap } = this.config;
    for (const e of touchedEdges) {
      const c = this.pendEdge.data[e];
      this.pendEdge.data[e] = 0;
      this.saveEdge(e);
      let w = decayedWeight(this.ew.data[e], this.el.data[e], this.eco.data[e], tick, this.config);
      for (let i = 0; i < c; i++) w = Math.min(w + base, cap);
      this.ew.data[e] = w;
      this.eco.data[e] += c;
      this.el.data[e] = tick;
      // a co-activation only delays pruning, so the edge's schedule entry stays valid (checked when due)
    }
    return { nodesCreated };
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
      for (const e of [...this.adj[n]]) {
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

  /** NodeId order of two nodes: the leading 48 bits decide unless equal. */
  private idLess(a: number, b: number): boolean {
    const ka = this.idKey.data[a];
    const kb = this.idKey.data[b];
    return ka !== kb ? ka < kb : this.ids[a] < this.ids[b];
  }

  private readonly pruneDelays: number[] = [];
  /** Ticks from creation to pruning of an edge created with c co-activations and never touched again. */
  private newPruneDelay(c: number): number {
    let d = this.pruneDelays[c];
    if (d === undefined) d = this.pruneDelays[c] = pruneTick(this.weightOfNew(c), 0, c, 0, 0, this.config);
    return d;
  }

  private weightOfNew(c: number): number {
    const { edgeBaseWeight: base, edgeMaxWeight: cap } = this.config;
    while (this.newWeight.length <= c) {
      const k = this.newWeight.length;
      this.newWeight.push(k === 1 ? Math.min(base, cap) : Math.min(this.newWeight[k - 1] + base, cap));
    }
    return this.newWeight[c];
  }

  /** A slot for a new edge {a, b}, registered in the pair table but not yet linked (alive = 0). */
  private newEdgeSlot(a: number, b: number): number {
    const e = this.free.length > 0 ? this.free.pop()! : this.edgeSlots++;
    if (e >= this.ea.data.length) for (const c of [this.ea, this.eb, this.eco, this.ec, this.el, this.schedAt, this.pendEdge, this.edgeMark, this.ew, this.alive]) c.ensure(e);
    this.saveEdge(e);
    const lo = this.idLess(a, b) ? a : b;
    this.ea.data[e] = lo;
    this.eb.data[e] = lo === a ? b : a;
    this.alive.data[e] = 0;
    this.schedAt.data[e] = NEVER;
    this.pairs.set(a, b, e);
    return e;
  }

  private linkEdge(e: number, a: number, b: number): void {
    this.saveEdge(e);
    this.alive.data[e] = 1;
    this.pairs.set(a, b, e);
    this.addAdj(a, e);
    this.addAdj(b, e);
    this.edges++;
  }

  private addAdj(n: number, e: number): void {
    if (this.adj[n] === EMPTY_ADJ) this.adj[n] = [e];
    else this.adj[n].push(e);
  }

  private unlinkEdge(e: number): void {
    this.markDead(e);
    for (const n of [this.ea.data[e], this.eb.data[e]]) {
      const l = this.adj[n];
      const i = l.indexOf(e);
      l[i] = l[l.length - 1];
      l.pop();
      if (l.length === 0) this.adj[n] = EMPTY_ADJ;
    }
  }

  /** Everything of an unlink but the adjacency lists (batch removals compact those once per node). */
  private markDead(e: number): void {
    this.saveEdge(e);
    this.alive.data[e] = 0;
    this.pairs.delete(this.ea.data[e], this.eb.data[e]);
    this.edges--;
  }

  /** Remove an edge; its slot is reused once the tick commits. */
  private removeEdge(e: number): void {
    this.unlinkEdge(e);
    this.schedAt.data[e] = NEVER;
    if (this.tx) this.tx.freed.push(e);
    else this.free.push(e);
  }

  private bucket(t: number): number[] {
    let b = this.sched.get(t);
    if (!b) this.sched.set(t, (b = []));
    return b;
  }

  private schedule(e: number, from: number): void {
    const t = pruneTick(this.ew.data[e], this.el.data[e], this.eco.data[e], this.ec.data[e], from, this.config);
    this.saveEdge(e);
    if (t === Infinity) {
      this.schedAt.data[e] = NEVER;
      return;
    }
    this.schedAt.data[e] = t;
    this.bucket(t).push(e);
  }

  /** Prune the mature edges whose weight fell below the threshold at `tick`. Returns how many. */
  prune(tick: number): number {
    const due = this.sched.get(tick);
    if (!due) return 0;
    this.sched.delete(tick);
    let pruned = 0;
    for (const e of due) {
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

  /** An edge's weight at `tick`. */
  weightAt(e: number, tick: number): number {
    return decayedWeight(this.ew.data[e], this.el.data[e], this.eco.data[e], tick, this.config);
  }

  /**
   * Degree-cap verdicts at `tick`: every owned node that gained new pairs this tick and has more than
   * maxEdgeDegree edges and new pairs keeps the strongest (ties: the other endpoint's NodeId,
   * ascending) and gives up the rest. An edge survives only if both endpoints keep it, so the union of
   * all verdicts is what goes. Returns existing edge numbers and new-pair indices.
   */
  capVerdicts(tick: number): Verdicts {
    const max = this.config.maxEdgeDegree;
    const out: Verdicts = { edges: [], fresh: [] };
    const f = this.fresh;
    const owned = this.owned.data;
    const { nodes, start, list } = f.byNode((n) => owned[n] === 1, this.nodeScratch);
    const key = this.idKey.data;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      const old = this.adj[n];
      const m = old.length + start[i + 1] - start[i];
      if (m <= max) continue;
      if (this.ws.length < m) {
        this.ws = new Float64Array(m * 2);
        this.ks = new Float64Array(m * 2);
        this.os = new Int32Array(m * 2);
      }
      const { ws, ks, os } = this;
      // entries 0..old.length-1 are edges, the rest new pairs; os holds the other endpoint
      for (let j = 0; j < old.length; j++) {
        ws[j] = this.weightAt(old[j], tick);
        os[j] = this.other(old[j], n);
        ks[j] = key[os[j]];
      }
      for (let j = start[i], k = old.length; j < start[i + 1]; j++, k++) {
        const c = list[j];
        ws[k] = this.weightOfNew(f.count.data[c]);
        os[k] = f.a.data[c] === n ? f.b.data[c] : f.a.data[c];
        ks[k] = key[os[k]];
      }
      const kept = selectTop(m, max, (x, y) => ws[x] - ws[y] || ks[y] - ks[x] || (this.ids[os[y]] < this.ids[os[x]] ? -1 : 1));
      for (let j = 0; j < m; j++) {
        if (kept[j] === 1) continue;
        if (j < old.length) out.edges.push(old[j]);
        else out.fresh.push(list[start[i] + j - old.length]);
      }
    }
    return out;
  }

  /**
   * End the tick's cap: remove the edges and new pairs named by own verdicts and by label pairs
   * received from other holders, then make edges of the new pairs that no one dropped. Returns how
   * many existing edges were removed.
   */
  settle(tick: number, own: Verdicts, received: Iterable<readonly [string, string]> = []): number {
    const f = this.fresh;
    const gone = [...own.edges];
    for (const c of own.fresh) f.dropped.data[c] = 1;
    for (const [x, y] of received) {
      const a = this.byLabel.get(x);
      const b = this.byLabel.get(y);
      if (a === undefined || b === undefined) continue;
      const e = this.pairs.get(a, b);
      if (e >= 0) gone.push(e);
      else {
        const c = f.find(a, b);
        if (c >= 0) f.dropped.data[c] = 1;
      }
    }
    const removed = this.dropEdges(gone);
    for (let c = 0; c < f.size; c++) {
      if (f.dropped.data[c] === 1) continue;
      const a = f.a.data[c];
      const b = f.b.data[c];
      const e = this.newEdgeSlot(a, b);
      this.linkEdge(e, a, b);
      this.ew.data[e] = this.weightOfNew(f.count.data[c]);
      this.eco.data[e] = f.count.data[c];
      this.ec.data[e] = tick;
      this.el.data[e] = tick;
      // every new edge with c co-activations has the same prune delay (decay depends on ticks elapsed)
      const d = this.newPruneDelay(f.count.data[c]);
      this.schedAt.data[e] = d === Infinity ? NEVER : tick + d;
      if (d !== Infinity) this.bucket(tick + d).push(e);
    }
    f.clear();
    return removed;
  }

  /** Endpoint node numbers of a new pair. */
  freshEndpoints(c: number): [number, number] {
    return [this.fresh.a.data[c], this.fresh.b.data[c]];
  }

  /** Endpoint labels of a new pair. */
  freshLabels(c: number): [string, string] {
    return [this.labels[this.fresh.a.data[c]], this.labels[this.fresh.b.data[c]]];
  }

  /** Remove edges by number; returns how many were still there. */
  private dropEdges(edges: Iterable<number>): number {
    let n = 0;
    const touched: number[] = [];
    for (const e of edges) {
      if (this.alive.data[e] !== 1) continue;
      this.markDead(e);
      this.schedAt.data[e] = NEVER;
      if (this.tx) this.tx.freed.push(e);
      else this.free.push(e);
      touched.push(this.ea.data[e], this.eb.data[e]);
      n++;
    }
    // one pass per touched node instead of a search per removed edge (hubs lose hundreds at once)
    const mark = this.nodeScratch.data;
    for (const x of touched) {
      if (mark[x] === 1) continue;
      mark[x] = 1;
      const l = this.adj[x];
      if (l === EMPTY_ADJ) continue;
      let k = 0;
      for (let i = 0; i < l.length; i++) if (this.alive.data[l[i]] === 1) l[k++] = l[i];
      l.length = k;
      if (k === 0) this.adj[x] = EMPTY_ADJ;
    }
    for (const x of touched) mark[x] = 0;
    return n;
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

  // ---- reading ---------------------------------------------------------------------------------

  /** The open tick's undo journal (prior state of what it touched), or null (src/core/state-digest.ts reads it). */
  get journal(): Journal | null {
    return this.tx;
  }

  edgeAlive(e: number): boolean {
    return this.alive.data[e] === 1;
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
    return this.adj[n];
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

  /** Live edge numbers. */
  *edgeNumbers(): IterableIterator<number> {
    for (let e = 0; e < this.edgeSlots; e++) if (this.alive.data[e] === 1) yield e;
  }

  /** A read-only view with weights at `tick`. */
  view(tick: number): GraphView {
    return new ConceptGraphView(this, tick);
  }

  // ---- installing and dropping rows (recovery, migration) --------------------------------------

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
   * Give back spare capacity after a bulk load: the tick-local scratch and the columns' slack beyond
   * the slots in use. Only between ticks.
   */
  trim(): void {
    if (this.open) return;
    this.fresh = new NewEdges();
    const slots = this.edgeSlots;
    for (const c of [this.ea, this.eb, this.eco, this.ec, this.el, this.schedAt, this.pendEdge, this.edgeMark, this.ew, this.alive]) c.trim(slots);
    const n = this.labels.length;
    for (const c of [this.owned, this.has, this.access, this.created, this.pendNode, this.nodeMark, this.nodeScratch, this.idKey]) c.trim(n);
  }

  /** Approximate bytes held in typed arrays (for benchmarks). */
  get arrayBytes(): number {
    const cols = [this.owned, this.has, this.access, this.created, this.ea, this.eb, this.ew, this.eco, this.ec, this.el, this.alive, this.schedAt, this.pendNode, this.pendEdge];
    return cols.reduce((s, c) => s + c.data.byteLength, 0) + this.pairs.bytes;
  }
}

const EMPTY_ADJ: number[] = [];
Object.freeze(EMPTY_ADJ);

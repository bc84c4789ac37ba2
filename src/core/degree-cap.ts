import { Int32Column } from './growable.js';
import type { Verdicts } from './graph-types.js';
import { JournaledGraph } from './graph-journal.js';
import { NEVER } from './graph-store.js';
import { selectTop } from './select-top.js';

/**
 * The degree cap: each owned concept that gained new pairs in a tick keeps at most maxEdgeDegree
 * edges and new pairs (the strongest; ties by the other endpoint's NodeId), and an edge survives
 * only if both endpoints keep it. `capVerdicts` names what goes; `settle` removes it (own verdicts
 * and those received from other holders) and makes the surviving new pairs edges.
 */
export abstract class CappedGraph extends JournaledGraph {
  private ws = new Float64Array(64);
  private ks = new Float64Array(64);
  private os = new Int32Array(64);
  /** The cap's order over the scratch entries (x better than y: > 0); made again when the scratch grows. */
  private better = this.orderOver(this.ws, this.ks, this.os);
  private readonly verdictEdges = new Int32Column(1024);
  private readonly verdictFresh = new Int32Column(1024);
  private readonly touchedScratch = new Int32Column(1024);

  /**
   * Degree-cap verdicts at `tick`: every owned node that gained new pairs this tick and has more than
   * maxEdgeDegree edges and new pairs keeps the strongest (ties: the other endpoint's NodeId,
   * ascending) and gives up the rest. An edge survives only if both endpoints keep it, so the union of
   * all verdicts is what goes. Returns existing edge numbers and new-pair indices.
   */
  capVerdicts(tick: number): Verdicts {
    const max = this.config.maxEdgeDegree;
    // collected in reused typed scratch, copied out once (pushing millions into fresh arrays is slow)
    const vEdges = this.verdictEdges;
    const vFresh = this.verdictFresh;
    let ne = 0;
    let nf = 0;
    const f = this.fresh;
    const owned = this.owned.data;
    const { nodes, start, list } = f.byNode(owned, this.nodeScratch);
    const key = this.idKey.data;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      const deg = this.adj.length(n);
      const o0 = this.adj.start(n);
      const A = this.adj.arena;
      const m = deg + start[i + 1] - start[i];
      if (m <= max) continue;
      if (this.ws.length < m) {
        this.ws = new Float64Array(m * 2);
        this.ks = new Float64Array(m * 2);
        this.os = new Int32Array(m * 2);
        this.better = this.orderOver(this.ws, this.ks, this.os);
      }
      const { ws, ks, os } = this;
      // entries 0..deg-1 are edges, the rest new pairs; os holds the other endpoint
      for (let j = 0; j < deg; j++) {
        const e = A[o0 + j];
        ws[j] = this.weightAt(e, tick);
        os[j] = this.other(e, n);
        ks[j] = key[os[j]];
      }
      for (let j = start[i], k = deg; j < start[i + 1]; j++, k++) {
        const c = list[j];
        ws[k] = this.weightOfNew(f.count.data[c]);
        os[k] = f.a.data[c] === n ? f.b.data[c] : f.a.data[c];
        ks[k] = key[os[k]];
      }
      const kept = selectTop(m, max, this.better);
      vEdges.ensure(ne + deg);
      vFresh.ensure(nf + m - deg);
      const VE = vEdges.data;
      const VF = vFresh.data;
      for (let j = 0; j < deg; j++) if (kept[j] !== 1) VE[ne++] = A[o0 + j];
      for (let j = deg, c = start[i]; j < m; j++, c++) if (kept[j] !== 1) VF[nf++] = list[c];
    }
    return { edges: vEdges.data.slice(0, ne), fresh: vFresh.data.slice(0, nf) };
  }

  /** Stronger first; ties: the other endpoint's NodeId, ascending (its leading 48 bits, then the whole id). */
  private orderOver(ws: Float64Array, ks: Float64Array, os: Int32Array): (x: number, y: number) => number {
    return (x, y) => ws[x] - ws[y] || ks[y] - ks[x] || (this.ids[os[y]] < this.ids[os[x]] ? -1 : 1);
  }

  /**
   * End the tick's cap: remove the edges and new pairs named by own verdicts and by label pairs
   * received from other holders, then make edges of the new pairs that no one dropped. Returns how
   * many existing edges were removed.
   */
  settle(tick: number, own: Verdicts, received: Iterable<readonly [string, string]> = [], receivedNums?: ArrayLike<number>): number {
    const gone: number[] = [];
    // each loop in a method of its own, last in it (see ConceptGraph.present: V8's per-loop code)
    this.dropOwnFresh(own.fresh);
    this.dropReceived(received, receivedNums, gone);
    const removed = this.dropEdges(own.edges, gone);
    this.linkNewPairs(tick);
    this.fresh.clear();
    return removed;
  }

  private dropOwnFresh(fresh: Int32Array): void {
    const dropped = this.fresh.dropped.data;
    for (let i = 0; i < fresh.length; i++) dropped[fresh[i]] = 1;
  }

  /** Mark what other holders' verdicts name: existing edges into `gone`, new pairs dropped. */
  private dropReceived(received: Iterable<readonly [string, string]>, receivedNums: ArrayLike<number> | undefined, gone: number[]): void {
    // the tick's new pairs first (dropPair): a pair is either a new pair or an edge (new pairs have none
    // until linkNewPairs), most verdicts name new pairs, and their table is the small one (a miss in the
    // edges' table probes the longest)
    for (const [x, y] of received) {
      const a = this.byLabel.get(x);
      const b = this.byLabel.get(y);
      if (a !== undefined && b !== undefined) this.dropPair(a, b, gone);
    }
    // node-number pairs (-1: a label not known here)
    if (receivedNums) for (let k = 0; k + 1 < receivedNums.length; k += 2) if (receivedNums[k] >= 0 && receivedNums[k + 1] >= 0) this.dropPair(receivedNums[k], receivedNums[k + 1], gone);
  }

  /** A verdict on {a, b}: a new pair is dropped, an edge goes to `gone`. */
  private dropPair(a: number, b: number, gone: number[]): void {
    const f = this.fresh;
    const c = f.find(a, b);
    if (c >= 0) f.dropped.data[c] = 1;
    else {
      const e = this.pairs.get(a, b);
      if (e >= 0) gone.push(e);
    }
  }

  /** Make an edge of every new pair of this tick that no one dropped. */
  private linkNewPairs(tick: number): void {
    const f = this.fresh;
    for (let c = 0; c < f.size; c++) {
      if (f.dropped.data[c] === 1) continue;
      const a = f.a.data[c];
      const b = f.b.data[c];
      const e = this.newOrderedSlot(a, b); // a new pair keeps its endpoints in NodeId order
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
  }

  /** Endpoint node numbers of a new pair (the smaller NodeId first). */
  freshA(c: number): number {
    return this.fresh.a.data[c];
  }

  freshB(c: number): number {
    return this.fresh.b.data[c];
  }

  /** Endpoint labels of a new pair. */
  freshLabels(c: number): [string, string] {
    return [this.labels[this.fresh.a.data[c]], this.labels[this.fresh.b.data[c]]];
  }

  /** Remove edges by number; returns how many were still there. */
  private dropEdges(own: Int32Array, received: readonly number[]): number {
    // the endpoints of removed edges, in reused typed scratch (a tick removes hundreds of thousands)
    const touched = this.touchedScratch;
    touched.ensure(2 * (own.length + received.length));
    const n = this.killEdges(own, received, touched.data);
    this.filterAdjacency(touched.data, 2 * n);
    this.unmark(touched.data, 2 * n);
    return n;
  }

  /** Mark dead the edges still alive among `own` and `received`; their endpoints go to T, two per edge. Returns how many. */
  private killEdges(own: Int32Array, received: readonly number[], T: Int32Array): number {
    let n = 0;
    for (let i = 0; i < own.length + received.length; i++) {
      const e = i < own.length ? own[i] : received[i - own.length];
      if (this.alive.data[e] !== 1) continue;
      this.markDead(e);
      this.schedAt.data[e] = NEVER;
      if (this.tx) this.tx.freed.push(e);
      else this.free.push(e);
      T[2 * n] = this.ea.data[e];
      T[2 * n + 1] = this.eb.data[e];
      n++;
    }
    return n;
  }

  /** Drop dead edges from the lists of the nodes T[0..nt), marking each node: one pass per node instead of a search per removed edge (hubs lose hundreds at once). */
  private filterAdjacency(T: Int32Array, nt: number): void {
    const mark = this.nodeScratch.data;
    for (let i = 0; i < nt; i++) {
      const x = T[i];
      if (mark[x] === 1) continue;
      mark[x] = 1;
      this.adj.filter(x, (e) => this.alive.data[e] === 1);
    }
  }

  /** Clear filterAdjacency's marks (the node scratch is all zeros between uses). */
  private unmark(T: Int32Array, nt: number): void {
    const mark = this.nodeScratch.data;
    for (let i = 0; i < nt; i++) mark[T[i]] = 0;
  }
}

import type { GraphView } from '../core/graph.js';
import { nodeIdOf, type NodeId } from '../ids/ids.js';
import { Prng } from '../util/prng.js';
import { betweenness, pathCost } from './betweenness.js';

/**
 * Structural queries over a concept graph. Every order is defined: ties break by NodeId.
 * Edge cost for paths is 1 / max(weight, 0.001) (strong edges are short), as upstream.
 */
export interface NeighbourHit {
  id: NodeId;
  label: string;
  weight: number;
  coActivations: number;
}

const byId = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

export function resolveLabel(g: GraphView, label: string): NodeId | undefined {
  const id = nodeIdOf(label.trim().toLowerCase());
  return g.hasNode(id) ? id : undefined;
}

export function neighbours(g: GraphView, id: NodeId, k: number): NeighbourHit[] {
  return [...g.neighbours(id).entries()]
    .map(([o, e]) => ({ id: o, label: g.label(o) ?? o, weight: e.weight, coActivations: e.coActivations }))
    .sort((x, y) => y.weight - x.weight || byId(x.id, y.id))
    .slice(0, k);
}

/** A binary heap of [priority, id] pairs ordered by priority then id (shortest paths over a view's maps). */
export class PairHeap {
  private a: [number, string][] = [];
  get size() {
    return this.a.length;
  }
  private less(i: number, j: number) {
    const x = this.a[i], y = this.a[j];
    return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
  }
  push(p: number, id: string) {
    const a = this.a;
    a.push([p, id]);
    let i = a.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.less(i, up)) break;
      [a[i], a[up]] = [a[up], a[i]];
      i = up;
    }
  }
  pop(): [number, string] {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

export interface PathResult {
  found: boolean;
  path: { id: NodeId; label: string }[];
  cost: number;
}

/** Dijkstra shortest path; among equal costs the path through smaller NodeIds wins. */
export function shortestPath(g: GraphView, from: NodeId, to: NodeId): PathResult {
  const dist = new Map<NodeId, number>([[from, 0]]);
  const prev = new Map<NodeId, NodeId>();
  const heap = new PairHeap();
  heap.push(0, from);
  const done = new Set<NodeId>();
  while (heap.size > 0) {
    const [d, u] = heap.pop();
    if (done.has(u)) continue;
    done.add(u);
    if (u === to) break;
    for (const [v, e] of g.neighbours(u)) {
      const nd = d + pathCost(e.weight);
      const cur = dist.get(v);
      if (cur === undefined || nd < cur || (nd === cur && u < prev.get(v)!)) {
        dist.set(v, nd);
        prev.set(v, u);
        heap.push(nd, v);
      }
    }
  }
  if (!done.has(to)) return { found: false, path: [], cost: 0 };
  const ids: NodeId[] = [to];
  while (ids[0] !== from) ids.unshift(prev.get(ids[0])!);
  return { found: true, path: ids.map((id) => ({ id, label: g.label(id) ?? id })), cost: dist.get(to)! };
}

export interface CentralHit {
  id: NodeId;
  label: string;
  centrality: number;
}

/**
 * Betweenness centrality (Brandes, weighted by path cost), exact for graphs of at most `samples`
 * connected nodes, otherwise estimated from `samples` source nodes drawn with the seeded PRNG and
 * scaled by n/samples. Isolated concepts are left out.
 *
 * Over the graph's compressed rows (`GraphView.adjacency`) with typed arrays: a node's index order is
 * its NodeId order, so the heap's ties and every other order are those of NodeIds. Each source's
 * shortest-path counts and predecessors follow one rule (a path shorter by more than 1e-12 replaces,
 * one within 1e-12 adds), and the dependencies are summed in reverse order of settling, so the result
 * does not depend on the order of a node's neighbours.
 */
export function centralConcepts(g: GraphView, k: number, samples = 64, seed = 42): CentralHit[] {
  const adj = g.adjacency();
  const n = adj.ids.length;
  if (n === 0) return [];
  let sources: number[];
  if (n > samples) {
    const rng = new Prng(seed);
    const pick = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < samples; i++) {
      const j = i + rng.int(n - i);
      [pick[i], pick[j]] = [pick[j], pick[i]];
    }
    sources = pick.slice(0, samples).sort((x, y) => x - y);
  } else sources = Array.from({ length: n }, (_, i) => i);
  const cb = betweenness(adj, sources);
  const scale = n / sources.length / 2; // undirected: each pair counted from both ends
  return topBy(n, k, (i) => cb[i] * scale).map(([i, v]) => ({ id: adj.ids[i], label: g.label(adj.ids[i]) ?? adj.ids[i], centrality: v }));
}

/** The k best of 0..n-1 by value (descending; ties by index, i.e. NodeId), with their values. */
function topBy(n: number, k: number, value: (i: number) => number): [number, number][] {
  const all: [number, number][] = [];
  for (let i = 0; i < n; i++) all.push([i, value(i)]);
  return all.sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, k);
}

export interface BridgeHit {
  id: NodeId;
  label: string;
  /** Components added by removing the concept, divided by its degree (upstream's fragility). */
  fragility: number;
  separates: number;
}

/**
 * Bridge concepts: articulation points, found in O(N + E) with an iterative Tarjan DFS (upstream
 * removed each node in turn, O(N·(N + E))), over the graph's compressed rows with each node's
 * neighbours visited in NodeId order. fragility = (components after removal − before)/degree.
 */
export function bridgeConcepts(g: GraphView, k: number): BridgeHit[] {
  const { ids, start, to } = g.adjacency();
  const n = ids.length;
  const nbr = to.slice();
  for (let i = 0; i < n; i++) nbr.subarray(start[i], start[i + 1]).sort(); // a typed array sorts numerically
  const disc = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const extra = new Int32Array(n);
  // the DFS stack: node, parent (-1 for a root) and the next neighbour position of each frame
  const sNode = new Int32Array(n);
  const sParent = new Int32Array(n);
  const sNext = new Int32Array(n);
  let time = 0;
  for (let root = 0; root < n; root++) {
    if (disc[root] !== -1) continue;
    disc[root] = low[root] = time++;
    let rootChildren = 0;
    let top = 0;
    sNode[0] = root;
    sParent[0] = -1;
    sNext[0] = start[root];
    top = 1;
    while (top > 0) {
      const f = top - 1;
      const u = sNode[f];
      if (sNext[f] < start[u + 1]) {
        const v = nbr[sNext[f]++];
        if (disc[v] === -1) {
          disc[v] = low[v] = time++;
          if (u === root) rootChildren++;
          sNode[top] = v;
          sParent[top] = u;
          sNext[top] = start[v];
          top++;
        } else if (v !== sParent[f]) low[u] = Math.min(low[u], disc[v]);
        continue;
      }
      top--;
      const p = sParent[f];
      if (p !== -1) {
        low[p] = Math.min(low[p], low[u]);
        if (p !== root && low[u] >= disc[p]) extra[p]++;
      }
    }
    if (rootChildren > 1) extra[root] = rootChildren - 1;
  }
  const hits: BridgeHit[] = [];
  for (let i = 0; i < n; i++) {
    if (extra[i] === 0) continue;
    hits.push({ id: ids[i], label: g.label(ids[i]) ?? ids[i], separates: extra[i], fragility: extra[i] / (start[i + 1] - start[i]) });
  }
  return hits.sort((x, y) => y.fragility - x.fragility || byId(x.id, y.id)).slice(0, k);
}

export function connectedComponents(g: GraphView): number {
  const seen = new Set<NodeId>();
  const connected = g.connected();
  let count = g.nodeCount - connected.filter((id) => g.hasNode(id)).length;
  for (const s of connected) {
    if (seen.has(s)) continue;
    count++;
    const q = [s];
    seen.add(s);
    while (q.length > 0) {
      const u = q.pop()!;
      for (const v of g.neighbours(u).keys()) if (!seen.has(v)) (seen.add(v), q.push(v));
    }
  }
  return count;
}

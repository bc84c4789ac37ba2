import type { GraphView } from '../core/graph.js';
import { nodeIdOf, type NodeId } from '../ids/ids.js';
import { Prng } from '../util/prng.js';

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
const cost = (w: number) => 1 / Math.max(w, 0.001);

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

/** A binary heap of [priority, id] pairs ordered by priority then id. */
class Heap {
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
  const heap = new Heap();
  heap.push(0, from);
  const done = new Set<NodeId>();
  while (heap.size > 0) {
    const [d, u] = heap.pop();
    if (done.has(u)) continue;
    done.add(u);
    if (u === to) break;
    for (const [v, e] of g.neighbours(u)) {
      const nd = d + cost(e.weight);
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
 */
export function centralConcepts(g: GraphView, k: number, samples = 64, seed = 42): CentralHit[] {
  const nodes = g.connected();
  const n = nodes.length;
  if (n === 0) return [];
  let sources = nodes;
  if (n > samples) {
    const rng = new Prng(seed);
    const pick = [...nodes];
    for (let i = 0; i < samples; i++) {
      const j = i + rng.int(n - i);
      [pick[i], pick[j]] = [pick[j], pick[i]];
    }
    sources = pick.slice(0, samples).sort(byId);
  }
  const cb = new Map<NodeId, number>();
  for (const s of sources) {
    const stack: NodeId[] = [];
    const preds = new Map<NodeId, NodeId[]>();
    const sigma = new Map<NodeId, number>([[s, 1]]);
    const dist = new Map<NodeId, number>([[s, 0]]);
    const heap = new Heap();
    heap.push(0, s);
    const settled = new Set<NodeId>();
    while (heap.size > 0) {
      const [d, u] = heap.pop();
      if (settled.has(u)) continue;
      settled.add(u);
      stack.push(u);
      for (const [v, e] of g.neighbours(u)) {
        const nd = d + cost(e.weight);
        const cur = dist.get(v);
        if (cur === undefined || nd < cur - 1e-12) {
          dist.set(v, nd);
          sigma.set(v, sigma.get(u)!);
          preds.set(v, [u]);
          heap.push(nd, v);
        } else if (Math.abs(nd - cur) <= 1e-12 && !settled.has(v)) {
          sigma.set(v, sigma.get(v)! + sigma.get(u)!);
          preds.get(v)!.push(u);
        }
      }
    }
    const delta = new Map<NodeId, number>();
    while (stack.length > 0) {
      const w = stack.pop()!;
      for (const v of preds.get(w) ?? []) {
        const c = (sigma.get(v)! / sigma.get(w)!) * (1 + (delta.get(w) ?? 0));
        delta.set(v, (delta.get(v) ?? 0) + c);
      }
      if (w !== s) cb.set(w, (cb.get(w) ?? 0) + (delta.get(w) ?? 0));
    }
  }
  const scale = n / sources.length / 2; // undirected: each pair counted from both ends
  return nodes
    .map((id) => ({ id, label: g.label(id) ?? id, centrality: (cb.get(id) ?? 0) * scale }))
    .sort((x, y) => y.centrality - x.centrality || byId(x.id, y.id))
    .slice(0, k);
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
 * removed each node in turn, O(N·(N + E))). fragility = (components after removal − before)/degree.
 */
export function bridgeConcepts(g: GraphView, k: number): BridgeHit[] {
  const nodes = g.connected();
  const disc = new Map<NodeId, number>();
  const low = new Map<NodeId, number>();
  const extra = new Map<NodeId, number>();
  let time = 0;
  for (const root of nodes) {
    if (disc.has(root)) continue;
    disc.set(root, time);
    low.set(root, time++);
    let rootChildren = 0;
    const stack: { u: NodeId; parent: NodeId | null; it: Iterator<NodeId> }[] = [
      { u: root, parent: null, it: [...g.neighbours(root).keys()].sort(byId)[Symbol.iterator]() },
    ];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const nx = top.it.next();
      if (!nx.done) {
        const v = nx.value;
        if (!disc.has(v)) {
          disc.set(v, time);
          low.set(v, time++);
          if (top.u === root) rootChildren++;
          stack.push({ u: v, parent: top.u, it: [...g.neighbours(v).keys()].sort(byId)[Symbol.iterator]() });
        } else if (v !== top.parent) {
          low.set(top.u, Math.min(low.get(top.u)!, disc.get(v)!));
        }
        continue;
      }
      stack.pop();
      const p = top.parent;
      if (p !== null) {
        low.set(p, Math.min(low.get(p)!, low.get(top.u)!));
        if (p !== root && low.get(top.u)! >= disc.get(p)!) extra.set(p, (extra.get(p) ?? 0) + 1);
      }
    }
    if (rootChildren > 1) extra.set(root, rootChildren - 1);
  }
  return [...extra.entries()]
    .map(([id, sep]) => ({ id, label: g.label(id) ?? id, separates: sep, fragility: sep / g.degree(id) }))
    .sort((x, y) => y.fragility - x.fragility || byId(x.id, y.id))
    .slice(0, k);
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

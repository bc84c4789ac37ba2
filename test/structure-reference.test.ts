/**
 * Central and bridge concepts run over the graph's compressed rows (`GraphView.adjacency`) with typed
 * arrays. Here they are compared with the plain implementations they replaced (string ids, maps, the
 * heap of pairs that shortest paths still use), kept below as the model, on seeded random graphs with
 * many equal-cost paths, several components and isolated nodes: the same concepts, the same values to
 * the last bit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GraphView } from '../src/core/graph.js';
import type { NodeId } from '../src/ids/ids.js';
import { pathCost as cost } from '../src/search/betweenness.js';
import { bridgeConcepts, centralConcepts, PairHeap, type BridgeHit, type CentralHit } from '../src/search/structure.js';
import { Prng } from '../src/util/prng.js';
import { graphOf } from './graph-fixture.js';

const byId = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** The model: Brandes over maps of NodeIds. */
function centralModel(g: GraphView, k: number, samples = 64, seed = 42): CentralHit[] {
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
    const heap = new PairHeap();
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
  const scale = n / sources.length / 2;
  return nodes
    .map((id) => ({ id, label: g.label(id) ?? id, centrality: (cb.get(id) ?? 0) * scale }))
    .sort((x, y) => y.centrality - x.centrality || byId(x.id, y.id))
    .slice(0, k);
}

/** The model: Tarjan's articulation points over maps of NodeIds. */
function bridgesModel(g: GraphView, k: number): BridgeHit[] {
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
    const stack: { u: NodeId; parent: NodeId | null; it: Iterator<NodeId> }[] = [{ u: root, parent: null, it: [...g.neighbours(root).keys()].sort(byId)[Symbol.iterator]() }];
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
        } else if (v !== top.parent) low.set(top.u, Math.min(low.get(top.u)!, disc.get(v)!));
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

/** A random graph: `n` concepts (some isolated), `m` edges with weights from `weights` (few values: many ties). */
function randomGraph(seed: number, n: number, m: number, weights: number[]): GraphView {
  const rng = new Prng(seed);
  const labels = Array.from({ length: n }, (_, i) => `c${seed}-${i}`);
  const edges = new Map<string, [string, string, number]>();
  for (let t = 0; t < m; t++) {
    const a = rng.int(n);
    const b = rng.int(n);
    if (a === b || a >= n - 3 || b >= n - 3) continue; // the last three stay isolated
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    edges.set(key, [labels[a], labels[b], weights[rng.int(weights.length)]]);
  }
  return graphOf(labels.map((l) => [l, 1]), [...edges.values()]).view(1);
}

test('central concepts over compressed rows equal the map-based model, to the last bit', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const n = 5 + (seed % 7) * 9;
    const g = randomGraph(seed, n, Math.round(n * (0.8 + (seed % 5) * 0.6)), seed % 2 === 0 ? [0.1, 0.2, 0.5, 1] : [0.25, 0.5]);
    for (const samples of [64, 8]) {
      const want = centralModel(g, 1000, samples, seed);
      assert.deepEqual(centralConcepts(g, 1000, samples, seed), want, `seed ${seed}, ${samples} samples`);
      assert.deepEqual(centralConcepts(g, 5, samples, seed), want.slice(0, 5));
    }
  }
});

test('bridge concepts over compressed rows equal the map-based model', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const n = 5 + (seed % 7) * 9;
    const g = randomGraph(1000 + seed, n, Math.round(n * (0.6 + (seed % 4) * 0.4)), [0.3, 1]);
    assert.deepEqual(bridgeConcepts(g, 1000), bridgesModel(g, 1000), `seed ${seed}`);
    assert.deepEqual(bridgeConcepts(g, 3), bridgesModel(g, 3));
  }
});

test('an empty graph has no central or bridge concepts', () => {
  const g = graphOf([['alone', 1]], []).view(1);
  assert.deepEqual(centralConcepts(g, 10), []);
  assert.deepEqual(bridgeConcepts(g, 10), []);
});

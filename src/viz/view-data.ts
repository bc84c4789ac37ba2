import type { ConceptGraph } from '../core/graph.js';
import type { NodeId } from '../ids/ids.js';

// What the graph view shows (html.ts renders it): the largest concepts, their strongest edges, and
// clusters among them. Pure and deterministic.

/** One shown concept, as embedded in the page. Nodes are listed by rank (largest first). */
export interface ViewNode {
  id: NodeId;
  label: string;
  access: number;
  /** Degree in the whole graph. */
  degree: number;
  /** Sum of incident edge weights in the whole graph (4 decimals). */
  wdeg: number;
  /** Cluster index among the shown edges (0 = largest cluster), -1 for a concept alone. */
  group: number;
}

export interface ViewData {
  nodes: ViewNode[];
  /** [source index, target index, weight (4 decimals), co-activations], sorted by (source, target). */
  edges: [number, number, number, number][];
  maxWeight: number;
  maxAccess: number;
  totalNodes: number;
  totalEdges: number;
}

function cmpStr(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Select the shown concepts and edges and cluster them. Pure and deterministic. */
export function buildView(graph: ConceptGraph, tick: number, maxNodes: number, maxEdgesPerNode: number): ViewData {
  const wdegOf = (n: number): number => {
    let s = 0;
    for (const e of graph.edgesOf(n)) s += graph.weightAt(e, tick);
    return s;
  };
  const ranked = [...graph.nodeNumbers()]
    .map((num) => ({ num, n: graph.node(num)!, w: wdegOf(num) }))
    .sort((x, y) => y.w - x.w || y.n.accessCount - x.n.accessCount || cmpStr(x.n.id, y.n.id))
    .slice(0, maxNodes);
  const index = new Map<NodeId, number>();
  ranked.forEach((r, i) => index.set(r.n.id, i));

  // Each shown node keeps its strongest edges to other shown nodes; an edge stays if either end keeps it.
  const kept = new Map<string, { a: NodeId; b: NodeId; weight: number; coActivations: number }>();
  for (const { num } of ranked) {
    const cand = graph
      .edgesOf(num)
      .map((e) => ({ row: graph.edgeRow(e), weight: graph.weightAt(e, tick), other: graph.idOf(graph.other(e, num)) }))
      .filter((x) => index.has(x.other))
      .sort((x, y) => y.weight - x.weight || cmpStr(x.other, y.other))
      .slice(0, maxEdgesPerNode);
    for (const { row, weight } of cand) kept.set(`${row.a}|${row.b}`, { a: row.a, b: row.b, weight, coActivations: row.coActivations });
  }
  const edges: [number, number, number, number][] = [...kept.values()]
    .map((e): [number, number, number, number] => {
      const i = index.get(e.a)!;
      const j = index.get(e.b)!;
      return [Math.min(i, j), Math.max(i, j), round4(e.weight), e.coActivations];
    })
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);

  const groups = clusters(ranked.length, edges);
  const nodes: ViewNode[] = ranked.map(({ n, w }, i) => ({
    id: n.id,
    label: n.label,
    access: n.accessCount,
    degree: graph.edgesOf(ranked[i].num).length,
    wdeg: round4(w),
    group: groups[i],
  }));
  return {
    nodes,
    edges,
    maxWeight: edges.reduce((m, e) => Math.max(m, e[2]), 0),
    maxAccess: nodes.reduce((m, n) => Math.max(m, n.access), 0),
    totalNodes: graph.nodeCount,
    totalEdges: graph.edgeCount,
  };
}

/**
 * Weighted label propagation over the shown edges, in rank order (deterministic; ties go to the
 * smaller label). Returns a cluster index per node: 0 for the largest cluster, -1 for singletons.
 */
function clusters(n: number, edges: [number, number, number, number][]): number[] {
  const nbrs: [number, number][][] = Array.from({ length: n }, () => []);
  for (const [i, j, w] of edges) {
    nbrs[i].push([j, w]);
    nbrs[j].push([i, w]);
  }
  const label = Array.from({ length: n }, (_, i) => i);
  for (let round = 0; round < 30; round++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (nbrs[i].length === 0) continue;
      const score = new Map<number, number>();
      for (const [j, w] of nbrs[i]) score.set(label[j], (score.get(label[j]) ?? 0) + w);
      let best = label[i];
      let bestScore = score.get(best) ?? 0;
      for (const [l, s] of score) if (s > bestScore + 1e-12 || (Math.abs(s - bestScore) <= 1e-12 && l < best)) [best, bestScore] = [l, s];
      if (best !== label[i]) {
        label[i] = best;
        changed = true;
      }
    }
    if (!changed) break;
  }
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const m = members.get(label[i]);
    if (m) m.push(i);
    else members.set(label[i], [i]);
  }
  const order = [...members.values()].filter((m) => m.length > 1).sort((x, y) => y.length - x.length || x[0] - y[0]);
  const out = new Array<number>(n).fill(-1);
  order.forEach((m, g) => {
    for (const i of m) out[i] = g;
  });
  return out;
}

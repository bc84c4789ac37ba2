import { sha256 } from '../ids/ids.js';
import type { ConceptGraph, EdgeRow, NodeRow } from './graph.js';
import { decayedWeight } from './decay.js';
import type { ColonyConfig } from './config.js';

/** The canonical text line of a concept. */
export function canonicalNodeLine(n: NodeRow): string {
  return `N ${n.id} ${JSON.stringify(n.label)} ${n.accessCount} ${n.createdTick}`;
}

/** The canonical line of an edge: its weight at `tick` with 12 decimals, and its stored state. */
export function canonicalEdgeLine(e: EdgeRow, tick: number, cfg: ColonyConfig): string {
  const w = decayedWeight(e.weight, e.lastActivatedTick, e.coActivations, tick, cfg);
  return `E ${e.a} ${e.b} ${w.toFixed(12)} ${e.coActivations} ${e.createdTick} ${e.lastActivatedTick}`;
}

/**
 * Canonical graph hash: SHA-256 over the sorted node lines then the sorted edge lines. Equal hashes
 * mean equal graphs (concepts, labels, access counts, edges, weights at the tick to 1e-12,
 * co-activations and ticks), however the graph was partitioned.
 */
export function hashCanonical(nodeLines: string[], edgeLines: string[]): string {
  nodeLines.sort();
  edgeLines.sort();
  return sha256(nodeLines.join('\n'), '\n--\n', edgeLines.join('\n')).toString('hex');
}

/** Lines of what one holder contributes: its concepts, and each edge once (`primary` says which holder lists it). */
export function canonicalLines(g: ConceptGraph, tick: number, primary: (e: EdgeRow) => boolean): { nodes: string[]; edges: string[] } {
  const nodes: string[] = [];
  for (const n of g.nodeNumbers()) nodes.push(canonicalNodeLine(g.node(n)!));
  const edges: string[] = [];
  for (const e of g.edgeNumbers()) {
    const row = g.edgeRow(e);
    if (primary(row)) edges.push(canonicalEdgeLine(row, tick, g.config));
  }
  return { nodes, edges };
}

export function canonicalHash(g: ConceptGraph, tick: number, primary: (e: EdgeRow) => boolean): string {
  const { nodes, edges } = canonicalLines(g, tick, primary);
  return hashCanonical(nodes, edges);
}

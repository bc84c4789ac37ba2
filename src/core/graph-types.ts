import type { NodeId } from '../ids/ids.js';

/** A concept as seen from outside (ids and labels, not internal numbers). */
export interface NodeRow {
  id: NodeId;
  label: string;
  /** Digested documents that presented this concept. */
  accessCount: number;
  createdTick: number;
}

/**
 * An edge's stored state, endpoints in NodeId order (a < b). `weight` is the weight right after its
 * last co-activation (`lastActivatedTick`); its weight at a later tick is `decayedWeight(...)`.
 */
export interface EdgeRow {
  a: NodeId;
  b: NodeId;
  weight: number;
  coActivations: number;
  createdTick: number;
  lastActivatedTick: number;
}

/** What a digested document presents: its distinct terms, most salient first; the first `wired` are wired pairwise. */
export interface Presentation {
  labels: readonly string[];
  wired: number;
  /** A forgotten document's presentation, withdrawn (docs/forget.md). */
  withdrawn?: boolean;
}

/** A presentation with its labels interned to this graph's node numbers. */
export interface NumPresentation {
  nums: ArrayLike<number> & Iterable<number>;
  wired: number;
  /** A forgotten document's presentation, withdrawn (docs/forget.md). */
  withdrawn?: boolean;
}

/** The read-only graph interface the search and structure algorithms use (weights at one tick). */
export interface GraphView {
  readonly tick: number;
  readonly nodeCount: number;
  hasNode(id: NodeId): boolean;
  label(id: NodeId): string | undefined;
  accessCount(id: NodeId): number;
  degree(id: NodeId): number;
  /** Neighbours with the edge's weight at the view's tick. */
  neighbours(id: NodeId): Map<NodeId, { weight: number; coActivations: number }>;
  /** Nodes with at least one edge, in NodeId order. */
  connected(): NodeId[];
  /** The whole graph at once, for algorithms that visit all of it (`Adjacency`). */
  adjacency(): Adjacency;
}

/**
 * A graph's edges as compressed rows over its connected nodes: node i is `ids[i]` (NodeId order, as
 * `connected`, so comparing indices compares NodeIds), its neighbours are `to[start[i] .. start[i+1])`
 * (in the order `neighbours` lists them), each with the edge's weight at the view's tick.
 */
export interface Adjacency {
  ids: NodeId[];
  start: Int32Array;
  to: Int32Array;
  weight: Float64Array;
}

/** Degree-cap verdicts: existing edges and this tick's new pairs to drop. */
export interface Verdicts {
  edges: Int32Array;
  fresh: Int32Array;
}

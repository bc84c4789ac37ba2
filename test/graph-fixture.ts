import { makeConfig, type ColonyConfig } from '../src/core/config.js';
import { ConceptGraph } from '../src/core/graph.js';

/** A concept graph with given concepts (label, access count) and edges (x, y, weight, co-activations), all at tick 1. */
export function graphOf(nodes: [string, number][], edges: [string, string, number, number?][], config: Partial<ColonyConfig> = {}): ConceptGraph {
  const g = new ConceptGraph(makeConfig(config));
  for (const [label, accessCount] of nodes) g.installNode({ id: '', label, accessCount, createdTick: 1 });
  for (const [x, y, weight, co] of edges) g.installEdge(x, y, { weight, coActivations: co ?? 1, createdTick: 1, lastActivatedTick: 1 }, 1);
  return g;
}

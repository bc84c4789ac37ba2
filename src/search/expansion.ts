import type { WeightedTerm } from '../core/ranking.js';
import type { ColonyConfig } from '../core/config.js';
import { expandQuery, isLongQuery, ownTermCount, type ExpansionConcept } from './bm25.js';

/**
 * The gate of graph expansion and coordination (docs/search.md, "The gate"): both help a query whose
 * concepts belong together (a topic: "cell membrane transport") and hurt one whose words are not wired
 * to each other in the graph (a sentence or a description: "he ran the country", "get file status"),
 * where the answer often holds one of them only.
 *
 * The measure is the query's density: the mean, over the query's concepts (the seeds of the concept
 * ranking), of their graph score, which is a seed's mean edge weight to the query's other concepts.
 * It comes from the concept ranking alone, so a cluster's coordinator (which ranks the union of the
 * shards' candidates) and one process compute the same number.
 */

/** The parts of a concept hit the plan reads (ConceptHit; `documents` with predictive expansion). */
export type PlanConcept = ExpansionConcept;

export interface QueryPlanOptions {
  /** Expansion concepts to add when the gate is open (0 = none). */
  expansion: number;
  /** Coordination when the gate is open. */
  coordination: boolean;
  /** Minimum density for expansion and coordination (0 = always open). */
  gate: number;
  /** Index terms are stems. */
  stem: boolean;
  /** Weight factor of an expansion concept (ColonyConfig.expansionWeight; EXPANSION_WEIGHT if absent). */
  weight?: number;
  /**
   * Predictive weighting: the weight of one co-activation (ColonyConfig.edgeBaseWeight) when
   * ColonyConfig.expansionPredict is on, else 0 (graph weighting); see `expansionWeightOf`.
   */
  edgeUnit?: number;
  /**
   * RankOptions.shortQuery (ColonyConfig.shortQueryTerms): a query with more index terms of its own is
   * scored without expansion terms and without coordination, so it needs no concept ranking (0 or
   * absent: every query may expand).
   */
  shortQuery?: number;
}

export interface QueryPlan {
  weighted: WeightedTerm[];
  coordination: boolean;
  density: number;
  open: boolean;
}

/** The plan options a colony's config decides (the gate, stems, the expansion weighting). */
export function expansionPlanOf(cfg: Pick<ColonyConfig, 'expansionGate' | 'stemming' | 'expansionWeight' | 'expansionPredict' | 'edgeBaseWeight' | 'shortQueryTerms'>): Pick<QueryPlanOptions, 'gate' | 'stem' | 'weight' | 'edgeUnit' | 'shortQuery'> {
  return { gate: cfg.expansionGate, stem: cfg.stemming === 1, weight: cfg.expansionWeight, edgeUnit: cfg.expansionPredict === 1 ? cfg.edgeBaseWeight : 0, shortQuery: cfg.shortQueryTerms };
}

/**
 * Whether the plan reads the concept ranking: for expansion, or for the gate of coordination, and only
 * for a query short enough to use them. A longer one (more distinct index terms than `shortQuery`) is
 * scored by the holders without expansion terms and without coordination (scoreDocuments in bm25.ts),
 * so its concept ranking would change no answer: one process skips the ranking, a cluster's
 * coordinator a fan-out to every shard.
 */
export function needsConcepts(opts: Pick<QueryPlanOptions, 'expansion' | 'coordination' | 'gate' | 'stem' | 'shortQuery'>, terms: readonly string[]): boolean {
  if (terms.length === 0 || !(opts.expansion > 0 || (opts.coordination && opts.gate > 0))) return false;
  return !isLongQuery(ownTermCount(terms, opts.stem), opts.shortQuery ?? 0);
}

/** Mean graph score of the query's concepts (seeds); 0 with fewer than two of them. */
export function queryDensity(concepts: readonly PlanConcept[]): number {
  let n = 0;
  let sum = 0;
  for (const c of concepts) {
    if (c.lexical === 0) continue;
    n++;
    sum += c.graph;
  }
  return n < 2 ? 0 : sum / n;
}

/**
 * The weighted terms of a document query and whether it is coordinated. `concepts` is the concept
 * ranking of the same terms with at least terms.length + expansion hits (every seed ranks before every
 * other concept, so the seeds are all among them).
 */
export function planQuery(terms: readonly string[], concepts: readonly PlanConcept[], opts: QueryPlanOptions): QueryPlan {
  const density = queryDensity(concepts);
  const open = opts.gate <= 0 || density >= opts.gate;
  const expansion = open ? opts.expansion : 0;
  return { weighted: expandQuery(terms, concepts, expansion, opts.stem, opts.weight, opts.edgeUnit), coordination: open && opts.coordination, density, open };
}

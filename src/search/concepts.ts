import type { ConceptGraph } from '../core/graph.js';
import type { NodeId } from '../ids/ids.js';

/** Weight of the lexical score against the graph score in concept ranking (upstream's default). */
export const DEFAULT_ALPHA = 0.5;

export interface ConceptHit {
  id: NodeId;
  label: string;
  score: number;
  /** Lexical part: 1 for a concept whose label is a query term, else 0. */
  lexical: number;
  /** Graph part in [0, 1]: how strongly the concept is wired to the query's concepts. */
  graph: number;
}

export interface ConceptQueryOptions {
  /** Weight of the lexical score against the graph score (upstream default 0.5). */
  alpha: number;
  k: number;
  /**
   * Ties of score: the concept seen in fewer documents first (the more specific one: "cytoskeleton"
   * before "structure"); false: more documents first (before `specificFirst` in the config).
   */
  specificFirst?: boolean;
  /** Keep each hit's document count (`documents`: how many documents presented it), for graph expansion. */
  documents?: boolean;
}

/** A concept hit with the number of documents that presented it (ConceptQueryOptions.documents). */
export interface CountedConceptHit extends ConceptHit {
  documents: number;
}

/** A concept that may answer a query, before ranking (what a shard sends to the coordinator). */
export interface ConceptCandidate {
  id: NodeId;
  label: string;
  seed: boolean;
  affinity: number;
  accessCount: number;
}

/**
 * Concept retrieval: exact label match, re-ranked by the graph (hybrid).
 * Seeds are the concepts whose label equals a query term. Candidates are the seeds and their
 * neighbours. For a candidate c:
 *   affinity(c) = Σ over seeds s ≠ c, in query order, of w(s, c)   (Hebbian strength to the query)
 *   graph(c)    = affinity(c) / max(1, |seeds other than c|): the mean edge weight from c to the
 *                 query's other concepts (a missing edge counts 0), in [0, 1] since weights ≤ 1
 *   lexical(c)  = 1 if c is a seed, else 0
 *   score(c)    = alpha·lexical(c) + (1 − alpha)·graph(c)
 * Ties: access count, ascending with `specificFirst` (the config's default: the more specific concept
 * first), else descending; then NodeId.
 *
 * Split in two so a cluster gives the same answer: each shard collects the candidates it owns
 * (`conceptCandidates` with its ownership test; edges are replicated on both endpoints' owners, so
 * the owner of c sees every edge of c), and the coordinator ranks the union with the global number
 * of seeds (`rankConcepts`).
 */
export function conceptCandidates(graph: ConceptGraph, tick: number, terms: readonly string[]): { candidates: ConceptCandidate[]; seeds: number } {
  const seedNums: number[] = [];
  for (const t of new Set(terms)) {
    const n = graph.numberOf(t);
    if (n !== undefined) seedNums.push(n);
  }
  const affinity = new Map<number, number>();
  let seeds = 0;
  for (const s of seedNums) {
    if (graph.hasNode(s) && graph.isOwned(s)) {
      seeds++;
      if (!affinity.has(s)) affinity.set(s, 0);
    }
  }
  for (const s of seedNums) {
    for (const e of graph.edgesOf(s)) {
      const c = graph.other(e, s);
      if (graph.isOwned(c)) affinity.set(c, (affinity.get(c) ?? 0) + graph.weightAt(e, tick));
    }
  }
  const seedSet = new Set(seedNums);
  const candidates: ConceptCandidate[] = [];
  for (const [n, a] of affinity) {
    const node = graph.node(n);
    if (!node) continue;
    candidates.push({ id: node.id, label: node.label, seed: seedSet.has(n), affinity: a, accessCount: node.accessCount });
  }
  return { candidates, seeds };
}

/**
 * A shard's own top-k cut of its candidates. Seeds and non-seeds rank separately for a fixed seed count
 * (the score grows with affinity within each), so the best k of each by affinity suffice, with every
 * candidate tied with the k-th: the coordinator breaks ties (rankConcepts, either order of
 * `specificFirst`). Candidates are a seed's neighbours, at most maxEdgeDegree a seed, so ties stay few.
 */
export function topCandidates(cands: ConceptCandidate[], k: number): ConceptCandidate[] {
  const cmp = (x: ConceptCandidate, y: ConceptCandidate) => y.affinity - x.affinity || y.accessCount - x.accessCount || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  const best = (list: ConceptCandidate[]) => {
    list.sort(cmp);
    let n = Math.min(k, list.length);
    while (n > 0 && n < list.length && list[n].affinity === list[n - 1].affinity) n++;
    return list.slice(0, n);
  };
  return [...best(cands.filter((c) => c.seed)), ...best(cands.filter((c) => !c.seed))];
}

export function rankConcepts(cands: Iterable<ConceptCandidate>, seeds: number, opts: ConceptQueryOptions & { documents: true }): CountedConceptHit[];
export function rankConcepts(cands: Iterable<ConceptCandidate>, seeds: number, opts: ConceptQueryOptions): ConceptHit[];
export function rankConcepts(cands: Iterable<ConceptCandidate>, seeds: number, opts: ConceptQueryOptions): ConceptHit[] {
  const rows: (ConceptHit & { accessCount: number })[] = [];
  for (const c of cands) {
    const lexical = c.seed ? 1 : 0;
    const graph = c.affinity / Math.max(1, seeds - lexical);
    rows.push({ id: c.id, label: c.label, lexical, graph, score: opts.alpha * lexical + (1 - opts.alpha) * graph, accessCount: c.accessCount });
  }
  const fewer = opts.specificFirst === true;
  rows.sort((x, y) => y.score - x.score || (fewer ? x.accessCount - y.accessCount : y.accessCount - x.accessCount) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return rows.slice(0, opts.k).map(({ accessCount, ...hit }) => (opts.documents ? { ...hit, documents: accessCount } : hit));
}

export function conceptSearch(graph: ConceptGraph, tick: number, terms: readonly string[], opts: ConceptQueryOptions & { documents: true }): CountedConceptHit[];
export function conceptSearch(graph: ConceptGraph, tick: number, terms: readonly string[], opts: ConceptQueryOptions): ConceptHit[];
export function conceptSearch(graph: ConceptGraph, tick: number, terms: readonly string[], opts: ConceptQueryOptions): ConceptHit[] {
  if (opts.k <= 0) return [];
  const { candidates, seeds } = conceptCandidates(graph, tick, terms);
  if (seeds === 0) return [];
  return rankConcepts(candidates, seeds, opts);
}

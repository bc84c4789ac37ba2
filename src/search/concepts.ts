import type { ConceptGraph } from '../core/graph.js';
import type { NodeId } from '../ids/ids.js';
import { isPhrase } from '../text/phrases.js';

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
  /** Leave phrase concepts out (a document query's expansion reads words only: they are its index terms). */
  wordsOnly?: boolean;
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

/** The words of a phrase label that are terms of the query (0 for a word: it contains none). */
function containedTerms(label: string, terms: ReadonlySet<string>): number {
  if (!isPhrase(label)) return 0;
  let n = 0;
  for (const w of new Set(label.split(' '))) if (terms.has(w)) n++;
  return n;
}

/**
 * Concept retrieval: exact label match, re-ranked by the graph (hybrid).
 * Seeds are the concepts whose label equals a query term; the terms are the query's words and its
 * adjacent word pairs (`conceptQueryTerms`), so "cell membrane" also seeds the phrase concept "cell
 * membrane" when there is one. Candidates are the seeds and their neighbours. For a candidate c, let
 * own(c) be the query terms that are words of c when c is a phrase seed (else none) and others(c) the
 * seeds other than c and not in own(c):
 *   affinity(c) = Σ over seeds s in others(c), in query order, of w(s, c)   (Hebbian strength to the query)
 *   graph(c)    = affinity(c) / max(1, |others(c)|): the mean edge weight from c to the query's other
 *                 concepts (a missing edge counts 0), in [0, 1] since weights ≤ 1; but 1 for a phrase
 *                 seed that is the whole query (its own words are all the others: it is what the query names)
 *   lexical(c)  = 1 if c is a seed, else 0
 *   score(c)    = alpha·lexical(c) + (1 − alpha)·graph(c)
 * A phrase is related to a query by the query's other concepts, not by its own words (its edges to them
 * are strong by construction): "cell membrane" ranks first for the query "cell membrane", and for "cell
 * membrane transport" by its edge to "transport", next to the word seeds.
 * Ties: access count, ascending with `specificFirst` (the config's default: the more specific concept
 * first), else descending; then NodeId.
 *
 * Split in two so a cluster gives the same answer: each shard collects the candidates it owns
 * (`conceptCandidates` with its ownership test; edges are replicated on both endpoints' owners, so
 * the owner of c sees every edge of c), and the coordinator ranks the union with the global number
 * of seeds and the query's terms (`rankConcepts`; own(c) is read from labels, and a phrase's words
 * are concepts wherever the phrase is, since every document that presents it presents them).
 */
export function conceptCandidates(graph: ConceptGraph, tick: number, terms: readonly string[]): { candidates: ConceptCandidate[]; seeds: number } {
  const seedNums: number[] = [];
  const seedLabels: string[] = [];
  for (const t of new Set(terms)) {
    const n = graph.numberOf(t);
    if (n === undefined) continue;
    seedNums.push(n);
    seedLabels.push(t);
  }
  const affinity = new Map<number, number>();
  let seeds = 0;
  const ownWords = new Map<number, string[]>(); // phrase seeds held here: their words
  for (let i = 0; i < seedNums.length; i++) {
    const s = seedNums[i];
    if (graph.hasNode(s) && graph.isOwned(s)) {
      seeds++;
      if (!affinity.has(s)) affinity.set(s, 0);
      if (isPhrase(seedLabels[i])) ownWords.set(s, seedLabels[i].split(' '));
    }
  }
  for (let i = 0; i < seedNums.length; i++) {
    const s = seedNums[i];
    for (const e of graph.edgesOf(s)) {
      const c = graph.other(e, s);
      if (!graph.isOwned(c)) continue;
      if (ownWords.size > 0 && ownWords.get(c)?.includes(seedLabels[i])) continue; // a phrase seed and its own word
      affinity.set(c, (affinity.get(c) ?? 0) + graph.weightAt(e, tick));
    }
  }
  const seedSet = new Set(seedNums);
  const candidates: ConceptCandidate[] = [];
  for (const [n, a] of affinity) {
    // read the columns: no NodeRow per candidate (this runs for every expanded document query)
    if (!graph.hasNode(n)) continue;
    candidates.push({ id: graph.idOf(n), label: graph.labelOf(n), seed: seedSet.has(n), affinity: a, accessCount: graph.accessOf(n) });
  }
  return { candidates, seeds };
}

/**
 * A shard's own top-k cut of its candidates. Every seed is kept (at most the query's terms; a phrase
 * seed's graph score is not monotone in its affinity alone). Non-seeds rank by affinity for a fixed
 * seed count, so the best k of them suffice (the best k words and the best k phrases, so that a
 * `wordsOnly` ranking has its k words too), with every candidate tied with the k-th: the coordinator
 * breaks ties (rankConcepts, either order of `specificFirst`). Candidates are a seed's neighbours, at
 * most maxEdgeDegree a seed, so ties stay few.
 */
export function topCandidates(cands: ConceptCandidate[], k: number): ConceptCandidate[] {
  const cmp = (x: ConceptCandidate, y: ConceptCandidate) => y.affinity - x.affinity || y.accessCount - x.accessCount || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  const best = (list: ConceptCandidate[]) => {
    list.sort(cmp);
    let n = Math.min(k, list.length);
    while (n > 0 && n < list.length && list[n].affinity === list[n - 1].affinity) n++;
    return list.slice(0, n);
  };
  const others = cands.filter((c) => !c.seed);
  return [...cands.filter((c) => c.seed).sort(cmp), ...best(others.filter((c) => !isPhrase(c.label))), ...best(others.filter((c) => isPhrase(c.label)))];
}

/** `terms`: the query's terms (conceptQueryTerms), for the words a phrase candidate contains. */
export function rankConcepts(cands: Iterable<ConceptCandidate>, seeds: number, opts: ConceptQueryOptions & { documents: true }, terms?: readonly string[]): CountedConceptHit[];
export function rankConcepts(cands: Iterable<ConceptCandidate>, seeds: number, opts: ConceptQueryOptions, terms?: readonly string[]): ConceptHit[];
export function rankConcepts(cands: Iterable<ConceptCandidate>, seeds: number, opts: ConceptQueryOptions, terms: readonly string[] = []): ConceptHit[] {
  const termSet = new Set(terms);
  const rows: (ConceptHit & { accessCount: number })[] = [];
  for (const c of cands) {
    if (opts.wordsOnly && isPhrase(c.label)) continue;
    const lexical = c.seed ? 1 : 0;
    const own = lexical === 1 ? containedTerms(c.label, termSet) : 0;
    const others = seeds - lexical - own;
    const graph = lexical === 1 && own > 0 && others <= 0 ? 1 : Math.min(1, c.affinity / Math.max(1, others));
    rows.push({ id: c.id, label: c.label, lexical, graph, score: opts.alpha * lexical + (1 - opts.alpha) * graph, accessCount: c.accessCount });
  }
  const fewer = opts.specificFirst === true;
  rows.sort((x, y) => y.score - x.score || (fewer ? x.accessCount - y.accessCount : y.accessCount - x.accessCount) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  // literals, not rest and spread: see rankDocuments (bm25.ts)
  return rows.slice(0, opts.k).map((r) => (opts.documents ? { id: r.id, label: r.label, lexical: r.lexical, graph: r.graph, score: r.score, documents: r.accessCount } : { id: r.id, label: r.label, lexical: r.lexical, graph: r.graph, score: r.score }));
}

export function conceptSearch(graph: ConceptGraph, tick: number, terms: readonly string[], opts: ConceptQueryOptions & { documents: true }): CountedConceptHit[];
export function conceptSearch(graph: ConceptGraph, tick: number, terms: readonly string[], opts: ConceptQueryOptions): ConceptHit[];
export function conceptSearch(graph: ConceptGraph, tick: number, terms: readonly string[], opts: ConceptQueryOptions): ConceptHit[] {
  if (opts.k <= 0) return [];
  const { candidates, seeds } = conceptCandidates(graph, tick, terms);
  if (seeds === 0) return [];
  return rankConcepts(candidates, seeds, opts, terms);
}

import type { DocumentTable } from '../core/documents.js';
import type { CorpusStats, WeightedTerm } from '../core/ranking.js';
import type { DocumentId } from '../ids/ids.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { indexTerm } from '../text/tokenizer.js';
import { isPhrase } from '../text/phrases.js';
import { idf } from './bm25-formula.js';
import { exactTerm, isExactTerm, needsRescore, rescoreBonus } from './rescore.js';

export { BM25_B, BM25_K1, idf } from './bm25-formula.js';

export interface DocHit {
  id: DocumentId;
  key: string;
  title: string;
  score: number;
}

export type { WeightedTerm } from '../core/ranking.js';

export interface Bm25Options {
  /**
   * Multiply a document's score by the fraction of the query's own terms it contains (Lucene's
   * classic "coord"), so documents matching more of the query rank first. A document matching none
   * of them (only expansion terms) scores 0 and is not returned.
   */
  coordination?: boolean;
}

/** Order of results everywhere: score descending, then DocumentId ascending. */
export function compareHits(x: { score: number; id: string }, y: { score: number; id: string }): number {
  return y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
}

/**
 * How many documents of the query's own ranking graph expansion re-scores (at least k). Expansion can reorder
 * them, never bring in another: it costs a lookup per expansion term for these documents only.
 */
export const RESCORE_DEPTH = 30;

/** A document hit; with expansion, `base` is its score for the query's own terms (what selects it). */
export interface RankedHit extends DocHit {
  base: number;
}

/**
 * BM25 (k1 1.2, b 0.75) over a document table's inverted index, with collection statistics passed
 * in: a cluster passes the global document count, total length and df so every shard scores as one
 * machine would. Per document the term contributions are summed in query-term order, so the float
 * result does not depend on where the document lives.
 *
 * Expansion terms (original false) re-rank: the best max(k, RESCORE_DEPTH) documents for the query's
 * own terms are found with the pruning top-k (`base` score), then scored with every term, in query
 * order (originals first), and the best k returned. A holder returns its whole re-scored list;
 * `mergeRanked` picks the global set by base score before re-ranking, so N holders answer like one.
 */
export function bm25Search(table: DocumentTable, stats: CorpusStats, terms: readonly WeightedTerm[], k: number, opts: Bm25Options = {}): RankedHit[] {
  return scoreDocuments(table, stats, terms, k, opts).map((r) => hitOf(table, r));
}

/** A scored document by number (hits are made only for what is returned). */
interface Scored {
  doc: number;
  score: number;
  base: number;
}

function hitOf(table: DocumentTable, r: Scored): RankedHit {
  const d = table.record(r.doc);
  return { id: d.id, key: d.key, title: d.title, score: r.score, base: r.base };
}

/** bm25Search's ranking by document number: the holder's list, not yet made into hits. */
function scoreDocuments(table: DocumentTable, stats: CorpusStats, terms: readonly WeightedTerm[], k: number, opts: Bm25Options): Scored[] {
  if (stats.documents === 0 || terms.length === 0 || k <= 0) return [];
  const ix = table.index;
  const b = table.rank.b;
  const k1 = table.rank.k1;
  // exact word forms are not index terms: only the second stage reads them (rescore.ts)
  const exact = terms.filter(isExactTerm);
  let indexed = exact.length === 0 ? terms : terms.filter((t) => !isExactTerm(t));
  // a long query: no expansion terms and no coordination (RankOptions.shortQuery)
  const own = indexed.filter((t) => t.original).length;
  if (isLongQuery(own, table.rank.shortQuery)) {
    if (own < indexed.length) indexed = indexed.filter((t) => t.original);
    opts = { coordination: false };
  }
  const expanding = isExpanding(indexed);
  const originals = expanding ? indexed.filter((t) => t.original) : indexed;
  const second = needsRescore(table, originals, exact);
  const depth = expanding || second ? Math.max(k, RESCORE_DEPTH) : k;
  const top = ix.topK(originals, stats, depth, { coordination: opts.coordination, b, k1 }, table.idOf);
  if (!expanding && !second) return top.map(({ doc, score }) => ({ doc, score, base: score }));
  const avgdl = stats.totalLength / stats.documents || 1;
  const w = indexed.map((t) => t.weight * idf(stats.documents, stats.df(t.term)));
  return top.map(({ doc, score: base }) => {
    let score = base;
    if (expanding) {
      const dl = table.lengthOf(doc);
      let raw = 0;
      let matched = 0;
      for (let i = 0; i < indexed.length; i++) {
        const tf = ix.tf(indexed[i].term, doc);
        if (tf === 0) continue;
        raw += (w[i] * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * dl) / avgdl));
        if (indexed[i].original) matched++;
      }
      score = opts.coordination ? (raw * matched) / originals.length : raw;
    }
    if (second) score += rescoreBonus(table, stats, doc, originals, exact);
    return { doc, score, base };
  });
}

/**
 * A query with terms of its own and expansion terms (or exact word forms) is answered by re-scoring
 * (see bm25Search).
 */
export function isExpanding(terms: readonly WeightedTerm[]): boolean {
  const originals = terms.filter((t) => t.original).length;
  return originals > 0 && originals < terms.length;
}

/** The best k documents of one holder of everything (bm25Search, then mergeRanked of its one list). */
export function rankDocuments(table: DocumentTable, stats: CorpusStats, terms: readonly WeightedTerm[], k: number, opts: Bm25Options = {}): DocHit[] {
  // one holder: its list is already the global set; rank by score (ties by id) and make k hits.
  // Object literals, not spreads: with spreads here, each young collection during queries found about
  // 1 MB still alive and paused a query for 3-15 ms; with literals, about 25 KB and 1 ms (measured on
  // 117,659 WordNet glosses, docs/performance.md)
  const idOf = table.idOf;
  return scoreDocuments(table, stats, terms, k, opts)
    .map((r) => ({ doc: r.doc, score: r.score, id: idOf(r.doc) }))
    .sort(compareHits)
    .slice(0, k)
    .map((r) => {
      const d = table.record(r.doc);
      return { id: d.id, key: d.key, title: d.title, score: r.score };
    });
}

/**
 * Merge holders' lists into the answer one holder of everything gives: the best max(k, RESCORE_DEPTH)
 * by base score, then the best k of those by score. Without a second stage base = score and this is the
 * best k by score. (`expanding` is no longer needed: proximity re-scores a query without expansion
 * terms, and a holder does not tell; the parameter stays for the callers.)
 */
export function mergeRanked<T extends { score: number; base: number; id: string }>(lists: T[][], k: number, _expanding?: boolean): T[] {
  const all = lists.flat();
  all.sort((x, y) => y.base - x.base || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return all.slice(0, Math.max(k, RESCORE_DEPTH)).sort(compareHits).slice(0, k);
}


/**
 * Expansion: how many of the query's best non-query concepts join it, and their weight factor without
 * `edgeUnit` (graph weighting, the default before predictive weighting; ColonyConfig.expansionWeight).
 */
export const EXPANSION_TERMS = 5;
export const EXPANSION_WEIGHT = 0.25;

/** The parts of a concept hit expansion reads; `documents`: how many documents presented it. */
export interface ExpansionConcept {
  label: string;
  lexical: number;
  graph: number;
  documents?: number;
}

/**
 * The weight of an expansion concept (docs/search.md, "Graph expansion"). With `edgeUnit` > 0 (the weight
 * one co-activation adds to an edge) and the concept's document count: weight × min(1, graph /
 * (edgeUnit × documents)). graph / edgeUnit estimates how many of the documents that presented the
 * concept also wired it with a query concept (graph is its mean edge weight to them), so the ratio is
 * how strongly the concept predicts the query's concepts: a neighbour seen only with them weighs
 * `weight`, a hub seen in many other documents little. Otherwise weight × graph.
 */
export function expansionWeightOf(h: ExpansionConcept, weight: number, edgeUnit = 0): number {
  if (edgeUnit > 0 && h.documents !== undefined && h.documents > 0) return weight * Math.min(1, h.graph / (edgeUnit * h.documents));
  return weight * h.graph;
}

/**
 * The query's own terms (weight 1) plus graph expansion: the best-ranked concepts that are not query
 * terms, each weighted by `expansionWeightOf` (`weight` × its graph score, its mean Hebbian weight to
 * the query's concepts; with `edgeUnit`, `weight` × how strongly it predicts them). `conceptHits` is
 * the concept ranking of the same query (with document counts for `edgeUnit`). Terms and concept labels are
 * words; with `stem` they become index terms (stems), a stem counted once (the first occurrence
 * wins, so an expansion concept with the stem of a query term adds nothing).
 */
export function expandQuery(terms: readonly string[], conceptHits: readonly ExpansionConcept[], expansion = EXPANSION_TERMS, stem = false, weight = EXPANSION_WEIGHT, edgeUnit = 0): WeightedTerm[] {
  const out = ownAndExpansionTerms(terms, conceptHits, expansion, stem, weight, edgeUnit);
  if (!stem) return out;
  // with stemming, the query's exact word forms follow for the second stage (rescore.ts; a holder whose
  // config has exactWeight 0 ignores them); at most as many as keep the list within what a shard accepts
  // (2 × maxQueryTerms of the default limits)
  const room = Math.max(0, 2 * DEFAULT_LIMITS.maxQueryTerms - out.length);
  return out.concat(terms.slice(0, room).map(exactTerm));
}

/**
 * A query with more index terms of its own than `shortQuery` (0 = no limit) is scored without its
 * expansion terms and without coordination (RankOptions.shortQuery); the one rule, for the holders that
 * score and for the plans that decide whether a concept ranking is needed (expansion.ts).
 */
export function isLongQuery(ownTerms: number, shortQuery: number): boolean {
  return shortQuery > 0 && ownTerms > shortQuery;
}

/** How many index terms of its own a query has (its distinct words' index terms): what `isLongQuery` counts. */
export function ownTermCount(terms: readonly string[], stem: boolean): number {
  return ownAndExpansionTerms(terms, [], 0, stem, 0, 0).length;
}

function ownAndExpansionTerms(terms: readonly string[], conceptHits: readonly ExpansionConcept[], expansion: number, stem: boolean, weight: number, edgeUnit: number): WeightedTerm[] {
  const out: WeightedTerm[] = [];
  const seen = new Set<string>();
  const add = (word: string, weight: number, original: boolean) => {
    const term = indexTerm(word, stem);
    if (seen.has(term)) return;
    seen.add(term);
    out.push({ term, weight, original });
  };
  for (const t of terms) add(t, 1, true);
  // a phrase concept is not an index term (its words are): expansion takes words only
  for (const h of conceptHits.filter((c) => c.lexical === 0 && c.graph > 0 && !isPhrase(c.label)).slice(0, expansion)) add(h.label, expansionWeightOf(h, weight, edgeUnit), false);
  return out;
}

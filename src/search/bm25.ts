import type { CorpusStats, DocumentTable, WeightedTerm } from '../core/documents.js';
import type { DocumentId } from '../ids/ids.js';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

export interface DocHit {
  id: DocumentId;
  key: string;
  title: string;
  score: number;
}

export type { WeightedTerm } from '../core/documents.js';

export interface Bm25Options {
  /**
   * Multiply a document's score by the fraction of the query's own terms it contains (Lucene's
   * classic "coord"), so documents matching more of the query rank first. A document matching none
   * of them (only expansion terms) scores 0 and is not returned.
   */
  coordination?: boolean;
}

/** BM25 idf, in the non-negative form ln(1 + (N − df + 0.5)/(df + 0.5)). */
export function idf(documents: number, df: number): number {
  return Math.log(1 + (documents - df + 0.5) / (df + 0.5));
}

/** Order of results everywhere: score descending, then DocumentId ascending. */
export function compareHits(x: { score: number; id: string }, y: { score: number; id: string }): number {
  return y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
}

/**
 * BM25 (k1 1.2, b 0.75) over a document table's inverted index, with collection statistics passed
 * in: a cluster passes the global document count, total length and df so every shard scores as one
 * machine would. Per document the term contributions are summed in query-term order, so the float
 * result does not depend on where the document lives. Top-k with pruning: see inverted-index.ts.
 */
export function bm25Search(table: DocumentTable, stats: CorpusStats, terms: readonly WeightedTerm[], k: number, opts: Bm25Options = {}): DocHit[] {
  if (stats.documents === 0 || terms.length === 0 || k <= 0) return [];
  return table.index.topK(terms, stats, k, opts, table.idOf).map(({ doc, score }) => {
    const d = table.record(doc);
    return { id: d.id, key: d.key, title: d.title, score };
  });
}

/** Merge per-shard top-k lists into the global top-k (same order as one machine). */
export function mergeHits<T extends { score: number; id: string }>(lists: T[][], k: number): T[] {
  return lists.flat().sort(compareHits).slice(0, k);
}

/** Expansion: how many of the query's best non-query concepts join it, and their weight factor. */
export const EXPANSION_TERMS = 2;
export const EXPANSION_WEIGHT = 0.25;

/**
 * The query's own terms (weight 1) plus graph expansion: the best-ranked concepts that are not query
 * terms, each weighted EXPANSION_WEIGHT × its graph score (its mean Hebbian weight to the query's
 * concepts). `conceptHits` is the concept ranking of the same query.
 */
export function expandQuery(terms: readonly string[], conceptHits: readonly { label: string; lexical: number; graph: number }[], expansion = EXPANSION_TERMS): WeightedTerm[] {
  const out: WeightedTerm[] = terms.map((term) => ({ term, weight: 1, original: true }));
  for (const h of conceptHits.filter((c) => c.lexical === 0 && c.graph > 0).slice(0, expansion)) out.push({ term: h.label, weight: EXPANSION_WEIGHT * h.graph, original: false });
  return out;
}

import type { CorpusStats, DocumentStore } from '../colony/documents.js';
import type { DocumentId } from '../ids/ids.js';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

export interface DocHit {
  id: DocumentId;
  key: string;
  title: string;
  score: number;
}

/** A weighted query term (weight 1 for the query's own terms; expansion terms weigh less). */
export interface WeightedTerm {
  term: string;
  weight: number;
  /** True for a term of the query itself (counted by the coordination factor), false for expansion. */
  original?: boolean;
}

export interface Bm25Options {
  /**
   * Multiply a document's score by the fraction of the query's own terms it contains (Lucene's
   * classic "coord"), so documents matching more of the query rank first.
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
 * BM25 (k1 1.2, b 0.75) over the store's inverted index, with collection statistics passed in:
 * a cluster passes the global document count, total length and df so every shard scores as one
 * machine would. Per document the term contributions are summed in query-term order, so the float
 * result does not depend on where the document lives.
 */
export function bm25Search(store: DocumentStore, stats: CorpusStats, terms: readonly WeightedTerm[], k: number, opts: Bm25Options = {}): DocHit[] {
  if (stats.documents === 0 || terms.length === 0 || k <= 0) return [];
  const avgdl = stats.totalLength / stats.documents || 1;
  const scores = new Map<number, number>();
  const matched = new Map<number, number>();
  for (const { term, weight, original } of terms) {
    const postings = store.postings.get(term);
    if (!postings) continue;
    const w = weight * idf(stats.documents, stats.df(term));
    for (const [n, tf] of postings) {
      const dl = store.docAt(n)!.length;
      const s = (w * (tf * (BM25_K1 + 1))) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * dl) / avgdl));
      scores.set(n, (scores.get(n) ?? 0) + s);
      if (original) matched.set(n, (matched.get(n) ?? 0) + 1);
    }
  }
  const originals = terms.filter((t) => t.original).length;
  const hits: DocHit[] = [];
  for (const [n, raw] of scores) {
    const d = store.docAt(n)!;
    const score = opts.coordination && originals > 0 ? (raw * (matched.get(n) ?? 0)) / originals : raw;
    hits.push({ id: d.id, key: d.key, title: d.title, score });
  }
  hits.sort(compareHits);
  return hits.slice(0, k);
}

/** Merge per-shard top-k lists into the global top-k (same order as one machine). */
export function mergeHits<T extends { score: number; id: string }>(lists: T[][], k: number): T[] {
  return lists.flat().sort(compareHits).slice(0, k);
}

/** Expansion: how many of the query's best non-query concepts join it, and their weight factor. */
export const EXPANSION_TERMS = 3;
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

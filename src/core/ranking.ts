// What scoring reads (collection statistics, weighted query terms, the ranking options of a colony)
// and what a document table needs of its inverted index (src/search/inverted-index.ts).

/** Collection statistics BM25 needs; a cluster passes in the global ones. */
export interface CorpusStats {
  documents: number;
  totalLength: number;
  df: (term: string) => number;
}

export interface WeightedTerm {
  term: string;
  weight: number;
  /** A term of the query itself (counted by the coordination factor), not an expansion term. */
  original?: boolean;
}

/**
 * How a holder scores documents beyond the index (docs/search.md, "Ranking"): part of the colony's
 * config, so every shard scores as one process does.
 */
export interface RankOptions {
  /** BM25 length normalization b in [0, 1]. */
  b: number;
  /** BM25 tf saturation k1 (> 0). */
  k1: number;
  /** With stemming: weight of the bonus for the query's exact word forms in a re-scored document (0 = off). */
  exact: number;
  /** Weight of the term-proximity bonus in a re-scored document (0 = off). */
  proximity: number;
  /**
   * Graph expansion and coordination apply to queries of at most this many terms of their own (0 = to
   * every query): they help short keyword queries and hurt longer ones (docs/search.md).
   */
  shortQuery: number;
}

export const DEFAULT_RANK: Readonly<RankOptions> = Object.freeze({ b: 0.9, k1: 1.5, exact: 0.4, proximity: 2, shortQuery: 4 });

/** The inverted index a document table keeps (src/search/inverted-index.ts). */
export interface TextIndex {
  readonly documents: number;
  readonly totalLength: number;
  /** Returns, when the index numbers its terms (then also `termName`/`termNumber`), the numbers of `terms`. */
  add(doc: number, terms: readonly { term: string; tf: number }[], length: number): ArrayLike<number> | void;
  termName?(t: number): string;
  termNumber?(term: string): number;
  /** With `addNumbered`: a term's number, interned if new (a table then adds documents by numbers). */
  internTerm?(term: string): number;
  addNumbered?(doc: number, tids: ArrayLike<number>, tfs: ArrayLike<number>, length: number): void;
  remove(doc: number): void;
  df(term: string): number;
  /** Terms with at least one live posting. */
  terms(): IterableIterator<string>;
  /** Give back spare capacity (after a bulk load). */
  trim?(): void;
  /** A term's frequency in a live document (0 when absent). */
  tf(term: string, doc: number): number;
  topK(query: readonly WeightedTerm[], stats: CorpusStats, k: number, opts: { coordination?: boolean; b?: number; k1?: number }, idOf: (doc: number) => string): { doc: number; score: number }[];
}

/**
 * Brute-force references for InvertedIndex.topK (shared by test/inverted-index.test.ts and
 * bench/topk-bench.ts): score every posting of every query term, mirroring bm25Search
 * (src/search/bm25.ts) line for line, then sort everything and cut at k.
 */
import { BM25_B, BM25_K1, compareHits, idf } from '../src/search/bm25.js';
import type { TopKQueryTerm, TopKStats } from '../src/search/inverted-index.js';
import { Prng } from '../src/util/prng.js';

/** Where the reference reads postings and lengths (InvertedIndex and MapIndex both qualify). */
export interface PostingSource {
  /** Calls fn per live posting; false when the term has none. */
  forEachPosting(term: string, fn: (doc: number, tf: number) => void): boolean;
  lengthOf(doc: number): number | undefined;
}

export function referenceTopK(src: PostingSource, query: readonly TopKQueryTerm[], stats: TopKStats, k: number, opts: { coordination?: boolean }, idOf: (doc: number) => string): { doc: number; score: number }[] {
  if (stats.documents === 0 || query.length === 0 || k <= 0) return [];
  const avgdl = stats.totalLength / stats.documents || 1;
  const scores = new Map<number, number>();
  const matched = new Map<number, number>();
  for (const { term, weight, original } of query) {
    let w = 0;
    let first = true;
    src.forEachPosting(term, (n, tf) => {
      if (first) {
        w = weight * idf(stats.documents, stats.df(term));
        first = false;
      }
      const dl = src.lengthOf(n)!;
      const s = (w * (tf * (BM25_K1 + 1))) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * dl) / avgdl));
      scores.set(n, (scores.get(n) ?? 0) + s);
      if (original) matched.set(n, (matched.get(n) ?? 0) + 1);
    });
  }
  const originals = query.filter((t) => t.original).length;
  const hits: { doc: number; id: string; score: number }[] = [];
  for (const [n, raw] of scores) {
    const score = opts.coordination && originals > 0 ? (raw * (matched.get(n) ?? 0)) / originals : raw;
    // with coordination, a document that scores 0 (it matched no term of the query itself) is no answer
    if (opts.coordination && originals > 0 && !(score > 0)) continue;
    hits.push({ doc: n, id: idOf(n), score });
  }
  hits.sort(compareHits);
  return hits.slice(0, k).map(({ doc, score }) => ({ doc, score }));
}

/** The obvious Map-based index (the DocumentStore layout), used as the model in tests. */
export class MapIndex implements PostingSource {
  readonly postings = new Map<string, Map<number, number>>();
  readonly lengths = new Map<number, number>();
  readonly termsOf = new Map<number, { term: string; tf: number }[]>();
  totalLength = 0;

  get documents(): number {
    return this.lengths.size;
  }

  add(doc: number, terms: readonly { term: string; tf: number }[], length: number): void {
    this.lengths.set(doc, length);
    this.termsOf.set(doc, [...terms]);
    this.totalLength += length;
    for (const { term, tf } of terms) {
      let p = this.postings.get(term);
      if (!p) this.postings.set(term, (p = new Map()));
      p.set(doc, tf);
    }
  }

  remove(doc: number): boolean {
    const terms = this.termsOf.get(doc);
    if (!terms) return false;
    this.totalLength -= this.lengths.get(doc)!;
    this.lengths.delete(doc);
    this.termsOf.delete(doc);
    for (const { term } of terms) {
      const p = this.postings.get(term)!;
      p.delete(doc);
      if (p.size === 0) this.postings.delete(term);
    }
    return true;
  }

  df(term: string): number {
    return this.postings.get(term)?.size ?? 0;
  }

  forEachPosting(term: string, fn: (doc: number, tf: number) => void): boolean {
    const p = this.postings.get(term);
    if (!p) return false;
    for (const [d, tf] of p) fn(d, tf);
    return true;
  }

  lengthOf(doc: number): number | undefined {
    return this.lengths.get(doc);
  }
}

/** Zipf(s) sampler over ranks 0..n-1 (rank 0 most frequent), driven by a seeded Prng. */
export class Zipf {
  private readonly cdf: Float64Array;
  constructor(
    readonly n: number,
    s: number,
    private readonly rng: Prng,
  ) {
    this.cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) this.cdf[i] = acc += 1 / Math.pow(i + 1, s);
    for (let i = 0; i < n; i++) this.cdf[i] /= acc;
  }
  next(): number {
    const u = this.rng.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid] <= u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const words: string[] = [];
/** The word of a Zipf rank (memoized: the same string object each time). */
export const word = (rank: number): string => (words[rank] ??= `w${rank.toString(36)}`);

/** A synthetic document: `tokens` Zipfian draws, as distinct terms (first-occurrence order) and a length. */
export function synthDoc(z: Zipf, tokens: number): { terms: { term: string; tf: number }[]; length: number } {
  const tf = new Map<string, number>();
  for (let i = 0; i < tokens; i++) {
    const t = word(z.next());
    tf.set(t, (tf.get(t) ?? 0) + 1);
  }
  return { terms: [...tf].map(([term, n]) => ({ term, tf: n })), length: tokens };
}

import type { CorpusStats, TextIndex, WeightedTerm } from '../src/core/ranking.js';
import { BM25_B, BM25_K1, idf } from '../src/search/bm25.js';

/** The Map-based index and brute-force BM25 phago used before InvertedIndex: an independent reference for tests and the top-k bench. */
export class SimpleIndex implements TextIndex {
  private postings = new Map<string, Map<number, number>>();
  private lengths = new Map<number, number>();
  private docTerms = new Map<number, string[]>();
  /** Terms numbered in the order first added, as InvertedIndex numbers them. */
  private numbers = new Map<string, number>();
  private names: string[] = [];
  totalLength = 0;
  get documents(): number {
    return this.lengths.size;
  }
  add(doc: number, terms: readonly { term: string; tf: number }[], length: number): void {
    this.lengths.set(doc, length);
    this.totalLength += length;
    this.docTerms.set(doc, terms.map((t) => t.term));
    for (const t of terms) {
      if (!this.numbers.has(t.term)) this.numbers.set(t.term, this.names.push(t.term) - 1);
      let p = this.postings.get(t.term);
      if (!p) this.postings.set(t.term, (p = new Map()));
      p.set(doc, t.tf);
    }
  }
  remove(doc: number): void {
    const l = this.lengths.get(doc);
    if (l === undefined) return;
    this.totalLength -= l;
    this.lengths.delete(doc);
    for (const t of this.docTerms.get(doc) ?? []) {
      const p = this.postings.get(t)!;
      p.delete(doc);
      if (p.size === 0) this.postings.delete(t);
    }
    this.docTerms.delete(doc);
  }
  termName(t: number): string {
    return this.names[t];
  }
  termNumber(term: string): number {
    return this.numbers.get(term) ?? -1;
  }
  tf(term: string, doc: number): number {
    return this.postings.get(term)?.get(doc) ?? 0;
  }
  terms(): IterableIterator<string> {
    return this.postings.keys();
  }
  df(term: string): number {
    return this.postings.get(term)?.size ?? 0;
  }
  topK(query: readonly WeightedTerm[], stats: CorpusStats, k: number, opts: { coordination?: boolean }, idOf: (doc: number) => string) {
    if (stats.documents === 0 || query.length === 0 || k <= 0) return [];
    const avgdl = stats.totalLength / stats.documents || 1;
    const scores = new Map<number, number>();
    const matched = new Map<number, number>();
    for (const { term, weight, original } of query) {
      const p = this.postings.get(term);
      if (!p) continue;
      const w = weight * idf(stats.documents, stats.df(term));
      for (const [n, tf] of p) {
        const dl = this.lengths.get(n)!;
        scores.set(n, (scores.get(n) ?? 0) + (w * (tf * (BM25_K1 + 1))) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * dl) / avgdl)));
        if (original) matched.set(n, (matched.get(n) ?? 0) + 1);
      }
    }
    const originals = query.filter((t) => t.original).length;
    const hits = [...scores].map(([doc, raw]) => ({ doc, score: opts.coordination && originals > 0 ? (raw * (matched.get(doc) ?? 0)) / originals : raw, id: idOf(doc) }));
    hits.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1));
    if (opts.coordination && originals > 0) return hits.filter((h) => h.score > 0).slice(0, k).map(({ doc, score }) => ({ doc, score }));
    return hits.slice(0, k).map(({ doc, score }) => ({ doc, score }));
  }
}

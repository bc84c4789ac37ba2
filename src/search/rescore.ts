import type { CorpusStats, DocumentTable, WeightedTerm } from '../core/documents.js';
import { indexTerm, stem, tokenize } from '../text/tokenizer.js';
import { BM25_K1, idf } from './bm25-formula.js';

/**
 * The second stage of document ranking (docs/search.md, "Ranking"): bonuses computed from a candidate
 * document's own title and text, for the few documents the first stage re-scores only. No positions
 * are stored: the document is tokenized again at query time, so the index does not grow.
 *
 * - Exact word forms (with stemming): the index holds stems, so "running" and "runs" match alike; a
 *   document containing the query's own form gets weight × its BM25 contribution (idf of the stem,
 *   tf of the exact form, title counted titleWeight times, the document's index length).
 * - Proximity (Tao and Zhai's MinDist): weight × ln(1 + e^−d / 0.3), d the smallest distance in tokens
 *   between occurrences of two different query terms (index terms); 0 when fewer than two are present.
 *
 * Everything comes from the document and the collection statistics, so any holder gives the same
 * bonus (partition invariance).
 */

/** Exact word forms travel with the weighted terms, marked by this prefix (a token never contains it). */
export const EXACT_PREFIX = '=';

export function exactTerm(word: string): WeightedTerm {
  return { term: EXACT_PREFIX + word, weight: 1, original: false };
}

export function isExactTerm(t: WeightedTerm): boolean {
  return t.term.startsWith(EXACT_PREFIX);
}

/**
 * How much of a document's text the second stage reads: its first 3,000 characters (and the title). This
 * bounds the cost per document, and on the man pages dev split the beginning ranks better than the whole
 * text (MRR@10 0.351 whole, 0.358 at 4,000, 0.360 at 3,000, 0.367 at 2,000): it says what a page is about.
 * 3,000 and not 2,000: the sample corpus's documents are 1,771–2,614 characters, and cutting them drops
 * its NDCG@10 from 0.876 to 0.870, below minisearch (docs/search.md).
 */
export const RESCORE_CHARS = 3000;

/** Tao and Zhai's α: how fast the proximity bonus falls with distance. */
const PROXIMITY_ALPHA = 0.3;

/** Whether a query needs the second stage on this table: a bonus that is on and has something to score. */
export function needsRescore(table: DocumentTable, originals: readonly WeightedTerm[], exact: readonly WeightedTerm[]): boolean {
  const r = table.rank;
  return (r.exact > 0 && table.text.stem && exact.length > 0) || (r.proximity > 0 && originals.length >= 2);
}

/** The second-stage bonus of one document (0 when no bonus is on). */
export function rescoreBonus(table: DocumentTable, stats: CorpusStats, doc: number, originals: readonly WeightedTerm[], exact: readonly WeightedTerm[]): number {
  const { rank, text } = table;
  const d = table.record(doc);
  const head = tokenize(d.title, text.stopwords);
  const body = tokenize(d.text.length > RESCORE_CHARS ? d.text.slice(0, RESCORE_CHARS) : d.text, text.stopwords);
  let bonus = 0;
  if (rank.exact > 0 && text.stem && exact.length > 0) {
    const avgdl = stats.totalLength / stats.documents || 1;
    const dl = table.lengthOf(doc);
    const w = head.length === 0 ? 1 : text.titleWeight;
    const tf = new Map<string, number>();
    for (const t of exact) tf.set(t.term.slice(EXACT_PREFIX.length), 0);
    for (const t of head) if (tf.has(t)) tf.set(t, tf.get(t)! + w);
    for (const t of body) if (tf.has(t)) tf.set(t, tf.get(t)! + 1);
    let sum = 0;
    for (const t of exact) {
      const word = t.term.slice(EXACT_PREFIX.length);
      const f = tf.get(word)!;
      if (f === 0) continue;
      const weight = t.weight * idf(stats.documents, stats.df(stem(word)));
      sum += (weight * f * (BM25_K1 + 1)) / (f + BM25_K1 * (1 - rank.b + (rank.b * dl) / avgdl));
    }
    bonus += rank.exact * sum;
  }
  if (rank.proximity > 0 && originals.length >= 2) {
    const d = minDistance(head, body, originals, text.stem);
    if (d < Infinity) bonus += rank.proximity * Math.log(1 + Math.exp(-d) / PROXIMITY_ALPHA);
  }
  return bonus;
}

/** Smallest distance in tokens (title then text) between occurrences of two different query terms. */
export function minDistance(head: readonly string[], body: readonly string[], originals: readonly WeightedTerm[], stemming: boolean): number {
  const which = new Map<string, number>();
  originals.forEach((t, i) => which.set(t.term, i));
  const last = new Float64Array(originals.length).fill(-Infinity);
  let best = Infinity;
  let pos = 0;
  for (const part of [head, body]) {
    for (const tok of part) {
      const q = which.get(indexTerm(tok, stemming));
      if (q !== undefined) {
        for (let r = 0; r < last.length; r++) if (r !== q && pos - last[r] < best) best = pos - last[r];
        last[q] = pos;
      }
      pos++;
    }
  }
  return best;
}

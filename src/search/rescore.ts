import type { CorpusStats, DocumentTable, WeightedTerm } from '../core/documents.js';
import { indexTerm, stem, tokenize } from '../text/tokenizer.js';
import { idf } from './bm25-formula.js';

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

/** A document's tokenized window (title and first RESCORE_CHARS of text), and its index terms once asked. */
interface Window {
  title: string;
  text: string;
  head: string[];
  body: string[];
  /** Title and text counts of each token (exact forms), made once asked. */
  counts: Map<string, { head: number; body: number }> | null;
  /** Positions (title then text) of each index term (proximity), made once asked. */
  positions: Map<string, number[]> | null;
}

/**
 * Windows of recently re-scored documents, least recently used first, per table: the same documents
 * come back in the top results of many queries, and tokenizing them again is most of the second
 * stage's cost. Bounded by tokens held; an entry is valid only for the very text it was made from (a
 * document number forgotten and reused gets a new one).
 */
const MAX_CACHED_TOKENS = 1 << 18;
const windows = new WeakMap<DocumentTable, { map: Map<number, Window>; tokens: number }>();

/** Drop a table's cached windows (tests compare answers from a cold cache with a warm one). */
export function dropWindows(table: DocumentTable): void {
  windows.delete(table);
}

function windowOf(table: DocumentTable, doc: number): Window {
  let cache = windows.get(table);
  if (!cache) windows.set(table, (cache = { map: new Map(), tokens: 0 }));
  const d = table.record(doc);
  const hit = cache.map.get(doc);
  if (hit && hit.text === d.text && hit.title === d.title) {
    cache.map.delete(doc);
    cache.map.set(doc, hit);
    return hit;
  }
  if (hit) {
    cache.map.delete(doc);
    cache.tokens -= hit.head.length + hit.body.length;
  }
  const stop = table.text.stopwords;
  const w: Window = { title: d.title, text: d.text, head: tokenize(d.title, stop), body: tokenize(d.text.length > RESCORE_CHARS ? d.text.slice(0, RESCORE_CHARS) : d.text, stop), counts: null, positions: null };
  cache.map.set(doc, w);
  cache.tokens += w.head.length + w.body.length;
  for (const [k, old] of cache.map) {
    if (cache.tokens <= MAX_CACHED_TOKENS) break;
    cache.map.delete(k);
    cache.tokens -= old.head.length + old.body.length;
  }
  return w;
}

/** The second-stage bonus of one document (0 when no bonus is on). */
export function rescoreBonus(table: DocumentTable, stats: CorpusStats, doc: number, originals: readonly WeightedTerm[], exact: readonly WeightedTerm[]): number {
  const { rank, text } = table;
  const win = windowOf(table, doc);
  const { head, body } = win;
  let bonus = 0;
  if (rank.exact > 0 && text.stem && exact.length > 0) {
    const avgdl = stats.totalLength / stats.documents || 1;
    const dl = table.lengthOf(doc);
    const w = head.length === 0 ? 1 : text.titleWeight;
    if (!win.counts) {
      const counts = new Map<string, { head: number; body: number }>();
      const at = (t: string) => {
        let c = counts.get(t);
        if (!c) counts.set(t, (c = { head: 0, body: 0 }));
        return c;
      };
      for (const t of head) at(t).head++;
      for (const t of body) at(t).body++;
      win.counts = counts;
    }
    let sum = 0;
    for (const t of exact) {
      const word = t.term.slice(EXACT_PREFIX.length);
      const c = win.counts.get(word);
      const f = c ? c.head * w + c.body : 0;
      if (f === 0) continue;
      const weight = t.weight * idf(stats.documents, stats.df(stem(word)));
      sum += (weight * f * (rank.k1 + 1)) / (f + rank.k1 * (1 - rank.b + (rank.b * dl) / avgdl));
    }
    bonus += rank.exact * sum;
  }
  if (rank.proximity > 0 && originals.length >= 2) {
    // where each index term (stem when stemming) occurs, title then text, made once per window
    if (!win.positions) {
      const positions = new Map<string, number[]>();
      let pos = 0;
      for (const part of [head, body])
        for (const tok of part) {
          const t = indexTerm(tok, text.stem);
          const l = positions.get(t);
          if (l) l.push(pos);
          else positions.set(t, [pos]);
          pos++;
        }
      win.positions = positions;
    }
    const d = minDistanceOf(win.positions, originals);
    if (d < Infinity) bonus += rank.proximity * Math.log(1 + Math.exp(-d) / PROXIMITY_ALPHA);
  }
  return bonus;
}

/** minDistance from each term's positions: the same scan over the query terms' occurrences only. */
function minDistanceOf(positions: Map<string, number[]>, originals: readonly WeightedTerm[]): number {
  const seen = distinctTerms(originals);
  if (seen.over64) return minDistance([...positions.entries()].flatMap(([t, ps]) => ps.map((p) => [p, t] as const)).sort((a, b) => a[0] - b[0]).map(([, t]) => t), [], originals, false);
  // pos * 64 + query term index, in reused typed scratch (this runs for each re-scored document of
  // every query: a Map, two arrays and a sort's copy each time made a sixth of a query's garbage)
  let n = 0;
  for (let k = 0; k < seen.terms.length; k++) {
    const ps = positions.get(seen.terms[k]);
    if (!ps) continue;
    if (occScratch.length < n + ps.length) occScratch = grown(occScratch, n, n + ps.length);
    for (const p of ps) occScratch[n++] = p * 64 + seen.index[k];
  }
  // insertion sort in place (a window holds few occurrences of the query's terms; no view, no copy)
  const occ = occScratch;
  for (let i = 1; i < n; i++) {
    const x = occ[i];
    let j = i - 1;
    while (j >= 0 && occ[j] > x) {
      occ[j + 1] = occ[j];
      j--;
    }
    occ[j + 1] = x;
  }
  if (lastScratch.length < originals.length) lastScratch = new Float64Array(originals.length * 2);
  const last = lastScratch;
  last.fill(-Infinity, 0, originals.length);
  let best = Infinity;
  for (let j = 0; j < n; j++) {
    const o = occ[j];
    const pos = Math.floor(o / 64);
    const q = o % 64;
    for (let r = 0; r < originals.length; r++) if (r !== q && pos - last[r] < best) best = pos - last[r];
    last[q] = pos;
  }
  return best;
}

let occScratch: Float64Array = new Float64Array(256);
let lastScratch: Float64Array = new Float64Array(16);

/** A larger copy of the first `used` entries of `a`, room for `need`. */
function grown(a: Float64Array, used: number, need: number): Float64Array {
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a.subarray(0, used));
  return b;
}

/** A query's distinct terms and the index of each one's first occurrence (as the scan's map gives), kept for the query's documents. */
let distinct: { of: readonly WeightedTerm[] | null; terms: string[]; index: number[]; over64: boolean } = { of: null, terms: [], index: [], over64: false };

function distinctTerms(originals: readonly WeightedTerm[]): typeof distinct {
  if (distinct.of === originals) return distinct;
  const seen = new Map<string, number>();
  originals.forEach((t, i) => {
    if (!seen.has(t.term)) seen.set(t.term, i);
  });
  distinct = { of: originals, terms: [...seen.keys()], index: [...seen.values()], over64: [...seen.values()].some((i) => i >= 64) };
  return distinct;
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

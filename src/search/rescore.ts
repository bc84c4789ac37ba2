import type { DocumentTable } from '../core/documents.js';
import type { CorpusStats, WeightedTerm } from '../core/ranking.js';
import { indexTerm, stem } from '../text/tokenizer.js';
import { Int32Column } from '../core/growable.js';
import { idf } from './bm25-formula.js';
import { RING_TOKENS, RING_WINDOWS, WindowCache } from './window-cache.js';

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

/** Tao and Zhai's α: how fast the proximity bonus falls with distance. */
const PROXIMITY_ALPHA = 0.3;

/** Whether a query needs the second stage on this table: a bonus that is on and has something to score. */
export function needsRescore(table: DocumentTable, originals: readonly WeightedTerm[], exact: readonly WeightedTerm[]): boolean {
  const r = table.rank;
  return (r.exact > 0 && table.text.stem && exact.length > 0) || (r.proximity > 0 && originals.length >= 2);
}

/**
 * The dictionary's bound (distinct tokens): past it, the table's windows and dictionary start again
 * (a long-running process that re-scores documents of a large vocabulary keeps bounded memory).
 */
let maxDictionary = 1 << 18;
/** The ring's size for caches made from now on (tests make it small to exercise eviction). */
let ringSize = { tokens: RING_TOKENS, windows: RING_WINDOWS };
const windows = new WeakMap<DocumentTable, WindowCache>();

/** Drop a table's cached windows (tests compare answers from a cold cache with a warm one). */
export function dropWindows(table: DocumentTable): void {
  windows.delete(table);
}

/** Set the dictionary's bound; returns the previous one (tests). */
export function setMaxWindowDictionary(n: number): number {
  const was = maxDictionary;
  maxDictionary = n;
  return was;
}

/** Set the ring's size of the window caches made from now on; returns the previous one (tests). */
export function setWindowRing(tokens: number, windowCount: number): { tokens: number; windows: number } {
  const was = ringSize;
  ringSize = { tokens, windows: windowCount };
  return was;
}

/** Distinct tokens in a table's window dictionary (tests). */
export function windowDictionarySize(table: DocumentTable): number {
  return windows.get(table)?.dict.size ?? 0;
}

/** Windows a table's cache holds (tests). */
export function cachedWindows(table: DocumentTable): number {
  return windows.get(table)?.cached ?? 0;
}

function windowsOf(table: DocumentTable): WindowCache {
  let c = windows.get(table);
  if (!c) windows.set(table, (c = new WindowCache(ringSize.tokens, ringSize.windows)));
  return c;
}

/**
 * A query's terms as dictionary numbers, made once per query (and again when the dictionary grew):
 * each exact form's token number, its weight × idf, and the first exact form with the same token
 * (`exactSlot`: token number → that form + 1, what the counting scan looks up); for each distinct
 * index term of the originals its first position among them (`termSlot`: what minDistance's scan
 * compares). A word not in the dictionary occurs in no window.
 */
interface QueryKeys {
  exact: readonly WeightedTerm[] | null;
  originals: readonly WeightedTerm[] | null;
  stats: CorpusStats | null;
  dict: Map<string, number> | null;
  dictSize: number;
  /** exact[k]'s token number (-1: in no window). */
  exactTok: Int32Array;
  /** exact[k]'s weight × the idf of its stem. */
  exactWeight: Float64Array;
  /** The first k' with exact[k']'s token (a repeated word counts once per occurrence in the query). */
  exactFirst: Int32Array;
  /** How many distinct originals are in the dictionary (fewer than two: no distance). */
  present: number;
}

let keys: QueryKeys = { exact: null, originals: null, stats: null, dict: null, dictSize: -1, exactTok: new Int32Array(0), exactWeight: new Float64Array(0), exactFirst: new Int32Array(0), present: 0 };
/** Index-term number -> first index among the current query's originals + 1 (0: not a query term). */
const termSlot = new Int32Column(1024);
const slotsSet: number[] = [];
/** Token number -> first exact form of the current query with it + 1 (0: none). */
const exactSlot = new Int32Column(1024);
const exactSet: number[] = [];
/** Per exact form, its count in the window being scored (title tokens counted titleWeight times). */
let counts = new Int32Array(16);

function queryKeys(c: WindowCache, stats: CorpusStats, originals: readonly WeightedTerm[], exact: readonly WeightedTerm[]): QueryKeys {
  if (keys.exact === exact && keys.originals === originals && keys.stats === stats && keys.dict === c.dict && keys.dictSize === c.dict.size) return keys;
  const exactTok = new Int32Array(exact.length);
  const exactWeight = new Float64Array(exact.length);
  const exactFirst = new Int32Array(exact.length);
  for (const n of exactSet) exactSlot.data[n] = 0;
  exactSet.length = 0;
  exactSlot.ensure(c.dict.size);
  exact.forEach((t, k) => {
    const word = t.term.slice(EXACT_PREFIX.length);
    const x = c.dict.get(word) ?? -1;
    exactTok[k] = x;
    exactFirst[k] = k;
    if (x < 0) return;
    exactWeight[k] = t.weight * idf(stats.documents, stats.df(stem(word)));
    if (exactSlot.data[x] !== 0) exactFirst[k] = exactSlot.data[x] - 1;
    else {
      exactSlot.data[x] = k + 1;
      exactSet.push(x);
    }
  });
  if (counts.length < exact.length) counts = new Int32Array(exact.length * 2);
  for (const n of slotsSet) termSlot.data[n] = 0;
  slotsSet.length = 0;
  termSlot.ensure(c.terms.size);
  originals.forEach((t, i) => {
    const n = c.terms.get(t.term);
    if (n === undefined || termSlot.data[n] !== 0) return;
    termSlot.data[n] = i + 1;
    slotsSet.push(n);
  });
  keys = { exact, originals, stats, dict: c.dict, dictSize: c.dict.size, exactTok, exactWeight, exactFirst, present: slotsSet.length };
  return keys;
}

/** The second-stage bonus of one document (0 when no bonus is on). */
export function rescoreBonus(table: DocumentTable, stats: CorpusStats, doc: number, originals: readonly WeightedTerm[], exact: readonly WeightedTerm[]): number {
  const { rank, text } = table;
  let c = windowsOf(table);
  if (c.dict.size > maxDictionary) {
    windows.delete(table);
    c = windowsOf(table);
  }
  c.window(table, doc);
  const q = queryKeys(c, stats, originals, exact);
  const { tokens, start, length, headLength: headLen } = c;
  const end = start + length;
  let bonus = 0;
  if (rank.exact > 0 && text.stem && exact.length > 0) {
    const avgdl = stats.totalLength / stats.documents || 1;
    const dl = table.lengthOf(doc);
    const w = headLen === 0 ? 1 : text.titleWeight;
    // every exact form counted in one scan of the window
    const f = counts;
    f.fill(0, 0, exact.length);
    const slot = exactSlot.data;
    const head = start + headLen;
    for (let i = start; i < end; i++) {
      const x = tokens[i];
      const s = x < slot.length ? slot[x] : 0;
      if (s !== 0) f[s - 1] += i < head ? w : 1;
    }
    let sum = 0;
    for (let k = 0; k < exact.length; k++) {
      if (q.exactTok[k] < 0) continue;
      const fk = f[q.exactFirst[k]];
      if (fk === 0) continue;
      sum += (q.exactWeight[k] * fk * (rank.k1 + 1)) / (fk + rank.k1 * (1 - rank.b + (rank.b * dl) / avgdl));
    }
    bonus += rank.exact * sum;
  }
  if (rank.proximity > 0 && originals.length >= 2) {
    const d = q.present < 2 ? Infinity : minDistanceOf(tokens, start, end, c.termOf.data, originals.length);
    if (d < Infinity) bonus += rank.proximity * Math.log(1 + Math.exp(-d) / PROXIMITY_ALPHA);
  }
  return bonus;
}

/** minDistance over a window's token numbers: the same scan, with each token's index term looked up by number. */
function minDistanceOf(tokens: Int32Array, start: number, end: number, termOf: Int32Array, terms: number): number {
  const slot = termSlot.data;
  if (lastScratch.length < terms) lastScratch = new Float64Array(terms * 2);
  const last = lastScratch;
  last.fill(-Infinity, 0, terms);
  let best = Infinity;
  for (let pos = start; pos < end; pos++) {
    const t = termOf[tokens[pos]];
    const s = t < slot.length ? slot[t] : 0;
    if (s === 0) continue;
    const q = s - 1;
    for (let r = 0; r < terms; r++) if (r !== q && pos - last[r] < best) best = pos - last[r];
    last[q] = pos;
  }
  return best;
}

let lastScratch: Float64Array = new Float64Array(16);

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

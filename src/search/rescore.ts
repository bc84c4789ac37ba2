import type { DocumentTable } from '../core/documents.js';
import type { CorpusStats, WeightedTerm } from '../core/ranking.js';
import { indexTerm, stem, tokenize } from '../text/tokenizer.js';
import { Int32Column } from '../core/growable.js';
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

/**
 * A document's window (title, then the first RESCORE_CHARS of text) as token numbers of its table's
 * window dictionary. Kept compact on purpose: cached windows live through many queries, and every
 * object they hold is copied by each young-generation collection until it is promoted (strings, maps
 * and arrays per window made those collections pause a query for 5–15 ms; docs/performance.md).
 */
interface Window {
  title: string;
  text: string;
  toks: Int32Array;
  headLen: number;
}

/**
 * Per table: windows of recently re-scored documents, least recently used first (the same documents
 * come back in the top results of many queries, and tokenizing them again is most of the second
 * stage's cost), bounded by tokens held; and the dictionary that numbers their tokens, with the number
 * of each token's index term. A window is valid only for the very text it was made from (a document
 * number forgotten and reused gets a new one). The dictionary grows with words of documents, up to maxDictionary.
 */
interface Windows {
  map: Map<number, Window>;
  tokens: number;
  dict: Map<string, number>;
  /** Index-term number of each token number (its stem when stemming). */
  termOf: Int32Column;
  terms: Map<string, number>;
}

const MAX_CACHED_TOKENS = 1 << 18;
/**
 * The dictionary's bound (distinct tokens): past it, the table's windows and dictionary start again
 * (a long-running process that re-scores documents of a large vocabulary keeps bounded memory).
 */
let maxDictionary = 1 << 18;
const windows = new WeakMap<DocumentTable, Windows>();

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

/** Distinct tokens in a table's window dictionary (tests). */
export function windowDictionarySize(table: DocumentTable): number {
  return windows.get(table)?.dict.size ?? 0;
}

function windowsOf(table: DocumentTable): Windows {
  let c = windows.get(table);
  if (!c) windows.set(table, (c = { map: new Map(), tokens: 0, dict: new Map(), termOf: new Int32Column(1024), terms: new Map() }));
  return c;
}

function tokenNumber(c: Windows, tok: string, stemming: boolean): number {
  let x = c.dict.get(tok);
  if (x !== undefined) return x;
  x = c.dict.size;
  c.dict.set(tok, x);
  c.termOf.ensure(x);
  const term = indexTerm(tok, stemming);
  let t = c.terms.get(term);
  if (t === undefined) c.terms.set(term, (t = c.terms.size));
  c.termOf.data[x] = t;
  return x;
}

function windowOf(table: DocumentTable, c: Windows, doc: number): Window {
  const d = table.record(doc);
  const hit = c.map.get(doc);
  if (hit && hit.text === d.text && hit.title === d.title) {
    c.map.delete(doc);
    c.map.set(doc, hit);
    return hit;
  }
  if (hit) {
    c.map.delete(doc);
    c.tokens -= hit.toks.length;
  }
  const { stopwords, stem: stemming } = table.text;
  const head = tokenize(d.title, stopwords);
  const body = tokenize(d.text.length > RESCORE_CHARS ? d.text.slice(0, RESCORE_CHARS) : d.text, stopwords);
  const toks = new Int32Array(head.length + body.length);
  for (let i = 0; i < head.length; i++) toks[i] = tokenNumber(c, head[i], stemming);
  for (let i = 0; i < body.length; i++) toks[head.length + i] = tokenNumber(c, body[i], stemming);
  const w: Window = { title: d.title, text: d.text, toks, headLen: head.length };
  c.map.set(doc, w);
  c.tokens += toks.length;
  for (const [k, old] of c.map) {
    if (c.tokens <= MAX_CACHED_TOKENS) break;
    c.map.delete(k);
    c.tokens -= old.toks.length;
  }
  return w;
}

/**
 * A query's terms as dictionary numbers, made once per query (and again when the dictionary grew):
 * each exact form's token number, and for each distinct index term of the originals its first
 * position among them (`termSlot`: what minDistance's scan compares). A word not in the dictionary
 * occurs in no window.
 */
interface QueryKeys {
  exact: readonly WeightedTerm[] | null;
  originals: readonly WeightedTerm[] | null;
  dict: Map<string, number> | null;
  dictSize: number;
  /** exact[k]'s token number (-1: in no window). */
  exactTok: Int32Array;
  /** How many distinct originals are in the dictionary (fewer than two: no distance). */
  present: number;
}

let keys: QueryKeys = { exact: null, originals: null, dict: null, dictSize: -1, exactTok: new Int32Array(0), present: 0 };
/** Index-term number -> first index among the current query's originals + 1 (0: not a query term). */
const termSlot = new Int32Column(1024);
const slotsSet: number[] = [];

function queryKeys(c: Windows, originals: readonly WeightedTerm[], exact: readonly WeightedTerm[]): QueryKeys {
  if (keys.exact === exact && keys.originals === originals && keys.dict === c.dict && keys.dictSize === c.dict.size) return keys;
  const exactTok = new Int32Array(exact.length);
  exact.forEach((t, k) => (exactTok[k] = c.dict.get(t.term.slice(EXACT_PREFIX.length)) ?? -1));
  for (const n of slotsSet) termSlot.data[n] = 0;
  slotsSet.length = 0;
  termSlot.ensure(c.terms.size);
  originals.forEach((t, i) => {
    const n = c.terms.get(t.term);
    if (n === undefined || termSlot.data[n] !== 0) return;
    termSlot.data[n] = i + 1;
    slotsSet.push(n);
  });
  keys = { exact, originals, dict: c.dict, dictSize: c.dict.size, exactTok, present: slotsSet.length };
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
  const win = windowOf(table, c, doc);
  const q = queryKeys(c, originals, exact);
  const { toks, headLen } = win;
  let bonus = 0;
  if (rank.exact > 0 && text.stem && exact.length > 0) {
    const avgdl = stats.totalLength / stats.documents || 1;
    const dl = table.lengthOf(doc);
    const w = headLen === 0 ? 1 : text.titleWeight;
    let sum = 0;
    for (let k = 0; k < exact.length; k++) {
      const x = q.exactTok[k];
      if (x < 0) continue;
      let f = 0;
      for (let i = 0; i < toks.length; i++) if (toks[i] === x) f += i < headLen ? w : 1;
      if (f === 0) continue;
      const weight = exact[k].weight * idf(stats.documents, stats.df(stem(exact[k].term.slice(EXACT_PREFIX.length))));
      sum += (weight * f * (rank.k1 + 1)) / (f + rank.k1 * (1 - rank.b + (rank.b * dl) / avgdl));
    }
    bonus += rank.exact * sum;
  }
  if (rank.proximity > 0 && originals.length >= 2) {
    const d = q.present < 2 ? Infinity : minDistanceOf(toks, c.termOf.data, originals.length);
    if (d < Infinity) bonus += rank.proximity * Math.log(1 + Math.exp(-d) / PROXIMITY_ALPHA);
  }
  return bonus;
}

/** minDistance over a window's token numbers: the same scan, with each token's index term looked up by number. */
function minDistanceOf(toks: Int32Array, termOf: Int32Array, terms: number): number {
  const slot = termSlot.data;
  if (lastScratch.length < terms) lastScratch = new Float64Array(terms * 2);
  const last = lastScratch;
  last.fill(-Infinity, 0, terms);
  let best = Infinity;
  for (let pos = 0; pos < toks.length; pos++) {
    const t = termOf[toks[pos]];
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

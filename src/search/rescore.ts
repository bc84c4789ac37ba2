import type { DocumentTable } from '../core/documents.js';
import type { CorpusStats, WeightedTerm } from '../core/ranking.js';
import { indexTerm, stem } from '../text/tokenizer.js';
import { Int32Column } from '../core/growable.js';
import { idf } from './bm25-formula.js';

/**
 * The second stage of document ranking (docs/search.md, "Ranking"): bonuses computed from a candidate
 * document's own title and text, for the few documents the first stage re-scores only. They read the
 * document's window (its title's tokens, then its text's within RESCORE_CHARS), which the table wrote
 * as term numbers when the document was added (core/windows.ts): no tokenizing at query time.
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
  // the same conditions as DocumentTable.rescores, which decides whether windows are written
  return (r.exact > 0 && table.text.stem && exact.length > 0) || (r.proximity > 0 && originals.length >= 2);
}

/**
 * A query's terms as the table's numbers, made once per query and table: each exact form's concept
 * term number, its weight × idf, and the first exact form with the same word (`exactSlot`: term
 * number → that form + 1, what the counting scan looks up); for each distinct index term of the
 * originals its first position among them (`termSlot`: what minDistance's scan compares). A word the
 * table never had occurs in no window.
 */
interface QueryKeys {
  exact: readonly WeightedTerm[] | null;
  originals: readonly WeightedTerm[] | null;
  stats: CorpusStats | null;
  table: DocumentTable | null;
  /** exact[k]'s term number (-1: in no window). */
  exactTok: Int32Array;
  /** exact[k]'s weight × the idf of its stem. */
  exactWeight: Float64Array;
  /** The first k' with exact[k']'s word (a repeated word counts once per occurrence in the query). */
  exactFirst: Int32Array;
  /** How many distinct originals the table's index has (fewer than two: no distance). */
  present: number;
}

let keys: QueryKeys = { exact: null, originals: null, stats: null, table: null, exactTok: new Int32Array(0), exactWeight: new Float64Array(0), exactFirst: new Int32Array(0), present: 0 };
/** Index-term number -> first index among the current query's originals + 1 (0: not a query term). */
const termSlot = new Int32Column(1024);
const slotsSet: number[] = [];
/** Concept term number -> first exact form of the current query with it + 1 (0: none). */
const exactSlot = new Int32Column(1024);
const exactSet: number[] = [];
/** Per exact form, its count in the window being scored (title tokens counted titleWeight times). */
let counts = new Int32Array(16);

function queryKeys(table: DocumentTable, stats: CorpusStats, originals: readonly WeightedTerm[], exact: readonly WeightedTerm[]): QueryKeys {
  if (keys.exact === exact && keys.originals === originals && keys.stats === stats && keys.table === table) return keys;
  const exactTok = new Int32Array(exact.length);
  const exactWeight = new Float64Array(exact.length);
  const exactFirst = new Int32Array(exact.length);
  for (const n of exactSet) exactSlot.data[n] = 0;
  exactSet.length = 0;
  exact.forEach((t, k) => {
    const word = t.term.slice(EXACT_PREFIX.length);
    const x = table.conceptNumber(word);
    exactTok[k] = x;
    exactFirst[k] = k;
    if (x < 0) return;
    exactWeight[k] = t.weight * idf(stats.documents, stats.df(stem(word)));
    exactSlot.ensure(x);
    if (exactSlot.data[x] !== 0) exactFirst[k] = exactSlot.data[x] - 1;
    else {
      exactSlot.data[x] = k + 1;
      exactSet.push(x);
    }
  });
  if (counts.length < exact.length) counts = new Int32Array(exact.length * 2);
  for (const n of slotsSet) termSlot.data[n] = 0;
  slotsSet.length = 0;
  originals.forEach((t, i) => {
    const n = table.index.termNumber!(t.term);
    if (n < 0) return;
    termSlot.ensure(n);
    if (termSlot.data[n] !== 0) return;
    termSlot.data[n] = i + 1;
    slotsSet.push(n);
  });
  keys = { exact, originals, stats, table, exactTok, exactWeight, exactFirst, present: slotsSet.length };
  return keys;
}

/** The second-stage bonus of one document (0 when no bonus is on). */
export function rescoreBonus(table: DocumentTable, stats: CorpusStats, doc: number, originals: readonly WeightedTerm[], exact: readonly WeightedTerm[]): number {
  const { rank, text } = table;
  const w = table.windows;
  w.window(doc);
  const q = queryKeys(table, stats, originals, exact);
  const counting = rank.exact > 0 && text.stem && exact.length > 0;
  const distance = rank.proximity > 0 && originals.length >= 2 && q.present >= 2;
  if (!counting && !distance) return 0;
  const headLen = w.headLength;
  if (counting) counts.fill(0, 0, exact.length);
  const d = scanWindow(table, w.terms, w.length, counting, distance, headLen === 0 ? 1 : text.titleWeight, headLen, originals.length);
  let bonus = 0;
  if (counting) {
    const avgdl = stats.totalLength / stats.documents || 1;
    const dl = table.lengthOf(doc);
    let sum = 0;
    for (let k = 0; k < exact.length; k++) {
      if (q.exactTok[k] < 0) continue;
      const fk = counts[q.exactFirst[k]];
      if (fk === 0) continue;
      sum += (q.exactWeight[k] * fk * (rank.k1 + 1)) / (fk + rank.k1 * (1 - rank.b + (rank.b * dl) / avgdl));
    }
    bonus += rank.exact * sum;
  }
  if (d < Infinity) bonus += rank.proximity * Math.log(1 + Math.exp(-d) / PROXIMITY_ALPHA);
  return bonus;
}

/**
 * One scan of a window's term numbers (core/windows.ts): with `counting`, each exact form's count into
 * `counts` (title tokens `tw` times); with `distance`, returns minDistance, each word's index term read
 * from the table's numbers (Infinity without `distance`).
 */
function scanWindow(table: DocumentTable, window: Int32Array, length: number, counting: boolean, distance: boolean, tw: number, headLen: number, terms: number): number {
  const exactOf = exactSlot.data;
  const termOf = termSlot.data;
  const indexOf = table.conceptIndexTerms();
  if (lastScratch.length < terms) lastScratch = new Float64Array(terms * 2);
  const last = lastScratch;
  if (distance) last.fill(-Infinity, 0, terms);
  let best = Infinity;
  for (let pos = 0; pos < length; pos++) {
    const x = window[pos];
    if (counting) {
      const s = x < exactOf.length ? exactOf[x] : 0;
      if (s !== 0) counts[s - 1] += pos < headLen ? tw : 1;
    }
    if (!distance) continue;
    let t = x;
    if (indexOf !== null) {
      const v = x < indexOf.length ? indexOf[x] : 0;
      t = v !== 0 ? v - 2 : table.indexTermOfConcept(x);
    }
    const s = t >= 0 && t < termOf.length ? termOf[t] : 0;
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

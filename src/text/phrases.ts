import { keptToken, SPLIT, stopwordSet } from './token-rule.js';

/**
 * Phrase concepts (docs/colony.md, "Phrases"): two adjacent content words that a document repeats,
 * such as "cell membrane" or "error correction". The rule reads the document alone (no collection
 * statistics), so it is partition-invariant and costs a cluster nothing.
 *
 * Two kept tokens are adjacent when nothing was removed between them (no stopword, no short token)
 * and what separates them is whitespace without a blank line, or one hyphen: "cell membrane",
 * "cell-\nmembrane" is not ("-\n"), "cell, membrane" and "cell of the membrane" are not. The title and
 * the text are separate runs (no phrase across them). A phrase needs both words of at most
 * PHRASE_WORD_MAX characters and different from each other ("cell cell" is not one).
 */
export const PHRASE_WORD_MAX = 40;
/** The tokenizer's split, keeping the separators (odd indices). */
const SPLIT_KEEP = new RegExp(`(${SPLIT.source})`, 'u');
/** Whitespace with at most one line break, or a single hyphen. */
const JOIN = /^(?:[^\S\r\n]*(?:\r\n|\r|\n)?[^\S\r\n]*|-)$/;

/** Tokens in text order (exactly `tokenize`'s) and, per token, whether it joins the previous one. */
export interface TokenRun {
  tokens: string[];
  /** joined[i] = 1 when tokens[i − 1] and tokens[i] are adjacent words of the text. */
  joined: number[];
  /** How many of the tokens end within the text's first `limit` characters (all of them without a limit). */
  within: number;
}

/** Whether a separator joins two words (one space or one hyphen, the common cases, at once). */
function joins(sep: string): boolean {
  return sep === ' ' || sep === '-' || JOIN.test(sep);
}

/**
 * `tokenize` with adjacency: the same tokens (split on non-letters/numbers, lowercase, ≥ minBytes, no
 * stopwords); `within` counts those that end within the first `limit` characters.
 */
export function tokenRun(text: string, stopwords: 'base' | 'extended', minBytes: number, limit = Infinity): TokenRun {
  const stop = stopwordSet(stopwords);
  const tokens: string[] = [];
  const joined: number[] = [];
  const parts = text.split(SPLIT_KEEP); // token, separator, token, …; a token may be empty at either end
  let prevKept = false; // the previous raw token was kept
  let end = 0; // where the current raw token ends in the text
  let within = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const raw = parts[i];
    end += raw.length + (i > 0 ? parts[i - 1].length : 0);
    if (raw.length === 0) continue;
    const tok = keptToken(raw, stop, minBytes);
    const keep = tok !== null;
    if (keep) {
      tokens.push(tok);
      joined.push(prevKept && joins(parts[i - 1]) ? 1 : 0);
      if (end <= limit) within++;
    }
    prevKept = keep;
  }
  return { tokens, joined, within };
}

/** A phrase of one document: its label, count and the position of its first word's first occurrence. */
export interface PhraseStat {
  term: string;
  tf: number;
  first: number;
}

/**
 * The phrases of a token sequence that occur at least `minCount` times (minCount ≥ 1), in
 * first-occurrence order. `joined` as in TokenRun (a run boundary has 0). `words`: each token's word number
 * (numbered in first-occurrence order) and each word's count, when the caller has counted the tokens
 * already. A pair is counted only if both its words occur `minCount` times (no other can be kept),
 * which skips most pairs of most documents.
 */
export function phraseStats(tokens: readonly string[], joined: ArrayLike<number>, minCount: number, words?: { ids: Int32Array; counts: readonly { tf: number }[] }): PhraseStat[] {
  // pairs counted by number (a pair's key is a·V + b over the document's distinct words), labels made
  // only for the pairs kept: a long document has many pairs and few repeated ones
  const { ids, counts } = words ?? numberWords(tokens);
  const V = counts.length;
  if (!counts.some((w) => w.tf >= minCount)) return [];
  const often = (id: number) => counts[id].tf >= minCount;
  const pairs = new Map<number, { tf: number; first: number }>(); // insertion order = first occurrence
  for (let i = 1; i < tokens.length; i++) {
    if (joined[i] !== 1 || ids[i - 1] === ids[i] || !often(ids[i - 1]) || !often(ids[i])) continue;
    const key = ids[i - 1] * V + ids[i];
    const p = pairs.get(key);
    if (p) p.tf++;
    else pairs.set(key, { tf: 1, first: i - 1 });
  }
  const out: PhraseStat[] = [];
  for (const p of pairs.values()) {
    if (p.tf < minCount) continue;
    const a = tokens[p.first];
    const b = tokens[p.first + 1];
    if (a.length > PHRASE_WORD_MAX || b.length > PHRASE_WORD_MAX) continue;
    out.push({ term: `${a} ${b}`, tf: p.tf, first: p.first });
  }
  return out;
}

/** Each token's word number (in first-occurrence order) and each word's count. */
function numberWords(tokens: readonly string[]): { ids: Int32Array; counts: { tf: number }[] } {
  const wordIds = new Map<string, number>();
  const ids = new Int32Array(tokens.length);
  const counts: { tf: number }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    let id = wordIds.get(tokens[i]);
    if (id === undefined) wordIds.set(tokens[i], (id = counts.push({ tf: 0 }) - 1));
    counts[id].tf++;
    ids[i] = id;
  }
  return { ids, counts };
}

/** Whether a concept label is a phrase (a token never contains a space). */
export function isPhrase(label: string): boolean {
  return label.includes(' ');
}

/** The adjacent word pairs of a query, in query order, distinct: the phrase concepts it may name. */
export function queryPhrases(text: string, stopwords: 'base' | 'extended', minBytes: number): string[] {
  const { tokens, joined } = tokenRun(text, stopwords, minBytes);
  return [...new Set(phraseStats(tokens, joined, 1).map((p) => p.term))];
}

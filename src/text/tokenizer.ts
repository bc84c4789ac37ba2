import { STOPWORDS } from './stopwords.js';

/**
 * The one tokenizer of phago: digestion, document frequencies and query scoring all use it.
 * Split on every character that is not a Unicode letter or number, lowercase (full Unicode),
 * keep tokens of at least MIN_TOKEN_BYTES UTF-8 bytes that are not stopwords. No stemming.
 */
export const MIN_TOKEN_BYTES = 3;
const SPLIT = /[^\p{L}\p{N}]+/u;
const ASCII = /^[\x00-\x7f]*$/;

function utf8Length(s: string): number {
  return ASCII.test(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

/** Tokens in text order, duplicates kept. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(SPLIT)) {
    if (raw.length === 0) continue;
    const tok = raw.toLowerCase();
    if (utf8Length(tok) < MIN_TOKEN_BYTES || STOPWORDS.has(tok)) continue;
    out.push(tok);
  }
  return out;
}

/** A term of one document: its count and the position of its first occurrence. */
export interface TermStat {
  term: string;
  tf: number;
  first: number;
}

/** Distinct terms of a text with counts, in first-occurrence order, and the token count. */
export function termStats(text: string): { terms: TermStat[]; length: number } {
  const tokens = tokenize(text);
  const byTerm = new Map<string, TermStat>();
  const terms: TermStat[] = [];
  tokens.forEach((term, i) => {
    const s = byTerm.get(term);
    if (s) s.tf += 1;
    else {
      const t = { term, tf: 1, first: i };
      byTerm.set(term, t);
      terms.push(t);
    }
  });
  return { terms, length: tokens.length };
}

/** Distinct query terms in query order. */
export function queryTerms(text: string): string[] {
  return [...new Set(tokenize(text))];
}

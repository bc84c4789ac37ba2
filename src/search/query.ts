import { invalid } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import { MIN_TOKEN_BYTES, queryTerms } from '../text/tokenizer.js';
import { queryPhrases } from '../text/phrases.js';

/**
 * Tokenize and bound a query; throws INVALID_ARGUMENT with the reason. Only upstream's short stopword
 * list is removed here, whatever the colony's list: a word the colony's list drops has no concept and
 * no posting, so it changes no ranking (coordination divides every document by the same count).
 */
export function parseQuery(text: unknown, limits: Limits): string[] {
  if (typeof text !== 'string') throw invalid('query must be a string');
  if (Buffer.byteLength(text, 'utf8') > limits.maxQueryBytes) throw invalid(`query is over the limit of ${limits.maxQueryBytes} bytes`);
  const terms = queryTerms(text, 'base');
  if (terms.length > limits.maxQueryTerms) throw invalid(`query has ${terms.length} terms, over the limit of ${limits.maxQueryTerms}`);
  return terms;
}

/**
 * The terms of a concept query: its words (`parseQuery`) followed by its adjacent word pairs, which
 * seed the phrase concepts they name ("cell membrane"; src/search/concepts.ts). Pairs follow the
 * document rule's adjacency (no punctuation or removed word between them); at most maxQueryTerms − 1.
 */
export function conceptQueryTerms(text: string, words: readonly string[]): string[] {
  const phrases = queryPhrases(text, 'base', MIN_TOKEN_BYTES);
  return phrases.length === 0 ? [...words] : words.concat(phrases.slice(0, Math.max(0, words.length - 1)));
}

export function checkK(k: unknown, limits: Limits): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw invalid(`k must be a positive integer, got ${String(k)}`);
  if (k > limits.maxResults) throw invalid(`k is ${k}, over the limit of ${limits.maxResults}`);
  return k;
}

export function checkAlpha(alpha: unknown): number {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0 || alpha > 1) throw invalid(`alpha must be a number in [0, 1], got ${String(alpha)}`);
  return alpha;
}

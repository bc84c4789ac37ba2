import { BASE_STOPWORDS, STOPWORDS } from './stopwords.js';

/** The shortest token kept, in UTF-8 bytes. */
export const MIN_TOKEN_BYTES = 3;
/** What separates tokens: every character that is not a Unicode letter or number. */
export const SPLIT = /[^\p{L}\p{N}]+/u;
const ASCII = /^[\x00-\x7f]*$/;

function utf8Length(s: string): number {
  return ASCII.test(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

export function stopwordSet(stopwords: 'base' | 'extended'): ReadonlySet<string> {
  return stopwords === 'base' ? BASE_STOPWORDS : STOPWORDS;
}

/**
 * The token rule, in one place for `tokenize` and the phrase runs (`tokenRun`): a raw piece of text
 * between separators becomes its full Unicode lower case, kept when it has at least `minBytes` UTF-8
 * bytes and is not a stopword; null when it is dropped.
 */
export function keptToken(raw: string, stop: ReadonlySet<string>, minBytes = MIN_TOKEN_BYTES): string | null {
  const tok = raw.toLowerCase();
  return utf8Length(tok) >= minBytes && !stop.has(tok) ? tok : null;
}

import { contentKey, documentIdOf, type DocumentId } from '../ids/ids.js';
import { invalid, PhagoError } from './errors.js';
import type { Limits } from './limits.js';

/** What a client sends to ingest a document. */
export interface DocumentInput {
  id?: string;
  title?: string;
  text: string;
}

export interface ValidDocument {
  id: DocumentId;
  key: string;
  title: string;
  text: string;
}

// ES2024 (Node 20 has both; the compile target's lib is older)
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const BLANK = /^\s*$/;

/**
 * Text as it is stored and hashed: every lone UTF-16 surrogate becomes U+FFFD. One process and a
 * cluster must agree, and the wire (UTF-8) cannot carry a lone surrogate at all.
 */
export function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** Check a document against the limits and derive its id; throws INVALID_ARGUMENT naming the problem. */
export function validateDocument(input: DocumentInput, limits: Limits, where = 'document'): ValidDocument {
  if (input === null || typeof input !== 'object') throw invalid(`${where}: expected an object with "text"`);
  const { id: rawId, title: rawTitle = '', text: rawText } = input;
  if (typeof rawText !== 'string') throw invalid(`${where}: "text" must be a string`);
  if (typeof rawTitle !== 'string') throw invalid(`${where}: "title" must be a string`);
  if (rawId !== undefined && rawId !== null && typeof rawId !== 'string') throw invalid(`${where}: "id" must be a string`);
  // normalized before anything is derived from them (ids, keys, limits)
  const text = wellFormed(rawText);
  const title = wellFormed(rawTitle);
  const id = typeof rawId === 'string' ? wellFormed(rawId) : rawId;
  // \s is what trim() removes; the test stops at the first other character (no copy of the text)
  if (BLANK.test(text)) throw invalid(`${where}: empty document (no text)`);
  if (bytes(text) > limits.maxDocumentBytes) throw invalid(`${where}: text is ${bytes(text)} bytes, over the limit of ${limits.maxDocumentBytes}`);
  if (bytes(title) > limits.maxTitleBytes) throw invalid(`${where}: title is over the limit of ${limits.maxTitleBytes} bytes`);
  if (typeof id === 'string') {
    if (id.length === 0) throw invalid(`${where}: "id" is empty`);
    if (bytes(id) > limits.maxIdBytes) throw invalid(`${where}: id is over the limit of ${limits.maxIdBytes} bytes`);
    return { id: documentIdOf(id), key: id, title, text };
  }
  const key = contentKey(title, text);
  const docId = documentIdOf(key);
  return { id: docId, key: docId, title, text };
}

/**
 * Check a whole ingest request before anything is stored, the same way in one process and on a
 * cluster: every document must be valid; the same id twice with the same content is one document (the
 * repeat is a no-op), with different content the request is refused (ALREADY_EXISTS); `stored`, when
 * given, returns the document already stored under an id, whose content must be the same too.
 */
export function validateBatch(docs: readonly DocumentInput[], limits: Limits, stored?: (id: DocumentId) => { title: string; text: string; key: string } | undefined): ValidDocument[] {
  const seen = new Map<DocumentId, { v: ValidDocument; index: number }>();
  return docs.map((d, index) => {
    const v = validateDocument(d, limits, `document ${index}`);
    const first = seen.get(v.id);
    if (first) {
      if (first.v.text !== v.text || first.v.title !== v.title)
        throw new PhagoError('ALREADY_EXISTS', `document ${index} (${v.key}) has the id of document ${first.index} with different content; ids are never re-used, nothing was stored`);
      return v;
    }
    seen.set(v.id, { v, index });
    const have = stored?.(v.id);
    if (have && (have.text !== v.text || have.title !== v.title))
      throw new PhagoError('ALREADY_EXISTS', `document ${have.key} already exists with different content; ids are never re-used, nothing of this request was stored`);
    return v;
  });
}

/** Most ids one forget request may name. */
export const MAX_FORGET_IDS = 10_000;

/**
 * The ids of a forget request as DocumentIds (a client's key maps to its id the way ingest derived
 * it; a UUID is itself), checked the same way in one process and on a cluster.
 */
export function forgetIds(ids: readonly unknown[], limits: Limits): DocumentId[] {
  if (!Array.isArray(ids) || ids.length === 0) throw invalid('forget: name at least one document id');
  if (ids.length > MAX_FORGET_IDS) throw invalid(`forget: ${ids.length} ids, over the limit of ${MAX_FORGET_IDS}`);
  return ids.map((raw, i) => {
    if (typeof raw !== 'string' || raw.length === 0) throw invalid(`forget: id ${i} must be a non-empty string`);
    const id = wellFormed(raw);
    if (bytes(id) > limits.maxIdBytes) throw invalid(`forget: id ${i} is over the limit of ${limits.maxIdBytes} bytes`);
    return documentIdOf(id);
  });
}

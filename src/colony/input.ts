import { contentKey, documentIdOf, type DocumentId } from '../ids/ids.js';
import { invalid } from './errors.js';
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
  if (text.trim().length === 0) throw invalid(`${where}: empty document (no text)`);
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

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

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Check a document against the limits and derive its id; throws INVALID_ARGUMENT naming the problem. */
export function validateDocument(input: DocumentInput, limits: Limits, where = 'document'): ValidDocument {
  if (input === null || typeof input !== 'object') throw invalid(`${where}: expected an object with "text"`);
  const { id, title = '', text } = input;
  if (typeof text !== 'string') throw invalid(`${where}: "text" must be a string`);
  if (typeof title !== 'string') throw invalid(`${where}: "title" must be a string`);
  if (id !== undefined && id !== null && typeof id !== 'string') throw invalid(`${where}: "id" must be a string`);
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

import type { TextIndex } from '../core/documents.js';
import { SimpleIndex } from './simple-index.js';

/** The inverted index every holder of documents uses (one process and shards alike). */
export function newTextIndex(): TextIndex {
  return new SimpleIndex();
}

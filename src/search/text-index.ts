import type { TextIndex } from '../core/ranking.js';
import { InvertedIndex } from './inverted-index.js';

/** The inverted index every holder of documents uses (one process and shards alike). */
export function newTextIndex(): TextIndex {
  return new InvertedIndex();
}

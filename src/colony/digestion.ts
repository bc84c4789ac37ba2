import { nodeIdOf } from '../ids/ids.js';
import type { TermStat } from '../text/tokenizer.js';
import type { EdgeIncrement, NodeUpsert } from './graph.js';

/**
 * Act, for one document: its keywords become concept upserts (every distinct keyword is a
 * concept), and its most salient `wiringLimit` keywords are wired pairwise (0 = all).
 * Salience: term frequency in the document, descending; ties by first occurrence. Both depend on
 * the document alone, so the deltas are the same wherever the document lives.
 */
export function salientTerms(terms: readonly TermStat[], limit: number): TermStat[] {
  const ranked = [...terms].sort((x, y) => y.tf - x.tf || x.first - y.first);
  return limit > 0 ? ranked.slice(0, limit) : ranked;
}

export interface DocDeltas {
  upserts: NodeUpsert[];
  increments: EdgeIncrement[];
}

export function digestDocument(terms: readonly TermStat[], wiringLimit: number): DocDeltas {
  const upserts = terms.map((t) => ({ id: nodeIdOf(t.term), label: t.term, count: 1 }));
  const wired = salientTerms(terms, wiringLimit).map((t) => nodeIdOf(t.term));
  const increments: EdgeIncrement[] = [];
  for (let i = 0; i < wired.length; i++) {
    for (let j = i + 1; j < wired.length; j++) {
      const [a, b] = wired[i] < wired[j] ? [wired[i], wired[j]] : [wired[j], wired[i]];
      increments.push({ a, b, count: 1 });
    }
  }
  return { upserts, increments };
}

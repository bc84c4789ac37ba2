import type { Engine } from '../engine/engine.js';
import type { Qrels, Query } from '../io/files.js';
import { meanMetrics, scoreQuery, type Metrics } from './metrics.js';

export type EvalTarget = 'documents' | 'concepts';

export interface EvalResult extends Metrics {
  queries: number;
  graphHash: string;
  target: EvalTarget;
  ticks: number;
  perQuery: { qid: string; ranked: string[]; metrics: Metrics }[];
}

/**
 * Run every query against an engine that already holds the documents and score it with the qrels.
 * Documents are identified by the client's id (the docid of the qrels); concepts by their label.
 * Queries without any judgment are skipped (standard trec_eval behaviour); they are counted out.
 */
export async function evaluate(engine: Engine, queries: Query[], qrels: Qrels, target: EvalTarget, alpha?: number): Promise<EvalResult> {
  const perQuery: EvalResult['perQuery'] = [];
  for (const q of queries) {
    const rels = qrels.get(q.qid);
    if (!rels) continue;
    const ranked =
      target === 'documents'
        ? (await engine.searchDocuments(q.text, 100)).hits.map((h) => h.key)
        : (await engine.searchConcepts(q.text, 100, alpha)).hits.map((h) => h.label);
    perQuery.push({ qid: q.qid, ranked, metrics: scoreQuery(ranked, rels) });
  }
  const stats = await engine.stats();
  return {
    ...meanMetrics(perQuery.map((p) => p.metrics)),
    queries: perQuery.length,
    graphHash: await engine.graphHash(),
    target,
    ticks: stats.tick,
    perQuery,
  };
}

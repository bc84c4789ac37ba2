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
  /** Query latency percentiles over the evaluated queries, in ms. */
  queryP50Ms: number;
  queryP99Ms: number;
}

/** The p-th percentile (nearest rank) of a list of numbers. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * Run every query against an engine that already holds the documents and score it with the qrels.
 * Documents are identified by the client's id (the docid of the qrels); concepts by their label.
 * Queries without any judgment are skipped (standard trec_eval behaviour); they are counted out.
 */
export async function evaluate(engine: Engine, queries: Query[], qrels: Qrels, target: EvalTarget, alpha?: number): Promise<EvalResult> {
  const perQuery: EvalResult['perQuery'] = [];
  const times: number[] = [];
  for (const q of queries) {
    const rels = qrels.get(q.qid);
    if (!rels) continue;
    const t0 = performance.now();
    const ranked =
      target === 'documents'
        ? (await engine.searchDocuments(q.text, 100)).hits.map((h) => h.key)
        : (await engine.searchConcepts(q.text, 100, alpha)).hits.map((h) => h.label);
    times.push(performance.now() - t0);
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
    queryP50Ms: percentile(times, 50),
    queryP99Ms: percentile(times, 99),
  };
}

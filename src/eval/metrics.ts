/**
 * Standard retrieval metrics. `ranked` is the system's list of ids, best first; `rels` maps an id
 * to its graded relevance (> 0 relevant). P@k divides by k. NDCG uses graded gains
 * (2^rel − 1)/log2(i + 2) and the ideal ordering of all judged-relevant items.
 */
export function precisionAt(ranked: readonly string[], rels: ReadonlyMap<string, number>, k: number): number {
  let hit = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((rels.get(ranked[i]) ?? 0) > 0) hit++;
  return hit / k;
}

export function recallAt(ranked: readonly string[], rels: ReadonlyMap<string, number>, k: number): number {
  const total = [...rels.values()].filter((r) => r > 0).length;
  if (total === 0) return 0;
  let hit = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((rels.get(ranked[i]) ?? 0) > 0) hit++;
  return hit / total;
}

export function reciprocalRankAt(ranked: readonly string[], rels: ReadonlyMap<string, number>, k: number): number {
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((rels.get(ranked[i]) ?? 0) > 0) return 1 / (i + 1);
  return 0;
}

export function ndcgAt(ranked: readonly string[], rels: ReadonlyMap<string, number>, k: number): number {
  const gain = (r: number) => (r > 0 ? 2 ** r - 1 : 0);
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) dcg += gain(rels.get(ranked[i]) ?? 0) / Math.log2(i + 2);
  const ideal = [...rels.values()].filter((r) => r > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += gain(ideal[i]) / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

export const METRIC_NAMES = ['P@5', 'P@10', 'MRR@10', 'NDCG@10', 'R@10', 'R@100'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type Metrics = Record<MetricName, number>;

export function scoreQuery(ranked: readonly string[], rels: ReadonlyMap<string, number>): Metrics {
  return {
    'P@5': precisionAt(ranked, rels, 5),
    'P@10': precisionAt(ranked, rels, 10),
    'MRR@10': reciprocalRankAt(ranked, rels, 10),
    'NDCG@10': ndcgAt(ranked, rels, 10),
    'R@10': recallAt(ranked, rels, 10),
    'R@100': recallAt(ranked, rels, 100),
  };
}

/** Macro average over queries. */
export function meanMetrics(list: readonly Metrics[]): Metrics {
  const out = Object.fromEntries(METRIC_NAMES.map((m) => [m, 0])) as Metrics;
  if (list.length === 0) return out;
  for (const m of list) for (const k of METRIC_NAMES) out[k] += m[k];
  for (const k of METRIC_NAMES) out[k] /= list.length;
  return out;
}

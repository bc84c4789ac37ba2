import type { Candidate } from '../src/core/documents.js';

/**
 * The digestion plan written plainly, as tests check it: the first `perTick` candidates in
 * (ingestTick, DocumentId) order. Each holder offers its own first `perTick` eligible documents; the
 * union's first `perTick` are the same whatever the partitioning, so digestion never depends on the
 * number of shards. Production takes them from `DocumentTable.candidates` (one process) or merges the
 * shards' offers (`planCounts`, src/protocol/candidates.ts).
 */
export function planDigestion(candidates: Iterable<Candidate>, perTick: number): Candidate[] {
  const all = [...candidates];
  all.sort((x, y) => x.ingestTick - y.ingestTick || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return all.slice(0, perTick);
}

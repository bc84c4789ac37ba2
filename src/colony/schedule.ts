import { hash32, type DocumentId } from '../ids/ids.js';

/**
 * The digestion schedule. Upstream digesters wander a 2-D substrate and pick nearby documents in
 * hash-map order; phago keeps the agents ("digesters", one per lane) and their 4-tick cycle
 * (engulf → digest → present → deposit) but makes the choice deterministic and independent of how
 * documents are spread over shards:
 *   - a document's lane is hash32(seed, DocumentId) mod digesters;
 *   - at tick t, every lane whose digester is free (busyUntil <= t) engulfs its first pending
 *     document in (ingestTick, DocumentId) order among those ingested before t, presents its
 *     concepts in the same tick, and is busy until t + cycle.
 * The tick at which a document is digested is thus a function of the documents, their ingestion
 * ticks and the config only.
 */
export function laneOf(seed: number, digesters: number, id: DocumentId): number {
  return hash32(seed, id) % digesters;
}

/** A lane's candidate: the first eligible pending document one holder (colony or shard) has. */
export interface LaneCandidate {
  lane: number;
  ingestTick: number;
  id: DocumentId;
}

export interface DigestPlan {
  tick: number;
  /** Chosen documents, sorted by lane. */
  chosen: LaneCandidate[];
}

/**
 * Sense: pick the documents digested at `tick`. `busyUntil[lane]` is the first tick the lane's
 * digester is free; `candidates` may hold several per lane (one per shard): the smallest wins.
 * Returns the plan and the lanes' new busyUntil (the input is not modified).
 */
export function planDigestion(
  tick: number,
  busyUntil: readonly number[],
  candidates: Iterable<LaneCandidate>,
  cycle: number,
): { plan: DigestPlan; busyUntil: number[] } {
  const best = new Map<number, LaneCandidate>();
  for (const c of candidates) {
    if (c.ingestTick >= tick) continue;
    if ((busyUntil[c.lane] ?? 0) > tick) continue;
    const cur = best.get(c.lane);
    if (!cur || c.ingestTick < cur.ingestTick || (c.ingestTick === cur.ingestTick && c.id < cur.id)) best.set(c.lane, c);
  }
  const next = [...busyUntil];
  const chosen = [...best.values()].sort((x, y) => x.lane - y.lane);
  for (const c of chosen) next[c.lane] = tick + cycle;
  return { plan: { tick, chosen }, busyUntil: next };
}

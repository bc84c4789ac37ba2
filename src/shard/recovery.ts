import { storedConfig } from '../core/config.js';
import type { ValidDocument } from '../core/input.js';
import type { NodeRow } from '../core/graph.js';
import type { Partition } from '../core/partition.js';
import type { LoadedShard, LoggedTick, StoredEdge } from '../storage/shard-storage.js';
import { replayLogged } from './participant.js';
import type { ShardNode } from './shard.js';

/** The graph rows a checkpoint writes: owned concepts, and every edge held (with labels). */
export function checkpointRows(part: Partition): { nodes: NodeRow[]; edges: StoredEdge[] } {
  const g = part.graph;
  const nodes: NodeRow[] = [];
  for (const n of g.nodeNumbers()) nodes.push(g.node(n)!);
  const edges: StoredEdge[] = [];
  for (const e of g.edgeNumbers()) {
    const [la, lb] = g.edgeLabels(e);
    edges.push({ ...g.edgeRow(e), la, lb });
  }
  return { nodes, edges };
}

/**
 * Rebuild a shard's partition from what it loaded: documents, the graph checkpoint, then replay of every
 * committed tick after it. Returns where it stands and the tick left prepared, if any. Pure (no I/O).
 */
export function restorePartition(part: Partition, st: LoadedShard): { committedTick: number; checkpointTick: number; replayed: number; prepared: { tick: number; body: LoggedTick } | null } {
  for (const d of st.docs) {
    const v: ValidDocument = { id: d.id, key: d.key, title: d.title, text: d.text };
    part.docs.add(v, d.ingestTick, d.digestedTick);
  }
  for (const n of st.nodes) part.graph.installNode(n);
  for (const e of st.edges) part.graph.installEdge(e.la, e.lb, e, st.checkpointTick);
  const committedTick = Number(st.meta.get('committed_tick') ?? 0);
  let replayed = 0;
  const logged = new Map(st.log.map((l) => [l.tick, l]));
  for (let t = st.checkpointTick + 1; t <= committedTick; t++) {
    const entry = logged.get(t);
    replayLogged(part, t, entry?.body ?? { presentations: [], drops: '', digested: [] });
    replayed++;
  }
  // forgotten documents' withdrawals no committed tick sent (after the replay: a committed tick's
  // rows are gone already; a prepared tick's leave the outbox if it turns out committed)
  part.restoreWithdrawals(st.withdrawals);
  const next = logged.get(committedTick + 1);
  const prepared = next?.status === 'prepared' ? { tick: next.tick, body: next.body } : null;
  return { committedTick, checkpointTick: st.checkpointTick, replayed, prepared };
}

/**
 * Load a shard's durable state: documents, the graph checkpoint, then replay of every committed tick
 * after it (the rules are deterministic); a tick left prepared is resolved with the coordinator later.
 */
export function recoverShard(s: ShardNode): void {
  const t0 = performance.now();
  const st = s.storage.load();
  const cfg = st.meta.get('config');
  s.id = Number(st.meta.get('shard_id') ?? 0);
  s.setMembership(Number(st.meta.get('epoch') ?? 0), JSON.parse(st.meta.get('members') ?? '[]') as { id: number; address: string }[]);
  s.resetPartition(cfg ? storedConfig(cfg) : s.config);
  s.dfBatch = Number(st.meta.get('df_batch') ?? 0);
  s.dfDirty = st.docs.some((d) => d.unreportedBatch !== null) || s.storage.unreportedForgets().length > 0;
  const r = restorePartition(s.part, st);
  s.checkpointTick = r.checkpointTick;
  s.committedTick = r.committedTick;
  const replayed = r.replayed;
  if (r.prepared) s.pendingPrepared = r.prepared;
  if (replayed > (s.opts.checkpointEvery ?? 50)) s.checkpoint();
  s.recoveryMs = performance.now() - t0;
  s.log(`recovered ${s.part.docs.size} documents, ${s.part.graph.nodeCount} concepts, ${s.part.graph.edgeCount} edges at tick ${s.committedTick} (${replayed} ticks replayed) in ${s.recoveryMs.toFixed(0)} ms`);
}

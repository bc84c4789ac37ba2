import { makeConfig, type ColonyConfig } from '../core/config.js';
import type { ValidDocument } from '../core/input.js';
import type { NodeRow } from '../core/graph.js';
import type { Partition } from '../core/partition.js';
import { Placement } from '../cluster/placement.js';
import type { StoredEdge } from '../storage/shard-storage.js';
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
 * Load a shard's durable state: documents, the graph checkpoint, then replay of every committed tick
 * after it (the rules are deterministic); a tick left prepared is resolved with the coordinator later.
 */
export function recoverShard(s: ShardNode): void {
  const t0 = performance.now();
  const st = s.storage.load();
  const cfg = st.meta.get('config');
  s.id = Number(st.meta.get('shard_id') ?? 0);
  s.epoch = Number(st.meta.get('epoch') ?? 0);
  const members = JSON.parse(st.meta.get('members') ?? '[]') as { id: number; address: string }[];
  s.addresses = new Map(members.map((m) => [m.id, m.address]));
  s.placement = new Placement(members.map((m) => m.id));
  s.resetPartition(cfg ? makeConfig(JSON.parse(cfg) as Partial<ColonyConfig>) : s.config);
  s.dfBatch = Number(st.meta.get('df_batch') ?? 0);
  s.dfDirty = st.docs.some((d) => d.unreportedBatch !== null) || s.storage.unreportedForgets().length > 0;
  for (const d of st.docs) {
    const v: ValidDocument = { id: d.id, key: d.key, title: d.title, text: d.text };
    s.part.docs.add(v, d.ingestTick, d.digestedTick);
  }
  for (const n of st.nodes) s.part.graph.installNode(n);
  s.checkpointTick = st.checkpointTick;
  for (const e of st.edges) s.part.graph.installEdge(e.la, e.lb, e, st.checkpointTick);
  s.committedTick = Number(st.meta.get('committed_tick') ?? 0);
  let replayed = 0;
  const logged = new Map(st.log.map((l) => [l.tick, l]));
  for (let t = s.checkpointTick + 1; t <= s.committedTick; t++) {
    const entry = logged.get(t);
    replayLogged(s.part, t, entry?.body ?? { presentations: [], drops: '', digested: [] });
    replayed++;
  }
  // forgotten documents' withdrawals no committed tick sent (after the replay: a committed tick's
  // rows are gone already; a prepared tick's leave the outbox if it turns out committed)
  s.part.restoreWithdrawals(st.withdrawals);
  const next = logged.get(s.committedTick + 1);
  const open = next?.status === 'prepared' ? next : undefined;
  if (open) s.pendingPrepared = { tick: open.tick, body: open.body };
  if (replayed > (s.opts.checkpointEvery ?? 50)) s.checkpoint();
  s.recoveryMs = performance.now() - t0;
  s.log(`recovered ${s.part.docs.size} documents, ${s.part.graph.nodeCount} concepts, ${s.part.graph.edgeCount} edges at tick ${s.committedTick} (${replayed} ticks replayed) in ${s.recoveryMs.toFixed(0)} ms`);
}

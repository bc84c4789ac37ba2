// Removing a dead member without its cooperation (issue 8, part 3, for one copy of each key, r = 1):
// the operator asks `remove_shard`; the coordinator first says what is lost and removes only with
// confirm_loss. After the removal the member's keys are placed on the survivors (rendezvous hashing
// moves only the removed member's keys), empty: its documents and concepts are gone; ticks go on.
import type { ShardId } from '../cluster/placement.js';
import type { ShardRecord } from '../cluster/registry.js';
import { describeError } from '../rpc/client.js';
import { MAX_TERMS_PER_CALL } from '../rpc/schemas.js';
import { rpcError } from '../rpc/server.js';
import type { Coordinator } from './coordinator.js';
import { persistMembership, pushMembership } from './membership.js';
import { failover, persistReplicas } from './replicas.js';
import { repairReplicas } from './rereplicate.js';
import { clock } from '../util/clock.js';

/** Promote an in-sync follower of shard `id` if its primary does not answer; true when one was. */
async function failover_(c: Coordinator, id: ShardId): Promise<boolean> {
  return (await failover(c)).includes(id);
}

export interface LossReport {
  id: ShardId;
  removed: boolean;
  epoch: number;
  documents: number;
  pending: number;
  concepts: number;
  edges: number;
  last_report_ms: number;
  detail: string;
}

/**
 * What removing a member loses, from the coordinator's records: the counts of its last report (the
 * coordinator routes documents but keeps no list of their ids, so it cannot name them).
 */
export function lossReport(rec: ShardRecord, epoch: number, removed: boolean): LossReport {
  const c = rec.counts;
  const when = rec.lastHeartbeatMs > 0 ? new Date(rec.lastHeartbeatMs).toISOString() : 'never';
  const detail =
    `${removed ? 'removed' : 'removing'} shard ${rec.id} (${rec.address}, identity ${rec.identity}) ${removed ? 'lost' : 'loses'} what only it held (one copy of each key): ` +
    `${c.documents} document(s) (${c.pending} not digested yet), ${c.nodes} concept(s), ${c.edges} edge(s), per its last report at ${when}; ` +
    'the coordinator keeps no document ids, so it cannot list them; documents ingested after that report are lost too';
  return { id: rec.id, removed, epoch, documents: c.documents, pending: c.pending, concepts: c.nodes, edges: c.edges, last_report_ms: rec.lastHeartbeatMs, detail };
}

/**
 * remove_shard: with copies left (replicated shards) a dead member goes and nothing is lost (a dead
 * primary is replaced by an in-sync follower first); otherwise refuse without confirm_loss (the report
 * says what would be lost), else remove.
 */
export function removeShard(c: Coordinator, id: ShardId, confirmLoss: boolean, identity = ''): Promise<LossReport> {
  return c.membershipLock.run(async () => {
    const rec = c.registry.get(id);
    if (!rec) throw rpcError.notFound(`unknown shard ${id}`);
    if (c.machine.inProgress) throw rpcError.precondition(`tick ${c.machine.tick} is in progress (it aborts once the dead shard misses its phase timeout); remove shard ${id} when it ends`);
    const set = c.replicaSets.get(id);
    if (identity !== '' || (set && set.followers.some((f) => f.inSync))) {
      const report = await removeReplica(c, rec, identity);
      // once the locks are free: a surplus follower moves at once; a fold waits for --rereplicate-after
      setImmediate(() => void repairReplicas(c));
      return report;
    }
    if (c.registry.size === 1) throw rpcError.precondition(`shard ${id} is the last shard; nothing would remain`);
    const alive = await c
      .client(id)
      .call('health_check', {}, 2000)
      .then(
        () => true,
        () => false,
      );
    if (alive) throw rpcError.precondition(`shard ${id} answers: unregister it instead (its data moves to the others), or stop it first`);
    if (!confirmLoss) throw rpcError.precondition(`${lossReport(rec, c.registry.epoch, false).detail}; pass confirm_loss (phago shard remove ${id} --confirm-loss) to remove it`);
    return c.writeState(async () => {
      c.registry.remove(id);
      c.dropClient(id);
      persistMembership(c);
      const report = lossReport(rec, c.registry.epoch, true);
      c.log(report.detail);
      // the survivors take the new placement; one that misses it is told again before the next tick retries
      await pushMembership(c).catch((e) => c.log(`after removing shard ${id}: ${describeError(e)}`));
      await recountStats(c, rec);
      return report;
    });
  });
}

/**
 * Remove one member of a replicated shard (docs/replication.md): a dead follower leaves its set; a dead
 * primary is first replaced by an in-sync follower (promotion), then leaves. Nothing is lost while a
 * copy remains; a shard process that registers later becomes a follower of the set short of copies.
 */
async function removeReplica(c: Coordinator, rec: ShardRecord, identity: string): Promise<LossReport> {
  const id = rec.id;
  const set = c.replicaSets.get(id);
  const primary = set?.primary ?? rec.identity;
  const who = identity || primary;
  const follower = set?.followers.find((f) => f.identity === who);
  if (who !== primary && !follower) throw rpcError.notFound(`${who.slice(0, 100)} is not a member of shard ${id}`);
  const address = follower ? follower.address : rec.address;
  const probe = c.clientAt(address);
  const alive = await probe.call('health_check', {}, 2000).then(
    () => true,
    () => false,
  );
  probe.close();
  if (alive) throw rpcError.precondition(`${who.slice(0, 100)} (${address}) answers: stop it first (or unregister the shard to move its data)`);
  return c.writeState(async () => {
    if (who === primary) {
      const changed = await failover_(c, id);
      if (!changed) throw rpcError.precondition(`the primary of shard ${id} is dead and no follower is in sync: remove it with confirm_loss (phago shard remove ${id} --confirm-loss)`);
    }
    c.replicaSets.removeFollower(id, who);
    c.replicaSets.markDegraded(id, clock.nowMs());
    persistReplicas(c);
    const left = c.replicaSets.get(id)!;
    const copies = 1 + left.followers.filter((f) => f.inSync).length;
    const restore =
      c.replicaSets.copies(id) >= c.replicaSets.replicas
        ? ''
        : `; a shard process that registers becomes its follower; otherwise the survivors restore ${c.replicaSets.replicas} copies in ${Math.round(c.rereplicateAfterMs / 1000)} s (a surplus follower moves to it, or its keys move to the other shards and its processes follow them)`;
    const detail = `removed ${who === primary ? 'the dead primary' : 'the dead follower'} ${who.slice(0, 100)} (${address}) of shard ${id}; nothing is lost: shard ${id} has ${copies} copy(ies) in sync (primary ${c.registry.get(id)!.address})${restore}`;
    c.log(detail);
    const k = rec.counts;
    return { id, removed: true, epoch: c.registry.epoch, documents: 0, pending: 0, concepts: 0, edges: 0, last_report_ms: rec.lastHeartbeatMs, detail: `${detail} (it held ${k.documents} document(s), ${k.nodes} concept(s))` };
  });
}

/**
 * The global statistics without what the removed member held: df exactly (the survivors' document
 * frequency of every term the coordinator knows), documents and digested from its last report, and
 * the total length scaled by the documents kept (the coordinator never knew per-shard lengths).
 */
async function recountStats(c: Coordinator, rec: ShardRecord): Promise<void> {
  const terms = [...c.stats.terms()];
  const now = new Map<string, number>();
  try {
    for (let i = 0; i < terms.length; i += MAX_TERMS_PER_CALL) {
      const part = terms.slice(i, i + MAX_TERMS_PER_CALL);
      const replies = await Promise.all(c.registry.ids().map((s) => c.client(s).call<{ df: Record<string, number> }>('get_term_frequencies', { terms: part }, 60_000)));
      for (const r of replies) for (const [t, n] of Object.entries(r.df)) now.set(t, (now.get(t) ?? 0) + n);
    }
  } catch (e) {
    c.log(`df after removing shard ${rec.id}: the survivors did not all answer (${describeError(e)}); df keeps the removed shard's documents`);
    return;
  }
  const delta = new Map<string, number>();
  for (const t of terms) {
    const d = (now.get(t) ?? 0) - c.stats.get(t);
    if (d !== 0) delta.set(t, d);
  }
  const lost = Math.min(rec.counts.documents, c.stats.documents);
  const kept = c.stats.documents - lost;
  const length = c.stats.documents > 0 ? Math.round((c.stats.totalLength * kept) / c.stats.documents) : 0;
  c.store.addDf(delta, -lost, length - c.stats.totalLength);
  c.stats.apply(delta, -lost, length - c.stats.totalLength);
  c.digested = Math.max(0, c.digested - Math.min(rec.counts.digested, c.digested));
  c.store.setMeta({ digested: c.digested });
}

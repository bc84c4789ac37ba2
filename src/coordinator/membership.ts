// Membership: a shard joining (register) or leaving (unregister), one change at a time under the
// membership lock and between ticks under the state lock; the data move (rebalance: copy, decide,
// flip), the durable record of the membership and pushing it to every shard.
import { abortTargets, copyRecord, decideChange, failChange, planChange, type ChangePlan } from '../cluster/membership-change.js';
import type { ShardId } from '../cluster/placement.js';
import { describeError } from '../rpc/client.js';
import { rpcError } from '../rpc/server.js';
import { clock } from '../util/clock.js';
import type { Coordinator } from './coordinator.js';
import { persistReplicas, primaryReturned, registerFollower, registerPromotedPrimary, syncFollower, type RegisterReply } from './replicas.js';
import { membersOf, persistMembership, pushMembership } from './membership-push.js';

/**
 * A shard registers (or returns with its identity): a new one joins the membership and the data it
 * now owns moves to it first. Answers its id and the last df batch applied for its identity.
 */
export function register(c: Coordinator, address: string, identity: string): Promise<RegisterReply> {
  return c.membershipLock.run(async () => {
    if (c.machine.inProgress) throw rpcError.precondition(`tick ${c.machine.tick} is in progress; register again when it ends`);
    // reachable before anything changes: register never answers an error once the shard is in
    await probe(c, address);
    return c.writeState(async () => {
      // replication (docs/replication.md): a promoted primary returning, or a follower
      const promoted = registerPromotedPrimary(c, address, identity);
      if (promoted) {
        await pushMembership(c).catch((e) => c.log(`after shard ${promoted.id} returned: ${describeError(e)}`));
        return promoted;
      }
      const follower = registerFollower(c, address, identity);
      if (follower) return follower;
      const prev = c.registry.ids();
      // step 0 of a change (cluster/membership-change.ts): every member at the decided membership first
      if (prev.length > 0 && !c.registry.list().some((s) => s.identity === identity)) await pushMembership(c);
      const r = c.registry.register(address, identity, clock.nowMs());
      // (also when the coordinator counts no documents: a shard may hold some whose df report it
      // has not received yet, and they must move, not be dropped)
      if (!r.returning && prev.length > 0) {
        const plan = planChange(c.registry, prev, r.id, `shard ${r.id} joined`);
        try {
          await rebalance(c, plan);
        } catch (e) {
          failChange(c.registry, plan); // the epoch moves on: a failed attempt's epoch is never reused
          c.store.setMeta({ migration: '' });
          persistMembership(c);
          await pushMembership(c).catch(() => undefined);
          throw e;
        }
      }
      persistMembership(c);
      if (r.returning) primaryReturned(c, r.id);
      c.log(`shard ${r.id} ${r.returning ? 'returned' : 'registered'} at ${address} (epoch ${c.registry.epoch})`);
      // decided: a shard the push misses is told again (the next tick's retry, or its next register)
      await pushMembership(c).catch((e) => c.log(`after shard ${r.id} joined: ${describeError(e)}`));
      c.store.setMeta({ migration: '' });
      // the shard numbers its next df batches after the last one applied for its identity (a shard
      // restarted without a data directory must not reuse numbers and have its reports ignored)
      return { id: r.id, df_batch: c.lastDfBatch(identity), role: 'primary', primary: '' };
    });
  });
}

/** A joining shard must answer at its address (health_check; serving or not) before it is added. */
async function probe(c: Coordinator, address: string): Promise<void> {
  const client = c.clientAt(address);
  try {
    await client.call('health_check', {}, 3000);
  } catch (e) {
    throw rpcError.unavailable(`shard address ${address.slice(0, 200)} does not answer (${describeError(e).slice(0, 200)}); nothing changed`);
  } finally {
    client.close();
  }
}

/** A shard leaves: its data moves to the others first; then it drops everything. */
export function unregister(c: Coordinator, id: ShardId): Promise<object> {
  return c.membershipLock.run(async () => {
    const rec = c.registry.get(id);
    if (!rec) throw rpcError.notFound(`unknown shard ${id}`);
    if (c.machine.inProgress) throw rpcError.precondition(`tick ${c.machine.tick} is in progress; unregister when it ends`);
    if (c.registry.size === 1 && c.stats.documents > 0) throw rpcError.precondition(`shard ${id} is the last shard and holds the cluster's data; add another shard first`);
    return c.writeState(async () => {
      const freed = await removeGroup(c, id);
      // its followers are processes without a shard now: they follow the groups with the fewest copies
      reassign(c, freed.slice(1));
      return {};
    });
  });
}

/**
 * Take group `id` out of the membership (under both locks): its keys move to the others first, then
 * the leaving primary takes the final membership (it owns nothing and drops everything). Answers the
 * group's processes (its primary first), which the caller places.
 */
export async function removeGroup(c: Coordinator, id: ShardId): Promise<{ identity: string; address: string }[]> {
  const rec = c.registry.get(id)!;
  const prev = c.registry.ids();
  const leaving = rec.address;
  const set = c.replicaSets.get(id);
  const members = [{ identity: set?.primary ?? rec.identity, address: leaving }, ...(set?.followers ?? []).map((f) => ({ identity: f.identity, address: f.address }))];
  // step 0 of a change (cluster/membership-change.ts): every member at the decided membership first
  if (prev.length > 1) await pushMembership(c);
  rec.draining = true;
  const plan = planChange(c.registry, prev, -id, `shard ${id} left`);
  try {
    if (prev.length > 1) await rebalance(c, plan);
  } catch (e) {
    failChange(c.registry, plan); // the failed attempt's epoch is spent
    persistMembership(c);
    await pushMembership(c).catch(() => undefined);
    throw e;
  } finally {
    rec.draining = false;
  }
  decideChange(c.registry, plan);
  persistMembership(c);
  if (set) {
    c.replicaSets.delete(id);
    persistReplicas(c);
  }
  const last = c.clientAt(leaving);
  await last
    .call('update_membership', { epoch: c.registry.epoch, members: membersOf(c), you: id, config_json: JSON.stringify(c.config), tick: c.machine.current }, 10_000)
    .catch((e) => c.log(`shard ${id} did not take the final membership: ${describeError(e)}`))
    .finally(() => last.close());
  c.dropClient(id);
  if (c.registry.size > 0) await pushMembership(c);
  c.store.setMeta({ migration: '' });
  c.log(`shard ${id} left (epoch ${c.registry.epoch})`);
  return members;
}

/** Processes without a shard become followers of the groups with the fewest copies, and sync. */
export function reassign(c: Coordinator, processes: readonly { identity: string; address: string }[]): void {
  if (c.replicaSets.replicas <= 1 || c.registry.size === 0) return;
  for (const p of processes) {
    const group = c.replicaSets.placeSpare(c.registry.ids())!;
    c.replicaSets.addFollower(group, c.registry.get(group)!.identity, { identity: p.identity, address: p.address, inSync: false });
    persistReplicas(c);
    c.log(`${p.identity.slice(0, 60)} at ${p.address} follows shard ${group} now`);
    syncFollower(c, group, p.identity);
  }
}

/**
 * Move data for a membership change between ticks: every shard of the old membership sends what the
 * new placement gives to another shard (`migrate_out` → `migrate_in`, durable on the receiver); then
 * the new membership is recorded (the decision) and pushed (`update_membership`, the flip: receivers
 * install, senders drop). `change` > 0 is a joining shard already in the registry, < 0 a leaving one.
 * A failure before the decision aborts the move everywhere and leaves the old membership in force.
 */
async function rebalance(c: Coordinator, plan: ChangePlan): Promise<void> {
  const { prev, epoch, what } = plan;
  const members = c.registry.list().filter((s) => plan.next.includes(s.id)).map((s) => ({ id: s.id, address: s.address }));
  // the epoch is spent now: an attempt that fails (or a crash) never reuses it
  c.store.setMeta({ migration: copyRecord(plan), epoch });
  const totals = { documents: 0, nodes: 0, edges: 0 };
  const t0 = performance.now();
  try {
    const replies = await Promise.all(prev.map((s) => c.client(s).call<{ documents: number; nodes: number; edges: number }>('migrate_out', { epoch, members }, 600_000)));
    for (const r of replies) {
      totals.documents += r.documents;
      totals.nodes += r.nodes;
      totals.edges += r.edges;
    }
  } catch (e) {
    await Promise.allSettled(abortTargets(plan).map((s) => c.client(s).call('abort_migration', { epoch }, 5000)));
    c.store.setMeta({ migration: '' });
    throw rpcError.unavailable(`rebalancing for "${what}" failed, nothing moved: ${describeError(e)}`);
  }
  const counts = c.clusterCounts();
  c.lastRebalance = { epoch, change: what, ...totals, total_documents: c.stats.documents, total_nodes: counts.nodes };
  c.log(`rebalancing for "${what}" (epoch ${epoch}): ${totals.documents} documents, ${totals.nodes} concepts, ${totals.edges} edge copies moved in ${(performance.now() - t0).toFixed(0)} ms`);
}

export { persistMembership, pushMembership } from './membership-push.js';

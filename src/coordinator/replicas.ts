// Replica sets on the coordinator (docs/replication.md): where a registering process goes (a new
// group, or a follower of a group short of r copies), bringing a follower in sync (the primary
// snapshots itself to it), marking one out of sync when its primary reports it, promoting an in-sync
// follower when a primary stops answering, and reads that fall back to followers.
import type { ShardId } from '../cluster/placement.js';
import { describeError, isGrpcError, type RpcClient } from '../rpc/client.js';
import { retryWithin } from '../rpc/retry.js';
import { rpcError } from '../rpc/server.js';
import { clock } from '../util/clock.js';
import type { Coordinator } from './coordinator.js';
import { persistMembership, pushMembership } from './membership-push.js';

export type RegisterReply = { id: ShardId; df_batch: number; role: 'primary' | 'follower'; primary: string };

/** Persist the replica sets (with the membership they belong to). */
export function persistReplicas(c: Coordinator): void {
  c.store.setMeta({ replica_sets: JSON.stringify(c.replicaSets.toJSON()) });
}

/**
 * Register as a follower when the identity is a known follower (returning: it resyncs), or when it
 * is new and a group is short of copies; null when the process is (or becomes) a primary.
 */
export function registerFollower(c: Coordinator, address: string, identity: string): RegisterReply | null {
  const rs = c.replicaSets;
  let group: ShardId | undefined;
  const known = rs.followerOf(identity);
  if (known) {
    group = known.group;
    known.follower.address = address;
    known.follower.inSync = false;
  } else {
    if (rs.primaryOf(identity) !== undefined || c.registry.list().some((s) => s.identity === identity && rs.get(s.id) === undefined)) return null;
    group = rs.placeNew(c.registry.ids());
    if (group === undefined) return null;
    rs.addFollower(group, c.registry.get(group)!.identity, { identity, address, inSync: false });
  }
  persistReplicas(c);
  c.followerSeen.set(identity, clock.nowMs());
  const primary = c.registry.get(group)!.address;
  c.log(`${identity.slice(0, 60)} at ${address} follows shard ${group} (${known ? 'returning' : 'new'}); syncing it from ${primary}`);
  syncFollower(c, group, identity);
  return { id: group, df_batch: 0, role: 'follower', primary };
}

/**
 * A primary registered again (it restarted): it ships to no follower until each is synced again, so
 * every follower is out of sync from now on (never promoted with what it may have missed) and resyncs.
 */
export function primaryReturned(c: Coordinator, group: ShardId): void {
  const set = c.replicaSets.get(group);
  if (!set || set.followers.length === 0) return;
  for (const f of set.followers) f.inSync = false;
  persistReplicas(c);
  for (const f of set.followers) syncFollower(c, group, f.identity);
}

/** A returning primary whose group the registry knows under another identity (it was promoted). */
export function registerPromotedPrimary(c: Coordinator, address: string, identity: string): RegisterReply | null {
  const group = c.replicaSets.primaryOf(identity);
  if (group === undefined || !c.registry.has(group) || c.registry.get(group)!.identity === identity) return null;
  if (c.registry.setAddress(group, address, clock.nowMs())) persistMembership(c);
  primaryReturned(c, group);
  return { id: group, df_batch: c.lastDfBatch(c.registry.get(group)!.identity), role: 'primary', primary: '' };
}

const syncing = new WeakMap<Coordinator, Set<string>>();

/** In the background: ask the group's primary to snapshot itself to the follower, retrying with backoff. */
export function syncFollower(c: Coordinator, group: ShardId, identity: string): void {
  let set = syncing.get(c);
  if (!set) syncing.set(c, (set = new Set()));
  const key = `${group}/${identity}`;
  if (set.has(key)) return;
  set.add(key);
  const follower = () => c.replicaSets.get(group)?.followers.find((f) => f.identity === identity);
  retryWithin(
    300_000,
    async () => {
      const f = follower();
      if (!f || f.inSync) return;
      const failures = f.failures ?? 0;
      await c.client(group).call('add_follower', { identity, address: f.address }, 600_000);
      if (follower() !== f) return;
      // the primary reported a failed operation meanwhile (maybe of the new link): sync again
      if ((f.failures ?? 0) !== failures) throw new Error('the follower failed an operation while it was synced');
      f.inSync = true;
      persistReplicas(c);
      c.log(`follower ${identity.slice(0, 60)} of shard ${group} is in sync`);
    },
    { startMs: 200, maxMs: 5000, stop: () => c.stopped || follower() === undefined },
  )
    .catch((e) => c.log(`follower ${identity.slice(0, 60)} of shard ${group} did not sync: ${describeError(e)}`))
    .finally(() => set.delete(key));
}

/** A coordinator that starts (a restart, an etcd takeover) goes on syncing every follower out of sync. */
export function resumeSyncs(c: Coordinator): void {
  for (const [group, set] of c.replicaSets.entries()) for (const f of set.followers) if (!f.inSync && c.registry.has(group)) syncFollower(c, group, f.identity);
}

/**
 * Followers do not heartbeat: the watchdog asks each for health_check every lease period and records
 * when it answered (their status in list_shards; a failover tries the one seen last first).
 */
export async function probeFollowers(c: Coordinator): Promise<void> {
  const all = c.replicaSets.entries().flatMap(([, s]) => s.followers);
  await Promise.all(
    all.map((f) =>
      c
        .followerClient(f.address)
        .call('health_check', {}, Math.min(2000, c.registry.leaseMs))
        .then(() => c.followerSeen.set(f.identity, clock.nowMs()))
        .catch(() => undefined),
    ),
  );
}

/** A follower's status: OFFLINE when silent past 3 lease periods, SUSPECT past 2 or while catching up. */
export function followerStatus(c: Coordinator, f: { identity: string; inSync: boolean }, nowMs: number): 'ONLINE' | 'SUSPECT' | 'OFFLINE' {
  const silent = nowMs - (c.followerSeen.get(f.identity) ?? c.startedMs);
  if (silent > 3 * c.registry.leaseMs) return 'OFFLINE';
  return silent > 2 * c.registry.leaseMs || !f.inSync ? 'SUSPECT' : 'ONLINE';
}

/** follower_failed: the primary missed the follower; out of sync before the primary goes on. */
export async function followerFailed(c: Coordinator, group: ShardId, identity: string, reason: string): Promise<object> {
  if (!c.registry.has(group)) throw rpcError.notFound(`unknown shard ${group}`);
  // a follower the operator removed (or that follows another shard now) is not this primary's to
  // ship to: the primary drops it, nothing to record
  if (!c.replicaSets.setInSync(group, identity, false)) return {};
  persistReplicas(c);
  // durable before the primary goes on without it (etcd: written through before the reply)
  await c.store.flush?.();
  c.log(`follower ${identity.slice(0, 60)} of shard ${group} is out of sync: ${reason.slice(0, 200)}`);
  syncFollower(c, group, identity);
  return {};
}

const down = (e: unknown) => isGrpcError(e) && (e.code === 14 || e.code === 4);

/**
 * Promote an in-sync follower of every group whose primary does not answer (under the state lock,
 * between ticks). Returns the groups that changed primary. `offlineOnly` limits it to primaries the
 * registry already counts offline (the watchdog).
 */
export async function failover(c: Coordinator, offlineOnly = false): Promise<ShardId[]> {
  if (c.replicaSets.replicas <= 1 || c.machine.inProgress) return [];
  const now = clock.nowMs();
  const changed: ShardId[] = [];
  for (const rec of c.registry.list()) {
    if (c.replicaSets.inSyncFollowers(rec.id).length === 0) continue;
    if (offlineOnly && c.registry.status(rec, now) !== 'OFFLINE') continue;
    // two probes: a slow answer (a loaded machine, a new channel) is not a dead primary
    const probe = () =>
      c
        .client(rec.id)
        .call<{ serving: boolean }>('health_check', {}, 2000)
        .then(() => true)
        .catch((e) => !down(e));
    if ((await probe()) || (await probe())) continue;
    const seen = (f: { identity: string }) => c.followerSeen.get(f.identity) ?? 0;
    for (const f of c.replicaSets.inSyncFollowers(rec.id).sort((a, b) => seen(b) - seen(a))) {
      const client = c.clientAt(f.address);
      try {
        await client.call('promote', { shard_id: rec.id, tick: c.machine.current }, 5000);
      } catch (e) {
        c.log(`promoting ${f.identity.slice(0, 60)} for shard ${rec.id}: ${describeError(e)}`);
        continue;
      } finally {
        client.close();
      }
      const old = rec.address;
      c.replicaSets.promote(rec.id, f.identity, old);
      c.registry.setAddress(rec.id, f.address, clock.nowMs());
      persistReplicas(c);
      persistMembership(c);
      changed.push(rec.id);
      c.log(`shard ${rec.id}: primary at ${old} does not answer; promoted its follower at ${f.address} (epoch ${c.registry.epoch})`);
      for (const o of c.replicaSets.get(rec.id)!.followers) syncFollower(c, rec.id, o.identity);
      break;
    }
  }
  if (changed.length > 0) await pushMembership(c).catch((e) => c.log(`after a promotion: ${describeError(e)}`));
  return changed;
}

/**
 * Run a write (ingest, forget); when a shard does not answer and an in-sync follower can replace it,
 * promote it and run the write once more (it is idempotent: documents are deduplicated by content).
 */
export async function withFailover<T>(c: Coordinator, run: () => Promise<T>): Promise<T> {
  const primaries = () => c.registry.list().map((r) => `${r.id}@${r.address}`).join(',');
  const before = primaries();
  try {
    return await run();
  } catch (e) {
    if (c.replicaSets.replicas <= 1 || !down(e)) throw e;
    const changed = await c.writeState(() => failover(c)).catch(() => []);
    // the watchdog's failover may have promoted the follower meanwhile: then there is nothing left to
    // change here, but the write can go again all the same
    if (changed.length === 0 && primaries() === before) throw e;
    return run();
  }
}

/**
 * A reader of a group: its primary, then each in-sync follower when the primary does not answer
 * (unavailable or past its deadline). Queries read it; writes and ticks always go to the primary.
 */
export function groupReader(c: Coordinator, group: ShardId): Pick<RpcClient, 'call'> {
  const primary = c.client(group);
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    call: async <Res = any>(method: string, req: unknown, deadlineMs?: number): Promise<Res> => {
      try {
        return await primary.call<Res>(method, req, deadlineMs);
      } catch (e) {
        if (!down(e)) throw e;
        for (const f of c.replicaSets.inSyncFollowers(group)) {
          try {
            return await c.followerClient(f.address).call<Res>(method, req, deadlineMs);
          } catch (e2) {
            if (!down(e2) && !(isGrpcError(e2) && e2.code === 9)) throw e2;
          }
        }
        throw e;
      }
    },
  };
}

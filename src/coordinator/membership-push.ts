// The membership's durable record and pushing it to every shard (membership changes, promotions).
import { decidedRecord } from '../cluster/membership-change.js';
import type { ShardId } from '../cluster/placement.js';
import { describeError } from '../rpc/client.js';
import { rpcError } from '../rpc/server.js';
import type { Coordinator } from './coordinator.js';

/** Persist the membership; with a membership change under way this is its decision (phase flip). */
export function persistMembership(c: Coordinator): void {
  const migration = c.store.meta('migration');
  const flip: Record<string, string> = migration ? { migration: decidedRecord(migration) } : {};
  c.store.saveMembership(
    c.registry.list().map((s) => ({ id: s.id, address: s.address, identity: s.identity })),
    { epoch: c.registry.epoch, next_id: c.registry.nextShardId, ...flip },
  );
}

export function membersOf(c: Coordinator): { id: ShardId; address: string }[] {
  return c.registry.list().map((s) => ({ id: s.id, address: s.address }));
}

/** Tell every shard the current membership and config (between ticks). */
export async function pushMembership(c: Coordinator): Promise<void> {
  const members = membersOf(c);
  const config_json = JSON.stringify(c.config);
  const results = await Promise.allSettled(members.map((m) => c.client(m.id).call('update_membership', { epoch: c.registry.epoch, members, you: m.id, config_json, tick: c.machine.current })));
  const failed = results.map((r, i) => [r, members[i].id] as const).filter(([r]) => r.status === 'rejected');
  if (failed.length > 0) throw rpcError.unavailable(`membership epoch ${c.registry.epoch} could not reach shard(s) ${failed.map(([r, id]) => `${id} (${describeError((r as PromiseRejectedResult).reason)})`).join(', ')}`);
}

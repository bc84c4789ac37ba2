// Recovery: after a restart with a data directory the coordinator converges the shards on its
// durable state (its construction loads that state; this runs once it serves, under the state lock).
import { recoveryOf } from '../cluster/membership-change.js';
import { describeError } from '../rpc/client.js';
import type { Coordinator } from './coordinator.js';
import { pushMembership } from './membership.js';

/**
 * After a restart: a tick that was in progress without a decision is aborted on every shard; a
 * membership change that was still copying is abandoned (one that was decided completes with the
 * push); the last committed tick is confirmed to every shard (a shard that missed commit_tick
 * converges); shards get the membership again. Best effort: a shard that is down converges when it
 * registers again.
 */
export async function converge(c: Coordinator): Promise<void> {
  const ids = c.registry.ids();
  if (c.recoveredTick > c.machine.current) {
    const tick = c.recoveredTick;
    const attempt = c.recoveredAttempt;
    await Promise.allSettled(ids.map((s) => c.client(s).call('abort_tick', { tick, attempt, reason: 'the coordinator restarted during the tick' }, 5000)));
    if (!c.machine.inProgress) c.store.setMeta({ tick_in_progress: 0 }); // (a tick registered meanwhile keeps its record)
    c.log(`tick ${tick} was in progress when the coordinator stopped: aborted`);
  }
  c.recoveredTick = 0;
  const migration = c.store.meta('migration');
  const recovering = recoveryOf(migration);
  if (recovering.action !== 'none') {
    const epoch = recovering.epoch;
    if (recovering.action === 'abandon') {
      await Promise.allSettled(ids.map((s) => c.client(s).call('abort_migration', { epoch }, 5000)));
      c.store.setMeta({ migration: '' });
      c.log(`a membership change to epoch ${epoch} was copying when the coordinator stopped: abandoned`);
    } else c.log(`a membership change to epoch ${epoch} was decided when the coordinator stopped: completing it`);
  }
  const committed = { tick: c.machine.current, attempt: Number(c.store.meta('committed_attempt') ?? 0) };
  if (committed.tick > 0) await Promise.allSettled(ids.map((s) => c.client(s).call('commit_tick', committed, 5000)));
  try {
    await pushMembership(c);
    if (migration) c.store.setMeta({ migration: '' });
  } catch (e) {
    c.log(`membership after restart: ${describeError(e)}`);
  }
}

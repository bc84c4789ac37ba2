// Cluster forget (docs/forget.md). The ids are resolved, checked on their owners (check_only: an
// unknown id refuses the whole request with NOT_FOUND before anything is forgotten), then recorded
// durably and forgotten on every owner. A forget that stops half way (a shard or the coordinator
// dies) stays recorded and is rolled forward before the next forget, ingest or tick, so no tick
// ever sees half of it. Run under the state lock: no tick or membership change runs meanwhile.
import { forgetIds } from '../core/input.js';
import type { ShardId } from '../cluster/placement.js';
import { describeError } from '../rpc/client.js';
import { rpcError } from '../rpc/server.js';
import { failpoint } from '../util/failpoint.js';
import type { Coordinator } from './coordinator.js';

/** The coordinator store's key of a forget left half way (completed before the next tick). */
export const PENDING = 'forget_pending';

function byOwner(c: Coordinator, ids: readonly string[]): Map<ShardId, string[]> {
  const placement = c.registry.placement();
  const groups = new Map<ShardId, string[]>();
  for (const id of ids) {
    const s = placement.owner(id);
    let g = groups.get(s);
    if (!g) groups.set(s, (g = []));
    g.push(id);
  }
  return groups;
}

/** Forget recorded ids on their owners (ids already gone are fine); returns how many were digested. */
async function apply(c: Coordinator, ids: readonly string[], missingOk: boolean): Promise<number> {
  const epoch = c.registry.epoch;
  const tick = c.machine.current;
  const replies = await Promise.all(
    [...byOwner(c, ids)].map(([s, list]) =>
      c
        .client(s)
        .call<{ digested: number }>('forget_documents', { epoch, tick, ids: list, check_only: false, missing_ok: missingOk })
        .catch((e) => {
          throw rpcError.unavailable(`forget recorded but not finished: shard ${s}: ${describeError(e)}; it completes before the next forget, ingest or tick`);
        }),
    ),
  );
  const digested = replies.reduce((n, r) => n + Number(r.digested), 0);
  // their withdrawals go out at the next tick: it senses rather than running as an empty tick
  if (digested > 0) c.senseNextTick = true;
  c.store.setMeta({ [PENDING]: '' });
  return digested;
}

/** Roll forward a forget left half way (run under the state lock, before a forget, ingest or tick). */
export async function completePendingForget(c: Coordinator): Promise<void> {
  const raw = c.store.meta(PENDING);
  if (!raw) return;
  await apply(c, JSON.parse(raw) as string[], true);
  c.senseNextTick = true;
  c.log('a forget left half way was completed');
}

export async function routeForget(c: Coordinator, raw: readonly string[]): Promise<{ ids: string[]; digested: number }> {
  if (c.registry.size === 0) throw rpcError.precondition('no shards are registered');
  const ids = [...new Set(forgetIds(raw, c.limits))];
  await completePendingForget(c);
  const epoch = c.registry.epoch;
  const tick = c.machine.current;
  await Promise.all([...byOwner(c, ids)].map(([s, list]) => c.client(s).call('forget_documents', { epoch, tick, ids: list, check_only: true, missing_ok: false })));
  c.store.setMeta({ [PENDING]: JSON.stringify(ids) });
  failpoint('coordinator-after-forget-recorded');
  return { ids, digested: await apply(c, ids, true) };
}

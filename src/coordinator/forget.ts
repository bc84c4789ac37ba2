// Cluster forget (docs/forget.md): ids are resolved and grouped by owner; when they span several
// shards each first checks that it holds its part (check_only), so an unknown id refuses the whole
// request (NOT_FOUND) before any shard forgets anything. Run under the state lock for reading: no
// tick or membership change runs meanwhile.
import { forgetIds } from '../core/input.js';
import type { ShardId } from '../cluster/placement.js';
import { rpcError } from '../rpc/server.js';
import type { Coordinator } from './coordinator.js';

export async function routeForget(c: Coordinator, raw: readonly string[]): Promise<{ ids: string[]; digested: number }> {
  if (c.registry.size === 0) throw rpcError.precondition('no shards are registered');
  const ids = [...new Set(forgetIds(raw, c.limits))];
  const placement = c.registry.placement();
  const groups = new Map<ShardId, string[]>();
  for (const id of ids) {
    const s = placement.owner(id);
    let g = groups.get(s);
    if (!g) groups.set(s, (g = []));
    g.push(id);
  }
  const epoch = c.registry.epoch;
  const tick = c.machine.current;
  const call = (s: ShardId, list: string[], checkOnly: boolean) => c.client(s).call<{ ids: string[]; digested: number }>('forget_documents', { epoch, tick, ids: list, check_only: checkOnly });
  if (groups.size > 1) await Promise.all([...groups].map(([s, list]) => call(s, list, true)));
  const replies = await Promise.all([...groups].map(([s, list]) => call(s, list, false)));
  const digested = replies.reduce((n, r) => n + Number(r.digested), 0);
  // their withdrawals must go out at the next tick: it senses rather than running as an empty tick
  if (digested > 0) c.senseNextTick = true;
  return { ids, digested };
}

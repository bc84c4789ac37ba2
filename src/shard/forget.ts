// Forgetting documents on the shard that holds them (docs/forget.md): all or none, durable with their
// withdrawals and df decrements in one transaction, counted by the coordinator before the reply.
import type { ForgetResult } from '../core/partition.js';
import { describeError } from '../rpc/client.js';
import type { ShardForgetRequestMsg } from '../rpc/schemas.js';
import { rpcError } from '../rpc/server.js';
import type { ForgetReport } from '../storage/shard-storage.js';
import { failpoint } from '../util/failpoint.js';
import type { ShardNode } from './shard.js';

/** The df decrements of forgotten documents (each distinct term once per document). */
export function forgetReport(results: readonly ForgetResult[]): ForgetReport {
  const df: Record<string, number> = {};
  let length = 0;
  for (const r of results) {
    length += r.length;
    for (const t of r.terms) df[t] = (df[t] ?? 0) + 1;
  }
  return { df, documents: results.length, length, digested: results.filter((r) => r.digested).length };
}

/** forget_documents (run under the shard's ingest lock). */
export async function forgetOnShard(s: ShardNode, req: ShardForgetRequestMsg): Promise<{ ids: string[]; digested: number }> {
  if (!s.ready) throw rpcError.unavailable(`shard ${s.id} is recovering; try again`);
  s.checkEpoch(req.epoch);
  const held = (id: string) => s.part.docs.numberOf(id) !== undefined;
  const missing = req.ids.filter((id) => !held(id));
  if (req.missing_ok) {
    // a recorded forget being completed: what is no longer here was forgotten by its first try
    const ids = req.ids.filter(held);
    if (ids.length === 0) {
      // all forgotten by an earlier try, which may have stopped before the coordinator counted them
      // (this shard died, or the report failed): the forget is complete once its df decrements are counted
      await flushCounted(s);
      return { ids: [], digested: 0 };
    }
    return forgetOnShard(s, { ...req, ids, missing_ok: false });
  }
  if (missing.length > 0) throw rpcError.notFound(`${missing.length} document(s) not found on shard ${s.id} (${missing.slice(0, 3).join(', ')}); nothing was forgotten`);
  if (req.check_only) return { ids: [...new Set(req.ids)], digested: 0 };
  // the coordinator forgets between ticks: a tick still open here is one whose outcome did not arrive
  const open = s.participant.openTick;
  if (open !== null) {
    if (open === req.tick && s.participant.isPrepared) s.commitOpen(open);
    else s.abortOpen('superseded: a forget runs between ticks');
  }
  // earlier df batches first: the coordinator applies one identity's batches in order
  await s.flushDfReports();
  const batch = s.dfBatch + 1;
  const results = s.part.forget(req.ids, (res, withdrawals) => {
    s.replicator.documents(res.map((r) => r.id), -1);
    s.storage.forgetDocs(res.map((r) => r.id), withdrawals, batch, forgetReport(res));
    s.dfBatch = batch;
    s.dfDirty = true;
  });
  failpoint('shard-after-forget-stored');
  // on every in-sync follower before the coordinator subtracts it and the client hears of it
  await s.replicator.ship({ k: 'forget', ids: results.map((r) => r.id), batch });
  await flushCounted(s);
  return { ids: results.map((r) => r.id), digested: results.filter((r) => r.digested).length };
}

/** Send the waiting df reports (flushDfReports: in batch order, one flush at a time); UNAVAILABLE if they did not all arrive. */
async function flushCounted(s: ShardNode): Promise<void> {
  try {
    await s.flushDfReports();
  } catch (e) {
    throw rpcError.unavailable(`documents forgotten but not yet subtracted by the coordinator (${describeError(e)}); it is re-sent with the next heartbeat`);
  }
}

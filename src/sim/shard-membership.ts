// The membership handlers of a simulated shard (migrate_out, migrate_in, abort_migration,
// update_membership), wired to the simulated network as src/shard/handlers.ts and migration.ts wire
// them to gRPC; the rules are the production ones (shard/migration-rows.ts, membership-update.ts).
import { Placement } from '../cluster/placement.js';
import { PhagoError } from '../core/errors.js';
import { applyEpoch, settleOpenTick } from '../shard/membership-update.js';
import { incomingRows, selectMigration, type MigrationBatch } from '../shard/migration-rows.js';
import type { Reply } from './network.js';
import type { SimShard } from './shard.js';

type Members = { id: number; address: string }[];

const refuse = (msg: string) => new PhagoError('FAILED_PRECONDITION', msg);

/** Serve one membership method (throws a PhagoError for a refusal, as the handlers do). */
export function handleMembership(s: SimShard, method: string, body: unknown, reply: Reply): void {
  switch (method) {
    case 'migrate_out':
      return migrateOut(s, body as { epoch: number; members: Members }, reply);
    case 'migrate_in': {
      const req = body as MigrationBatch & { epoch: number; from: number };
      if (req.epoch <= s.epoch) throw refuse(`migration to epoch ${req.epoch}: shard ${s.id} is already at epoch ${s.epoch}`);
      const rows = incomingRows(req);
      // durable before acknowledged, on the shard and (as the replication stream ships it) its follower
      s.storage.putIncoming(req.epoch, rows);
      s.followerStorage()?.putIncoming(req.epoch, rows);
      return reply({ ok: true, value: {} });
    }
    case 'abort_migration': {
      const { epoch } = body as { epoch: number };
      s.storage.clearIncoming(epoch);
      s.followerStorage()?.clearIncoming(epoch);
      return reply({ ok: true, value: {} });
    }
    case 'update_membership': {
      const req = body as { epoch: number; members: Members; you: number; tick: number };
      if (req.epoch < s.epoch) throw refuse(`stale membership epoch ${req.epoch}: shard is at ${s.epoch}`);
      const before = s.epoch;
      settleOpenTick(s, req);
      applyEpoch(s, req);
      // the follower takes the new membership from a new snapshot (production ships the op instead)
      if (s.epoch !== before) {
        s.loseFollower();
        s.opts.trace?.(`t=${s.net.now}: shard ${s.id} takes epoch ${s.epoch} (from ${before}): it holds ${[...s.part.docs.numbers()].map((n) => s.part.docs.record(n).key).join(' ')}`);
      }
      return reply({ ok: true, value: {} });
    }
    default:
      return reply({ ok: false, error: { code: 'INVALID_ARGUMENT', message: `unknown method ${method}` } });
  }
}

/** As migration.ts migrateOut: between ticks only; one migrate_in per new owner, the reply once all are acknowledged. */
function migrateOut(s: SimShard, req: { epoch: number; members: Members }, reply: Reply): void {
  if (req.epoch <= s.epoch) throw refuse(`migration to epoch ${req.epoch}: shard ${s.id} is already at epoch ${s.epoch}`);
  if (s.participant.openTick !== null) throw refuse(`tick ${s.participant.openTick} is in progress; membership changes happen between ticks`);
  const { out } = selectMigration(s.part, s.id, new Placement(req.members.map((m) => m.id)));
  if (s.opts.earlyDrop) {
    // the broken rule: what moves is dropped now, before the change is decided
    const gone = [...out.values()].flatMap((b) => b.docs.map((d) => d.id));
    for (const id of gone) s.part.docs.remove(id);
    s.storage.dropDocs(gone);
    s.followerStorage()?.dropDocs(gone);
  }
  s.opts.trace?.(`t=${s.net.now}: shard ${s.id} migrates out for epoch ${req.epoch}: ${[...out].map(([to, b]) => `${b.docs.map((d) => d.key).join(' ')} to ${to}`).join(', ')}`);
  let left = out.size;
  let failed = false;
  if (left === 0) return reply({ ok: true, value: {} });
  for (const [to, batch] of out) {
    s.net.call(s.id, to, 'migrate_in', { epoch: req.epoch, from: s.id, ...batch }, s.opts.deadline, (r) => {
      if (failed) return;
      if (!r.ok) {
        failed = true;
        return reply({ ok: false, error: { code: 'UNAVAILABLE', message: `migrate_in to shard ${to} failed: ${r.error.message}` } });
      }
      if (--left === 0) reply({ ok: true, value: {} });
    });
  }
}

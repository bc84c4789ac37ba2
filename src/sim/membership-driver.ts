// The simulated coordinator's membership changes: a shard joins or leaves at times chosen by the seed,
// serialized with ingests and ticks (as the coordinator's membership and state locks serialize them),
// through the steps and decisions of cluster/membership-change.ts, over the simulated network.
import { abortTargets, copyRecord, decideChange, failChange, planChange, type ChangePlan } from '../cluster/membership-change.js';
import type { SimCoordinator } from './coordinator.js';
import { COORDINATOR } from './shard.js';

/** A membership change the client asks for: a new shard joins, or member `pick` (modulo their number) leaves. */
export interface MembershipChangeAsk {
  at: number;
  kind: 'join' | 'leave';
  pick: number;
}

export interface MembershipWork {
  /** Sorted by time; the coordinator's durable `changes` counts those decided. */
  changes: MembershipChangeAsk[];
}

/** The most shards a schedule grows to (a join asked beyond it is a leave, a leave of the last shard a join). */
export const MAX_SHARDS = 5;

/**
 * One attempt of a change (membership.ts register/removeGroup and rebalance): spend the epoch, copy
 * (migrate_out on every old member, which sends migrate_in to the new owners), then decide and push
 * (update_membership: the flip), or on a failed copy abort it everywhere and try again later.
 */
export function runChange(c: SimCoordinator, ask: MembershipChangeAsk): void {
  // step 0: every member at the decided membership first (a failure refuses the change, nothing spent)
  if (c.opts.skipConverge) return copy(c, ask);
  c.push([], (ok) => {
    if (ok) return copy(c, ask);
    c.opts.trace?.(`t=${c.net.now}: a membership change waits: a member did not take epoch ${c.registry.epoch}`);
    c.changeFailed = true;
    c.later();
  });
}

function copy(c: SimCoordinator, ask: MembershipChangeAsk): void {
  const d = c.durable;
  const reg = c.registry;
  const prev = reg.ids();
  const join = ask.kind === 'join' ? prev.length < MAX_SHARDS : prev.length <= 1;
  let plan: ChangePlan;
  if (join) {
    // a new process, up before it registers (register probes it first)
    const id = reg.nextShardId;
    c.opts.launch(id);
    const r = reg.register(`sim:${id}`, `sim-shard-${id}-${c.net.now}`, 0);
    plan = planChange(reg, prev, r.id, `shard ${r.id} joined`);
  } else {
    const id = prev[ask.pick % prev.length];
    plan = planChange(reg, prev, -id, `shard ${id} left`);
  }
  // step 1: the epoch is spent, durably
  d.migration = copyRecord(plan);
  d.epoch = plan.epoch;
  const members = plan.next.map((id) => ({ id, address: `sim:${id}` }));
  c.opts.trace?.(`t=${c.net.now}: ${plan.what}: copying for epoch ${plan.epoch} (members ${plan.next.join(', ')})`);
  // step 2: copy
  let left = plan.prev.length;
  let over = false;
  for (const s of plan.prev) {
    c.net.call(COORDINATOR, s, 'migrate_out', { epoch: plan.epoch, members }, c.opts.deadline, (r) => {
      if (over) return;
      if (!r.ok) {
        over = true;
        return fail(c, plan, `shard ${s}: ${r.error.code} ${r.error.message}`);
      }
      if (--left > 0) return;
      over = true;
      decide(c, plan);
    });
  }
}

/** The copy failed: abort_migration everywhere, the old membership stays (its epoch moves on), try again later. */
function fail(c: SimCoordinator, plan: ChangePlan, reason: string): void {
  const d = c.durable;
  c.toAll('abort_migration', () => ({ epoch: plan.epoch }), abortTargets(plan));
  d.migration = '';
  d.failedChanges++;
  failChange(c.registry, plan);
  c.persist(false);
  c.opts.trace?.(`t=${c.net.now}: ${plan.what} failed (epoch ${plan.epoch} spent): ${reason}`);
  // (sim) the last commit confirmed and an aborted attempt's tick aborted, as converge does after a restart:
  // migrate_out refuses a shard with a tick open, and a lost commit_tick or abort_tick leaves one open
  if (d.current > 0) c.toAll('commit_tick', () => ({ tick: d.current, attempt: d.committedAttempt }));
  c.toAll('abort_tick', () => ({ tick: d.current + 1, attempt: d.attempts, reason: 'a membership change failed' }));
  c.changeFailed = true;
  c.push([], () => c.later());
}

/** Step 3: the decision (durable with the new membership), then step 4: the push, and the record cleared. */
function decide(c: SimCoordinator, plan: ChangePlan): void {
  const d = c.durable;
  decideChange(c.registry, plan);
  if (c.registry.epoch !== plan.epoch) c.opts.violation(`membership decided at epoch ${c.registry.epoch}, planned ${plan.epoch}`);
  c.persist(true);
  d.changes++;
  if (plan.change > 0) d.joins++;
  else d.leaves++;
  c.opts.trace?.(`t=${c.net.now}: ${plan.what} (epoch ${plan.epoch} decided)`);
  c.push(plan.change < 0 ? [-plan.change] : [], () => {
    d.migration = '';
    c.changeDone();
  });
}

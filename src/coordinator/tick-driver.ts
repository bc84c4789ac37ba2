// The tick protocol driver: registers a tick (attempt numbers, durable before any shard hears of
// it), pushes SENSE → ACT → DECAY → ADVANCE to every shard behind the tick machine's barriers, plans
// the digestion, records the decision and commits, or aborts the tick everywhere; runs ticks again
// after an abort once the cluster is whole.
import type { ShardId } from '../cluster/placement.js';
import { Refusal, type Phase } from '../cluster/tick-machine.js';
import { TickRound } from '../cluster/tick-round.js';
import { countsOf, type CountsMsg } from '../rpc/wire.js';
import { describeError } from '../rpc/client.js';
import { rpcError } from '../rpc/server.js';
import { clock } from '../util/clock.js';
import { failpoint } from '../util/failpoint.js';
import { retryWithin } from '../rpc/retry.js';
import { pushMembership } from './membership.js';
import type { Coordinator } from './coordinator.js';
import { PENDING, completePendingForget } from './forget.js';
import { failover } from './replicas.js';

/** A tick machine refusal as a typed status (other errors unchanged). */
export function refusal(e: unknown): unknown {
  if (e instanceof Refusal) {
    return e.kind === 'NOT_FOUND' ? rpcError.notFound(e.message) : e.kind === 'INVALID_ARGUMENT' ? rpcError.invalid(e.message) : rpcError.precondition(e.message);
  }
  return e;
}

/**
 * Register tick current+1, synchronously (no await before it is in the tick machine): a second start
 * while it is registered is refused with its number. Recorded as in progress before any shard hears of it.
 */
export function beginTick(c: Coordinator): { tick: number; attempt: number } {
  let tick: number;
  try {
    tick = c.machine.start(c.registry.ids());
  } catch (e) {
    throw refusal(e);
  }
  const attempt = c.machine.attempt!;
  // the attempt number is spent now (durable with the tick in progress): never given out twice
  c.store.setMeta({ tick_in_progress: tick, attempt });
  return { tick, attempt };
}

/** Start the next tick and drive it through the four phases on every shard; resolves when it commits. */
export function runTick(c: Coordinator): Promise<number> {
  let begun: { tick: number; attempt: number };
  try {
    begun = beginTick(c);
  } catch (e) {
    return Promise.reject(e);
  }
  return driveTick(c, begun.tick, begun.attempt);
}

/**
 * Drive a registered tick (it waits for the state lock: queries, ingests, membership changes). It
 * overlaps the previous tick's commit round: a shard the commit has not reached commits the previous
 * tick when this tick's first phase opens it (tick-gate.ts `openTick`).
 */
export function driveTick(c: Coordinator, tick: number, attempt: number): Promise<number> {
  return c.writeState(async () => {
    let members: ShardId[] = [];
    let fast = false;
    const epoch = c.registry.epoch;
    try {
      // the membership as it is now that the tick runs (a membership change may have run meanwhile)
      members = c.registry.ids();
      // a forget completed here needs every shard between ticks: the previous commit round done
      if (c.store.meta(PENDING)) await c.commitRound;
      await completePendingForget(c);
      const push = (p: Phase, body: (s: ShardId) => object) => phase(c, p, tick, attempt, members, epoch, body);
      // the decisions (which phase next, the digestion plan) are the pure TickRound's
      const round = new TickRound(c.machine, members, c.config.digestPerTick, c.pending(), c.senseNextTick);
      let step = round.first();
      fast = round.fast;
      let adv: PhaseReply[] = [];
      while (step.kind === 'phase') {
        adv = await push(step.phase, step.body);
        step = round.next(step.phase, adv);
      }
      if (!fast) c.senseNextTick = false;
      decide(c, tick, attempt, members, adv, step.digested);
      return tick;
    } catch (e) {
      if (fast) c.senseNextTick = true;
      const reason = describeError(e);
      c.machine.abort(reason);
      c.store.setMeta({ tick_in_progress: 0 });
      c.metrics.ticksAborted.inc();
      await Promise.allSettled(members.map((s) => c.client(s).call('abort_tick', { tick, attempt, reason }, 5000)));
      c.log(`tick ${tick} aborted: ${reason}`);
      throw rpcError.aborted(`tick ${tick} aborted: ${reason}`);
    }
  }, true);
}

/**
 * The decision: commit, recorded before any shard is told; the tick is committed from here on. Then
 * every shard is told, without waiting (the commit round runs on as `c.commitRound`): readers and
 * membership changes wait for it (coordinator.ts `readState`/`writeState`), the next tick overlaps it.
 * A shard that misses it learns it from the next tick's first phase, or from tick_status on restart.
 */
function decide(c: Coordinator, tick: number, attempt: number, members: ShardId[], adv: PhaseReply[], digested: number): void {
  c.store.setMeta({ current_tick: tick, digested: c.digested + digested, tick_in_progress: 0, committed_attempt: attempt });
  failpoint('after-decision');
  c.machine.commit();
  c.metrics.ticksCommitted.inc();
  c.digested += digested;
  adv.forEach((r, i) => r.counts && c.registry.setCounts(members[i], countsOf(r.counts as CountsMsg)));
  const round = Promise.all(members.map((s) => c.client(s).call('commit_tick', { tick, attempt }).catch((e) => c.log(`commit_tick ${tick} on shard ${s}: ${describeError(e)}`))));
  c.commitRound = round.then(() => undefined);
}

/**
 * Run the next tick; when it aborts, wait until every shard answers again (the cluster is whole) and
 * run it again, for up to retryWindowMs. Without a window the abort is returned at once.
 */
export async function runTickRetrying(c: Coordinator): Promise<number> {
  const window = c.retryWindowMs;
  const end = clock.nowMs() + window;
  const once = async () => {
    // a tick another client started runs first (run_ticks waits for it rather than failing)
    while (c.machine.inProgress) await c.machine.waitIdle();
    return runTick(c);
  };
  if (window <= 0) return once();
  // attempts back off (exponential, jittered): a member that answers health_check but fails its
  // phases costs a few attempts over the window, not a tight loop; a coordinator that stood down
  // (etcd: deposed) retries nothing
  return retryWithin(window, once, {
    stop: () => c.stopped,
    onRetry: async (e) => {
      c.log(`${describeError(e)}; waiting for every shard before running the tick again`);
      // a shard that missed a membership push (stale epoch) is told again
      if (/epoch/.test(describeError(e))) await c.writeState(() => pushMembership(c)).catch(() => undefined);
      // a primary that does not answer is replaced by an in-sync follower (docs/replication.md)
      await c.writeState(() => failover(c)).catch((x) => c.log(`failover: ${describeError(x)}`));
      await waitWhole(c, end);
    },
  });
}

/** run_ticks: `ticks` ticks, or (untilDigested) ticks until nothing is pending; each retried as above. */
export async function runTicks(c: Coordinator, ticks: number, untilDigested: boolean): Promise<{ ticks: number; tick: number; digested: number }> {
  const before = c.digested;
  let n = 0;
  if (untilDigested) {
    // a document ingested during tick t is eligible from t+1, so two ticks in a row that digest nothing
    // while documents are counted pending mean no shard holds them (one in memory lost them on a restart)
    let idle = 0;
    while (c.pending() > 0) {
      const d = c.digested;
      await runTickRetrying(c);
      n++;
      idle = c.digested === d ? idle + 1 : 0;
      if (idle >= 2)
        throw rpcError.precondition(`${c.pending()} documents are counted as pending but no shard offers them for digestion (a shard without a data directory restarted and lost them?); ${n} ticks ran`);
    }
  } else {
    for (; n < ticks; n++) await runTickRetrying(c);
  }
  return { ticks: n, tick: c.machine.current, digested: c.digested - before };
}

/** Wait until every shard answers health_check serving (or `end`). */
async function waitWhole(c: Coordinator, end: number): Promise<void> {
  const whole = async () => {
    const ids = c.registry.ids();
    const ok = await Promise.allSettled(ids.map((s) => c.client(s).call<{ serving: boolean }>('health_check', {}, 1000)));
    if (!(ids.length > 0 && ok.every((r) => r.status === 'fulfilled' && r.value.serving))) throw new Error('not every shard serves');
  };
  await retryWithin(Math.max(0, end - clock.nowMs()), whole, { startMs: 50, maxMs: 1000, stop: () => c.stopped }).catch(() => undefined);
}

/** A shard's reply to tick_phase (candidates after SENSE, counts after ADVANCE). */
type PhaseReply = { candidates?: Uint8Array; counts?: unknown; withdrawals?: unknown };

/**
 * One phase on every shard: push it and wait for every reply. The reply is the shard's one
 * acknowledgement of the phase: it records the shard in the barrier, and the next phase is pushed
 * only when every shard of the tick has replied.
 */
async function phase(c: Coordinator, phase: Phase, tick: number, attempt: number, members: ShardId[], epoch: number, body: (s: ShardId) => object): Promise<PhaseReply[]> {
  const t0 = performance.now();
  const replies = await Promise.all(
    members.map((s) =>
      c
        .client(s)
        .call<PhaseReply>('tick_phase', { tick, phase, epoch, attempt, ...body(s) }, c.phaseTimeoutMs)
        .then((r) => {
          c.machine.complete(s, phase, tick, true, attempt);
          return r;
        })
        .catch((e) => {
          throw new Error(`shard ${s} failed ${phase}: ${describeError(e)}`);
        }),
    ),
  );
  if (!c.machine.barrierComplete) throw new Error(`the ${phase} barrier did not complete`);
  const times = c.phaseMs[phase];
  times.push(performance.now() - t0);
  c.metrics.phaseSeconds.observe({ phase }, (performance.now() - t0) / 1000);
  if (times.length > 1000) times.splice(0, times.length - 1000);
  return replies;
}


import type { DocumentInput } from '../core/input.js';
import { decidedRecord, recoveryOf } from '../cluster/membership-change.js';
import { Placement, type ShardId } from '../cluster/placement.js';
import { Registry } from '../cluster/registry.js';
import { TickMachine } from '../cluster/tick-machine.js';
import { TickRound, type RoundReply, type RoundStep } from '../cluster/tick-round.js';
import { documentIdOf as docIdOf } from '../ids/ids.js';
import type { NodeId, Reply, Server, SimNetwork } from './network.js';
import { COORDINATOR } from './shard.js';
import { runChange, type MembershipWork } from './membership-driver.js';

/** What the coordinator keeps durable (its SQLite store in production), kept across its crashes. */
export interface CoordinatorDurable {
  current: number;
  /** The last attempt number given out (never given twice, a restart included). */
  attempts: number;
  tickInProgress: number;
  committedAttempt: number;
  digested: number;
  /** Documents counted by the coordinator (in production: applied df reports), by id. */
  known: Set<string>;
  /** The membership (its SQLite membership table; meta epoch and next_id). */
  shards: { id: number; address: string; identity: string }[];
  epoch: number;
  nextId: number;
  /** A membership change under way (meta `migration`): '' or its record (cluster/membership-change.ts). */
  migration: string;
  /** Membership changes decided (the clients' join and leave requests applied), and of them joins and leaves. */
  changes: number;
  joins: number;
  leaves: number;
  /** Change attempts that failed before their decision (statistics). */
  failedChanges: number;
}

/** The client's side: the batches it ingests (each retried until acknowledged) and the ticks it runs. */
export interface Workload extends MembershipWork {
  batches: { at: number; docs: DocumentInput[] }[];
  /** Index of the next batch not acknowledged yet. */
  next: number;
  /** Documents acknowledged to the client. */
  acked: Set<string>;
  ticks: number;
  /** When the client asks for each tick (sorted): tick k+1 runs once tick k committed and its time came. */
  tickAt: number[];
}

export interface SimCoordinatorOptions {
  digestPerTick: number;
  /** Deadline of a phase (and of every other call), in time units. */
  deadline: number;
  /** Wait before running an aborted tick again (or retrying an ingest), in time units. */
  backoff: number;
  violation: (msg: string) => void;
  /** Every abort's reason, for replaying a seed (--verbose). */
  trace?: (msg: string) => void;
  /** A test hook: membership changes skip step 0 (every member at the decided membership first). */
  skipConverge?: boolean;
  /** Start a new, empty shard process with this id (a joining shard, up before it registers). */
  launch: (id: ShardId) => void;
}

/**
 * The coordinator in the simulation: the production TickMachine and TickRound (the decisions of
 * src/coordinator/tick-driver.ts), its durable records and its recovery (converge: abort the tick that
 * was in progress, confirm the last commit), over the simulated network. Ingests and ticks are
 * serialized as the coordinator's state lock serializes them; an ingest may run between two attempts.
 */
export class SimCoordinator implements Server {
  readonly machine: TickMachine;
  private senseNextTick = false;
  busy = false;
  /** The last membership change attempt failed (a due tick runs before it is tried again). */
  changeFailed = false;
  private wakeAt = -1;
  /** Aborted attempts (for statistics). */
  aborts = 0;
  /** Crashed: its timers do nothing (its calls are dropped by the network). */
  dead = false;

  readonly registry = new Registry();
  private placed: Placement | null = null;

  constructor(
    readonly net: SimNetwork,
    readonly durable: CoordinatorDurable,
    readonly work: Workload,
    readonly opts: SimCoordinatorOptions,
    /** Started again over its durable records (recovery runs), not the cluster's first start. */
    restart = true,
  ) {
    this.machine = new TickMachine(durable.current, durable.attempts);
    this.registry.restore(durable.shards, durable.epoch, durable.nextId, 0);
    // recovery.ts converge: a tick in progress without a decision is aborted everywhere; a membership
    // change still copying is abandoned (one decided completes with the push); the last commit is
    // confirmed to every shard; every shard gets the membership again (ticks wait for it)
    if (durable.tickInProgress > durable.current) {
      const tick = durable.tickInProgress;
      durable.tickInProgress = 0;
      this.toAll('abort_tick', () => ({ tick, attempt: durable.attempts }));
    }
    const change = recoveryOf(durable.migration);
    if (change.action === 'abandon') {
      this.toAll('abort_migration', () => ({ epoch: change.epoch }));
      durable.migration = '';
    }
    if (durable.current > 0) this.toAll('commit_tick', () => ({ tick: durable.current, attempt: durable.committedAttempt }));
    if (!restart) {
      net.at(0, () => this.pump()); // a first start: the shards have the membership already
      return;
    }
    this.busy = true;
    net.at(0, () =>
      // (once attached to the network)
      this.push([], (ok) => {
        if (ok) durable.migration = '';
        this.busy = false;
        this.pump();
      }),
    );
  }

  get idle(): boolean {
    return !this.busy;
  }

  get members(): ShardId[] {
    return this.registry.ids();
  }

  /** The placement of the registry's membership. */
  get placement(): Placement {
    const ids = this.registry.ids();
    if (!this.placed || this.placed.shards.join() !== ids.join()) this.placed = new Placement(ids);
    return this.placed;
  }

  /** persistMembership: the registry durable (with a change under way, this is its decision). */
  persist(decided: boolean): void {
    const d = this.durable;
    if (this.registry.epoch < d.epoch) this.opts.violation(`the coordinator's epoch goes back from ${d.epoch} to ${this.registry.epoch}`);
    d.shards = this.registry.list().map((s) => ({ id: s.id, address: s.address, identity: s.identity }));
    d.epoch = this.registry.epoch;
    d.nextId = this.registry.nextShardId;
    if (decided) d.migration = decidedRecord(d.migration);
  }

  /**
   * pushMembership: update_membership to every member (and to `extra`, a leaving shard: its final
   * membership), then `then(all acknowledged)` once every reply or deadline came.
   */
  push(extra: ShardId[], then: (ok: boolean) => void): void {
    const epoch = this.registry.epoch;
    const members = this.members.map((id) => ({ id, address: `sim:${id}` }));
    const to = [...this.members, ...extra];
    let left = to.length;
    let ok = true;
    if (left === 0) return then(true);
    for (const s of to) {
      this.net.call(COORDINATOR, s, 'update_membership', { epoch, members, you: s, tick: this.machine.current }, this.opts.deadline, (r) => {
        if (!r.ok && !extra.includes(s)) ok = false;
        if (--left === 0) then(ok);
      });
    }
  }

  /** The membership change is over (decided or not): the next thing to do. */
  changeDone(): void {
    this.busy = false;
    this.pump();
  }

  handle(method: string, _body: unknown, _from: NodeId, reply: Reply): void {
    if (method !== 'tick_status') return reply({ ok: false, error: { code: 'INVALID_ARGUMENT', message: `unknown method ${method}` } });
    reply({ ok: true, value: { in_progress: this.machine.inProgress, tick: this.machine.tick ?? this.machine.current, current_tick: this.machine.current } });
  }

  /** Send to every shard without waiting for the outcome (as recovery and decide do). */
  toAll(method: string, body: (s: ShardId) => object, to: readonly ShardId[] = this.members): void {
    for (const s of to) this.net.call(COORDINATOR, s, method, body(s), this.opts.deadline, () => {});
  }

  /** Next thing to do: a due ingest first, then a due membership change, then the next tick. */
  pump(): void {
    if (this.busy || this.dead) return;
    const w = this.work;
    const batch = w.batches[w.next];
    if (batch && batch.at <= this.net.now) return this.ingest(batch.docs);
    const t = this.durable.current;
    const change = w.changes[this.durable.changes];
    const tickAt = t < w.ticks ? w.tickAt[t] : Infinity;
    // a change asked waits for no tick (membership and state locks are taken in no defined order), but
    // after a failed attempt a due tick goes first
    if (change && change.at <= this.net.now && !(this.changeFailed && tickAt <= this.net.now)) {
      this.busy = true;
      return runChange(this, change);
    }
    if (t < w.ticks && w.tickAt[t] <= this.net.now) return this.startTick();
    const next = Math.min(batch ? batch.at : Infinity, tickAt, change ? change.at : Infinity);
    if (next < Infinity && next !== this.wakeAt) {
      this.wakeAt = next; // one timer per wake-up time
      this.net.at(next - this.net.now, () => this.pump());
    }
  }

  later(): void {
    this.busy = false;
    this.net.at(this.opts.backoff, () => this.pump());
  }

  private ingest(docs: DocumentInput[]): void {
    this.busy = true;
    const tick = this.machine.current;
    const groups = new Map<ShardId, DocumentInput[]>();
    for (const d of docs) {
      const s = this.placement.owner(docIdOf(d.id!));
      let g = groups.get(s);
      if (!g) groups.set(s, (g = []));
      g.push(d);
    }
    let left = groups.size;
    let failed = false;
    for (const [s, list] of [...groups].sort((a, b) => a[0] - b[0])) {
      this.net.call(COORDINATOR, s, 'ingest_document', { epoch: this.registry.epoch, tick, docs: list }, this.opts.deadline, (r) => {
        if (failed) return;
        if (!r.ok) {
          failed = true;
          // the client sends the batch again; a shard that missed a membership push is told again
          // first (in production the next tick's retry does it: tick-driver.ts)
          if (/epoch/.test(r.error.message)) return this.push([], () => this.later());
          return this.later();
        }
        for (const d of list) this.durable.known.add(docIdOf(d.id!));
        if (--left > 0) return;
        for (const d of docs) this.work.acked.add(docIdOf(d.id!));
        this.opts.trace?.(`t=${this.net.now}: ${docs.map((d) => d.id).join(', ')} ingested at tick ${tick} (acknowledged)`);
        this.work.next++;
        this.busy = false;
        this.pump();
      });
    }
  }

  private startTick(): void {
    this.busy = true;
    this.changeFailed = false;
    const tick = this.machine.start(this.members);
    const attempt = this.machine.attempt!;
    this.durable.attempts = this.machine.attempts;
    this.durable.tickInProgress = tick; // durable before any shard hears of it
    const pending = Math.max(0, this.durable.known.size - this.durable.digested);
    const round = new TickRound(this.machine, this.members, this.opts.digestPerTick, pending, this.senseNextTick);
    this.step(round, tick, attempt, round.first());
  }

  private step(round: TickRound, tick: number, attempt: number, step: RoundStep): void {
    if (step.kind === 'decide') return this.decide(round, tick, attempt, step.digested);
    const members = round.members;
    const replies: RoundReply[] = new Array(members.length);
    let left = members.length;
    let over = false;
    members.forEach((s, i) => {
      this.net.call(COORDINATOR, s, 'tick_phase', { tick, attempt, epoch: this.registry.epoch, phase: step.phase, ...step.body(s) }, this.opts.deadline, (r) => {
        if (over) return;
        if (!r.ok) {
          over = true;
          return this.abort(round, tick, attempt, `shard ${s} failed ${step.phase}: ${r.error.code} ${r.error.message}`);
        }
        try {
          this.machine.complete(s, step.phase, tick, true, attempt);
          replies[i] = r.value as RoundReply;
          if (--left > 0) return;
          over = true;
          this.step(round, tick, attempt, round.next(step.phase, replies));
        } catch (e) {
          over = true;
          this.abort(round, tick, attempt, e instanceof Error ? e.message : String(e));
        }
      });
    });
  }

  private decide(round: TickRound, tick: number, attempt: number, digested: number): void {
    const d = this.durable;
    if (tick !== d.current + 1) this.opts.violation(`the coordinator commits tick ${tick} after tick ${d.current}`);
    d.current = tick;
    d.committedAttempt = attempt;
    d.digested += digested;
    d.tickInProgress = 0;
    if (!round.fast) this.senseNextTick = false;
    this.machine.commit();
    this.opts.trace?.(`t=${this.net.now}: tick ${tick} committed (attempt ${attempt}, ${digested} documents digested)`);
    this.toAll('commit_tick', () => ({ tick, attempt }));
    this.busy = false;
    this.pump();
  }

  private abort(round: TickRound, tick: number, attempt: number, reason: string): void {
    if (round.fast) this.senseNextTick = true;
    this.machine.abort(reason);
    this.opts.trace?.(`t=${this.net.now}: tick ${tick} attempt ${attempt} aborted: ${reason}`);
    this.durable.tickInProgress = 0;
    this.aborts++;
    this.toAll('abort_tick', () => ({ tick, attempt, reason }));
    // a shard that missed a membership push (stale epoch) is told again (as tick-driver.ts)
    if (/epoch/.test(reason)) this.push([], () => this.later());
    else this.later();
  }
}

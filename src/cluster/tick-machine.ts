import type { ShardId } from './placement.js';

/**
 * The tick state machine of the coordinator: which tick is in progress, in which phase, which shards
 * of the tick's membership completed it. Pure state with typed refusals; the coordinator's transport
 * layer maps a Refusal to a gRPC status.
 */
export type Phase = 'SENSE' | 'ACT' | 'DECAY' | 'ADVANCE';
export const PHASE_ORDER: readonly Phase[] = ['SENSE', 'ACT', 'DECAY', 'ADVANCE'];

export class Refusal extends Error {
  constructor(
    readonly kind: 'FAILED_PRECONDITION' | 'NOT_FOUND' | 'INVALID_ARGUMENT',
    message: string,
  ) {
    super(message);
  }
}

export interface TickSnapshot {
  currentTick: number;
  inProgress: boolean;
  tick: number;
  phase: Phase;
  members: ShardId[];
  completed: ShardId[];
  pending: ShardId[];
  lastFailure: string;
  /** The attempt of the tick in progress, or the last attempt started when none is. */
  attempt: number;
}

export class TickMachine {
  /** The last committed tick. */
  current = 0;
  /**
   * The last attempt number given out. Every start of a tick (a retry of an aborted tick included) is a
   * new attempt with the next number; the coordinator persists it, so a number is never given twice.
   */
  attempts = 0;
  private running: { tick: number; attempt: number; phase: Phase; members: ShardId[]; completed: Set<ShardId> } | null = null;
  private lastFailure = '';
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(current = 0, attempts = 0) {
    this.current = current;
    this.attempts = attempts;
  }

  get inProgress(): boolean {
    return this.running !== null;
  }

  get tick(): number | null {
    return this.running?.tick ?? null;
  }

  /** The attempt of the tick in progress. */
  get attempt(): number | null {
    return this.running?.attempt ?? null;
  }

  get phase(): Phase | null {
    return this.running?.phase ?? null;
  }

  get members(): readonly ShardId[] {
    return this.running?.members ?? [];
  }

  /** Begin tick current+1 with the given membership, in phase SENSE, as a new attempt (see `attempt`). */
  start(members: ShardId[]): number {
    if (this.running) throw new Refusal('FAILED_PRECONDITION', `tick ${this.running.tick} is in progress (phase ${this.running.phase})`);
    if (members.length === 0) throw new Refusal('FAILED_PRECONDITION', 'no shards are registered');
    this.running = { tick: this.current + 1, attempt: ++this.attempts, phase: 'SENSE', members: [...members].sort((a, b) => a - b), completed: new Set() };
    return this.running.tick;
  }

  /**
   * The membership of the registered tick, fixed when it starts to run (it may have waited for the
   * coordinator's lock while a membership change ran); only before any shard reported.
   */
  setMembers(members: ShardId[]): void {
    const r = this.running;
    if (!r || r.phase !== 'SENSE' || r.completed.size > 0) throw new Refusal('FAILED_PRECONDITION', 'the membership of a tick is fixed once it runs');
    if (members.length === 0) throw new Refusal('FAILED_PRECONDITION', 'no shards are registered');
    r.members = [...members].sort((a, b) => a - b);
  }

  /** Resolves when no tick is in progress (at once if none is). */
  waitIdle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle() {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Check a (shard, phase, tick, attempt) report against the tick in progress. */
  private check(shard: ShardId, tick: number, known: boolean, attempt: number) {
    if (!known) throw new Refusal('NOT_FOUND', `unknown shard ${shard}`);
    const r = this.running;
    if (!r) throw new Refusal('FAILED_PRECONDITION', `no tick is in progress (last committed tick ${this.current})`);
    if (tick !== r.tick) throw new Refusal('FAILED_PRECONDITION', `tick ${tick} is not in progress (tick ${r.tick} is)`);
    if (attempt !== r.attempt) throw new Refusal('FAILED_PRECONDITION', `attempt ${attempt} of tick ${tick} is over (attempt ${r.attempt} runs); its report is not counted`);
    if (!r.members.includes(shard)) throw new Refusal('FAILED_PRECONDITION', `shard ${shard} is not in the membership of tick ${r.tick}`);
    return r;
  }

  /** phase_complete: idempotent for the current phase; a report of another attempt is refused. */
  complete(shard: ShardId, phase: Phase, tick: number, known: boolean, attempt: number): void {
    const r = this.check(shard, tick, known, attempt);
    if (phase !== r.phase) throw new Refusal('FAILED_PRECONDITION', `tick ${tick} is in phase ${r.phase}, not ${phase}`);
    r.completed.add(shard);
    if (r.completed.size === r.members.length) this.wake();
  }

  /** barrier_ready: true exactly when every shard of the tick's membership completed the phase. */
  barrierReady(shard: ShardId, phase: Phase, tick: number, known: boolean, attempt: number): boolean {
    if (!known) throw new Refusal('NOT_FOUND', `unknown shard ${shard}`);
    if (tick <= this.current && (!this.running || tick < this.running.tick)) return true; // committed
    const r = this.check(shard, tick, known, attempt);
    const at = PHASE_ORDER.indexOf(r.phase);
    const asked = PHASE_ORDER.indexOf(phase);
    if (asked < at) return true;
    if (asked > at) return false;
    return r.completed.size === r.members.length;
  }

  get barrierComplete(): boolean {
    return !!this.running && this.running.completed.size === this.running.members.length;
  }

  /** Resolves when the barrier of the current phase is complete (or the tick ends). */
  waitBarrier(): Promise<void> {
    if (!this.running || this.barrierComplete) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Move to the next phase; only when the barrier of the current one is complete. */
  nextPhase(): Phase {
    const r = this.running;
    if (!r) throw new Refusal('FAILED_PRECONDITION', 'no tick is in progress');
    if (!this.barrierComplete) throw new Refusal('FAILED_PRECONDITION', `phase ${r.phase} of tick ${r.tick} is not complete`);
    const i = PHASE_ORDER.indexOf(r.phase);
    if (i === PHASE_ORDER.length - 1) throw new Refusal('FAILED_PRECONDITION', 'ADVANCE is the last phase; commit the tick');
    r.phase = PHASE_ORDER[i + 1];
    r.completed = new Set();
    return r.phase;
  }

  /**
   * An empty tick (SENSE found nothing to digest anywhere, or — `withoutSense` — the coordinator counts
   * nothing pending): ACT and DECAY have nothing to do, so the tick goes straight to ADVANCE.
   */
  skipToAdvance(withoutSense = false): void {
    const r = this.running;
    if (!r || r.phase !== 'SENSE' || (!withoutSense && !this.barrierComplete)) throw new Refusal('FAILED_PRECONDITION', 'only a tick in SENSE can skip to ADVANCE');
    r.phase = 'ADVANCE';
    r.completed = new Set();
  }

  commit(): number {
    const r = this.running;
    if (!r || r.phase !== 'ADVANCE' || !this.barrierComplete) throw new Refusal('FAILED_PRECONDITION', 'the tick can only commit after the ADVANCE barrier');
    this.current = r.tick;
    this.running = null;
    this.lastFailure = '';
    this.wake();
    this.wakeIdle();
    return this.current;
  }

  abort(reason: string): void {
    if (!this.running) return;
    this.lastFailure = `tick ${this.running.tick} aborted in phase ${this.running.phase}: ${reason}`;
    this.running = null;
    this.wake();
    this.wakeIdle();
  }

  snapshot(): TickSnapshot {
    const r = this.running;
    return {
      currentTick: this.current,
      inProgress: !!r,
      tick: r?.tick ?? this.current,
      phase: r?.phase ?? 'ADVANCE',
      members: r ? [...r.members] : [],
      completed: r ? [...r.completed].sort((a, b) => a - b) : [],
      pending: r ? r.members.filter((m) => !r.completed.has(m)) : [],
      lastFailure: this.lastFailure,
      attempt: r?.attempt ?? this.attempts,
    };
  }
}

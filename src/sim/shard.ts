import type { ColonyConfig } from '../core/config.js';
import { PhagoError } from '../core/errors.js';
import { validateDocument, type DocumentInput } from '../core/input.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { Partition } from '../core/partition.js';
import { nodeIdOf } from '../ids/ids.js';
import { newTextIndex } from '../search/text-index.js';
import { Placement } from '../cluster/placement.js';
import { encodeCandidates } from '../protocol/candidates.js';
import type { Phase } from '../cluster/tick-machine.js';
import { decodeLogged, replayLogged, TickParticipant, type Outgoing, type Owners } from '../shard/participant.js';
import { checkpointRows, restorePartition } from '../shard/recovery.js';
import { abortTick, commitTick, openTick, type TickHost } from '../shard/tick-gate.js';
import type { LoggedTick, StoredDoc } from '../storage/shard-storage.js';
import type { SimShardStorage } from './storage.js';
import { errorOf, type NodeId, type Reply, type Server, type SimNetwork } from './network.js';
import { StateDigest } from '../core/state-digest.js';
import { placementOf } from '../shard/membership-update.js';
import { handleMembership } from './shard-membership.js';


export const COORDINATOR: NodeId = 0;

export interface SimShardOptions {
  /**
   * False reverts the stale-attempt fix on this shard, as a test hook: delta batches and verdicts are
   * matched on the tick alone (deduplicated by sender and batch), as before attempt ids existed.
   */
  attemptIds: boolean;
  /** Committed ticks between two checkpoints of the graph (the log is replayed in between). */
  checkpointEvery: number;
  /** Deadline of a call to a peer, in time units. */
  deadline: number;
  /** Called on a broken invariant observed while running. */
  violation: (msg: string) => void;
  /** Receives what a replay of a seed wants to see (a stale message counted, the fix reverted). */
  trace?: (msg: string) => void;
  /**
   * Keep a follower replica beside this shard (docs/replication.md): it starts from the shard's
   * durable state, takes every ingest, replays every prepared tick from its log entry (undoably) and
   * must show the same state digest at every ADVANCE and the same full digest at every commit.
   */
  replica?: boolean;
  /** A test hook: the replica replays ticks without their degree-cap drops (the checks must see it). */
  breakReplica?: boolean;
  /** A test hook: the follower does not keep a prepared tick durably (a failover must then show it). */
  volatilePrepare?: boolean;
  /**
   * A test hook breaking a rule of membership changes: migrate_out drops the documents it sends at
   * once, before the new membership is decided and flipped (a change that then fails loses them).
   */
  earlyDrop?: boolean;
  /** Told each epoch this shard takes (at start from its durable state, and at each new membership). */
  onEpoch?: (id: NodeId, epoch: number) => void;
}

/**
 * A follower replica of a simulated shard: what src/shard/follower.ts does, without its transport,
 * with its own durable store (a promotion restarts the member over it).
 */
interface Replica {
  part: Partition;
  storage: SimShardStorage;
  checkpointTick: number;
  digest: StateDigest;
  prepared: { tick: number; delta: StateDigest; primary: StateDigest; body: LoggedTick } | null;
}

/**
 * A shard in the simulation: the production TickParticipant over a Partition, the production tick
 * gate (tick-gate.ts) and recovery (restorePartition, replayLogged), wired to the simulated network
 * the way src/shard/handlers.ts wires them to gRPC. A crash drops this object; a restart builds a new
 * one over the same SimShardStorage (its durable state).
 */
/** Participants created in this process: each gets its own incarnation (label numbers are per incarnation). */
let incarnations = 0;

export class SimShard implements TickHost, Server {
  part: Partition;
  participant: TickParticipant;
  committedTick = 0;
  checkpointTick = 0;
  aborted = { tick: 0, attempt: 0 };
  /** False while a tick prepared before a crash waits for the coordinator's outcome. */
  ready = true;
  /** Crashed: its timers do nothing (its calls are dropped by the network). */
  dead = false;
  /** The membership this shard is at (from its durable state; update_membership moves it). */
  placement: Placement = new Placement([]);
  epoch = 0;
  private ownerCache = new Map<string, number>();
  private replica: Replica | null = null;
  private digest: StateDigest | null = null;

  constructor(
    readonly id: NodeId,
    readonly config: ColonyConfig,
    readonly storage: SimShardStorage,
    readonly net: SimNetwork,
    readonly opts: SimShardOptions,
  ) {
    const st = storage.load();
    // as recoverShard: the membership from the durable meta
    this.setMembership(Number(st.meta.get('epoch') ?? 0), JSON.parse(st.meta.get('members') ?? '[]') as { id: number; address: string }[]);
    this.part = new Partition(config, newTextIndex(), this.owns);
    this.participant = new TickParticipant(this.part, `sim-${++incarnations}`);
    const r = restorePartition(this.part, st);
    this.committedTick = r.committedTick;
    this.checkpointTick = r.checkpointTick;
    // a follower syncs from a primary that has resolved a tick it held prepared (ShardNode registers,
    // and the coordinator resyncs its followers, only after resolvePrepared): none before
    if (opts.replica && !r.prepared) this.startReplica();
    if (r.prepared) {
      this.ready = false;
      const prepared = r.prepared;
      net.at(0, () => this.resolvePrepared(prepared)); // once attached to the network
    }
  }

  /** Whether this shard owns a key under its membership (as ShardNode.owns). */
  owns = (k: string): boolean => this.placement.size > 0 && this.placement.owner(k) === this.id;

  /** Set the membership's placement (no data moves here; applyEpoch's flip moves it). */
  setMembership(epoch: number, members: readonly { id: number; address: string }[]): void {
    this.placement = placementOf(members).placement;
    this.epoch = epoch;
    this.ownerCache.clear();
    this.opts.onEpoch?.(this.id, epoch);
  }

  /** The follower's durable store (migrate_in and abort_migration reach it as the replication stream does). */
  followerStorage(): SimShardStorage | null {
    return this.replica ? this.replica.storage : null;
  }

  /**
   * A follower from this shard's committed state (as a snapshot gives it, between ticks), checked
   * equal; it keeps its own copy of the durable state from then on.
   */
  private startReplica(): void {
    const storage = this.storage.copyCommitted();
    const part = new Partition(this.config, newTextIndex(), this.owns);
    const r = restorePartition(part, storage.load());
    this.digest = StateDigest.of(this.part);
    const digest = StateDigest.of(part);
    if (digest.value !== this.digest.value) this.opts.violation(`shard ${this.id}: a replica restored from its state has digest ${digest.value}, the shard ${this.digest.value}`);
    this.replica = { part, storage, checkpointTick: r.checkpointTick, digest, prepared: null };
  }

  /**
   * The follower's durable store, when the follower is in sync and may be promoted (no snapshot
   * pending); the schedule restarts a crashed member over it instead of over its own (a failover).
   */
  promotable(): SimShardStorage | null {
    return this.replica ? this.replica.storage : null;
  }

  /**
   * The follower is lost (it crashed, or its primary dropped it): a new one is synced by snapshot once
   * no tick is open here (the primary snapshots between ticks).
   */
  loseFollower(): void {
    if (!this.replica) return;
    this.replica = null;
    this.digest = null;
    const resync = () => {
      if (this.dead || this.replica) return;
      if (this.participant.openTick !== null || !this.ready) return void this.net.at(3, resync);
      this.startReplica();
    };
    this.net.at(5, resync);
  }

  /** ADVANCE: the replica replays the prepared tick; both digests with the tick applied must agree. */
  private replicatePrepared(tick: number, body: LoggedTick): void {
    const r = this.replica;
    if (!r || !this.digest || r.prepared?.tick === tick) return;
    if (r.part.openTick !== null) r.part.rollback();
    r.part.replay(tick, { ...decodeLogged(body), ...(this.opts.breakReplica ? { drops: [] } : {}) }, true);
    if (!this.opts.volatilePrepare) r.storage.prepareTick(tick, body);
    const mine = StateDigest.openTickDelta(this.part, this.part.digestedIds(), tick);
    const theirs = StateDigest.openTickDelta(r.part, body.digested, tick);
    if (this.digest.plus(mine).value !== r.digest.plus(theirs).value) this.opts.violation(`shard ${this.id}: replica digest ${r.digest.plus(theirs).value} differs from the shard's ${this.digest.plus(mine).value} at tick ${tick}`);
    r.prepared = { tick, delta: theirs, primary: mine, body };
  }

  private replicaCommit(tick: number): void {
    const r = this.replica;
    if (!r || !this.digest) return;
    if (r.prepared?.tick === tick && r.part.openTick === tick) {
      r.part.commit();
      if (this.opts.volatilePrepare) r.storage.prepareTick(tick, r.prepared.body); // (it was kept in memory only)
      r.storage.commitTick(tick);
      r.digest = r.digest.plus(r.prepared.delta);
      this.digest = this.digest.plus(r.prepared.primary);
      if (tick - r.checkpointTick >= this.opts.checkpointEvery) {
        const { nodes, edges } = checkpointRows(r.part);
        r.storage.checkpoint(tick, nodes, edges);
        r.checkpointTick = tick;
      }
    }
    r.prepared = null;
    // the incremental digests must equal the full ones, and the replica's the shard's
    const full = StateDigest.of(this.part).value;
    if (this.digest.value !== full) this.opts.violation(`shard ${this.id}: incremental digest ${this.digest.value} != full ${full} at tick ${tick}`);
    if (StateDigest.of(r.part).value !== full) this.opts.violation(`shard ${this.id}: the replica's state differs from the shard's after tick ${tick}`);
  }

  owners(): Owners {
    const ownerOfLabel = (l: string) => {
      let o = this.ownerCache.get(l);
      if (o === undefined) this.ownerCache.set(l, (o = this.placement.owner(nodeIdOf(l))));
      return o;
    };
    return { self: this.id, members: this.placement.shards, ownerOfLabel };
  }

  commitOpen(tick: number): void {
    if (tick !== this.committedTick + 1) this.opts.violation(`shard ${this.id} commits tick ${tick} after tick ${this.committedTick}`);
    this.participant.commit(tick);
    this.storage.commitTick(tick);
    this.committedTick = tick;
    this.replicaCommit(tick);
    if (this.committedTick - this.checkpointTick >= this.opts.checkpointEvery) {
      const { nodes, edges } = checkpointRows(this.part);
      this.storage.checkpoint(this.committedTick, nodes, edges);
      this.checkpointTick = this.committedTick;
    }
  }

  abortOpen(): void {
    const tick = this.participant.openTick;
    if (tick === null) return;
    this.participant.abort();
    this.storage.discardTick(tick);
    if (this.replica) {
      if (this.replica.part.openTick !== null) this.replica.part.rollback();
      this.replica.storage.discardTick(tick);
      this.replica.prepared = null;
    }
  }

  /** As ShardNode.resolvePrepared: ask the coordinator whether the prepared tick committed. */
  private resolvePrepared(p: { tick: number; body: LoggedTick }): void {
    if (this.dead) return;
    this.net.call(this.id, COORDINATOR, 'tick_status', {}, this.opts.deadline, (r) => {
      const s = r.ok ? (r.value as { in_progress: boolean; tick: number; current_tick: number }) : null;
      if (s && s.current_tick >= p.tick) {
        if (p.tick !== this.committedTick + 1) this.opts.violation(`shard ${this.id} replays prepared tick ${p.tick} after tick ${this.committedTick}`);
        replayLogged(this.part, p.tick, p.body);
        this.storage.commitTick(p.tick);
        this.committedTick = p.tick;
        if (this.opts.replica) this.startReplica(); // a snapshot of the state after the replayed tick
        this.ready = true;
      } else if (s && !(s.in_progress && s.tick === p.tick)) {
        this.storage.discardTick(p.tick);
        if (this.opts.replica) this.startReplica();
        this.ready = true;
      } else this.net.at(this.opts.deadline, () => this.resolvePrepared(p));
    });
  }

  handle(method: string, body: unknown, _from: NodeId, reply: Reply): void {
    if (!this.ready) return reply({ ok: false, error: { code: 'UNAVAILABLE', message: `shard ${this.id} is recovering` } });
    try {
      const b = body as { tick: number; attempt: number };
      switch (method) {
        case 'tick_phase':
          return this.phase(body as { tick: number; attempt: number; epoch: number; phase: Phase; digest?: string[]; empty?: boolean }, reply);
        case 'deliver_deltas': {
          const m = body as { tick: number; attempt: number; epoch: number; from: number; batch: number; payload: Buffer };
          this.checkPeer(m);
          this.participant.deliver(m.tick, this.attemptOf(m), m.from, m.batch, m.payload);
          return reply({ ok: true, value: {} });
        }
        case 'receive_signals': {
          const m = body as { tick: number; attempt: number; epoch: number; from: number; payload: Buffer };
          this.checkPeer(m);
          this.participant.receiveDrops(m.tick, this.attemptOf(m), m.from, m.payload);
          return reply({ ok: true, value: {} });
        }
        case 'abort_tick':
          abortTick(this, b.tick, b.attempt, 'aborted by the coordinator');
          return reply({ ok: true, value: {} });
        case 'commit_tick':
          commitTick(this, b.tick, b.attempt);
          return reply({ ok: true, value: {} });
        case 'ingest_document':
          return reply({ ok: true, value: this.ingest(body as { epoch: number; tick: number; docs: DocumentInput[] }) });
        default:
          return handleMembership(this, method, body, reply);
      }
    } catch (e) {
      reply({ ok: false, error: errorOf(e) });
    }
  }

  /** As the handlers: a tick message is of this shard's epoch (else the coordinator pushes the membership again). */
  checkEpoch(epoch: number): void {
    if (epoch !== this.epoch) throw new PhagoError('FAILED_PRECONDITION', `stale epoch ${epoch}: shard ${this.id} is at epoch ${this.epoch}`);
  }

  private checkPeer(m: { epoch: number; from: number }): void {
    this.checkEpoch(m.epoch);
    if (!this.placement.has(m.from)) throw new PhagoError('FAILED_PRECONDITION', `shard ${m.from} is not a member of epoch ${this.epoch}`);
  }

  /** The attempt a message is taken for: its own, or (the fix reverted) whatever attempt of its tick is open. */
  private attemptOf(m: { tick: number; attempt: number }): number {
    const open = this.participant.openAttempt;
    if (this.opts.attemptIds || this.participant.openTick !== m.tick || open === m.attempt) return m.attempt;
    this.opts.trace?.(`t=${this.net.now}: shard ${this.id} takes a message of attempt ${m.attempt} of tick ${m.tick} for attempt ${open} (fix reverted)`);
    return open!;
  }

  private phase(req: { tick: number; attempt: number; epoch: number; phase: Phase; digest_count?: number; empty?: boolean }, reply: Reply): void {
    const { tick, attempt } = req;
    this.checkEpoch(req.epoch);
    const p = this.participant;
    if (req.phase === 'SENSE') {
      openTick(this, tick, attempt);
      return reply({ ok: true, value: { candidates: encodeCandidates(p.offer(tick, attempt, this.config.digestPerTick)) } });
    }
    if (req.phase === 'ACT') {
      const outs = p.act(tick, attempt, req.digest_count ?? 0, this.owners());
      return this.send('deliver_deltas', tick, attempt, outs, (o) => ({ batch: 0, payload: o.payload }), reply);
    }
    if (req.phase === 'DECAY') return this.send('receive_signals', tick, attempt, p.decay(tick, attempt, this.owners()), (o) => ({ payload: o.payload }), reply);
    if (req.empty && p.openTick !== tick) openTick(this, tick, attempt);
    const logged = req.empty ? p.advanceEmpty(tick, attempt) : p.advance(tick, attempt, true);
    if (logged) {
      this.storage.prepareTick(tick, logged);
      this.replicatePrepared(tick, logged);
    }
    reply({ ok: true, value: { counts: { digested: this.part.docs.digestedCount } } });
  }

  /** Send one message per peer and reply when every peer acknowledged (as the gRPC handler awaits them). */
  private send(method: string, tick: number, attempt: number, outs: Outgoing[], body: (o: Outgoing) => object, reply: Reply): void {
    let left = outs.length;
    let failed = false;
    if (left === 0) return reply({ ok: true, value: {} });
    for (const o of outs) {
      this.net.call(this.id, o.to, method, { tick, attempt, epoch: this.epoch, from: this.id, ...body(o) }, this.opts.deadline, (r) => {
        // the labels a message named are known to its receiver once it has answered (every reply counts)
        if (!r.ok) this.participant.sendFailed(o.to);
        else this.participant.acknowledge(o);
        if (failed) return;
        if (!r.ok) {
          failed = true;
          return reply({ ok: false, error: { code: 'UNAVAILABLE', message: `${method} to shard ${o.to} failed: ${r.error.message}` } });
        }
        if (--left === 0) reply({ ok: true, value: {} });
      });
    }
  }

  /** As the ingest handler: the coordinator's tick, all or none, owned documents only, durable before the reply. */
  private ingest(req: { epoch: number; tick: number; docs: DocumentInput[] }): { created: boolean[] } {
    this.checkEpoch(req.epoch);
    if (req.tick < this.committedTick || req.tick > this.committedTick + 1) throw new PhagoError('FAILED_PRECONDITION', `ingestion tick ${req.tick} does not fit shard ${this.id} at tick ${this.committedTick}`);
    const vs = req.docs.map((d) => validateDocument(d, DEFAULT_LIMITS));
    for (const v of vs) if (!this.owns(v.id)) throw new PhagoError('FAILED_PRECONDITION', `document ${v.key} is not owned by shard ${this.id}`);
    const had = new Set(vs.filter((v) => this.part.docs.numberOf(v.id) !== undefined).map((v) => v.id));
    const created = this.part.ingest(vs, req.tick);
    const fresh = vs.filter((v, i) => created[i].created && !had.has(v.id));
    const stored: StoredDoc[] = fresh.map((v) => ({ id: v.id, key: v.key, title: v.title, text: v.text, ingestTick: req.tick, digestedTick: null, unreportedBatch: null }));
    if (this.replica && this.digest) {
      this.replica.storage.addDocs(stored);
      // the follower takes the same documents (the primary ships them before it acknowledges)
      this.replica.part.ingest(fresh, req.tick);
      for (const v of fresh) {
        this.digest.document(this.part, v.id, 1);
        this.replica.digest.document(this.replica.part, v.id, 1);
      }
    }
    if (stored.length > 0) this.storage.addDocs(stored);
    return { created: created.map((c) => c.created) };
  }
}

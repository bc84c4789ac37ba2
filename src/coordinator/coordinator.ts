import type * as grpc from '@grpc/grpc-js';
import { makeConfig, type ColonyConfig } from '../colony/config.js';
import { ConceptGraph } from '../core/graph.js';
import { canonicalHash } from '../core/hash.js';
import { planDigestion } from '../core/partition.js';
import type { Candidate } from '../core/documents.js';
import { validateBatch, type DocumentInput } from '../colony/input.js';
import { DEFAULT_LIMITS, type Limits } from '../colony/limits.js';
import { GlobalStats } from '../cluster/df.js';
import type { ShardId } from '../cluster/placement.js';
import { Registry, type ShardCounts } from '../cluster/registry.js';
import { Refusal, TickMachine, type Phase } from '../cluster/tick-machine.js';
import { attemptArg, phaseArg, uuidArg, type CountsMsg } from '../cluster/wire.js';
import { DEFAULT_ALPHA } from '../engine/local.js';
import { nodeIdOf } from '../ids/ids.js';
import { describeError, RpcClient } from '../rpc/client.js';
import { coordinatorService, ShardServiceClient } from '../rpc/proto.js';
import { addService, listen, newServer, rpcError, shutdown } from '../rpc/server.js';
import type { SecurityConfig } from '../rpc/security.js';
import { expandQuery, EXPANSION_TERMS, mergeHits, type DocHit } from '../search/bm25.js';
import { rankConcepts, type ConceptCandidate } from '../search/concepts.js';
import { checkAlpha, checkK, parseQuery } from '../search/query.js';
import { bridgeConcepts, centralConcepts, shortestPath } from '../search/structure.js';
import { Mutex, RwLock, withTimeout } from '../util/mutex.js';
import { CoordinatorMetrics } from '../metrics/metrics.js';
import { CoordinatorStore } from '../storage/coordinator-store.js';
import { clock } from '../util/clock.js';

export interface CoordinatorOptions {
  host?: string;
  port?: number;
  security: SecurityConfig;
  config?: Partial<ColonyConfig>;
  limits?: Partial<Limits>;
  /** How long one phase of a tick may take on every shard before the tick aborts. */
  phaseTimeoutMs?: number;
  /** Default per-shard deadline of a query. */
  queryDeadlineMs?: number;
  /** The largest deadline_ms a query may ask for (INVALID_ARGUMENT above it); default 30 s. */
  maxQueryDeadlineMs?: number;
  leaseMs?: number;
  /** Data directory: durable state in SQLite. Without it the coordinator keeps everything in memory. */
  dataDir?: string;
  /** How long run_ticks keeps retrying an aborted tick while waiting for the cluster to be whole. */
  retryWindowMs?: number;
  /** Document-query options (graph expansion terms, coordination). */
  expansion?: number;
  coordination?: boolean;
  log?: (msg: string) => void;
}

const MAX_INGEST_BATCH = 10_000;

/** What a query needs of the coordinator's state, taken under the state lock, which it then releases. */
interface QuerySnapshot {
  /** `stateVersion` when taken: a different one afterwards means a tick or membership change ran meanwhile. */
  version: number;
  epoch: number;
  shards: { id: ShardId; client: RpcClient }[];
}
const MAX_DF_TERMS = 100_000;

/**
 * The coordinator: membership, placement, the tick protocol, global statistics and the cluster's
 * query entry point. The pure parts (Registry, TickMachine, GlobalStats, planDigestion) hold the
 * logic; this class is the gRPC layer around them.
 */
export class Coordinator {
  readonly config: ColonyConfig;
  readonly limits: Limits;
  readonly registry: Registry;
  readonly machine: TickMachine;
  private readonly store?: CoordinatorStore;
  /** Last df batch applied per shard identity (the store keeps it when there is one). */
  private readonly dfBatches = new Map<string, number>();
  /** A tick found in progress at start-up, to abort on every shard. */
  private recoveredTick = 0;
  /** Its attempt (the last attempt number given out before the restart). */
  private recoveredAttempt = 0;
  /** True from a restart with a data directory until the shards were told its outcome (converge). */
  private recovering = false;
  readonly stats = new GlobalStats();
  private digested = 0;
  private readonly clients = new Map<ShardId, RpcClient>();
  private readonly server = newServer();
  /**
   * Ticks and membership changes hold it for writing, queries for reading: a query never sees a tick
   * half applied, and many queries run at once.
   */
  private readonly stateLock = new RwLock();
  private readonly membershipLock = new Mutex();
  private readonly log: (msg: string) => void;
  private readonly phaseTimeoutMs: number;
  private readonly queryDeadlineMs: number;
  private readonly maxQueryDeadlineMs: number;
  /**
   * Bumped when a tick or a membership change takes the state lock for writing and again when it
   * releases it: a query that saw it change while it asked the shards may have seen it half applied.
   */
  private stateVersion = 0;
  private readonly expansion: number;
  private readonly coordination: boolean;
  port = 0;
  readonly metrics: CoordinatorMetrics;
  /** Wall time of each phase (push to barrier complete) of recent ticks, for metrics and benchmarks. */
  readonly phaseMs: Record<Phase, number[]> = { SENSE: [], ACT: [], DECAY: [], ADVANCE: [] };

  constructor(private readonly opts: CoordinatorOptions) {
    this.config = makeConfig(opts.config);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.registry = new Registry(opts.leaseMs ?? 3000);
    this.machine = new TickMachine();
    if (opts.dataDir) {
      const store = (this.store = new CoordinatorStore(opts.dataDir));
      const saved = store.meta('config');
      if (saved === undefined) store.setMeta({ config: JSON.stringify(this.config) });
      else if (opts.config && Object.keys(opts.config).length > 0 && saved !== JSON.stringify(this.config))
        throw new RangeError(`the data directory ${opts.dataDir} holds a colony with config ${saved}; start with the same config or another directory`);
      else this.config = makeConfig(JSON.parse(saved) as Partial<ColonyConfig>);
      this.registry.restore(store.shards(), Number(store.meta('epoch') ?? 0), Number(store.meta('next_id') ?? 1), clock.nowMs());
      // attempt numbers go on from the last one given out: a restarted coordinator never reuses one
      this.machine = new TickMachine(Number(store.meta('current_tick') ?? 0), Number(store.meta('attempt') ?? 0));
      this.digested = Number(store.meta('digested') ?? 0);
      for (const [t, n] of store.df()) this.stats.df.set(t, n);
      this.stats.documents = Number(store.meta('documents') ?? 0);
      this.stats.totalLength = Number(store.meta('total_length') ?? 0);
      this.recoveredTick = Number(store.meta('tick_in_progress') ?? 0);
      this.recoveredAttempt = this.machine.attempts;
    }
    this.phaseTimeoutMs = opts.phaseTimeoutMs ?? 30_000;
    this.queryDeadlineMs = opts.queryDeadlineMs ?? 5_000;
    this.maxQueryDeadlineMs = opts.maxQueryDeadlineMs ?? 30_000;
    if (!(this.queryDeadlineMs >= 1 && this.queryDeadlineMs <= this.maxQueryDeadlineMs)) throw new RangeError(`the default query deadline ${this.queryDeadlineMs} ms must be in [1, ${this.maxQueryDeadlineMs}] (the largest a query may ask for)`);
    this.expansion = opts.expansion ?? EXPANSION_TERMS;
    this.coordination = opts.coordination ?? true;
    this.log = opts.log ?? (() => {});
    this.metrics = new CoordinatorMetrics({
      tick: () => this.machine.current,
      epoch: () => this.registry.epoch,
      documents: () => this.stats.documents,
      pending: () => this.pending(),
      shards: () => {
        const now = clock.nowMs();
        const out: Record<string, number> = { ONLINE: 0, SUSPECT: 0, OFFLINE: 0, DRAINING: 0 };
        for (const s of this.registry.list()) out[this.registry.status(s, now)]++;
        return out;
      },
    });
  }

  async start(): Promise<number> {
    addService(this.server, coordinatorService, this.handlers(), this.opts.security, (m, e) => this.log(`error in ${m}: ${describeError(e)}`));
    this.port = await listen(this.server, this.opts.host ?? '127.0.0.1', this.opts.port ?? 0, this.opts.security);
    if (this.store) {
      this.recovering = true;
      void this.writeState(() => this.converge())
        .catch((e) => this.log(`converging after a restart: ${describeError(e)}`))
        .finally(() => (this.recovering = false));
    }
    return this.port;
  }

  /**
   * After a restart: a tick that was in progress without a decision is aborted on every shard; the last
   * committed tick is confirmed to every shard (a shard that missed commit_tick converges); shards get
   * the membership again. Best effort: a shard that is down converges when it registers again.
   */
  private async converge(): Promise<void> {
    const ids = this.registry.ids();
    if (this.recoveredTick > this.machine.current) {
      const tick = this.recoveredTick;
      const attempt = this.recoveredAttempt;
      await Promise.allSettled(ids.map((s) => this.client(s).call('abort_tick', { tick, attempt, reason: 'the coordinator restarted during the tick' }, 5000)));
      if (!this.machine.inProgress) this.store?.setMeta({ tick_in_progress: 0 }); // (a tick registered meanwhile keeps its record)
      this.log(`tick ${tick} was in progress when the coordinator stopped: aborted`);
    }
    this.recoveredTick = 0;
    const migration = this.store?.meta('migration');
    if (migration) {
      const { epoch, phase } = JSON.parse(migration) as { epoch: number; phase: string };
      if (phase === 'copy') {
        await Promise.allSettled(ids.map((s) => this.client(s).call('abort_migration', { epoch }, 5000)));
        this.store?.setMeta({ migration: '' });
        this.log(`a membership change to epoch ${epoch} was copying when the coordinator stopped: abandoned`);
      } else this.log(`a membership change to epoch ${epoch} was decided when the coordinator stopped: completing it`);
    }
    const committed = { tick: this.machine.current, attempt: Number(this.store?.meta('committed_attempt') ?? 0) };
    if (committed.tick > 0) await Promise.allSettled(ids.map((s) => this.client(s).call('commit_tick', committed, 5000)));
    try {
      await this.pushMembership();
      if (migration) this.store?.setMeta({ migration: '' });
    } catch (e) {
      this.log(`membership after restart: ${describeError(e)}`);
    }
  }

  /** The state lock for writing, for a section that changes the shards' state (a tick, a membership change). */
  private writeState<T>(fn: () => Promise<T>): Promise<T> {
    return this.stateLock.write(async () => {
      this.stateVersion++;
      try {
        return await fn();
      } finally {
        this.stateVersion++;
      }
    });
  }

  private clientFor(m: { id: ShardId; address: string }): RpcClient {
    return new RpcClient(ShardServiceClient, m.address, this.opts.security, this.phaseTimeoutMs);
  }

  /** What the last membership change moved (reported by stats). */
  lastRebalance: { epoch: number; change: string; documents: number; nodes: number; edges: number; total_documents: number; total_nodes: number } | null = null;

  /**
   * Move data for a membership change between ticks: every shard of the old membership sends what the
   * new placement gives to another shard (`migrate_out` → `migrate_in`, durable on the receiver); then
   * the new membership is recorded (the decision) and pushed (`update_membership`, the flip: receivers
   * install, senders drop). `change` > 0 is a joining shard already in the registry, < 0 a leaving one.
   * A failure before the decision aborts the move everywhere and leaves the old membership in force.
   */
  private async rebalance(prev: ShardId[], change: number, what: string): Promise<void> {
    const nextIds = change > 0 ? this.registry.ids() : this.registry.ids().filter((s) => s !== -change);
    const members = this.registry.list().filter((s) => nextIds.includes(s.id)).map((s) => ({ id: s.id, address: s.address }));
    const epoch = change > 0 ? this.registry.epoch : this.registry.epoch + 1;
    // the epoch is spent now: an attempt that fails (or a crash) never reuses it
    this.store?.setMeta({ migration: JSON.stringify({ epoch, what, phase: 'copy' }), epoch });
    const totals = { documents: 0, nodes: 0, edges: 0 };
    const t0 = performance.now();
    try {
      const replies = await Promise.all(prev.map((s) => this.client(s).call<{ documents: number; nodes: number; edges: number }>('migrate_out', { epoch, members }, 600_000)));
      for (const r of replies) {
        totals.documents += r.documents;
        totals.nodes += r.nodes;
        totals.edges += r.edges;
      }
    } catch (e) {
      await Promise.allSettled([...new Set([...prev, ...nextIds])].map((s) => this.client(s).call('abort_migration', { epoch }, 5000)));
      this.store?.setMeta({ migration: '' });
      throw rpcError.unavailable(`rebalancing for "${what}" failed, nothing moved: ${describeError(e)}`);
    }
    const c = this.clusterCounts();
    this.lastRebalance = { epoch, change: what, ...totals, total_documents: this.stats.documents, total_nodes: c.nodes };
    this.log(`rebalancing for "${what}" (epoch ${epoch}): ${totals.documents} documents, ${totals.nodes} concepts, ${totals.edges} edge copies moved in ${(performance.now() - t0).toFixed(0)} ms`);
  }

  /** Persist the membership; with a membership change under way this is its decision (phase flip). */
  private persistMembership(): void {
    const migration = this.store?.meta('migration');
    const flip: Record<string, string> = migration ? { migration: JSON.stringify({ ...(JSON.parse(migration) as object), phase: 'flip' }) } : {};
    this.store?.saveMembership(
      this.registry.list().map((s) => ({ id: s.id, address: s.address, identity: s.identity })),
      { epoch: this.registry.epoch, next_id: this.registry.nextShardId, ...flip },
    );
  }

  async stop(): Promise<void> {
    await shutdown(this.server);
    for (const c of this.clients.values()) c.close();
    await this.stateLock.write(() => undefined);
    this.store?.close();
  }

  get currentTick(): number {
    return this.machine.current;
  }

  /** The coordinator's own client of a shard (benchmarks measure bare round trips with it). */
  clientOf(id: ShardId): RpcClient {
    return this.client(id);
  }

  private client(id: ShardId): RpcClient {
    const rec = this.registry.get(id);
    if (!rec) throw rpcError.notFound(`unknown shard ${id}`);
    let c = this.clients.get(id);
    if (!c || c.address !== rec.address) {
      c?.close();
      c = new RpcClient(ShardServiceClient, rec.address, this.opts.security, this.phaseTimeoutMs);
      this.clients.set(id, c);
    }
    return c;
  }

  private members() {
    return this.registry.list().map((s) => ({ id: s.id, address: s.address }));
  }

  /** Tell every shard the current membership and config (between ticks). */
  private async pushMembership(): Promise<void> {
    const members = this.members();
    const config_json = JSON.stringify(this.config);
    const results = await Promise.allSettled(members.map((m) => this.client(m.id).call('update_membership', { epoch: this.registry.epoch, members, you: m.id, config_json, tick: this.machine.current })));
    const failed = results.map((r, i) => [r, members[i].id] as const).filter(([r]) => r.status === 'rejected');
    if (failed.length > 0) throw rpcError.unavailable(`membership epoch ${this.registry.epoch} could not reach shard(s) ${failed.map(([r, id]) => `${id} (${describeError((r as PromiseRejectedResult).reason)})`).join(', ')}`);
  }

  // ---- ticks -------------------------------------------------------------------------------------

  /**
   * Register tick current+1, synchronously (no await before it is in the tick machine): a second start
   * while it is registered is refused with its number. Recorded as in progress before any shard hears of it.
   */
  private beginTick(): { tick: number; attempt: number } {
    let tick: number;
    try {
      tick = this.machine.start(this.registry.ids());
    } catch (e) {
      throw this.refusal(e);
    }
    const attempt = this.machine.attempt!;
    // the attempt number is spent now (durable with the tick in progress): never given out twice
    this.store?.setMeta({ tick_in_progress: tick, attempt });
    return { tick, attempt };
  }

  /** Start the next tick and drive it through the four phases on every shard; resolves when it commits. */
  runTick(): Promise<number> {
    let begun: { tick: number; attempt: number };
    try {
      begun = this.beginTick();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.driveTick(begun.tick, begun.attempt);
  }

  /** Drive a registered tick (it waits for the state lock: queries, ingests, membership changes). */
  private driveTick(tick: number, attempt: number): Promise<number> {
    return this.writeState(async () => {
      let members: ShardId[] = [];
      const epoch = this.registry.epoch;
      try {
        // the membership as it is now that the tick runs (a membership change may have run meanwhile)
        members = this.registry.ids();
        this.machine.setMembers(members);
        const sense = await this.phase('SENSE', tick, attempt, members, epoch, () => ({}));
        const candidates: (Candidate & { shard: ShardId })[] = [];
        sense.forEach((r, i) => {
          for (const c of (r.candidates ?? []) as { ingest_tick: number; id: string }[]) candidates.push({ ingestTick: c.ingest_tick, id: c.id, shard: members[i] });
        });
        const chosen = planDigestion(candidates, this.config.digestPerTick);
        const owner = new Map(candidates.map((c) => [c.id, c.shard]));
        let adv: Awaited<ReturnType<typeof this.phase>>;
        if (chosen.length === 0) {
          // nothing to digest anywhere: no presentations, no new edges, no verdicts; ADVANCE prunes and prepares
          this.machine.skipToAdvance();
          adv = await this.phase('ADVANCE', tick, attempt, members, epoch, () => ({ empty: true }));
        } else {
          this.machine.nextPhase();
          await this.phase('ACT', tick, attempt, members, epoch, (s) => ({ digest: chosen.filter((c) => owner.get(c.id) === s).map((c) => c.id) }));
          this.machine.nextPhase();
          await this.phase('DECAY', tick, attempt, members, epoch, () => ({}));
          this.machine.nextPhase();
          adv = await this.phase('ADVANCE', tick, attempt, members, epoch, () => ({}));
        }
        // the decision: commit, recorded before any shard is told
        this.store?.setMeta({ current_tick: tick, digested: this.digested + chosen.length, tick_in_progress: 0, committed_attempt: attempt });
        failpoint('after-decision');
        this.machine.commit();
        this.metrics.ticksCommitted.inc();
        this.digested += chosen.length;
        adv.forEach((r, i) => r.counts && this.registry.setCounts(members[i], countsOf(r.counts as CountsMsg)));
        await Promise.all(members.map((s) => this.client(s).call('commit_tick', { tick, attempt }).catch((e) => this.log(`commit_tick ${tick} on shard ${s}: ${describeError(e)}`))));
        return tick;
      } catch (e) {
        const reason = describeError(e);
        this.machine.abort(reason);
        this.store?.setMeta({ tick_in_progress: 0 });
        this.metrics.ticksAborted.inc();
        await Promise.allSettled(members.map((s) => this.client(s).call('abort_tick', { tick, attempt, reason }, 5000)));
        this.log(`tick ${tick} aborted: ${reason}`);
        throw rpcError.aborted(`tick ${tick} aborted: ${reason}`);
      }
    });
  }

  /**
   * Run the next tick; when it aborts, wait until every shard answers again (the cluster is whole) and
   * run it again, for up to retryWindowMs. Without a window the abort is returned at once.
   */
  async runTickRetrying(): Promise<number> {
    const window = this.opts.retryWindowMs ?? 0;
    const end = clock.nowMs() + window;
    for (;;) {
      // a tick another client started runs first (run_ticks waits for it rather than failing)
      while (this.machine.inProgress) await this.machine.waitIdle();
      try {
        return await this.runTick();
      } catch (e) {
        if (window <= 0 || clock.nowMs() >= end) throw e;
        this.log(`${describeError(e)}; waiting for every shard before running the tick again`);
        await this.waitWhole(end);
      }
    }
  }

  private async waitWhole(end: number): Promise<void> {
    while (clock.nowMs() < end) {
      const ids = this.registry.ids();
      const ok = await Promise.allSettled(ids.map((s) => this.client(s).call<{ serving: boolean }>('health_check', {}, 1000)));
      if (ids.length > 0 && ok.every((r) => r.status === 'fulfilled' && r.value.serving)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * One phase on every shard: push it and wait for every reply. The reply is the shard's one
   * acknowledgement of the phase: it records the shard in the barrier, and the next phase is pushed
   * only when every shard of the tick has replied.
   */
  private async phase(phase: Phase, tick: number, attempt: number, members: ShardId[], epoch: number, body: (s: ShardId) => object) {
    const t0 = performance.now();
    const replies = await Promise.all(
      members.map((s) =>
        this.client(s)
          .call('tick_phase', { tick, phase, epoch, attempt, ...body(s) }, this.phaseTimeoutMs)
          .then((r) => {
            this.machine.complete(s, phase, tick, true, attempt);
            return r;
          })
          .catch((e) => {
            throw new Error(`shard ${s} failed ${phase}: ${describeError(e)}`);
          }),
      ),
    );
    if (!this.machine.barrierComplete) throw new Error(`the ${phase} barrier did not complete`);
    const times = this.phaseMs[phase];
    times.push(performance.now() - t0);
    this.metrics.phaseSeconds.observe({ phase }, (performance.now() - t0) / 1000);
    if (times.length > 1000) times.splice(0, times.length - 1000);
    return replies;
  }

  private refusal(e: unknown): unknown {
    if (e instanceof Refusal) {
      return e.kind === 'NOT_FOUND' ? rpcError.notFound(e.message) : e.kind === 'INVALID_ARGUMENT' ? rpcError.invalid(e.message) : rpcError.precondition(e.message);
    }
    return e;
  }

  private pending(): number {
    return Math.max(0, this.stats.documents - this.digested);
  }

  // ---- queries -----------------------------------------------------------------------------------

  /** Under the state lock: the membership (and its clients) a query asks, and the state version. */
  private querySnapshot(): QuerySnapshot {
    const ids = this.registry.ids();
    if (ids.length === 0) throw rpcError.precondition('no shards are registered');
    return { version: this.stateVersion, epoch: this.registry.epoch, shards: ids.map((id) => ({ id, client: this.client(id) })) };
  }

  /** A query's deadline_ms: 0 means the default; above the configured maximum it is refused. */
  private queryDeadline(ms: number): number {
    if (!ms) return this.queryDeadlineMs;
    if (!Number.isInteger(ms) || ms < 0 || ms > this.maxQueryDeadlineMs)
      throw rpcError.invalid(`deadline_ms ${ms} is over the limit of ${this.maxQueryDeadlineMs} ms (the coordinator's --max-query-deadline); ask for less, or 0 for the default ${this.queryDeadlineMs} ms`);
    return ms;
  }

  /**
   * Ask every shard (of a query's snapshot, else of the current membership); a shard that misses the
   * deadline is reported, never silently dropped.
   */
  private async fanout<T>(method: string, req: (s: ShardId) => object, deadlineMs: number, snapshot?: QuerySnapshot): Promise<{ replies: { shard: ShardId; reply: T }[]; missing: ShardId[] }> {
    const shards = snapshot?.shards ?? this.querySnapshot().shards;
    const ids = shards.map((s) => s.id);
    const settled = await Promise.allSettled(shards.map((s) => s.client.call<T>(method, req(s.id), deadlineMs)));
    const replies: { shard: ShardId; reply: T }[] = [];
    const missing: ShardId[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') replies.push({ shard: ids[i], reply: r.value });
      else {
        missing.push(ids[i]);
        this.log(`${method} on shard ${ids[i]}: ${describeError(r.reason)}`);
      }
    });
    return { replies, missing };
  }

  async queryConcepts(snapshot: QuerySnapshot, terms: string[], k: number, alpha: number, deadlineMs: number) {
    type R = { concepts: { id: string; label: string; seed: boolean; affinity: number; access_count: number }[]; seeds: number };
    const { replies, missing } = await this.fanout<R>('local_query', () => ({ terms, k, concepts: true }), deadlineMs, snapshot);
    const cands: ConceptCandidate[] = [];
    let seeds = 0;
    for (const { reply } of replies) {
      seeds += reply.seeds;
      for (const c of reply.concepts) cands.push({ id: c.id, label: c.label, seed: c.seed, affinity: c.affinity, accessCount: c.access_count });
    }
    return { hits: seeds === 0 ? [] : rankConcepts(cands, seeds, { alpha, k }), missing };
  }

  async queryDocuments(snapshot: QuerySnapshot, terms: string[], k: number, deadlineMs: number) {
    const missing = new Set<ShardId>();
    let concepts: { label: string; lexical: number; graph: number }[] = [];
    if (this.expansion > 0 && terms.length > 0) {
      const c = await this.queryConcepts(snapshot, terms, terms.length + this.expansion, DEFAULT_ALPHA, deadlineMs);
      concepts = c.hits;
      c.missing.forEach((s) => missing.add(s));
    }
    const weighted = expandQuery(terms, concepts, this.expansion);
    // the statistics in one synchronous step (a df report applies all of its counts at once): consistent
    const df = Object.fromEntries(weighted.map((w) => [w.term, this.stats.get(w.term)]));
    const stats = { documents: this.stats.documents, total_length: this.stats.totalLength, df };
    const { replies, missing: m2 } = await this.fanout<{ documents: DocHit[] }>('local_query', () => ({ k, concepts: false, stats, weighted, coordination: this.coordination }), deadlineMs, snapshot);
    m2.forEach((s) => missing.add(s));
    return { hits: mergeHits(replies.map((r) => r.reply.documents), k), missing: [...missing].sort((a, b) => a - b) };
  }

  /** The whole graph, gathered from the shards (structural queries and the canonical hash). */
  async gatherGraph(): Promise<ConceptGraph> {
    type Exp = { nodes: { id: string; label: string; access_count: number; created_tick: number }[]; edges: { label_a: string; label_b: string; weight: number; co_activations: number; created_tick: number; last_activated_tick: number }[] };
    const { replies, missing } = await this.fanout<Exp>('export_graph', () => ({}), this.phaseTimeoutMs);
    if (missing.length > 0) throw rpcError.unavailable(`shard(s) ${missing.join(', ')} did not answer; the graph cannot be gathered`);
    const g = new ConceptGraph(this.config);
    const tick = this.machine.current;
    for (const { reply } of replies) {
      for (const n of reply.nodes) g.installNode({ id: n.id, label: n.label, accessCount: n.access_count, createdTick: n.created_tick });
      for (const e of reply.edges) g.installEdge(e.label_a, e.label_b, { weight: e.weight, coActivations: e.co_activations, createdTick: e.created_tick, lastActivatedTick: e.last_activated_tick }, tick);
    }
    return g;
  }

  async graphHash(): Promise<string> {
    return canonicalHash(await this.gatherGraph(), this.machine.current, () => true);
  }

  private clusterCounts() {
    const list = this.registry.list();
    const sum = (f: (c: ShardCounts) => number) => list.reduce((s, r) => s + f(r.counts), 0);
    return { nodes: sum((c) => c.nodes), edges: sum((c) => c.edges), held: sum((c) => c.documents) };
  }

  // ---- ingest ------------------------------------------------------------------------------------

  private async ingest(docs: DocumentInput[]) {
    if (!Array.isArray(docs) || docs.length === 0) throw rpcError.invalid('no documents to ingest');
    if (docs.length > MAX_INGEST_BATCH) throw rpcError.invalid(`at most ${MAX_INGEST_BATCH} documents per call, got ${docs.length}`);
    if (this.registry.size === 0) throw rpcError.precondition('no shards are registered');
    const placement = this.registry.placement();
    const groups = new Map<ShardId, { doc: DocumentInput; index: number }[]>();
    // the whole request first: a conflict inside it refuses it before anything is stored
    const valid = validateBatch(docs.map((d) => ({ id: d.id, title: d.title, text: d.text })), this.limits);
    docs.forEach((d, index) => {
      const v = valid[index];
      const s = placement.owner(v.id);
      let g = groups.get(s);
      if (!g) groups.set(s, (g = []));
      // what the shard gets is what was validated (normalized text, e.g. no lone surrogates)
      g.push({ doc: { id: d.id === undefined || d.id === null ? undefined : v.key, title: v.title, text: v.text }, index });
    });
    const results = new Array(docs.length);
    const epoch = this.registry.epoch;
    // the ingestion tick is the coordinator's (no tick runs during an ingest): a shard may still hold a
    // tick that was aborted
    const tick = this.machine.current;
    // several shards: each first checks its part against what it stores (check_only), so a conflict
    // with a stored document refuses the whole request before any shard stores anything
    if (groups.size > 1) await Promise.all([...groups.entries()].map(([s, list]) => this.client(s).call('ingest_document', { epoch, tick, check_only: true, docs: list.map((x) => x.doc) })));
    await Promise.all(
      [...groups.entries()].map(async ([s, list]) => {
        const reply = await this.client(s).call<{ results: unknown[] }>('ingest_document', { epoch, tick, docs: list.map((x) => x.doc) });
        reply.results.forEach((r, i) => (results[list[i].index] = r));
        this.metrics.documentsIngested.inc(reply.results.filter((r) => (r as { created: boolean }).created).length);
      }),
    );
    return { results };
  }

  // ---- handlers ----------------------------------------------------------------------------------

  private shardIdArg(v: unknown): ShardId {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw rpcError.invalid(`shard id must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  }

  private handlers(): Record<string, (req: any, md: grpc.Metadata) => unknown> {
    const guard = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        throw this.refusal(e);
      }
    };
    return {
      register: (req: { address: string; identity: string }) =>
        this.membershipLock.run(async () => {
          if (typeof req.address !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(req.address)) throw rpcError.invalid(`address must be host:port, got ${JSON.stringify(req.address)}`);
          if (this.machine.inProgress) throw rpcError.precondition(`tick ${this.machine.tick} is in progress; register again when it ends`);
          return this.writeState(async () => {
            const identity = req.identity || req.address;
            const prev = this.registry.ids();
            const r = this.registry.register(req.address, identity, clock.nowMs());
            // (also when the coordinator counts no documents: a shard may hold some whose df report it
            // has not received yet, and they must move, not be dropped)
            if (!r.returning && prev.length > 0) {
              try {
                await this.rebalance(prev, r.id, `shard ${r.id} joined`);
              } catch (e) {
                this.registry.remove(r.id); // the epoch moves on: a failed attempt's epoch is never reused
                this.store?.setMeta({ migration: '' });
                this.persistMembership();
                await this.pushMembership().catch(() => undefined);
                throw e;
              }
            }
            this.persistMembership();
            this.log(`shard ${r.id} ${r.returning ? 'returned' : 'registered'} at ${req.address} (epoch ${this.registry.epoch})`);
            await this.pushMembership();
            this.store?.setMeta({ migration: '' });
            // the shard numbers its next df batches after the last one applied for its identity (a shard
            // restarted without a data directory must not reuse numbers and have its reports ignored)
            return { id: r.id, df_batch: this.store ? this.store.lastDfBatch(identity) : (this.dfBatches.get(identity) ?? 0) };
          });
        }),

      unregister: (req: { id: number }) =>
        this.membershipLock.run(async () => {
          const id = this.shardIdArg(req.id);
          const rec = this.registry.get(id);
          if (!rec) throw rpcError.notFound(`unknown shard ${id}`);
          if (this.machine.inProgress) throw rpcError.precondition(`tick ${this.machine.tick} is in progress; unregister when it ends`);
          if (this.registry.size === 1 && this.stats.documents > 0) throw rpcError.precondition(`shard ${id} is the last shard and holds the cluster's data; add another shard first`);
          return this.writeState(async () => {
            const prev = this.registry.ids();
            const leaving = { id, address: rec.address };
            rec.draining = true;
            try {
              if (prev.length > 1) await this.rebalance(prev, -id, `shard ${id} left`);
            } catch (e) {
              this.registry.epoch++; // the failed attempt's epoch is spent
              this.persistMembership();
              await this.pushMembership().catch(() => undefined);
              throw e;
            } finally {
              rec.draining = false;
            }
            this.registry.remove(id);
            this.persistMembership();
            const members = this.members();
            // the leaving shard drops everything (it owns nothing in the new membership)
            await this.clientFor(leaving)
              .call('update_membership', { epoch: this.registry.epoch, members, you: id, config_json: JSON.stringify(this.config), tick: this.machine.current }, 10_000)
              .catch((e) => this.log(`shard ${id} did not take the final membership: ${describeError(e)}`));
            this.clients.get(id)?.close();
            this.clients.delete(id);
            if (this.registry.size > 0) await this.pushMembership();
            this.store?.setMeta({ migration: '' });
            this.log(`shard ${id} left (epoch ${this.registry.epoch})`);
            return {};
          });
        }),

      phase_complete: (req: { shard_id: number; phase: string; tick: number; attempt: number }) =>
        guard(() => {
          this.machine.complete(this.shardIdArg(req.shard_id), phaseArg(req.phase), req.tick, this.registry.has(req.shard_id), attemptArg(req.attempt));
          return {};
        }),

      barrier_ready: (req: { shard_id: number; phase: string; tick: number; attempt: number }) =>
        guard(() => ({ ready: this.machine.barrierReady(this.shardIdArg(req.shard_id), phaseArg(req.phase), req.tick, this.registry.has(req.shard_id), attemptArg(req.attempt)) })),

      route_document: (req: { uuid: string }) => {
        const id = uuidArg(req.uuid, 'document id');
        if (this.registry.size === 0) throw rpcError.precondition('no shards are registered');
        return { id: this.registry.placement().owner(id) };
      },

      route_node: (req: { uuid: string }) => {
        const id = uuidArg(req.uuid, 'node id');
        if (this.registry.size === 0) throw rpcError.precondition('no shards are registered');
        return { id: this.registry.placement().owner(id) };
      },

      get_global_df: (req: { terms: string[] }) => {
        if (req.terms.length > MAX_DF_TERMS) throw rpcError.invalid(`at most ${MAX_DF_TERMS} terms per call, got ${req.terms.length}`);
        // terms are indexed terms (the tokenizer's output): looked up exactly as given, never tokenized
        // again (a lowercased term may hold combining marks the tokenizer would split on)
        const df: Record<string, number> = {};
        for (const t of req.terms) df[t] = this.stats.get(t);
        return { df };
      },

      current_tick: () => ({ tick: this.machine.current }),

      list_shards: () => {
        const now = clock.nowMs();
        return {
          epoch: this.registry.epoch,
          shards: this.registry.list().map((s) => ({
            id: s.id,
            address: s.address,
            identity: s.identity,
            node_count: s.counts.nodes,
            edge_count: s.counts.edges,
            document_count: s.counts.documents,
            status: this.registry.status(s, now),
            last_heartbeat_ms: s.lastHeartbeatMs,
          })),
        };
      },

      start_tick: () => {
        // registered before this handler returns: a concurrent start_tick is refused with its number
        const { tick, attempt } = this.beginTick();
        this.driveTick(tick, attempt).catch((e) => this.log(describeError(e)));
        return { tick, attempt };
      },

      tick_status: () => {
        const s = this.machine.snapshot();
        return {
          tick: s.tick,
          phase: s.phase,
          completed: s.completed,
          pending: s.pending,
          complete: !s.inProgress,
          in_progress: s.inProgress,
          failure: s.lastFailure,
          epoch: this.registry.epoch,
          current_tick: s.currentTick,
          attempt: s.attempt,
        };
      },

      // not during a tick or a membership change: documents land under a settled placement and tick
      ingest: (req: { docs: DocumentInput[] }) => this.stateLock.read(() => this.ingest(req.docs)),

      // the state lock only for a snapshot (membership, version), not while the shards answer: a query
      // waiting for a slow or hung shard holds up no tick and no other call
      query: async (req: { text: string; k: number; concepts: boolean; alpha: number; has_alpha: boolean; deadline_ms: number }) => {
        const terms = parseQuery(req.text, this.limits);
        const k = checkK(req.k || 10, this.limits);
        const deadline = this.queryDeadline(req.deadline_ms);
        const alpha = req.has_alpha ? checkAlpha(req.alpha) : DEFAULT_ALPHA;
        const timer = this.metrics.querySeconds.startTimer({ kind: req.concepts ? 'concepts' : 'documents' });
        let r: { hits: unknown[]; missing: ShardId[] };
        for (let round = 1; ; round++) {
          const snapshot = await this.stateLock.read(() => this.querySnapshot());
          r = req.concepts ? await this.queryConcepts(snapshot, terms, k, alpha, deadline) : await this.queryDocuments(snapshot, terms, k, deadline);
          // a tick or membership change ran while the shards answered: they may have shown it half
          // applied, so ask again from a fresh snapshot (at most twice more)
          if (snapshot.version === this.stateVersion || round === 3) break;
        }
        timer();
        if (r.missing.length > 0) this.metrics.partialQueries.inc();
        return { [req.concepts ? 'concepts' : 'documents']: r.hits, missing_shards: r.missing, partial: r.missing.length > 0 };
      },

      explore: (req: { kind: string; from: string; to: string; k: number }) => this.stateLock.read(async () => {
        const k = checkK(req.k || 10, this.limits);
        const label = (s: string, what: string) => {
          if (typeof s !== 'string' || s.trim() === '') throw rpcError.invalid(`${what} needs a concept label`);
          return s.trim().toLowerCase();
        };
        if (req.kind === 'neighbours' || req.kind === 'neighbors') {
          const id = nodeIdOf(label(req.from, 'neighbours'));
          const owner = this.registry.placement().owner(id);
          type N = { neighbors: { id: string; weight: number; co_activations: number }[] };
          const r = await this.client(owner).call<N>('get_neighbors', { id, k });
          const labels = await this.resolveLabels(r.neighbors.map((n) => n.id));
          return { found: true, items: r.neighbors.map((n) => ({ id: n.id, label: labels.get(n.id) ?? n.id, value: n.weight, count: n.co_activations })) };
        }
        if (!['path', 'central', 'bridges'].includes(req.kind)) throw rpcError.invalid(`unknown explore kind ${JSON.stringify(req.kind)} (use neighbours, path, central or bridges)`);
        const g = (await this.gatherGraph()).view(this.machine.current);
        if (req.kind === 'path') {
          const a = nodeIdOf(label(req.from, 'path'));
          const b = nodeIdOf(label(req.to, 'path'));
          for (const [id, l] of [[a, req.from], [b, req.to]]) if (!g.hasNode(id)) throw rpcError.notFound(`no concept labelled "${l}"`);
          const p = shortestPath(g, a, b);
          return { found: p.found, cost: p.cost, items: p.path.map((n) => ({ id: n.id, label: n.label, value: 0, count: 0 })) };
        }
        if (req.kind === 'central') return { found: true, items: centralConcepts(g, k, 64, this.config.seed).map((c) => ({ id: c.id, label: c.label, value: c.centrality, count: 0 })) };
        return { found: true, items: bridgeConcepts(g, k).map((c) => ({ id: c.id, label: c.label, value: c.fragility, count: c.separates })) };
      }),

      run_ticks: async (req: { ticks: number; until_digested: boolean }) => {
        if (!req.until_digested && (!Number.isInteger(req.ticks) || req.ticks < 0 || req.ticks > 1_000_000)) throw rpcError.invalid(`ticks must be an integer in [0, 1000000], got ${req.ticks}`);
        const before = this.digested;
        let n = 0;
        if (req.until_digested) {
          while (this.pending() > 0) {
            await this.runTickRetrying();
            n++;
          }
        } else {
          for (; n < req.ticks; n++) await this.runTickRetrying();
        }
        return { ticks: n, tick: this.machine.current, digested: this.digested - before };
      },

      stats: (req: { with_graph_hash: boolean }) => this.stateLock.read(async () => {
        // fresh counts from every shard that answers quickly; the last heartbeat's for the others
        await Promise.allSettled(this.registry.ids().map((s) => this.client(s).call<{ counts: CountsMsg }>('health_check', {}, 1000).then((h) => this.registry.setCounts(s, countsOf(h.counts)))));
        const c = this.clusterCounts();
        return {
          tick: this.machine.current,
          epoch: this.registry.epoch,
          documents: this.stats.documents,
          digested: this.digested,
          pending: this.pending(),
          nodes: c.nodes,
          edges: c.edges,
          shards: this.registry.size,
          held_documents: c.held,
          last_rebalance: this.lastRebalance ?? undefined,
          graph_hash: req.with_graph_hash ? await this.graphHash() : '',
        };
      }),

      health: () => ({
        serving: !this.recovering,
        role: 'coordinator',
        tick: this.machine.current,
        epoch: this.registry.epoch,
        detail: this.recovering ? `recovering: telling ${this.registry.size} shard(s) the outcome of the last tick and the membership` : `${this.registry.size} shard(s)`,
      }),

      report_df: (req: { shard_id: number; epoch: number; df: Record<string, number>; documents: number; total_length: number; batch: number }) => {
        const id = this.shardIdArg(req.shard_id);
        const rec = this.registry.get(id);
        if (!rec) throw rpcError.notFound(`unknown shard ${id}`);
        // an older epoch is fine (a shard flushes its reports before its documents move, while the
        // coordinator already counts the joining shard); a report is about documents, not placement
        if (req.epoch > this.registry.epoch) throw rpcError.precondition(`epoch ${req.epoch} is ahead of the cluster's epoch ${this.registry.epoch}`);
        if (req.batch > 0) {
          // exactly once per (shard identity, batch): a report re-sent after a crash is ignored
          const fresh = this.store ? this.store.applyDf(rec.identity, req.batch, req.df, req.documents, req.total_length) : req.batch > (this.dfBatches.get(rec.identity) ?? 0);
          if (!fresh) return {};
          this.dfBatches.set(rec.identity, req.batch);
        } else this.store?.addDf(req.df, req.documents, req.total_length);
        this.stats.apply(req.df, req.documents, req.total_length);
        return {};
      },

      heartbeat: (req: CountsMsg) => {
        const id = this.shardIdArg(req.shard_id);
        if (!this.registry.has(id)) throw rpcError.notFound(`unknown shard ${id}; register first`);
        this.registry.heartbeat(id, countsOf(req), clock.nowMs());
        return {};
      },
    };
  }

  private async resolveLabels(ids: string[]): Promise<Map<string, string>> {
    const placement = this.registry.placement();
    const groups = new Map<ShardId, string[]>();
    for (const id of ids) {
      const s = placement.owner(id);
      let l = groups.get(s);
      if (!l) groups.set(s, (l = []));
      l.push(id);
    }
    const out = new Map<string, string>();
    await Promise.all(
      [...groups.entries()].map(async ([s, list]) => {
        const r = await this.client(s).call<{ nodes: { id: string; label: string; found: boolean }[] }>('resolve_ghost_nodes', { ids: list });
        for (const n of r.nodes) if (n.found) out.set(n.id, n.label);
      }),
    );
    return out;
  }
}

/**
 * Fault injection for tests (like etcd's failpoints): with PHAGO_FAILPOINT=<name> in the environment the
 * process kills itself (SIGKILL) when it reaches that point. Off unless the variable is set.
 */
function failpoint(name: string): void {
  if (process.env.PHAGO_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}

function countsOf(c: CountsMsg): ShardCounts {
  return { nodes: c.node_count, edges: c.edge_count, documents: c.document_count, digested: c.digested_count, pending: c.pending_count };
}


// The coordinator driver: construction (config, durable store, registry, tick machine, global
// statistics), start/stop, the state shared by its parts (locks, state version, client pool, df
// batches) and the public surface. The parts live beside it: tick-driver.ts (the tick protocol),
// membership.ts (join, leave, rebalancing), query-router.ts (fan-out queries, the gathered graph),
// ingest.ts, recovery.ts (converge after a restart) and handlers.ts (gRPC).
import { makeConfig, storedConfig, type ColonyConfig } from '../core/config.js';
import type { ConceptGraph } from '../core/graph.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { GlobalStats } from '../cluster/df.js';
import type { ShardId } from '../cluster/placement.js';
import { Registry, type ShardCounts } from '../cluster/registry.js';
import { ReplicaSets } from '../cluster/replica-sets.js';
import { TickMachine, type Phase } from '../cluster/tick-machine.js';
import { describeError, RpcClient } from '../rpc/client.js';
import { coordinatorService, ShardServiceClient } from '../rpc/proto.js';
import { addService, listen, newServer, rpcError, shutdown, type Handler } from '../rpc/server.js';
import type { SecurityConfig } from '../rpc/security.js';
import { COORDINATOR_ACCESS } from '../rpc/roles.js';
import { EXPANSION_TERMS } from '../search/bm25.js';
import { Mutex, RwLock } from '../util/mutex.js';
import { CoordinatorMetrics } from '../metrics/metrics.js';
import { CoordinatorStore } from '../storage/coordinator-store.js';
import { MemoryCoordinatorStorage, type CoordinatorStorage } from '../storage/coordinator-storage.js';
import { clock } from '../util/clock.js';
import { coordinatorHandlers } from './handlers.js';
import { gatherGraph, graphHash } from './query-router.js';
import { FlushingClient } from './flushing-client.js';
import { converge } from './recovery.js';
import { runTick, runTickRetrying } from './tick-driver.js';
import { failover, probeFollowers, resumeSyncs } from './replicas.js';
import { repairReplicas } from './rereplicate.js';

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
  /** A durable store loaded by the caller (etcd, leadership.ts); takes precedence over dataDir. */
  store?: CoordinatorStorage;
  /** Serve the handlers on a server the caller owns (leadership.ts: its standby's) and resolve with its port. */
  serve?: (handlers: Record<string, Handler>) => Promise<number>;
  /** How long run_ticks keeps retrying an aborted tick while waiting for the cluster to be whole. */
  retryWindowMs?: number;
  /** Copies of every shard's data: a primary and replicas − 1 followers (docs/replication.md); default 1. */
  replicas?: number;
  /**
   * How long a group left short of copies by an operator's removal waits for a new process before the
   * survivors restore its copies by folding it into the other groups (ms; default 60 s).
   */
  rereplicateAfterMs?: number;
  /** Document-query options (graph expansion terms, coordination). */
  expansion?: number;
  coordination?: boolean;
  log?: (msg: string) => void;
}

/** What the last membership change moved (reported by stats). */
export interface RebalanceReport {
  epoch: number;
  change: string;
  documents: number;
  nodes: number;
  edges: number;
  total_documents: number;
  total_nodes: number;
}

/**
 * The coordinator: membership, placement, the tick protocol, global statistics and the cluster's
 * query entry point. The pure parts (Registry, TickMachine, TickRound with its plan, GlobalStats) hold the
 * logic; this class and the modules beside it are the gRPC layer around them.
 */
export class Coordinator {
  readonly config: ColonyConfig;
  readonly limits: Limits;
  readonly registry: Registry;
  /** Each shard's primary and followers (docs/replication.md). */
  readonly replicaSets: ReplicaSets;
  readonly rereplicateAfterMs: number;
  /** When each follower last answered a probe (identity → ms; followers do not heartbeat). */
  readonly followerSeen = new Map<string, number>();
  /** When this coordinator started (a follower not probed yet counts as seen then). */
  readonly startedMs = clock.nowMs();
  readonly machine: TickMachine;
  /** The durable state (with a data directory). */
  readonly store: CoordinatorStorage;
  readonly stats = new GlobalStats();
  /** Documents digested by committed ticks. */
  digested = 0;
  /** The last one-round empty tick was refused by a shard holding uncounted documents: the next runs in full. */
  senseNextTick = false;
  /** A tick found in progress at start-up, to abort on every shard (recovery.ts). */
  recoveredTick = 0;
  /** Its attempt (the last attempt number given out before the restart). */
  readonly recoveredAttempt: number = 0;
  /** True from a restart with a data directory until the shards were told its outcome (converge). */
  recovering = false;
  /** Join and leave run one at a time (membership.ts). */
  readonly membershipLock = new Mutex();
  readonly log: (msg: string) => void;
  readonly phaseTimeoutMs: number;
  readonly queryDeadlineMs: number;
  readonly maxQueryDeadlineMs: number;
  /** How long run_ticks keeps retrying an aborted tick (0: not at all). */
  readonly retryWindowMs: number;
  readonly expansion: number;
  readonly coordination: boolean;
  port = 0;
  readonly metrics: CoordinatorMetrics;
  /** Wall time of each phase (push to barrier complete) of recent ticks, for metrics and benchmarks. */
  readonly phaseMs: Record<Phase, number[]> = { SENSE: [], ACT: [], DECAY: [], ADVANCE: [] };
  /** What the last membership change moved (reported by stats). */
  lastRebalance: RebalanceReport | null = null;
  /** Set by stop (a deposed leader on etcd stops while a run_ticks may still be retrying): retry no more. */
  stopped = false;

  private readonly clients = new Map<ShardId, RpcClient>();
  private readonly followerClients = new Map<string, RpcClient>();
  private watchdog?: NodeJS.Timeout;
  private readonly server = newServer();
  /**
   * Ticks and membership changes hold it for writing, queries for reading: a query never sees a tick
   * half applied, and many queries run at once.
   */
  private readonly stateLock = new RwLock();
  private version = 0;

  constructor(private readonly opts: CoordinatorOptions) {
    this.config = makeConfig(opts.config);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.registry = new Registry(opts.leaseMs ?? 3000);
    this.replicaSets = new ReplicaSets(opts.replicas ?? 1);
    this.rereplicateAfterMs = opts.rereplicateAfterMs ?? 60_000;
    this.machine = new TickMachine();
    this.store = opts.store ?? (opts.dataDir ? new CoordinatorStore(opts.dataDir) : new MemoryCoordinatorStorage());
    if (this.store.durable) {
      const store = this.store;
      const saved = store.meta('config');
      if (saved === undefined) store.setMeta({ config: JSON.stringify(this.config) });
      else if (opts.config && Object.keys(opts.config).length > 0 && saved !== JSON.stringify(this.config))
        throw new RangeError(`the ${opts.dataDir ? `data directory ${opts.dataDir}` : 'store (etcd)'} holds a colony with config ${saved}; start with the same config or another directory`);
      else this.config = storedConfig(saved);
      this.registry.restore(store.shards(), Number(store.meta('epoch') ?? 0), Number(store.meta('next_id') ?? 1), clock.nowMs());
      this.replicaSets.restore(store.meta('replica_sets'));
      // attempt numbers go on from the last one given out: a restarted coordinator never reuses one
      this.machine = new TickMachine(Number(store.meta('current_tick') ?? 0), Number(store.meta('attempt') ?? 0));
      this.digested = Number(store.meta('digested') ?? 0);
      for (const [t, n] of store.df()) this.stats.set(t, n);
      this.stats.documents = Number(store.meta('documents') ?? 0);
      this.stats.totalLength = Number(store.meta('total_length') ?? 0);
      this.recoveredTick = Number(store.meta('tick_in_progress') ?? 0);
      this.recoveredAttempt = this.machine.attempts;
    }
    this.phaseTimeoutMs = opts.phaseTimeoutMs ?? 30_000;
    this.queryDeadlineMs = opts.queryDeadlineMs ?? 5_000;
    this.maxQueryDeadlineMs = opts.maxQueryDeadlineMs ?? 30_000;
    if (!(this.queryDeadlineMs >= 1 && this.queryDeadlineMs <= this.maxQueryDeadlineMs)) throw new RangeError(`the default query deadline ${this.queryDeadlineMs} ms must be in [1, ${this.maxQueryDeadlineMs}] (the largest a query may ask for)`);
    this.retryWindowMs = opts.retryWindowMs ?? 0;
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
    if (this.opts.serve) this.port = await this.opts.serve(coordinatorHandlers(this));
    else {
      addService(this.server, coordinatorService, coordinatorHandlers(this), this.opts.security, (m, e) => this.log(`error in ${m}: ${describeError(e)}`), COORDINATOR_ACCESS);
      this.port = await listen(this.server, this.opts.host ?? '127.0.0.1', this.opts.port ?? 0, this.opts.security);
    }
    if (this.replicaSets.replicas > 1) {
      resumeSyncs(this);
      // a primary silent past its lease is replaced by an in-sync follower, ticks or not
      this.watchdog = setInterval(() => {
        if (this.stopped || this.machine.inProgress) return;
        void this.writeState(() => failover(this, true))
          .catch((e) => this.log(`failover: ${describeError(e)}`))
          .then(() => repairReplicas(this));
        void probeFollowers(this);
      }, this.registry.leaseMs);
      this.watchdog.unref();
    }
    if (this.store.durable) {
      this.recovering = true;
      void this.writeState(() => converge(this))
        .catch((e) => this.log(`converging after a restart: ${describeError(e)}`))
        .finally(() => (this.recovering = false));
    }
    return this.port;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    // a commit round still in flight is cut off like a crash after the decision: shards learn the
    // outcome from tick_status or the next tick (docs/cluster.md)
    if (!this.opts.serve) await shutdown(this.server);
    for (const c of this.clients.values()) c.close();
    for (const c of this.followerClients.values()) c.close();
    await this.stateLock.write(() => undefined);
    this.store.close();
  }

  get currentTick(): number {
    return this.machine.current;
  }

  // ---- the public surface of the parts (benchmarks, the embedded cluster, tests) -------------------

  /** Start the next tick and drive it through the four phases on every shard; resolves when it commits. */
  runTick(): Promise<number> {
    return runTick(this);
  }

  /** Run the next tick, retrying an aborted one for up to retryWindowMs once every shard answers again. */
  runTickRetrying(): Promise<number> {
    return runTickRetrying(this);
  }

  /** The whole graph, gathered from the shards (structural queries and the canonical hash). */
  gatherGraph(): Promise<ConceptGraph> {
    return gatherGraph(this);
  }

  graphHash(): Promise<string> {
    return graphHash(this);
  }

  /** The coordinator's own client of a shard (benchmarks measure bare round trips with it). */
  clientOf(id: ShardId): RpcClient {
    return this.client(id);
  }

  // ---- shared state ------------------------------------------------------------------------------

  /**
   * Bumped when a tick or a membership change takes the state lock for writing and again when it
   * releases it: a query that saw it change while it asked the shards may have seen it half applied.
   */
  get stateVersion(): number {
    return this.version;
  }

  /**
   * The commit round of the last committed tick, still in flight (tick-driver.ts `decide`: a tick is
   * committed once its decision is recorded; the shards hear of it after). Readers and every writer
   * but the next tick wait for it, so they see the shards' committed state; it never rejects.
   */
  commitRound: Promise<void> = Promise.resolve();

  /**
   * The state lock for writing, for a section that changes the shards' state (a tick, a membership
   * change). It first waits for the last tick's commit round, unless `overlapCommit` (the next tick:
   * its first message commits the previous tick on a shard the commit has not reached yet).
   */
  writeState<T>(fn: () => Promise<T>, overlapCommit = false): Promise<T> {
    return this.stateLock.write(async () => {
      if (!overlapCommit) await this.commitRound;
      this.version++;
      try {
        return await fn();
      } finally {
        this.version++;
      }
    });
  }

  /** The state lock for reading (statistics, structural queries, ingestion, a query's snapshot). */
  readState<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.stateLock.read(async () => {
      await this.commitRound;
      return fn();
    });
  }

  /** The pooled client of a registered shard (NOT_FOUND for an unknown one). */
  client(id: ShardId): RpcClient {
    const rec = this.registry.get(id);
    if (!rec) throw rpcError.notFound(`unknown shard ${id}`);
    let c = this.clients.get(id);
    if (!c || c.address !== rec.address) {
      c?.close();
      c = this.clientAt(rec.address);
      this.clients.set(id, c);
    }
    return c;
  }

  /** The pooled client of a follower's address (reads that fall back to followers). */
  followerClient(address: string): RpcClient {
    let c = this.followerClients.get(address);
    if (!c) this.followerClients.set(address, (c = this.clientAt(address)));
    return c;
  }

  /** A new client of an address, outside the pool (a shard that has just left the registry). */
  clientAt(address: string): RpcClient {
    // a store written behind the coordinator's back (etcd) is flushed before any shard hears anything
    const flush = this.store.flush?.bind(this.store);
    return flush ? new FlushingClient(ShardServiceClient, address, this.opts.security, this.phaseTimeoutMs, flush) : new RpcClient(ShardServiceClient, address, this.opts.security, this.phaseTimeoutMs);
  }

  /** Close and forget the pooled client of a shard that left. */
  dropClient(id: ShardId): void {
    this.clients.get(id)?.close();
    this.clients.delete(id);
  }

  /** Documents counted but not digested yet. */
  pending(): number {
    return Math.max(0, this.stats.documents - this.digested);
  }

  /** The cluster's counts, summed over the shards' last reports. */
  clusterCounts(): { nodes: number; edges: number; held: number } {
    const list = this.registry.list();
    const sum = (f: (c: ShardCounts) => number) => list.reduce((s, r) => s + f(r.counts), 0);
    return { nodes: sum((c) => c.nodes), edges: sum((c) => c.edges), held: sum((c) => c.documents) };
  }

  /** The last df batch applied for a shard identity (register tells the shard to number on from it). */
  lastDfBatch(identity: string): number {
    return this.store.lastDfBatch(identity);
  }

  /**
   * Apply a shard's df report: exactly once per (shard identity, batch) when numbered (a report re-sent
   * after a crash is ignored), always when `batch` is 0.
   */
  applyDfReport(identity: string, batch: number, df: ReadonlyMap<string, number>, documents: number, totalLength: number, digestedRemoved = 0): Promise<void> | void {
    if (batch > 0) {
      if (!this.store.applyDf(identity, batch, df, documents, totalLength, digestedRemoved)) return this.store.flush?.();
    } else this.store.addDf(df, documents, totalLength, digestedRemoved);
    this.stats.apply(df, documents, totalLength);
    this.digested -= digestedRemoved;
    // durable before it is acknowledged (etcd): the shard then marks it reported
    return this.store.flush?.();
  }
}


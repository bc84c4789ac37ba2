import { randomBytes } from 'node:crypto';
import { encodeDfPacked } from '../protocol/df-packed.js';
import { makeConfig, type ColonyConfig } from '../core/config.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { Partition } from '../core/partition.js';
import { nodeIdOf, type DocumentId } from '../ids/ids.js';
import { describeError, RpcClient } from '../rpc/client.js';
import { CoordinatorServiceClient, shardService, ShardServiceClient } from '../rpc/proto.js';
import { addService, listen, newServer, rpcError, shutdown } from '../rpc/server.js';
import type { SecurityConfig } from '../rpc/security.js';
import { newTextIndex } from '../search/text-index.js';
import { ShardMetrics } from '../metrics/metrics.js';
import { Placement, type ShardId } from '../cluster/placement.js';
import type { CountsMsg } from '../rpc/wire.js';
import { MemoryShardStorage, type ForgetReport, type ShardStorage } from '../storage/shard-storage.js';
import { SqliteShardStorage } from '../storage/sqlite-shard-storage.js';
import { Mutex } from '../util/mutex.js';
import { TickParticipant, type Owners } from './participant.js';
import { recoverShard, checkpointRows } from './recovery.js';
import { shardHandlers } from './handlers.js';
import { retrying } from '../rpc/retry.js';
import { LeaderClient } from '../rpc/leader-client.js';
import type { FollowerState } from './follower.js';
import { placementOf } from './membership-update.js';
import { Replicator } from './replication.js';

export interface ShardOptions {
  /** Coordinator address host:port, or several comma-separated (a leader and standbys: calls follow the leader). */
  join: string;
  host?: string;
  port?: number;
  /** Address other processes use to reach this shard (defaults to host:boundPort). */
  advertise?: string;
  /** Persistent identity; a shard registering again with it gets its old id back. */
  identity: string;
  security: SecurityConfig;
  limits?: Partial<Limits>;
  heartbeatMs?: number;
  rpcDeadlineMs?: number;
  log?: (msg: string) => void;
  /** Test hook: awaited before the shard works on a phase (lets a test hold a shard in a phase). */
  beforePhase?: (phase: string, tick: number) => Promise<void>;
  /** Test hook: awaited before the shard answers a local query (lets a test hold a query on it). */
  beforeQuery?: () => Promise<void>;
  /** Test hook: rewrites a local query's reply before it is sent (lets a test send a corrupt one). */
  queryReply?: (reply: { documents_packed?: Uint8Array }) => object;
  /** Data directory: durable state in SQLite. Without it the shard keeps everything in memory. */
  dataDir?: string;
  /** Committed ticks between two graph checkpoints (the log of tick inputs is replayed in between). */
  checkpointEvery?: number;
}

/**
 * A shard: owns the documents and concepts the placement gives it and runs its part of every tick on
 * a Partition (the same rules one process runs on all keys). This class is the driver: it wires the
 * tick participant to the network and to storage, registers, heartbeats and reports df. Handlers,
 * recovery and rebalancing live beside it.
 */
export class ShardNode {
  id: ShardId = 0;
  epoch = 0;
  config: ColonyConfig = makeConfig();
  readonly limits: Limits;
  part: Partition = ShardNode.newPartition(this.config);
  participant = new TickParticipant(this.part, ShardNode.incarnation());
  placement = new Placement([]);
  addresses = new Map<ShardId, string>();
  private peers = new Map<ShardId, RpcClient>();
  readonly coordinator: LeaderClient;
  private server = newServer();
  private heartbeat?: NodeJS.Timeout;
  address = '';
  committedTick = 0;
  checkpointTick = 0;
  storage: ShardStorage = new MemoryShardStorage();
  dfBatch = 0;
  /** Some stored documents' df report has not been acknowledged yet. */
  dfDirty = false;
  /** The newest aborted attempt (of the newest tick): a late SENSE of it or older is refused. */
  aborted = { tick: 0, attempt: 0 };
  /** Serving: recovery and registration are done (health says so; ingest waits for it). */
  ready = false;
  /** How long recovery took (load, replay), in ms. */
  recoveryMs = 0;
  /** A tick prepared before a restart, whose outcome is asked of the coordinator. */
  pendingPrepared: { tick: number; body: import('../storage/shard-storage.js').LoggedTick } | null = null;
  readonly ingestLock = new Mutex();
  /** Serializes df report flushes (flushDfReports). */
  private readonly reportLock = new Mutex();
  /** A primary serves its group's ticks and writes; a follower replicates it (docs/replication.md). */
  role: 'primary' | 'follower' = 'primary';
  /** A follower's place in its primary's stream. */
  follower: FollowerState | null = null;
  /** A primary's followers and state digest. */
  readonly replicator = new Replicator(this);
  private closedWaiters: (() => void)[] = [];
  readonly log: (msg: string) => void;
  readonly metrics = new ShardMetrics({ documents: () => this.part.docs.size, nodes: () => this.part.graph.nodeCount, edges: () => this.part.graph.edgeCount, tick: () => this.committedTick });

  constructor(readonly opts: ShardOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.coordinator = new LeaderClient(CoordinatorServiceClient, opts.join, opts.security, opts.rpcDeadlineMs ?? 30_000);
    this.log = opts.log ?? (() => {});
  }

  /** The documents held (the partition's table). */
  get docs() {
    return this.part.docs;
  }

  /** The concept graph held (the partition's). */
  get graph() {
    return this.part.graph;
  }

  static newPartition(config: ColonyConfig, owns: (id: string) => boolean = () => false): Partition {
    return new Partition(config, newTextIndex(), owns);
  }

  /** Replace the partition (a new config, or recovery). */
  resetPartition(config: ColonyConfig): void {
    this.config = config;
    this.part = ShardNode.newPartition(config, this.owns);
    this.participant = new TickParticipant(this.part, ShardNode.incarnation());
  }

  /** A new participant's incarnation: peers never mistake its concept numbers for an earlier one's. */
  private static incarnation(): string {
    return randomBytes(8).toString('hex');
  }

  /** Serve ShardService, register with the coordinator, start heartbeats. Returns the ShardId. */
  async start(): Promise<ShardId> {
    if (this.opts.dataDir) {
      this.storage = new SqliteShardStorage(this.opts.dataDir);
      recoverShard(this);
    }
    addService(this.server, shardService, shardHandlers(this), this.opts.security, (m, e) => this.log(`error in ${m}: ${describeError(e)}`));
    const host = this.opts.host ?? '127.0.0.1';
    const port = await listen(this.server, host, this.opts.port ?? 0, this.opts.security);
    this.address = this.opts.advertise ?? `${host}:${port}`;
    if (this.pendingPrepared) await this.resolvePrepared();
    const reply = await retrying('register', () => this.coordinator.call<{ id: number; df_batch: number; role: string; primary: string }>('register', { address: this.address, identity: this.opts.identity }), this.log);
    if (reply.role === 'follower') {
      // a follower's state comes from its primary's snapshot (the coordinator asks the primary for it)
      this.role = 'follower';
      this.id = reply.id;
      this.log(`following shard ${reply.id} at ${reply.primary}: waiting for its snapshot`);
      return this.id;
    }
    if (this.storage.durable && this.id !== 0 && reply.id !== this.id) throw new Error(`the coordinator gave id ${reply.id} to identity ${this.opts.identity}, which was shard ${this.id}; its state was lost?`);
    this.id = reply.id;
    // df batches are applied once per (identity, batch): new ones are numbered after every batch the
    // coordinator applied for this identity (a shard in memory restarts from nothing)
    this.dfBatch = Math.max(this.dfBatch, reply.df_batch ?? 0);
    await this.ingestLock.run(() => this.flushDfReports());
    this.ready = true;
    this.startHeartbeats();
    return this.id;
  }

  /** A primary heartbeats and re-sends df reports the coordinator missed (a follower does neither). */
  startHeartbeats(): void {
    if (this.heartbeat) return;
    const every = this.opts.heartbeatMs ?? 1000;
    this.heartbeat = setInterval(() => {
      this.coordinator.call('heartbeat', this.counts(), every * 2).catch(() => undefined);
      // df reports that did not reach the coordinator (it was down) are re-sent, applied once
      if (this.dfDirty) void this.ingestLock.run(() => this.flushDfReports()).catch(() => undefined);
    }, every);
    this.heartbeat.unref();
  }

  /** This primary becomes a follower (another process was promoted): no heartbeats, no followers, no tick. */
  demote(reason: string): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.abortOpen('demoted to follower');
    this.replicator.clear();
    this.replicator.digest = null;
    this.role = 'follower';
    this.log(`demoted to follower: ${reason}`);
  }

  /** Resolves when no tick is open here (at once if none is); UNAVAILABLE after `ms`. */
  tickClosed(ms = 30_000): Promise<void> {
    if (this.participant.openTick === null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(rpcError.unavailable(`tick ${this.participant.openTick} stayed open for ${ms} ms`)), ms);
      this.closedWaiters.push(() => (clearTimeout(t), resolve()));
    });
  }

  private tickClosedNow(): void {
    const w = this.closedWaiters;
    this.closedWaiters = [];
    for (const f of w) f();
  }

  /** Set the membership's placement and addresses (no data moves here). */
  setMembership(epoch: number, members: readonly { id: number; address: string }[]): void {
    const { placement, addresses } = placementOf(members);
    this.addresses = addresses;
    this.placement = placement;
    this.epoch = epoch;
  }

  /** Checkpoint the graph when enough ticks were logged since the last one (durable storage only). */
  maybeCheckpoint(): void {
    if (this.storage.durable && this.committedTick - this.checkpointTick >= (this.opts.checkpointEvery ?? 50)) this.checkpoint();
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.replicator.clear();
    await shutdown(this.server);
    this.coordinator.close();
    for (const p of this.peers.values()) p.close();
    this.storage.close();
  }

  /**
   * A tick prepared before a crash: ask the coordinator for its outcome (committed when the coordinator's
   * current tick reached it; aborted when it is neither committed nor in progress) and converge.
   */
  private async resolvePrepared(): Promise<void> {
    const p = this.pendingPrepared!;
    // while the tick is still in progress on the coordinator, ask again (backing off, as for a
    // coordinator that does not answer)
    const stillOpen = { code: 9, details: `tick ${p.tick} is still in progress on the coordinator` };
    const status = () =>
      this.coordinator.call<{ in_progress: boolean; tick: number; current_tick: number }>('tick_status', {}).then((s) => {
        if (s.current_tick < p.tick && s.in_progress && s.tick === p.tick) throw stillOpen;
        return s;
      });
    {
      const s = await retrying('tick_status', status, this.log, 1000);
      if (s.current_tick >= p.tick) {
        const { replayLogged } = await import('./participant.js');
        replayLogged(this.part, p.tick, p.body);
        this.storage.commitTick(p.tick);
        this.committedTick = p.tick;
        this.log(`tick ${p.tick} was prepared before a restart: committed`);
      } else {
        this.storage.discardTick(p.tick);
        this.log(`tick ${p.tick} was prepared before a restart: aborted`);
      }
    }
    this.pendingPrepared = null;
  }

  /**
   * Send the df reports of documents stored but not yet acknowledged by the coordinator (idempotent per
   * batch). One flush at a time, so batches reach the coordinator in order (it applies a batch number
   * once and ignores a lower one after it); a batch stored while a flush is under way is left for the
   * next flush (the flag is set again by whoever stores it).
   */
  flushDfReports(): Promise<void> {
    return this.reportLock.run(async () => {
      if (!this.dfDirty) return;
      this.dfDirty = false;
      // ingest and forget batches in batch order (the coordinator applies them in order, once each)
      const work = [...this.storage.unreported().map((u) => ({ batch: u.batch, send: () => this.reportDf(u.ids, u.batch) })), ...this.storage.unreportedForgets().map((u) => ({ batch: u.batch, send: () => this.reportForget(u.report, u.batch) }))];
      work.sort((a, b) => a.batch - b.batch);
      try {
        for (const { batch, send } of work) {
          await send();
          this.storage.markReported(batch);
          await this.replicator.ship({ k: 'reported', batch });
        }
      } catch (e) {
        this.dfDirty = true;
        throw e;
      }
    });
  }

  /** Report forgotten documents' df decrements (docs/forget.md) as batch `batch` of this identity. */
  private async reportForget(r: ForgetReport, batch: number): Promise<void> {
    await this.coordinator.call('report_df', { shard_id: this.id, epoch: this.epoch, df: {}, documents: 0, total_length: 0, batch, df_removed: r.df, documents_removed: r.documents, length_removed: r.length, digested_removed: r.digested });
  }

  /** Report the df, count and length of stored documents to the coordinator, as batch `batch` of this identity. */
  private async reportDf(ids: readonly DocumentId[], batch: number): Promise<void> {
    const docs = this.part.docs;
    const nums: number[] = [];
    for (const id of ids) {
      const n = docs.numberOf(id);
      if (n !== undefined) nums.push(n);
    }
    // the distinct index terms (stems when stemming), as the inverted index counts df
    const { df, documents, totalLength } = docs.statsOf(nums);
    await this.coordinator.call('report_df', { shard_id: this.id, epoch: this.epoch, df: {}, df_packed: encodeDfPacked(df), documents, total_length: totalLength, batch });
  }

  /** Leave the cluster gracefully (the coordinator moves this shard's data first). */
  async leave(): Promise<void> {
    await this.coordinator.call('unregister', { id: this.id }, 600_000);
  }

  owns = (id: string): boolean => this.placement.size > 0 && this.placement.owner(id) === this.id;

  /** Owner of each label under the current placement (kept until the placement changes). */
  private labelOwners = { placement: this.placement, map: new Map<string, ShardId>() };

  owners(): Owners {
    const placement = this.placement;
    if (this.labelOwners.placement !== placement) this.labelOwners = { placement, map: new Map() };
    const map = this.labelOwners.map;
    const ownerOfLabel = (l: string): ShardId => {
      let o = map.get(l);
      if (o === undefined) map.set(l, (o = placement.owner(nodeIdOf(l))));
      return o;
    };
    return { self: this.id, members: placement.shards, ownerOfLabel, ownerOfNode: (id) => placement.owner(id), key: placement };
  }

  counts(): CountsMsg {
    return {
      shard_id: this.id,
      node_count: this.part.graph.nodeCount,
      edge_count: this.part.graph.primaryEdgeCount(),
      document_count: this.part.docs.size,
      digested_count: this.part.docs.digestedCount,
      pending_count: this.part.docs.pendingCount,
    };
  }

  peer(id: ShardId): RpcClient {
    let c = this.peers.get(id);
    const addr = this.addresses.get(id);
    if (!addr) throw rpcError.precondition(`shard ${id} is not in membership epoch ${this.epoch}`);
    if (!c || c.address !== addr) {
      c?.close();
      c = new RpcClient(ShardServiceClient, addr, this.opts.security, this.opts.rpcDeadlineMs ?? 30_000);
      this.peers.set(id, c);
    }
    return c;
  }

  checkEpoch(epoch: number): void {
    if (epoch !== this.epoch) throw rpcError.precondition(`stale epoch ${epoch}: shard ${this.id} is at epoch ${this.epoch}`);
  }

  /** Commit the open tick (the coordinator said so, or its next SENSE implies it). */
  commitOpen(tick: number): void {
    this.participant.commit(tick);
    this.storage.commitTick(tick);
    this.committedTick = tick;
    this.maybeCheckpoint();
    this.replicator.committed();
    // followers commit after the primary: one that misses it still holds the tick prepared, and a
    // promotion resolves it with the cluster's committed tick
    if (this.replicator.active) void this.replicator.ship({ k: 'commit', tick }).catch((e) => this.log(`commit of tick ${tick} to followers: ${describeError(e)}`));
    this.tickClosedNow();
  }

  abortOpen(reason: string): void {
    const tick = this.participant.openTick;
    if (tick === null) return;
    this.participant.abort();
    this.storage.discardTick(tick);
    this.replicator.aborted();
    if (this.replicator.active) void this.replicator.ship({ k: 'abort', tick }).catch((e) => this.log(`abort of tick ${tick} to followers: ${describeError(e)}`));
    this.log(`tick ${tick} aborted: ${reason}`);
    this.tickClosedNow();
  }

  checkpoint(): void {
    const { nodes, edges } = checkpointRows(this.part);
    this.storage.checkpoint(this.committedTick, nodes, edges);
    this.checkpointTick = this.committedTick;
  }
}

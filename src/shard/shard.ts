import type * as grpc from '@grpc/grpc-js';
import { makeConfig, type ColonyConfig } from '../colony/config.js';
import { digestDocument } from '../colony/digestion.js';
import { DocumentStore, makeRecord } from '../colony/documents.js';
import { Graph, mergeIncrements, mergeUpserts, type EdgeIncrement, type NodeUpsert } from '../colony/graph.js';
import { validateBatch, type DocumentInput } from '../colony/input.js';
import { DEFAULT_LIMITS, type Limits } from '../colony/limits.js';
import { laneOf } from '../colony/schedule.js';
import type { DocumentId, NodeId } from '../ids/ids.js';
import { describeError, RpcClient } from '../rpc/client.js';
import { CoordinatorServiceClient, shardService, ShardServiceClient } from '../rpc/proto.js';
import { addService, listen, newServer, rpcError, shutdown } from '../rpc/server.js';
import type { SecurityConfig } from '../rpc/security.js';
import { bm25Search } from '../search/bm25.js';
import { conceptCandidates, topCandidates } from '../search/concepts.js';
import { Mutex } from '../util/mutex.js';
import { ShardStore, type TickBody } from '../storage/shard-store.js';
import { ShardMetrics } from '../metrics/metrics.js';
import { Placement, type ShardId } from '../cluster/placement.js';
import { attemptArg, edgeKeyArg, phaseArg, tickArg, uuidArg, type CountsMsg } from '../cluster/wire.js';

export interface ShardOptions {
  /** Coordinator address host:port. */
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
  /** Data directory: durable state in SQLite. Without it the shard keeps everything in memory. */
  dataDir?: string;
  /** Committed ticks between two graph checkpoints (the log of tick inputs is replayed in between). */
  checkpointEvery?: number;
}

interface StoredDocWire {
  id: string;
  key: string;
  title: string;
  text: string;
  ingest_tick: number;
  lane: number;
  digested: boolean;
  digested_tick: number;
}

interface EdgeWire {
  a: string;
  b: string;
  weight: number;
  co_activations: number;
  created_tick: number;
  last_activated_tick: number;
}

/** Deltas are sent in batches of at most this many increments per message. */
const BATCH_INCREMENTS = 20_000;

/**
 * A shard: owns the documents and concepts the placement gives it, runs its part of every tick and
 * answers local queries. Edges are replicated on the owners of both endpoints.
 */
export class ShardNode {
  id: ShardId = 0;
  epoch = 0;
  config: ColonyConfig = makeConfig();
  readonly limits: Limits;
  docs = new DocumentStore();
  graph = new Graph(this.config);
  private placement = new Placement([]);
  private addresses = new Map<ShardId, string>();
  private peers = new Map<ShardId, RpcClient>();
  private coordinator: RpcClient;
  private server = newServer();
  private heartbeat?: NodeJS.Timeout;
  address = '';
  committedTick = 0;
  /** The tick in progress on this shard, between SENSE and its commit or abort. */
  private inProgress: number | null = null;
  /** The coordinator's attempt number of the open tick: messages of another attempt are refused. */
  private openAttempt = 0;
  /** The highest attempt aborted per tick (only the latest tick's is kept): its late SENSE is refused. */
  private aborted = { tick: 0, attempt: 0 };
  private staged = new Map<string, { upserts: NodeUpsert[]; increments: EdgeIncrement[] }>();
  /** The staged deltas of the tick in progress, merged once (DECAY applies them, ADVANCE logs them). */
  private merged: { upserts: NodeUpsert[]; increments: EdgeIncrement[] } = { upserts: [], increments: [] };
  private drops = new Set<string>();
  private digestedNow: DocumentId[] = [];
  private digestedCount = 0;
  private store?: ShardStore;
  /** The inputs of the tick in progress, once prepared (ADVANCE). */
  private prepared: TickBody | null = null;
  private checkpointTick = 0;
  private dfBatch = 0;
  /** Some stored documents' df report has not been acknowledged yet. */
  private dfDirty = false;
  /** Without a data directory: the df batches not acknowledged yet (batch → documents), in order. */
  private unreportedDf = new Map<number, DocumentId[]>();
  /** Ingest is refused until recovery and re-registration are done. */
  private ready = false;
  /** How long recovery took (load, replay), in ms. */
  recoveryMs = 0;
  private readonly ingestLock = new Mutex();
  private readonly log: (msg: string) => void;
  readonly metrics = new ShardMetrics({ documents: () => this.docs.size, nodes: () => this.graph.nodeCount, edges: () => this.graph.edgeCount, tick: () => this.committedTick });

  constructor(private readonly opts: ShardOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.coordinator = new RpcClient(CoordinatorServiceClient, opts.join, opts.security, opts.rpcDeadlineMs ?? 30_000);
    this.log = opts.log ?? (() => {});
  }

  /** Serve ShardService, register with the coordinator, start heartbeats. Returns the ShardId. */
  async start(): Promise<ShardId> {
    if (this.opts.dataDir) this.recover();
    addService(this.server, shardService, this.handlers(), this.opts.security, (m, e) => this.log(`error in ${m}: ${describeError(e)}`));
    const host = this.opts.host ?? '127.0.0.1';
    const port = await listen(this.server, host, this.opts.port ?? 0, this.opts.security);
    this.address = this.opts.advertise ?? `${host}:${port}`;
    if (this.pendingPrepared) await this.resolvePrepared();
    const reply = await this.retrying('register', () => this.coordinator.call<{ id: number; df_batch: number }>('register', { address: this.address, identity: this.opts.identity }));
    if (this.store && this.id !== 0 && reply.id !== this.id) throw new Error(`the coordinator gave id ${reply.id} to identity ${this.opts.identity}, which was shard ${this.id}; its state was lost?`);
    this.id = reply.id;
    // new df batches are numbered after every batch the coordinator applied for this identity
    this.dfBatch = Math.max(this.dfBatch, reply.df_batch ?? 0);
    await this.ingestLock.run(() => this.flushDfReports());
    this.ready = true;
    const every = this.opts.heartbeatMs ?? 1000;
    this.heartbeat = setInterval(() => {
      this.coordinator.call('heartbeat', this.counts(), every * 2).catch(() => undefined);
      // df reports that did not reach the coordinator (it was down) are re-sent, applied once
      if (this.dfDirty) void this.ingestLock.run(() => this.flushDfReports()).catch(() => undefined);
    }, every);
    this.heartbeat.unref();
    return this.id;
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await shutdown(this.server);
    this.coordinator.close();
    for (const p of this.peers.values()) p.close();
    this.store?.close();
  }

  /** Retry a call to the coordinator while it is unreachable or busy with a tick (bounded). */
  private async retrying<T>(what: string, f: () => Promise<T>, attempts = 600): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await f();
      } catch (e) {
        const code = (e as { code?: number }).code;
        const transient = code === 14 /* UNAVAILABLE */ || code === 9 /* FAILED_PRECONDITION */ || code === 4 /* DEADLINE_EXCEEDED */;
        if (!transient || i >= attempts) throw e;
        if (i === 1 || i % 20 === 0) this.log(`${what}: ${describeError(e)}; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(500, 25 * i)));
      }
    }
  }

  private pendingPrepared: { tick: number; body: TickBody } | null = null;
  /** Rows received for a membership epoch that has not flipped yet (rebalancing). */
  private incoming = new Map<number, { kind: 'doc' | 'node' | 'edge'; id: string; body: unknown }[]>();

  /** Load the durable state: documents, the graph checkpoint, and replay of the committed ticks after it. */
  private recover(): void {
    const t0 = performance.now();
    this.store = new ShardStore(this.opts.dataDir!);
    const st = this.store.load();
    const cfg = st.meta.get('config');
    if (cfg) this.config = makeConfig(JSON.parse(cfg) as Partial<ColonyConfig>);
    this.graph = new Graph(this.config);
    this.docs = new DocumentStore();
    this.id = Number(st.meta.get('shard_id') ?? 0);
    this.epoch = Number(st.meta.get('epoch') ?? 0);
    const members = JSON.parse(st.meta.get('members') ?? '[]') as { id: number; address: string }[];
    this.addresses = new Map(members.map((m) => [m.id, m.address]));
    this.placement = new Placement(members.map((m) => m.id));
    this.dfBatch = Number(st.meta.get('df_batch') ?? 0);
    this.dfDirty = st.docs.some((d) => d.unreportedBatch !== null);
    for (const d of st.docs) {
      const rec = makeRecord(d.id, d.key, d.title, d.text, d.ingestTick, d.lane);
      rec.digestedTick = d.digestedTick;
      this.docs.add(rec);
      if (d.digestedTick !== null) this.digestedCount++;
    }
    for (const n of st.nodes) this.graph.nodes.set(n.id, { ...n });
    for (const e of st.edges) this.graph.insertEdge({ ...e });
    this.checkpointTick = st.checkpointTick;
    this.committedTick = Number(st.meta.get('committed_tick') ?? 0);
    let replayed = 0;
    for (const entry of st.log) {
      if (entry.tick <= this.checkpointTick) continue;
      if (entry.status === 'committed') {
        this.replay(entry.tick, entry.body);
        replayed++;
      } else if (entry.tick === this.committedTick + 1) this.pendingPrepared = { tick: entry.tick, body: entry.body };
    }
    if (replayed > (this.opts.checkpointEvery ?? 50)) this.checkpoint();
    this.recoveryMs = performance.now() - t0;
    this.log(`recovered ${this.docs.size} documents, ${this.graph.nodeCount} concepts, ${this.graph.edgeCount} edges at tick ${this.committedTick} (${replayed} ticks replayed) in ${this.recoveryMs.toFixed(0)} ms`);
  }

  /** Re-apply a committed tick from its logged inputs (the colony is deterministic). */
  private replay(tick: number, body: TickBody): void {
    this.graph.applyUpserts(tick, body.upserts);
    this.graph.applyIncrements(tick, body.increments);
    this.graph.decay(tick);
    this.graph.applyDrops(body.drops);
    this.graph.degreeCapVerdicts(); // resets the candidates; the logged drops already hold every verdict
  }

  /**
   * A tick prepared before a crash: ask the coordinator for its outcome (committed when the coordinator's
   * current tick reached it; aborted when it is neither committed nor in progress) and converge.
   */
  private async resolvePrepared(): Promise<void> {
    const p = this.pendingPrepared!;
    for (;;) {
      const s = await this.retrying('tick_status', () => this.coordinator.call<{ in_progress: boolean; tick: number; current_tick: number }>('tick_status', {}));
      if (s.current_tick >= p.tick) {
        this.replay(p.tick, p.body);
        for (const id of p.body.digested) {
          const rec = this.docs.get(id);
          if (rec && rec.digestedTick === null) {
            this.docs.markDigested(id, p.tick);
            this.digestedCount++;
          }
        }
        this.store!.commitTick(p.tick);
        this.committedTick = p.tick;
        this.log(`tick ${p.tick} was prepared before a restart: committed`);
        break;
      }
      if (!(s.in_progress && s.tick === p.tick)) {
        this.store!.discardTick(p.tick);
        this.log(`tick ${p.tick} was prepared before a restart: aborted`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.pendingPrepared = null;
  }

  private checkpoint(): void {
    this.store!.checkpoint(this.committedTick, this.graph.nodes.values(), this.graph.edges.values());
    this.checkpointTick = this.committedTick;
  }

  /** Send the df reports of documents stored but not yet acknowledged by the coordinator (idempotent). */
  private async flushDfReports(): Promise<void> {
    if (!this.dfDirty) return;
    const pending = this.store ? this.store.unreported() : [...this.unreportedDf].map(([batch, ids]) => ({ batch, ids }));
    for (const { batch, ids } of pending) {
      const recs = ids.map((id) => this.docs.get(id)!).filter(Boolean);
      await this.reportDf(recs, batch);
      this.store?.markReported(batch);
      this.unreportedDf.delete(batch);
    }
    this.dfDirty = false;
  }

  private async reportDf(recs: ReturnType<typeof makeRecord>[], batch: number): Promise<void> {
    const df: Record<string, number> = {};
    let total = 0;
    for (const r of recs) {
      total += r.length;
      for (const t of r.terms) df[t.term] = (df[t.term] ?? 0) + 1;
    }
    // (shard identity, batch) is applied once, with or without a data directory: a report re-sent after
    // its reply was lost is not counted twice
    await this.coordinator.call('report_df', { shard_id: this.id, epoch: this.epoch, df, documents: recs.length, total_length: total, batch });
  }

  /** Leave the cluster gracefully (the coordinator moves this shard's data first). */
  async leave(): Promise<void> {
    await this.coordinator.call('unregister', { id: this.id }, 600_000);
  }

  owns = (id: NodeId | DocumentId): boolean => this.placement.size > 0 && this.placement.owner(id) === this.id;

  counts(): CountsMsg {
    return {
      shard_id: this.id,
      node_count: this.graph.nodeCount,
      edge_count: this.primaryEdges(),
      document_count: this.docs.size,
      digested_count: this.digestedCount,
      pending_count: this.docs.pendingCount,
    };
  }

  /** Edges whose smaller endpoint this shard owns: each edge of the cluster counts on one shard. */
  private primaryEdges(): number {
    let n = 0;
    for (const e of this.graph.edges.values()) if (this.owns(e.a)) n++;
    return n;
  }

  private peer(id: ShardId): RpcClient {
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

  private checkEpoch(epoch: number): void {
    if (epoch !== this.epoch) throw rpcError.precondition(`stale epoch ${epoch}: shard ${this.id} is at epoch ${this.epoch}`);
  }

  private checkTick(tick: number): void {
    if (this.inProgress !== tick) throw rpcError.precondition(`tick ${tick} is not in progress on shard ${this.id} (${this.inProgress === null ? `none is; last committed ${this.committedTick}` : `tick ${this.inProgress} is`})`);
  }

  /** The message belongs to the open attempt of the tick (a message of an aborted attempt never counts). */
  private checkAttempt(tick: number, attempt: number): void {
    this.checkTick(tick);
    if (attempt !== this.openAttempt) throw rpcError.precondition(`attempt ${attempt} of tick ${tick} is not the open one on shard ${this.id} (attempt ${this.openAttempt} is); ignored`);
  }

  /**
   * Report the phase done to the coordinator's barrier. Sent alongside the reply to tick_phase (not
   * before it), so a barrier round costs one round trip; retried a few times, and if it never lands
   * the coordinator's phase deadline aborts the tick.
   */
  private phaseComplete(phase: string, tick: number, tickAttempt: number): void {
    const send = (attempt: number): void => {
      this.coordinator.call('phase_complete', { shard_id: this.id, phase, tick, attempt: tickAttempt }, 5000).catch((e) => {
        if (attempt < 3) setTimeout(() => send(attempt + 1), 50 * attempt);
        else this.log(`phase_complete(${phase}, ${tick}, attempt ${tickAttempt}) failed: ${describeError(e)}`);
      });
    };
    send(1);
  }

  // ---- tick phases -----------------------------------------------------------------------------

  private async sense(tick: number, attempt: number) {
    if ((this.inProgress === tick && attempt <= this.openAttempt) || (this.aborted.tick === tick && attempt <= this.aborted.attempt))
      throw rpcError.precondition(`attempt ${attempt} of tick ${tick} is stale on shard ${this.id} (attempt ${Math.max(this.openAttempt, this.aborted.attempt)} came after it); ignored`);
    if (this.inProgress !== null && this.inProgress === tick - 1 && this.prepared) {
      // the coordinator starts tick t+1 only after committing t: a lost commit_tick is implied
      this.commitOpen(tick - 1);
    } else if (this.inProgress === tick) {
      // a newer attempt of the same tick: the previous attempt was aborted (the abort did not reach us)
      this.rollbackOpen('an earlier attempt of this tick was aborted');
    }
    if (this.inProgress !== null) throw rpcError.precondition(`tick ${this.inProgress} is still open on shard ${this.id}; abort or commit it first`);
    if (tick !== this.committedTick + 1) throw rpcError.precondition(`shard ${this.id} expected tick ${this.committedTick + 1}, got ${tick}`);
    this.inProgress = tick;
    this.openAttempt = attempt;
    this.graph.begin();
    return { candidates: this.docs.laneHeads(tick).map((r) => ({ lane: r.lane, ingest_tick: r.ingestTick, id: r.id })) };
  }

  private async act(tick: number, digest: string[], attempt: number) {
    const byTarget = new Map<ShardId, { upserts: NodeUpsert[]; increments: EdgeIncrement[] }>();
    const target = (s: ShardId) => {
      let t = byTarget.get(s);
      if (!t) byTarget.set(s, (t = { upserts: [], increments: [] }));
      return t;
    };
    for (const raw of digest) {
      const id = uuidArg(raw, 'document id');
      const rec = this.docs.get(id);
      if (!rec) throw rpcError.notFound(`document ${id} is not on shard ${this.id}`);
      if (rec.digestedTick !== null) continue; // a re-sent ACT: already digested in this tick
      this.docs.markDigested(id, tick);
      this.digestedNow.push(id);
      const d = digestDocument(rec.terms, this.config.wiringLimit);
      for (const u of d.upserts) target(this.placement.owner(u.id)).upserts.push(u);
      for (const e of d.increments) {
        const oa = this.placement.owner(e.a);
        const ob = this.placement.owner(e.b);
        target(oa).increments.push(e);
        if (ob !== oa) target(ob).increments.push(e);
      }
    }
    const sends: Promise<unknown>[] = [];
    for (const [shard, d] of [...byTarget.entries()].sort((a, b) => a[0] - b[0])) {
      const upserts = mergeUpserts(d.upserts);
      const increments = mergeIncrements(d.increments);
      for (let i = 0, batch = 0; i < Math.max(1, increments.length); i += BATCH_INCREMENTS, batch++) {
        const msg = { tick, attempt, epoch: this.epoch, from: this.id, batch, upserts: batch === 0 ? upserts : [], increments: increments.slice(i, i + BATCH_INCREMENTS) };
        sends.push(shard === this.id ? this.deliver(msg) : this.peer(shard).call('deliver_deltas', msg));
      }
    }
    await Promise.all(sends);
    return {};
  }

  private async decay(tick: number, attempt: number) {
    // every shard's ACT deltas must have arrived before they are applied
    const ready = await this.coordinator.call<{ ready: boolean }>('barrier_ready', { shard_id: this.id, phase: 'ACT', tick, attempt });
    if (!ready.ready) throw rpcError.precondition(`DECAY of tick ${tick} pushed before the ACT barrier was complete`);
    this.checkAttempt(tick, attempt); // still open: an abort may have come while we waited
    const batches = [...this.staged.values()];
    this.merged = { upserts: mergeUpserts(batches.flatMap((b) => b.upserts)), increments: mergeIncrements(batches.flatMap((b) => b.increments)) };
    this.graph.applyUpserts(tick, this.merged.upserts);
    this.graph.applyIncrements(tick, this.merged.increments);
    this.graph.decay(tick);
    const verdicts = this.graph.degreeCapVerdicts(this.owns);
    const remote = new Map<ShardId, string[]>();
    for (const key of verdicts) {
      this.drops.add(key);
      const [a, b] = key.split('|');
      for (const end of [a, b]) {
        const o = this.placement.owner(end);
        if (o !== this.id) {
          let l = remote.get(o);
          if (!l) remote.set(o, (l = []));
          if (l[l.length - 1] !== key) l.push(key);
        }
      }
    }
    await Promise.all([...remote.entries()].map(([s, drops]) => this.peer(s).call('receive_signals', { tick, attempt, epoch: this.epoch, from: this.id, drops })));
    return {};
  }

  private async advance(tick: number) {
    const drops = [...this.drops].sort();
    this.graph.applyDrops(drops);
    this.prepared = {
      upserts: this.merged.upserts,
      increments: this.merged.increments,
      drops,
      digested: [...this.digestedNow],
    };
    // durable before the phase is reported done: the coordinator may commit as soon as every shard is
    this.store?.prepareTick(tick, this.prepared);
    return { counts: this.counts() };
  }

  private deliver(req: { tick: number; attempt: number; epoch: number; from: number; batch: number; upserts: NodeUpsert[]; increments: EdgeIncrement[] }): Promise<object> {
    const key = `${String(req.from).padStart(10, '0')}:${String(req.batch).padStart(10, '0')}`;
    if (!this.staged.has(key)) this.staged.set(key, { upserts: req.upserts, increments: req.increments });
    return Promise.resolve({});
  }

  /**
   * The flip of a membership change: install what was received for this epoch, drop what this shard no
   * longer owns (documents, concepts, edges with no owned endpoint), and make it durable in one
   * transaction. A no-op when nothing moves (an address change), so it is safe to repeat.
   */
  private flip(epoch: number, meta: Record<string, string | number>): void {
    const rows = this.store ? this.store.incoming(epoch) : (this.incoming.get(epoch) ?? []);
    const added: StoredDocWire[] = [];
    for (const r of rows) {
      if (r.kind === 'doc') {
        const d = r.body as StoredDocWire;
        if (this.docs.get(d.id) || !this.owns(d.id)) continue;
        const rec = makeRecord(d.id, d.key, d.title, d.text, d.ingest_tick, d.lane);
        rec.digestedTick = d.digested ? d.digested_tick : null;
        this.docs.add(rec);
        if (rec.digestedTick !== null) this.digestedCount++;
        added.push(d);
      } else if (r.kind === 'node') {
        const n = r.body as { id: string; label: string; access_count: number; created_tick: number };
        if (!this.graph.nodes.has(n.id) && this.owns(n.id)) this.graph.nodes.set(n.id, { id: n.id, label: n.label, accessCount: n.access_count, createdTick: n.created_tick });
      } else {
        const e = r.body as EdgeWire;
        if (!this.graph.edges.has(`${e.a}|${e.b}`) && (this.owns(e.a) || this.owns(e.b)))
          this.graph.insertEdge({ a: e.a, b: e.b, weight: e.weight, coActivations: e.co_activations, createdTick: e.created_tick, lastActivatedTick: e.last_activated_tick });
      }
    }
    const dropped: string[] = [];
    for (const id of [...this.docs.byId.keys()]) {
      if (this.owns(id)) continue;
      const rec = this.docs.remove(id)!;
      if (rec.digestedTick !== null) this.digestedCount--;
      dropped.push(id);
    }
    let changed = added.length > 0 || dropped.length > 0 || rows.length > 0;
    for (const id of [...this.graph.nodes.keys()]) {
      if (!this.owns(id)) {
        this.graph.nodes.delete(id);
        changed = true;
      }
    }
    for (const [k, e] of [...this.graph.edges]) {
      if (!this.owns(e.a) && !this.owns(e.b)) {
        this.graph.removeEdge(k);
        changed = true;
      }
    }
    for (const e of [...this.incoming.keys()]) if (e <= epoch) this.incoming.delete(e);
    if (!this.store) return;
    if (changed) {
      const stored = added.map((d) => ({ id: d.id, key: d.key, title: d.title, text: d.text, ingestTick: d.ingest_tick, lane: d.lane, digestedTick: d.digested ? d.digested_tick : null, unreportedBatch: null }));
      this.store.replaceAfterFlip(epoch, this.committedTick, stored, dropped, this.graph.nodes.values(), this.graph.edges.values(), meta);
      this.checkpointTick = this.committedTick;
    } else this.store.setMeta(meta);
  }

  /** Send every document, concept and edge that another shard owns under the new membership. */
  private async migrateOut(epoch: number, members: { id: number; address: string }[]) {
    if (this.inProgress !== null) throw rpcError.precondition(`tick ${this.inProgress} is in progress; membership changes happen between ticks`);
    const next = new Placement(members.map((m) => m.id));
    const addr = new Map(members.map((m) => [m.id, m.address]));
    const out = new Map<ShardId, { docs: StoredDocWire[]; nodes: object[]; edges: EdgeWire[] }>();
    const to = (s: ShardId) => {
      let o = out.get(s);
      if (!o) out.set(s, (o = { docs: [], nodes: [], edges: [] }));
      return o;
    };
    let docs = 0;
    let nodes = 0;
    let edges = 0;
    for (const d of this.docs.byId.values()) {
      const o = next.owner(d.id);
      if (o === this.id) continue;
      to(o).docs.push({ id: d.id, key: d.key, title: d.title, text: d.text, ingest_tick: d.ingestTick, lane: d.lane, digested: d.digestedTick !== null, digested_tick: d.digestedTick ?? 0 });
      docs++;
    }
    for (const n of this.graph.nodes.values()) {
      const o = next.owner(n.id);
      if (o === this.id) continue;
      to(o).nodes.push({ id: n.id, label: n.label, access_count: n.accessCount, created_tick: n.createdTick, found: true });
      nodes++;
    }
    for (const e of this.graph.edges.values()) {
      const targets = new Set([next.owner(e.a), next.owner(e.b)]);
      targets.delete(this.id);
      for (const t of targets) {
        to(t).edges.push({ a: e.a, b: e.b, weight: e.weight, co_activations: e.coActivations, created_tick: e.createdTick, last_activated_tick: e.lastActivatedTick });
        edges++;
      }
    }
    await Promise.all(
      [...out.entries()].map(async ([s, o]) => {
        const a = addr.get(s);
        if (!a) throw rpcError.invalid(`shard ${s} has no address in the new membership`);
        const client = new RpcClient(ShardServiceClient, a, this.opts.security, this.opts.rpcDeadlineMs ?? 30_000);
        const send = (part: { docs?: StoredDocWire[]; nodes?: object[]; edges?: EdgeWire[] }) => client.call('migrate_in', { epoch, from: this.id, docs: [], nodes: [], edges: [], ...part });
        try {
          for (let i = 0; i < o.docs.length; i += 200) await send({ docs: o.docs.slice(i, i + 200) });
          for (let i = 0; i < o.nodes.length; i += 5000) await send({ nodes: o.nodes.slice(i, i + 5000) });
          for (let i = 0; i < o.edges.length; i += 20000) await send({ edges: o.edges.slice(i, i + 20000) });
        } finally {
          client.close();
        }
      }),
    );
    return { documents: docs, nodes, edges };
  }

  private commitOpen(tick: number): void {
    this.store?.commitTick(tick);
    this.graph.commit();
    this.digestedCount += this.digestedNow.length;
    this.committedTick = tick;
    this.closeTick();
    if (this.store && this.committedTick - this.checkpointTick >= (this.opts.checkpointEvery ?? 50)) this.checkpoint();
  }

  private rollbackOpen(reason: string): void {
    const tick = this.inProgress;
    if (tick === null) return;
    this.graph.rollback();
    for (const id of this.digestedNow) this.docs.unmarkDigested(id);
    this.store?.discardTick(tick);
    this.log(`tick ${tick} aborted: ${reason}`);
    this.closeTick();
  }

  private closeTick(): void {
    this.inProgress = null;
    this.openAttempt = 0;
    this.prepared = null;
    this.merged = { upserts: [], increments: [] };
    this.staged.clear();
    this.drops.clear();
    this.digestedNow = [];
  }

  // ---- handlers ----------------------------------------------------------------------------------

  private handlers(): Record<string, (req: any, md: grpc.Metadata) => unknown> {
    return {
      ingest_document: (req: { epoch: number; tick: number; docs: DocumentInput[]; check_only?: boolean }) => this.ingestLock.run(() => this.ingest(req)),

      tick_phase: async (req: { tick: number; phase: string; epoch: number; digest: string[]; attempt: number }) => {
        const tick = tickArg(req.tick);
        const phase = phaseArg(req.phase);
        const attempt = attemptArg(req.attempt);
        this.checkEpoch(req.epoch);
        await this.opts.beforePhase?.(phase, tick);
        let reply: object;
        if (phase === 'SENSE') reply = await this.sense(tick, attempt);
        else {
          this.checkAttempt(tick, attempt);
          reply = phase === 'ACT' ? await this.act(tick, req.digest ?? [], attempt) : phase === 'DECAY' ? await this.decay(tick, attempt) : await this.advance(tick);
        }
        this.phaseComplete(phase, tick, attempt);
        return reply;
      },

      abort_tick: (req: { tick: number; reason: string; attempt: number }) => {
        const tick = tickArg(req.tick);
        const attempt = attemptArg(req.attempt);
        if (tick > this.aborted.tick || (tick === this.aborted.tick && attempt > this.aborted.attempt)) this.aborted = { tick, attempt };
        // nothing open (aborting is idempotent), or a late abort of an older attempt: ignored
        if (this.inProgress !== tick || attempt < this.openAttempt) return {};
        this.rollbackOpen(req.reason);
        return {};
      },

      commit_tick: (req: { tick: number; attempt: number }) => {
        const tick = tickArg(req.tick);
        const attempt = attemptArg(req.attempt);
        if (tick <= this.committedTick) return {}; // already committed: idempotent
        this.checkAttempt(tick, attempt);
        if (!this.prepared) throw rpcError.precondition(`tick ${tick} is not prepared on shard ${this.id}`);
        this.commitOpen(tick);
        return {};
      },

      deliver_deltas: (req: { tick: number; attempt: number; epoch: number; from: number; batch: number; upserts: NodeUpsert[]; increments: EdgeIncrement[] }) => {
        const attempt = attemptArg(req.attempt);
        this.checkEpoch(req.epoch);
        this.checkAttempt(tickArg(req.tick), attempt);
        for (const u of req.upserts) {
          uuidArg(u.id, 'node id');
          if (typeof u.label !== 'string' || u.label.length === 0) throw rpcError.invalid('node upsert without a label');
          if (!this.owns(u.id)) throw rpcError.precondition(`node ${u.id} is owned by shard ${this.placement.owner(u.id)}, not ${this.id}`);
        }
        for (const e of req.increments) {
          edgeKeyArg(`${e.a}|${e.b}`);
          if (!this.owns(e.a) && !this.owns(e.b)) throw rpcError.precondition(`edge ${e.a}|${e.b} has no endpoint on shard ${this.id}`);
        }
        return this.deliver(req);
      },

      receive_signals: (req: { tick: number; attempt: number; epoch: number; from: number; drops: string[] }) => {
        const attempt = attemptArg(req.attempt);
        this.checkEpoch(req.epoch);
        this.checkAttempt(tickArg(req.tick), attempt);
        for (const k of req.drops) {
          edgeKeyArg(k);
          this.drops.add(k);
        }
        return {};
      },

      local_query: async (req: { terms: string[]; k: number; concepts: boolean; stats?: { documents: number; total_length: number; df: Record<string, number> }; weighted: { term: string; weight: number; original: boolean }[]; coordination: boolean }) => {
        await this.opts.beforeQuery?.();
        const k = req.k || 10;
        if (k > this.limits.maxResults) throw rpcError.invalid(`k is ${k}, over the limit of ${this.limits.maxResults}`);
        if (req.terms.length > this.limits.maxQueryTerms * 2 || req.weighted.length > this.limits.maxQueryTerms * 2) throw rpcError.invalid('too many query terms');
        if (req.concepts) {
          const { candidates, seeds } = conceptCandidates(this.graph, req.terms, this.owns);
          return {
            concepts: topCandidates(candidates, k).map((c) => ({ id: c.id, label: c.label, seed: c.seed, affinity: c.affinity, access_count: c.accessCount })),
            seeds,
          };
        }
        const st = req.stats;
        if (!st) throw rpcError.invalid('a document query needs the cluster statistics');
        const df = st.df ?? {};
        const hits = bm25Search(this.docs, { documents: st.documents, totalLength: st.total_length, df: (t) => df[t] ?? 0 }, req.weighted, k, { coordination: req.coordination });
        return { documents: hits };
      },

      get_term_frequencies: (req: { terms: string[] }) => {
        if (req.terms.length > 100_000) throw rpcError.invalid('at most 100000 terms per call');
        return { df: Object.fromEntries(req.terms.map((t) => [t, this.docs.df(t)])) };
      },

      get_node: (req: { uuid: string }) => {
        const id = uuidArg(req.uuid, 'node id');
        const n = this.graph.nodes.get(id);
        if (!n) throw rpcError.notFound(this.owns(id) ? `no concept ${id}` : `concept ${id} is owned by shard ${this.placement.owner(id)}, not ${this.id}`);
        return { id, label: n.label, access_count: n.accessCount, created_tick: n.createdTick, found: true };
      },

      resolve_ghost_nodes: (req: { ids: string[] }) => {
        if (req.ids.length > 100_000) throw rpcError.invalid('at most 100000 ids per call');
        return {
          nodes: req.ids.map((raw) => {
            const id = uuidArg(raw, 'node id');
            const n = this.graph.nodes.get(id);
            return n ? { id, label: n.label, access_count: n.accessCount, created_tick: n.createdTick, found: true } : { id, found: false };
          }),
        };
      },

      get_neighbors: (req: { id: string; k: number }) => {
        const id = uuidArg(req.id, 'node id');
        if (!this.owns(id)) throw rpcError.precondition(`concept ${id} is owned by shard ${this.placement.owner(id)}, not ${this.id}`);
        if (!this.graph.nodes.has(id)) throw rpcError.notFound(`no concept ${id}`);
        const all = [...this.graph.neighbours(id).entries()]
          .map(([o, e]) => ({ id: o, weight: e.weight, co_activations: e.coActivations }))
          .sort((x, y) => y.weight - x.weight || (x.id < y.id ? -1 : 1));
        return { neighbors: req.k > 0 ? all.slice(0, req.k) : all, found: true };
      },

      export_graph: () => ({
        nodes: [...this.graph.nodes.values()].map((n) => ({ id: n.id, label: n.label, access_count: n.accessCount, created_tick: n.createdTick, found: true })),
        // each edge once: from the owner of its smaller endpoint
        edges: [...this.graph.edges.values()]
          .filter((e) => this.owns(e.a))
          .map((e) => ({ a: e.a, b: e.b, weight: e.weight, co_activations: e.coActivations, created_tick: e.createdTick, last_activated_tick: e.lastActivatedTick })),
      }),

      update_membership: (req: { epoch: number; members: { id: number; address: string }[]; you: number; config_json: string; tick: number }) => {
        if (req.epoch < this.epoch) throw rpcError.precondition(`stale membership epoch ${req.epoch}: shard is at ${this.epoch}`);
        if (this.inProgress !== null) {
          // the coordinator changes membership only between ticks: an open tick here is one whose
          // outcome did not reach this shard; the cluster's tick says which
          if (this.inProgress === req.tick && this.prepared) this.commitOpen(this.inProgress);
          else this.rollbackOpen('superseded by a membership change');
        }
        if (req.config_json) {
          const cfg = makeConfig(JSON.parse(req.config_json) as Partial<ColonyConfig>);
          if (JSON.stringify(cfg) !== JSON.stringify(this.config)) {
            if (this.docs.size > 0 || this.graph.nodeCount > 0) throw rpcError.precondition('the colony config cannot change on a shard that holds data');
            this.config = cfg;
            this.graph = new Graph(cfg);
          }
        }
        if (req.epoch === this.epoch && this.placement.size > 0) return {}; // already there: idempotent
        if (req.tick !== this.committedTick) {
          const empty = this.docs.size === 0 && this.graph.nodeCount === 0 && this.graph.edgeCount === 0;
          if (!empty) throw rpcError.precondition(`shard ${this.id} is at tick ${this.committedTick}, the cluster at tick ${req.tick}`);
          this.committedTick = req.tick; // a new (or emptied) shard starts at the cluster's tick
          this.store?.setMeta({ committed_tick: req.tick });
        }
        if (req.you) this.id = req.you;
        this.addresses = new Map(req.members.map((m) => [m.id, m.address]));
        this.placement = new Placement(req.members.map((m) => m.id));
        this.epoch = req.epoch;
        const member = req.members.some((m) => m.id === this.id);
        const meta = { epoch: this.epoch, shard_id: member ? this.id : 0, members: JSON.stringify(req.members.map((m) => ({ id: m.id, address: m.address }))), config: JSON.stringify(this.config) };
        this.flip(req.epoch, meta);
        return {};
      },

      migrate_out: async (req: { epoch: number; members: { id: number; address: string }[] }) => {
        if (req.epoch <= this.epoch) throw rpcError.precondition(`migration to epoch ${req.epoch}: shard ${this.id} is already at epoch ${this.epoch}`);
        // documents about to move are counted first: their df report is this shard's (its identity,
        // its batch numbers), and after the move it could no longer build it
        await this.ingestLock.run(() => this.flushDfReports());
        return this.migrateOut(req.epoch, req.members);
      },

      migrate_in: (req: { epoch: number; from: number; docs: StoredDocWire[]; nodes: { id: string }[]; edges: EdgeWire[] }) => {
        if (req.epoch <= this.epoch) throw rpcError.precondition(`migration to epoch ${req.epoch}: shard ${this.id} is already at epoch ${this.epoch}`);
        const rows: { kind: 'doc' | 'node' | 'edge'; id: string; body: unknown }[] = [];
        for (const d of req.docs) rows.push({ kind: 'doc', id: uuidArg(d.id, 'document id'), body: d });
        for (const n of req.nodes) rows.push({ kind: 'node', id: uuidArg(n.id, 'node id'), body: n });
        for (const e of req.edges) rows.push({ kind: 'edge', id: edgeKeyArg(`${e.a}|${e.b}`).join('|'), body: e });
        // durable before acknowledged: a shard that restarts before the flip still has what it received
        if (this.store) this.store.putIncoming(req.epoch, rows);
        else {
          let l = this.incoming.get(req.epoch);
          if (!l) this.incoming.set(req.epoch, (l = []));
          l.push(...rows);
        }
        return {};
      },

      abort_migration: (req: { epoch: number }) => {
        this.incoming.delete(req.epoch);
        this.store?.clearIncoming(req.epoch);
        return {};
      },

      health_check: () => ({
        // not serving until recovery and registration are done (ingest is refused until then too)
        serving: this.ready,
        role: 'shard',
        tick: this.committedTick,
        epoch: this.epoch,
        detail: `shard ${this.id}: ${this.ready ? '' : 'recovering; '}${this.docs.size} documents, ${this.graph.nodeCount} concepts, ${this.graph.edgeCount} edges`,
        counts: this.counts(),
      }),
    };
  }

  private async ingest(req: { epoch: number; tick: number; docs: DocumentInput[]; check_only?: boolean }) {
    if (!this.ready) throw rpcError.unavailable(`shard ${this.id} is recovering; try again`);
    this.checkEpoch(req.epoch);
    await this.flushDfReports();
    const fresh: ReturnType<typeof makeRecord>[] = [];
    const results = [];
    const seen = new Set<string>();
    // the coordinator's tick, not this shard's view (it may still hold a tick that was aborted)
    const ingestTick = req.tick;
    if (!Number.isSafeInteger(ingestTick) || ingestTick < this.committedTick || ingestTick > this.committedTick + 1)
      throw rpcError.precondition(`ingestion tick ${ingestTick} does not fit shard ${this.id}, which committed tick ${this.committedTick}`);
    // the whole request is checked before anything is stored (conflicts inside it or with stored documents)
    const valid = validateBatch(req.docs.map((d) => ({ id: d.id, title: d.title, text: d.text })), this.limits, (id) => this.docs.get(id));
    for (const v of valid) {
      const owner = this.placement.owner(v.id);
      if (owner !== this.id) throw rpcError.precondition(`document ${v.key} is owned by shard ${owner} under epoch ${this.epoch}, not by shard ${this.id}`);
      const have = this.docs.get(v.id);
      if (have) {
        results.push({ id: v.id, key: have.key, created: false, shard: this.id });
        continue;
      }
      if (seen.has(v.id)) {
        results.push({ id: v.id, key: v.key, created: false, shard: this.id });
        continue;
      }
      seen.add(v.id);
      fresh.push(makeRecord(v.id, v.key, v.title, v.text, ingestTick, laneOf(this.config.seed, this.config.digesters, v.id)));
      results.push({ id: v.id, key: v.key, created: true, shard: this.id });
    }
    if (req.check_only) return { results }; // the coordinator's check before a request spanning shards
    if (fresh.length > 0) {
      // durable first (with its df report marked pending), then counted by the coordinator, then
      // acknowledged; a report lost in a crash is re-sent with the same batch number and applied once
      const batch = ++this.dfBatch;
      this.store?.addDocs(fresh, batch);
      for (const r of fresh) this.docs.add(r);
      try {
        await this.reportDf(fresh, batch);
      } catch (e) {
        // kept, and re-sent with the same batch number (the coordinator may have applied it already)
        this.dfDirty = true;
        if (!this.store) this.unreportedDf.set(batch, fresh.map((r) => r.id));
        throw rpcError.unavailable(`documents stored but not yet counted by the coordinator (${describeError(e)}); send them again`);
      }
      this.store?.markReported(batch);
    }
    return { results };
  }
}

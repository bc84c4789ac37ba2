import { PhagoError } from '../core/errors.js';
import { validateBatch } from '../core/input.js';
import { contentDigest, documentIdOf } from '../ids/ids.js';
import { CodecError } from '../protocol/codec.js';
import { describeError } from '../rpc/client.js';
import { describeValue } from '../rpc/parse-request.js';
import {
  AbortRequest,
  CommitRequest,
  DeltasRequest,
  Empty,
  EpochNumber,
  FollowerSpec,
  PromoteRequest,
  ReplicateRequest,
  LocalQueryRequest,
  Membership,
  MigrateInRequest,
  MigrateRequest,
  NeighborsRequest,
  NodeIdRequest,
  NodeIds,
  ShardForgetRequest,
  ShardIngestRequest,
  SignalsRequest,
  Terms,
  TickPhaseRequest,
  parse,
  type ShardIngestRequestMsg,
  type ShardMethod,
} from '../rpc/schemas.js';
import { rpcError, type Handler } from '../rpc/server.js';
import { bm25Search } from '../search/bm25.js';
import { conceptCandidates, topCandidates } from '../search/concepts.js';
import type { StoredDoc } from '../storage/shard-storage.js';
import { encodeCandidates } from '../protocol/candidates.js';
import { encodeHits } from '../protocol/hits-packed.js';
import { forgetOnShard } from './forget.js';
import { migrateOut } from './migration.js';
import { incomingRows } from './migration-rows.js';
import { encodeGraphPart } from '../protocol/graph-packed.js';
import { applyReplicated, promoteFollower } from './follower.js';
import { applyMembership, settleOpenTick } from './membership-update.js';
import type { Outgoing, TickParticipant } from './participant.js';
import type { ShardNode } from './shard.js';
import { abortTick, commitTick, openTick } from './tick-gate.js';

/** Every ShardService method's handler: each parses its request first (src/rpc/schemas.ts). */
type Handlers = Record<ShardMethod, Handler>;

/** Turn a codec or protocol refusal into a typed status. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CodecError) throw rpcError.invalid(`malformed payload: ${e.message}`);
    throw e;
  }
}

/** A write or a tick on a follower is refused: they go to its group's primary. */
function primaryOnly(s: ShardNode, method: string): void {
  if (s.role === 'follower') throw rpcError.precondition(`${method} refused: this shard is a follower of shard ${s.id} (docs/replication.md); send it to the primary`);
}

/** A follower answers reads of its committed state once it holds a snapshot. */
function readable(s: ShardNode): void {
  if (s.role === 'follower' && !s.ready) throw rpcError.unavailable(`this follower of shard ${s.id} is catching up from its primary`);
  // a prepared tick is not committed yet (its primary may have failed and the tick be aborted)
  if (s.role === 'follower' && s.part.openTick !== null) throw rpcError.unavailable(`this follower of shard ${s.id} holds tick ${s.part.openTick} prepared; ask again`);
}

/** The ShardService handlers: validation and wire conversion around the shard driver. */
export function shardHandlers(s: ShardNode): Handlers {
  const h = handlers(s);
  const writes = new Set<string>(['ingest_document', 'tick_phase', 'abort_tick', 'commit_tick', 'deliver_deltas', 'receive_signals', 'update_membership', 'migrate_out', 'migrate_in', 'abort_migration', 'forget_documents', 'add_follower']);
  const reads = new Set<string>(['local_query', 'get_term_frequencies', 'get_node', 'resolve_ghost_nodes', 'get_neighbors', 'export_graph']);
  const out = {} as Handlers;
  for (const [m, fn] of Object.entries(h) as [ShardMethod, Handler][]) {
    out[m] = writes.has(m) ? (raw, md) => (primaryOnly(s, m), fn(raw, md)) : reads.has(m) ? (raw, md) => (readable(s), fn(raw, md)) : fn;
  }
  return out;
}

function handlers(s: ShardNode): Handlers {
  // the labels a message named are known to its receiver once it has answered; a failed send makes
  // the next message to that peer name them again (it may have restarted)
  const send = (p: TickParticipant, method: string, tick: number, attempt: number, outs: Outgoing[], body: (o: Outgoing) => object) =>
    Promise.all(
      outs.map((o) => {
        const msg = { tick, attempt, epoch: s.epoch, from: s.id, ...body(o) };
        return s
          .peer(o.to)
          .call(method, msg)
          .then(
            () => p.acknowledge(o),
            (e) => {
              p.sendFailed(o.to);
              throw rpcError.unavailable(`${method} to shard ${o.to} failed: ${describeError(e)}`);
            },
          );
      }),
    );

  return {
    forget_documents: (raw) => {
      const req = parse(ShardForgetRequest, raw, 'forget_documents');
      return s.ingestLock.run(() => forgetOnShard(s, req));
    },

    ingest_document: async (raw) => {
      const req = parse(ShardIngestRequest, raw, 'ingest_document');
      // stored under the ingest lock, counted after it: the next request is stored while this one's
      // df report travels (reports still go in batch order, one flush at a time)
      const reply = await s.ingestLock.run(() => ingest(s, req));
      // also what an earlier request stored but could not have counted (the client sends it again)
      if (!req.check_only) await countStored(s);
      return reply;
    },

    tick_phase: async (raw) => {
      const { tick, phase, attempt, ...req } = parse(TickPhaseRequest, raw, 'tick_phase');
      // a restarted shard takes part in ticks once registered (its followers are then resynced)
      if (!s.ready) throw rpcError.unavailable(`shard ${s.id} is recovering; try again`);
      s.checkEpoch(req.epoch);
      await s.opts.beforePhase?.(phase, tick);
      const p = s.participant;
      if (phase === 'SENSE') {
        openTick(s, tick, attempt);
        return { candidates: encodeCandidates(p.offer(tick, attempt, s.config.digestPerTick)), withdrawals: s.part.pendingWithdrawals.length };
      }
      if (phase === 'ACT') {
        // the first digest_count of what SENSE offered; act keeps this shard's own part (no message to itself)
        const outs = guard(() => p.act(tick, attempt, req.digest_count, s.owners()));
        await send(p, 'deliver_deltas', tick, attempt, outs, (o) => ({ batch: 0, presentations: o.payload }));
        return {};
      }
      if (phase === 'DECAY') {
        const outs = guard(() => p.decay(tick, attempt, s.owners()));
        await send(p, 'receive_signals', tick, attempt, outs, (o) => ({ pairs: o.payload }));
        return {};
      }
      // ADVANCE: the tick's inputs are durable before the phase is reported done
      // an empty tick comes without SENSE when the coordinator counts nothing pending: it opens here
      if (req.empty && p.openTick !== tick) openTick(s, tick, attempt);
      const replicated = s.replicator.active;
      const body = req.empty ? p.advanceEmpty(tick, attempt) : p.advance(tick, attempt, s.storage.durable || replicated);
      if (body) s.storage.prepareTick(tick, body);
      // followers apply the prepared tick and prove the same state digest before this phase is done
      if (replicated && body) await s.replicator.shipPrepared(tick, body, s.part.digestedIds());
      return { counts: s.counts() };
    },

    abort_tick: (raw) => {
      const { tick, attempt, reason } = parse(AbortRequest, raw, 'abort_tick');
      abortTick(s, tick, attempt, reason);
      return {};
    },

    commit_tick: (raw) => {
      const { tick, attempt } = parse(CommitRequest, raw, 'commit_tick');
      commitTick(s, tick, attempt);
      return {};
    },

    deliver_deltas: (raw) => {
      const req = parse(DeltasRequest, raw, 'deliver_deltas');
      s.checkEpoch(req.epoch);
      if (!s.placement.has(req.from)) throw rpcError.precondition(`shard ${req.from} is not a member of epoch ${s.epoch}`);
      guard(() => s.participant.deliver(req.tick, req.attempt, req.from, req.batch, req.presentations));
      return {};
    },

    receive_signals: (raw) => {
      const req = parse(SignalsRequest, raw, 'receive_signals');
      s.checkEpoch(req.epoch);
      if (!s.placement.has(req.from)) throw rpcError.precondition(`shard ${req.from} is not a member of epoch ${s.epoch}`);
      guard(() => s.participant.receiveDrops(req.tick, req.attempt, req.from, req.pairs));
      return {};
    },

    local_query: async (raw) => {
      const req = parse(LocalQueryRequest, raw, 'local_query');
      await s.opts.beforeQuery?.();
      const k = req.k || 10;
      if (k > s.limits.maxResults) throw rpcError.invalid(`k is ${k}, over the limit of ${s.limits.maxResults}`);
      if (req.terms.length > s.limits.maxQueryTerms * 2 || req.weighted.length > s.limits.maxQueryTerms * 2) throw rpcError.invalid('too many query terms');
      if (req.concepts) {
        const { candidates, seeds } = conceptCandidates(s.part.graph, s.committedTick, req.terms);
        return {
          concepts: topCandidates(candidates, k).map((c) => ({ id: c.id, label: c.label, seed: c.seed, affinity: c.affinity, access_count: c.accessCount })),
          seeds,
        };
      }
      const st = req.stats;
      const df = st.df;
      const hits = bm25Search(s.part.docs, { documents: st.documents, totalLength: st.total_length, df: (t) => df[t] ?? 0 }, req.weighted, k, { coordination: req.coordination });
      const reply = { documents_packed: encodeHits(hits) };
      return s.opts.queryReply ? s.opts.queryReply(reply) : reply;
    },

    get_term_frequencies: (raw) => {
      const req = parse(Terms, raw, 'get_term_frequencies');
      return { df: Object.fromEntries(req.terms.map((t) => [t, s.part.docs.index.df(t)])) };
    },

    get_node: (raw) => {
      const id = parse(NodeIdRequest, raw, 'get_node').uuid;
      const g = s.part.graph;
      const n = g.numberOfId(id);
      const node = n === undefined ? undefined : g.node(n);
      if (!node) throw rpcError.notFound(s.owns(id) ? `no concept ${id}` : `concept ${id} is owned by shard ${s.placement.owner(id)}, not ${s.id}`);
      return { id, label: node.label, access_count: node.accessCount, created_tick: node.createdTick, found: true };
    },

    resolve_ghost_nodes: (raw) => {
      const req = parse(NodeIds, raw, 'resolve_ghost_nodes');
      const g = s.part.graph;
      return {
        nodes: req.ids.map((id) => {
          const n = g.numberOfId(id);
          const node = n === undefined ? undefined : g.node(n);
          return node ? { id, label: node.label, access_count: node.accessCount, created_tick: node.createdTick, found: true } : { id, found: false };
        }),
      };
    },

    get_neighbors: (raw) => {
      const req = parse(NeighborsRequest, raw, 'get_neighbors');
      const id = req.id;
      if (!s.owns(id)) throw rpcError.precondition(`concept ${id} is owned by shard ${s.placement.owner(id)}, not ${s.id}`);
      const view = s.part.graph.view(s.committedTick);
      if (!view.hasNode(id)) throw rpcError.notFound(`no concept ${id}`);
      const all = [...view.neighbours(id).entries()].map(([o, e]) => ({ id: o, weight: e.weight, co_activations: e.coActivations })).sort((x, y) => y.weight - x.weight || (x.id < y.id ? -1 : 1));
      return { neighbors: req.k > 0 ? all.slice(0, req.k) : all, found: true };
    },

    export_graph: (raw) => {
      parse(Empty, raw, 'export_graph');
      return { packed: encodeGraphPart(s.part.graph) };
    },

    update_membership: async (raw) => {
      const req = parse(Membership, raw, 'update_membership');
      if (req.epoch < s.epoch) throw rpcError.precondition(`stale membership epoch ${req.epoch}: shard is at ${s.epoch}`);
      settleOpenTick(s, req);
      applyMembership(s, req);
      s.replicator.recompute();
      await s.replicator.ship({ k: 'membership', req: raw as Record<string, unknown> });
      return {};
    },

    migrate_out: (raw) => {
      const req = parse(MigrateRequest, raw, 'migrate_out');
      if (req.epoch <= s.epoch) throw rpcError.precondition(`migration to epoch ${req.epoch}: shard ${s.id} is already at epoch ${s.epoch}`);
      return migrateOut(s, req.epoch, req.members);
    },

    migrate_in: async (raw) => {
      const req = parse(MigrateInRequest, raw, 'migrate_in');
      if (req.epoch <= s.epoch) throw rpcError.precondition(`migration to epoch ${req.epoch}: shard ${s.id} is already at epoch ${s.epoch}`);
      const rows = incomingRows(req);
      // durable before acknowledged: a shard that restarts before the flip still has what it received
      s.storage.putIncoming(req.epoch, rows);
      await s.replicator.ship({ k: 'incoming', epoch: req.epoch, rows });
      return {};
    },

    abort_migration: async (raw) => {
      const req = parse(EpochNumber, raw, 'abort_migration');
      s.storage.clearIncoming(req.epoch);
      await s.replicator.ship({ k: 'clear-incoming', epoch: req.epoch });
      return {};
    },

    replicate: (raw) => {
      const req = parse(ReplicateRequest, raw, 'replicate');
      return guard(() => applyReplicated(s, req));
    },

    add_follower: async (raw) => {
      const req = parse(FollowerSpec, raw, 'add_follower');
      await s.replicator.add(req.identity, req.address);
      return {};
    },

    promote: (raw) => {
      const req = parse(PromoteRequest, raw, 'promote');
      if (req.shard_id !== s.id) throw rpcError.precondition(`this shard follows shard ${s.id}, not ${req.shard_id}`);
      const digest = promoteFollower(s, req.tick);
      s.replicator.digest = digest;
      s.dfDirty = s.storage.unreported().length > 0 || s.storage.unreportedForgets().length > 0;
      s.startHeartbeats();
      s.log(`promoted: primary of shard ${s.id} at tick ${s.committedTick}`);
      return {};
    },

    health_check: (raw) => {
      parse(Empty, raw, 'health_check');
      return {
        serving: s.ready,
        role: s.role === 'follower' ? 'follower' : 'shard',
        tick: s.committedTick,
        epoch: s.epoch,
        detail: s.role === 'follower' && !s.ready ? `follower of shard ${s.id}: catching up` : s.ready ? `${s.role === 'follower' ? 'follower of ' : ''}shard ${s.id}: ${s.part.docs.size} documents, ${s.part.graph.nodeCount} concepts, ${s.part.graph.edgeCount} edges` : `shard ${s.id}: recovering`,
        counts: s.counts(),
      };
    },
  };
}

/**
 * The coordinator's check before a request that spans shards stores anything: every id named here is
 * owned by this shard; the answer lists those stored here, with the digest of their content, for the
 * coordinator to compare with the request's (usually none are: only they cost a digest).
 */
function checkContent(s: ShardNode, ids: readonly string[]) {
  const held: { id: string; digest: string }[] = [];
  for (const id of ids) {
    const owner = s.placement.owner(id);
    if (owner !== s.id) throw rpcError.precondition(`document ${id} is owned by shard ${owner} under epoch ${s.epoch}, not by shard ${s.id}`);
    const have = s.part.docs.get(id);
    if (have) held.push({ id, digest: contentDigest(have.title, have.text) });
  }
  return { created: [], held };
}

/**
 * Store documents durably (their df report marked pending); `countStored` then has the coordinator
 * count them before the request is acknowledged.
 */
async function ingest(s: ShardNode, req: ShardIngestRequestMsg): Promise<object> {
  if (!s.ready) throw rpcError.unavailable(`shard ${s.id} is recovering; try again`);
  s.checkEpoch(req.epoch);
  // the coordinator's tick, not this shard's view (it may still hold a tick that was aborted)
  const ingestTick = req.tick;
  if (ingestTick < s.committedTick || ingestTick > s.committedTick + 1)
    throw rpcError.precondition(`ingestion tick ${ingestTick} does not fit shard ${s.id}, which committed tick ${s.committedTick}`);
  if (req.check_only) return checkContent(s, req.check_ids);
  // the whole request is checked before anything is stored (conflicts inside it or with stored documents)
  const vs = validateBatch(
    req.docs.map((d) => ({ id: d.id, title: d.title, text: d.text })),
    s.limits,
    (id) => s.part.docs.get(id),
  );
  for (const v of vs) {
    const owner = s.placement.owner(v.id);
    if (owner !== s.id) throw rpcError.precondition(`document ${v.key} is owned by shard ${owner} under epoch ${s.epoch}, not by shard ${s.id}`);
  }
  const had = new Set(vs.filter((v) => s.part.docs.numberOf(v.id) !== undefined).map((v) => v.id));
  const created = s.part.ingest(vs, ingestTick); // all or none: ALREADY_EXISTS before anything is added
  const fresh = vs.filter((v, i) => created[i].created && !had.has(v.id));
  if (fresh.length > 0) {
    // durable first (with its df report marked pending), then counted by the coordinator, then
    // acknowledged; a report lost in a crash or a timeout is re-sent with the same batch and applied once
    const batch = ++s.dfBatch;
    s.dfDirty = true;
    const stored: StoredDoc[] = fresh.map((v) => ({ id: v.id, key: v.key, title: v.title, text: v.text, ingestTick, digestedTick: null, unreportedBatch: batch }));
    s.storage.addDocs(stored, batch);
    s.replicator.documents(fresh.map((v) => v.id), 1);
    // on every in-sync follower before the coordinator counts them and the client hears of them
    await s.replicator.ship({ k: 'docs', tick: ingestTick, batch, docs: fresh.map((v) => ({ id: v.id, key: v.key, title: v.title, text: v.text })) });
  }
  // the coordinator knows each document's id: the answer says only which are new
  return { created: created.map((c) => c.created), held: [] };
}

/** Have the coordinator count what was stored (every pending report, in batch order) before acknowledging. */
async function countStored(s: ShardNode): Promise<void> {
  try {
    await s.flushDfReports();
  } catch (e) {
    throw rpcError.unavailable(`documents stored but not yet counted by the coordinator (${describeError(e)}); send them again`);
  }
}

export { PhagoError };

// The CoordinatorService handlers: argument validation and wire conversion around the coordinator
// and its parts (tick-driver.ts, membership.ts, query-router.ts, ingest.ts).
import { CodecError } from '../protocol/codec.js';
import { decodeDfPacked } from '../protocol/df-packed.js';
import { encodeIngestReply } from '../protocol/ingest-bytes.js';
import { encodeDocumentsReply, type ReplyHit } from '../protocol/query-reply.js';
import { countsOf } from '../rpc/wire.js';
import { DEFAULT_ALPHA } from '../search/concepts.js';
import { describeError } from '../rpc/client.js';
import {
  DfReport,
  DocumentIdRequest,
  Empty,
  ExploreRequest,
  FollowerReport,
  Heartbeat,
  ForgetRequest,
  IngestRequest,
  NodeIdRequest,
  PhaseReport,
  QueryRequest,
  RemoveShardRequest,
  RunTicksRequest,
  ShardIdRequest,
  ShardInfo,
  StatsRequest,
  Terms,
  parse,
  type CoordinatorMethod,
} from '../rpc/schemas.js';
import { EncodedReply, rpcError, type Handler } from '../rpc/server.js';
import { checkK, conceptQueryTerms, parseQuery } from '../search/query.js';
import { clock } from '../util/clock.js';
import type { Coordinator } from './coordinator.js';
import { encodedDocuments, routeIngest } from './ingest.js';
import { routeForget } from './forget.js';
import { register, unregister } from './membership.js';
import { removeShard } from './removal.js';
import { followerFailed, followerStatus, withFailover } from './replicas.js';
import { explore, refreshCounts, routeQuery } from './query-router.js';
import { beginTick, driveTick, refusal, runTicks } from './tick-driver.js';

/** Every CoordinatorService method's handler: each parses its request first (src/rpc/schemas.ts). */
type Handlers = Record<CoordinatorMethod, Handler>;

/** A query's deadline_ms: 0 means the default; above the configured maximum it is refused. */
function queryDeadline(c: Coordinator, ms: number): number {
  if (!ms) return c.queryDeadlineMs;
  if (ms > c.maxQueryDeadlineMs)
    throw rpcError.invalid(`deadline_ms ${ms} is over the limit of ${c.maxQueryDeadlineMs} ms (the coordinator's --max-query-deadline); ask for less, or 0 for the default ${c.queryDeadlineMs} ms`);
  return ms;
}

/** Turn a tick machine refusal into a typed status. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw refusal(e);
  }
}

/** The CoordinatorService handlers: validation and wire conversion around the coordinator. */
export function coordinatorHandlers(c: Coordinator): Handlers {
  const owner = (id: string) => {
    if (c.registry.size === 0) throw rpcError.precondition('no shards are registered');
    return { id: c.registry.placement().owner(id) };
  };
  return {
    register: (raw) => {
      const req = parse(ShardInfo, raw, 'register');
      return register(c, req.address, req.identity || req.address);
    },

    unregister: (raw) => unregister(c, parse(ShardIdRequest, raw, 'unregister').id),

    remove_shard: (raw) => {
      const req = parse(RemoveShardRequest, raw, 'remove_shard');
      return removeShard(c, req.id, req.confirm_loss, req.identity);
    },

    phase_complete: (raw) => {
      const req = parse(PhaseReport, raw, 'phase_complete');
      return guard(() => {
        c.machine.complete(req.shard_id, req.phase, req.tick, c.registry.has(req.shard_id), req.attempt);
        return {};
      });
    },

    barrier_ready: (raw) => {
      const req = parse(PhaseReport, raw, 'barrier_ready');
      return guard(() => ({ ready: c.machine.barrierReady(req.shard_id, req.phase, req.tick, c.registry.has(req.shard_id), req.attempt) }));
    },

    route_document: (raw) => owner(parse(DocumentIdRequest, raw, 'route_document').uuid),

    route_node: (raw) => owner(parse(NodeIdRequest, raw, 'route_node').uuid),

    get_global_df: (raw) => {
      const req = parse(Terms, raw, 'get_global_df');
      // terms are indexed terms (the tokenizer's output): looked up exactly as given, never tokenized
      // again (a lowercased term may hold combining marks the tokenizer would split on)
      const df: Record<string, number> = {};
      for (const t of req.terms) df[t] = c.stats.get(t);
      return { df };
    },

    current_tick: (raw) => {
      parse(Empty, raw, 'current_tick');
      return { tick: c.machine.current };
    },

    list_shards: (raw) => {
      parse(Empty, raw, 'list_shards');
      const now = clock.nowMs();
      return {
        epoch: c.registry.epoch,
        shards: c.registry.list().flatMap((s) => [
          {
            id: s.id,
            address: s.address,
            identity: c.replicaSets.get(s.id)?.primary ?? s.identity,
            node_count: s.counts.nodes,
            edge_count: s.counts.edges,
            document_count: s.counts.documents,
            status: c.registry.status(s, now),
            last_heartbeat_ms: s.lastHeartbeatMs,
            role: 'primary',
            in_sync: true,
          },
          // followers (docs/replication.md): their group's id; status from the watchdog's probes, SUSPECT while catching up
          ...(c.replicaSets.get(s.id)?.followers ?? []).map((f) => ({
            id: s.id,
            address: f.address,
            identity: f.identity,
            node_count: s.counts.nodes,
            edge_count: s.counts.edges,
            document_count: s.counts.documents,
            status: followerStatus(c, f, now),
            last_heartbeat_ms: c.followerSeen.get(f.identity) ?? 0,
            role: 'follower',
            in_sync: f.inSync,
          })),
        ]),
      };
    },

    start_tick: (raw) => {
      parse(Empty, raw, 'start_tick');
      // registered before this handler returns: a concurrent start_tick is refused with its number
      const { tick, attempt } = beginTick(c);
      driveTick(c, tick, attempt).catch((e) => c.log(describeError(e)));
      return { tick, attempt };
    },

    tick_status: (raw) => {
      parse(Empty, raw, 'tick_status');
      const s = c.machine.snapshot();
      return {
        tick: s.tick,
        phase: s.phase,
        completed: s.completed,
        pending: s.pending,
        complete: !s.inProgress,
        in_progress: s.inProgress,
        failure: s.lastFailure,
        epoch: c.registry.epoch,
        current_tick: s.currentTick,
        attempt: s.attempt,
      };
    },

    // not during a tick or a membership change: documents land under a settled placement and tick
    forget: (raw) => {
      const { ids } = parse(ForgetRequest, raw, 'forget');
      // exclusive: one forget record at a time, and no tick or ingest sees half of one
      return withFailover(c, () => c.writeState(() => routeForget(c, ids)));
    },

    ingest: (raw) => {
      const { docs } = parse(IngestRequest, raw, 'ingest');
      // the reply written directly (2,048 results of two strings each: protocol/ingest-bytes.ts)
      return withFailover(c, () => c.readState(() => routeIngest(c, docs, encodedDocuments(raw, docs.length)))).then((r) => new EncodedReply(encodeIngestReply(r.results)));
    },

    // the state lock only for a snapshot (membership, version), not while the shards answer: a query
    // waiting for a slow or hung shard holds up no tick and no other call
    query: async (raw) => {
      const req = parse(QueryRequest, raw, 'query');
      const terms = parseQuery(req.text, c.limits);
      const k = checkK(req.k || 10, c.limits);
      const deadlineMs = queryDeadline(c, req.deadline_ms);
      const alpha = req.has_alpha ? req.alpha : DEFAULT_ALPHA;
      const r = await routeQuery(c, { concepts: req.concepts, terms: req.concepts ? conceptQueryTerms(req.text, terms) : terms, k, alpha, deadlineMs });
      if (!req.concepts) return new EncodedReply(encodeDocumentsReply(r.hits as ReplyHit[], r.missing));
      return { concepts: r.hits, missing_shards: r.missing, partial: r.missing.length > 0 };
    },

    explore: (raw) => {
      const req = parse(ExploreRequest, raw, 'explore');
      const k = checkK(req.k || 10, c.limits);
      return c.readState(() => explore(c, req.kind, req.from, req.to, k));
    },

    run_ticks: (raw) => {
      const req = parse(RunTicksRequest, raw, 'run_ticks');
      return runTicks(c, req.ticks, req.until_digested);
    },

    stats: (raw) => {
      const req = parse(StatsRequest, raw, 'stats');
      return c.readState(async () => {
        // fresh counts from every shard that answers quickly; the last heartbeat's for the others
        await refreshCounts(c);
        const counts = c.clusterCounts();
        return {
          tick: c.machine.current,
          epoch: c.registry.epoch,
          documents: c.stats.documents,
          digested: c.digested,
          pending: c.pending(),
          nodes: counts.nodes,
          edges: counts.edges,
          shards: c.registry.size,
          held_documents: counts.held,
          last_rebalance: c.lastRebalance ?? undefined,
          graph_hash: req.with_graph_hash ? await c.graphHash() : '',
        };
      });
    },

    health: (raw) => {
      parse(Empty, raw, 'health');
      return {
        serving: !c.recovering,
        role: 'coordinator',
        tick: c.machine.current,
        epoch: c.registry.epoch,
        detail: c.recovering ? `recovering: telling ${c.registry.size} shard(s) the outcome of the last tick and the membership` : `${c.registry.size} shard(s)`,
      };
    },

    report_df: (raw) => {
      const req = parse(DfReport, raw, 'report_df');
      const id = req.shard_id;
      const rec = c.registry.get(id);
      if (!rec) throw rpcError.notFound(`unknown shard ${id}`);
      // an older epoch is fine (a shard flushes its reports before its documents move, while the
      // coordinator already counts the joining shard); a report is about documents, not placement
      if (req.epoch > c.registry.epoch) throw rpcError.precondition(`epoch ${req.epoch} is ahead of the cluster's epoch ${c.registry.epoch}`);
      // increments come packed (shards) or as a map; forgotten documents' decrements (docs/forget.md)
      // travel as non-negative amounts
      const df = packedDf(req.df_packed);
      for (const [t, n] of Object.entries(req.df)) df.set(t, (df.get(t) ?? 0) + n);
      for (const [t, n] of Object.entries(req.df_removed)) df.set(t, (df.get(t) ?? 0) - n);
      return Promise.resolve(c.applyDfReport(rec.identity, req.batch, df, req.documents - req.documents_removed, req.total_length - req.length_removed, req.digested_removed)).then(() => ({}));
    },

    follower_failed: (raw) => {
      const req = parse(FollowerReport, raw, 'follower_failed');
      return followerFailed(c, req.shard_id, req.identity, req.reason);
    },

    heartbeat: (raw) => {
      const req = parse(Heartbeat, raw, 'heartbeat');
      const id = req.shard_id;
      if (!c.registry.has(id)) throw rpcError.notFound(`unknown shard ${id}; register first`);
      c.registry.heartbeat(id, countsOf(req), clock.nowMs());
      return {};
    },
  };
}

/** A report's packed increments (a malformed buffer is INVALID_ARGUMENT). */
function packedDf(buf: Buffer): Map<string, number> {
  try {
    return decodeDfPacked(buf);
  } catch (e) {
    if (e instanceof CodecError) throw rpcError.invalid(`df_packed: ${e.message}`);
    throw e;
  }
}

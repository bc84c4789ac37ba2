// The CoordinatorService handlers: argument validation and wire conversion around the coordinator
// and its parts (tick-driver.ts, membership.ts, query-router.ts, ingest.ts).
import type { DocumentInput } from '../core/input.js';
import type { ShardId } from '../cluster/placement.js';
import { attemptArg, countsOf, phaseArg, uuidArg, type CountsMsg } from '../rpc/wire.js';
import { DEFAULT_ALPHA } from '../search/concepts.js';
import { describeError } from '../rpc/client.js';
import { rpcError, type Handler } from '../rpc/server.js';
import { checkAlpha, checkK, parseQuery } from '../search/query.js';
import { clock } from '../util/clock.js';
import type { Coordinator } from './coordinator.js';
import { routeIngest } from './ingest.js';
import { register, unregister } from './membership.js';
import { explore, refreshCounts, routeQuery } from './query-router.js';
import { beginTick, driveTick, refusal, runTicks } from './tick-driver.js';

const MAX_INGEST_BATCH = 10_000;
const MAX_DF_TERMS = 100_000;

// the requests as the proto loader decodes them
interface RegisterRequest { address: string; identity: string }
interface UnregisterRequest { id: number }
interface PhaseReport { shard_id: number; phase: string; tick: number; attempt: number }
interface UuidRequest { uuid: string }
interface DfRequest { terms: string[] }
interface IngestRequest { docs: DocumentInput[] }
interface QueryRequest { text: string; k: number; concepts: boolean; alpha: number; has_alpha: boolean; deadline_ms: number }
interface ExploreRequest { kind: string; from: string; to: string; k: number }
interface RunTicksRequest { ticks: number; until_digested: boolean }
interface StatsRequest { with_graph_hash: boolean }
interface DfReport { shard_id: number; epoch: number; df: Record<string, number>; documents: number; total_length: number; batch: number }

function shardIdArg(v: unknown): ShardId {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw rpcError.invalid(`shard id must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** A query's deadline_ms: 0 means the default; above the configured maximum it is refused. */
function queryDeadline(c: Coordinator, ms: number): number {
  if (!ms) return c.queryDeadlineMs;
  if (!Number.isInteger(ms) || ms < 0 || ms > c.maxQueryDeadlineMs)
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
export function coordinatorHandlers(c: Coordinator): Record<string, Handler> {
  const owner = (id: string) => {
    if (c.registry.size === 0) throw rpcError.precondition('no shards are registered');
    return { id: c.registry.placement().owner(id) };
  };
  return {
    register: (req: RegisterRequest) => {
      if (typeof req.address !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(req.address)) throw rpcError.invalid(`address must be host:port, got ${JSON.stringify(req.address)}`);
      return register(c, req.address, req.identity || req.address);
    },

    unregister: (req: UnregisterRequest) => unregister(c, shardIdArg(req.id)),

    phase_complete: (req: PhaseReport) =>
      guard(() => {
        c.machine.complete(shardIdArg(req.shard_id), phaseArg(req.phase), req.tick, c.registry.has(req.shard_id), attemptArg(req.attempt));
        return {};
      }),

    barrier_ready: (req: PhaseReport) => guard(() => ({ ready: c.machine.barrierReady(shardIdArg(req.shard_id), phaseArg(req.phase), req.tick, c.registry.has(req.shard_id), attemptArg(req.attempt)) })),

    route_document: (req: UuidRequest) => owner(uuidArg(req.uuid, 'document id')),

    route_node: (req: UuidRequest) => owner(uuidArg(req.uuid, 'node id')),

    get_global_df: (req: DfRequest) => {
      if (req.terms.length > MAX_DF_TERMS) throw rpcError.invalid(`at most ${MAX_DF_TERMS} terms per call, got ${req.terms.length}`);
      // terms are indexed terms (the tokenizer's output): looked up exactly as given, never tokenized
      // again (a lowercased term may hold combining marks the tokenizer would split on)
      const df: Record<string, number> = {};
      for (const t of req.terms) df[t] = c.stats.get(t);
      return { df };
    },

    current_tick: () => ({ tick: c.machine.current }),

    list_shards: () => {
      const now = clock.nowMs();
      return {
        epoch: c.registry.epoch,
        shards: c.registry.list().map((s) => ({
          id: s.id,
          address: s.address,
          identity: s.identity,
          node_count: s.counts.nodes,
          edge_count: s.counts.edges,
          document_count: s.counts.documents,
          status: c.registry.status(s, now),
          last_heartbeat_ms: s.lastHeartbeatMs,
        })),
      };
    },

    start_tick: () => {
      // registered before this handler returns: a concurrent start_tick is refused with its number
      const { tick, attempt } = beginTick(c);
      driveTick(c, tick, attempt).catch((e) => c.log(describeError(e)));
      return { tick, attempt };
    },

    tick_status: () => {
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
    ingest: (req: IngestRequest) =>
      c.readState(() => {
        const docs = req.docs;
        if (!Array.isArray(docs) || docs.length === 0) throw rpcError.invalid('no documents to ingest');
        if (docs.length > MAX_INGEST_BATCH) throw rpcError.invalid(`at most ${MAX_INGEST_BATCH} documents per call, got ${docs.length}`);
        return routeIngest(c, docs);
      }),

    // the state lock only for a snapshot (membership, version), not while the shards answer: a query
    // waiting for a slow or hung shard holds up no tick and no other call
    query: async (req: QueryRequest) => {
      const terms = parseQuery(req.text, c.limits);
      const k = checkK(req.k || 10, c.limits);
      const deadlineMs = queryDeadline(c, req.deadline_ms);
      const alpha = req.has_alpha ? checkAlpha(req.alpha) : DEFAULT_ALPHA;
      const r = await routeQuery(c, { concepts: req.concepts, terms, k, alpha, deadlineMs });
      return { [req.concepts ? 'concepts' : 'documents']: r.hits, missing_shards: r.missing, partial: r.missing.length > 0 };
    },

    explore: (req: ExploreRequest) => c.readState(() => explore(c, req.kind, req.from, req.to, checkK(req.k || 10, c.limits))),

    run_ticks: (req: RunTicksRequest) => {
      if (!req.until_digested && (!Number.isInteger(req.ticks) || req.ticks < 0 || req.ticks > 1_000_000)) throw rpcError.invalid(`ticks must be an integer in [0, 1000000], got ${req.ticks}`);
      return runTicks(c, req.ticks, req.until_digested);
    },

    stats: (req: StatsRequest) =>
      c.readState(async () => {
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
      }),

    health: () => ({
      serving: !c.recovering,
      role: 'coordinator',
      tick: c.machine.current,
      epoch: c.registry.epoch,
      detail: c.recovering ? `recovering: telling ${c.registry.size} shard(s) the outcome of the last tick and the membership` : `${c.registry.size} shard(s)`,
    }),

    report_df: (req: DfReport) => {
      const id = shardIdArg(req.shard_id);
      const rec = c.registry.get(id);
      if (!rec) throw rpcError.notFound(`unknown shard ${id}`);
      // an older epoch is fine (a shard flushes its reports before its documents move, while the
      // coordinator already counts the joining shard); a report is about documents, not placement
      if (req.epoch > c.registry.epoch) throw rpcError.precondition(`epoch ${req.epoch} is ahead of the cluster's epoch ${c.registry.epoch}`);
      c.applyDfReport(rec.identity, req.batch, req.df, req.documents, req.total_length);
      return {};
    },

    heartbeat: (req: CountsMsg) => {
      const id = shardIdArg(req.shard_id);
      if (!c.registry.has(id)) throw rpcError.notFound(`unknown shard ${id}; register first`);
      c.registry.heartbeat(id, countsOf(req), clock.nowMs());
      return {};
    },
  };
}

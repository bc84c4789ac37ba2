// The request messages of both services (proto/phago.proto) as zod schemas: what the proto loader
// hands a handler (src/rpc/proto.ts: snake_case fields, 64-bit integers as JS numbers, enums as their
// names (an unknown value as its number), defaults filled in, an absent message as null, an absent
// `optional` field as undefined, bytes as a Buffer, maps as plain objects), with the checks every
// request of its kind must pass. `parse` runs one at the top of each handler (src/shard/handlers.ts,
// src/coordinator/handlers.ts), which from there on works on the typed value only. Limits that come
// from configuration (max results, query terms, document bytes, the query deadline) stay with the
// handlers, which know the configuration.
import { z } from 'zod';
import { makeConfig, type ColonyConfig } from '../core/config.js';
import { isUuid } from '../ids/ids.js';
import type { Phase } from '../cluster/tick-machine.js';

/** Static size limits of requests (configurable limits are the handlers'). */
export const MAX_INGEST_BATCH = 10_000;
export const MAX_TERMS_PER_CALL = 100_000;
export const MAX_IDS_PER_CALL = 100_000;
export const MAX_RUN_TICKS = 1_000_000;
export const MAX_LABEL_LENGTH = 1024;
/** How much of an input value an error message quotes. */

// ---- field types -------------------------------------------------------------------------------

/** An integer field (uint32, uint64): a safe integer of at least `min`, one message for every failure. */
function int(min: number, expected: string) {
  const error = `must be ${expected}`;
  return z.number({ error }).refine((v) => Number.isSafeInteger(v) && v >= min, { error });
}

/** uint32 / uint64 counts, epochs, batches, record ticks (0 allowed). */
const uint = int(0, 'a non-negative integer');
/** The tick a message is about. */
const tick = int(1, 'a positive integer');
/** Every message of a tick carries its attempt (an aborted tick runs again under a new number). */
const attempt = int(1, 'a positive integer (the coordinator numbers every attempt of a tick)');
/** A registered shard's id (assigned from 1). */
const shardId = int(1, 'a positive integer (a shard id)');
/** A double the handler ignores (or checks itself): any number, NaN and infinities included. */
const anyNumber = z.custom<number>((v) => typeof v === 'number', { error: 'must be a number' });
/** A finite double >= 0. */
const weight = z.number({ error: 'must be a finite number >= 0' }).refine((v) => v >= 0, { error: 'must be a finite number >= 0' });
const bool = z.boolean();
const str = z.string();

/** A 128-bit id written as a UUID, lowercased. */
function uuid(what: string) {
  const error = `must be a 128-bit ${what} written as a UUID`;
  return z
    .string({ error })
    .refine(isUuid, { error })
    .transform((s) => s.toLowerCase());
}

/** bytes: a Buffer (the loader's; any Uint8Array accepted), copied out of the request's buffer. */
const bytes = z.instanceof(Uint8Array, { error: 'must be bytes' }).transform((b) => Buffer.from(b));

const PHASE_NAMES = ['SENSE', 'ACT', 'DECAY', 'ADVANCE'] as const satisfies readonly Phase[];
const phase = z.enum(PHASE_NAMES, { error: `must be one of ${PHASE_NAMES.join(', ')}` });

/** An enum field the handler does not read: a name, or the number of a value this build does not know. */
const anyEnum = z.union([z.string(), z.number()]);

/** A concept label as a shard stores it. */
const label = z.string({ error: 'must be a non-empty label' }).refine((v) => v.length > 0 && v.length <= MAX_LABEL_LENGTH, { error: `must be a non-empty label of at most ${MAX_LABEL_LENGTH} characters` });

function list<T extends z.ZodType>(item: T, max: number, what: string) {
  return z.array(item, { error: 'must be a list' }).max(max, { error: `must hold at most ${max} ${what} per call` });
}

/** Map fields of the proto (map<string, uint64>). */
const counts = z.record(z.string(), uint, { error: 'must be a map of non-negative integers' });

// ---- messages shared by both services ----------------------------------------------------------

export const Empty = z.object({});

/** Document: `optional string id` (absent: undefined; the loader adds a virtual `_id`, stripped here). */
export const Document = z.object({ id: str.optional(), title: str, text: str });

/** Terms (get_global_df, get_term_frequencies). */
export const Terms = z.object({ terms: list(str, MAX_TERMS_PER_CALL, 'terms') });

/** A document's id (route_document). */
export const DocumentIdRequest = z.object({ uuid: uuid('document id') });

/** A concept's id (route_node, get_node). */
export const NodeIdRequest = z.object({ uuid: uuid('node id') });

export const Member = z.object({ id: uint, address: str });

// ---- CoordinatorService ------------------------------------------------------------------------

/** register: what a shard says about itself; only address and identity are read. */
export const ShardInfo = z.object({
  id: uint,
  address: z.string({ error: 'must be host:port' }).regex(/^[^\s:]+:\d{1,5}$/, { error: 'must be host:port' }),
  identity: str,
  node_count: anyNumber,
  edge_count: anyNumber,
  document_count: anyNumber,
  status: anyEnum,
  last_heartbeat_ms: anyNumber,
});

/** unregister. */
export const ShardIdRequest = z.object({ id: shardId, df_batch: anyNumber });

export const RemoveShardRequest = z.object({ id: shardId, confirm_loss: bool, identity: z.string().max(256, 'must be at most 256 characters') });

/** phase_complete, barrier_ready. */
export const PhaseReport = z.object({ shard_id: shardId, phase, tick, attempt });

export const IngestRequest = z.object({
  docs: z.array(Document, { error: 'must be a list' }).min(1, { error: 'must hold at least one document (no documents to ingest)' }).max(MAX_INGEST_BATCH, { error: `must hold at most ${MAX_INGEST_BATCH} documents per call` }),
});

/** query: k, deadline_ms and the query's size are checked against the coordinator's limits. */
export const QueryRequest = z
  .object({ text: str, k: uint, concepts: bool, alpha: anyNumber, has_alpha: bool, deadline_ms: uint })
  .superRefine((r, ctx) => {
    if (r.has_alpha && !(r.alpha >= 0 && r.alpha <= 1)) ctx.addIssue({ code: 'custom', path: ['alpha'], message: 'must be a number in [0, 1] (alpha of the concept ranking)', input: r.alpha });
  });

export const EXPLORE_KINDS = ['neighbours', 'neighbors', 'path', 'central', 'bridges'] as const;
export type ExploreKind = (typeof EXPLORE_KINDS)[number];

/** explore: whether `from` and `to` name concepts is the explorer's to say. */
export const ExploreRequest = z.object({
  kind: z.enum(EXPLORE_KINDS, { error: 'must be one of neighbours, path, central or bridges' }),
  from: str,
  to: str,
  k: uint,
});

export const RunTicksRequest = z
  .object({ ticks: uint, until_digested: bool })
  .superRefine((r, ctx) => {
    if (!r.until_digested && r.ticks > MAX_RUN_TICKS) ctx.addIssue({ code: 'custom', path: ['ticks'], message: `must be an integer in [0, ${MAX_RUN_TICKS}]`, input: r.ticks });
  });

export const StatsRequest = z.object({ with_graph_hash: bool });

/** report_df: a shard's df increments (statistics are never negative). */
export const DfReport = z.object({
  shard_id: shardId,
  epoch: uint,
  df: counts,
  documents: uint,
  total_length: uint,
  batch: uint,
  // forgotten documents' decrements (docs/forget.md), given as non-negative amounts
  df_removed: counts,
  documents_removed: uint,
  length_removed: uint,
  digested_removed: uint,
  df_packed: bytes,
});

/** forget: ids or keys of documents (each checked by core/input.ts forgetIds against the limits). */
export const ForgetRequest = z.object({ ids: z.array(str, { error: 'must be a list of document ids' }) });

export const Heartbeat = z.object({ shard_id: shardId, node_count: uint, edge_count: uint, document_count: uint, digested_count: uint, pending_count: uint });

// ---- ShardService ------------------------------------------------------------------------------

/** ingest_document: `tick` is the ingestion tick (0 before the first tick commits). */
export const ShardIngestRequest = z.object({ epoch: uint, docs: z.array(Document, { error: 'must be a list' }), tick: uint, check_only: bool, check_ids: z.array(uuid('document id'), { error: 'must be a list' }) });

/** tick_phase: `digest_count` (ACT) is how many of the candidates it offered at SENSE the shard digests. */
export const TickPhaseRequest = z.object({ tick, phase, epoch: uint, digest_count: uint, attempt, empty: bool });

export const AbortRequest = z.object({ tick, reason: str, attempt });

export const CommitRequest = z.object({ tick, attempt });

export const DeltasRequest = z.object({ tick, epoch: uint, from: uint, batch: uint, presentations: bytes, attempt });

/** forget_documents: DocumentIds this shard must hold (all or none). */
export const ShardForgetRequest = z.object({ epoch: uint, ids: z.array(uuid('document id'), { error: 'must be a list' }), tick: uint, check_only: bool, missing_ok: bool });

export const SignalsRequest = z.object({ tick, epoch: uint, from: uint, pairs: bytes, attempt });

export const CorpusStats = z.object({ documents: uint, total_length: uint, df: counts });

export const WeightedTerm = z.object({ term: str, weight, original: bool });

/** Statistics BM25 can score with: no term in more documents than there are, no length without documents. */
function consistentStats(st: { documents: number; total_length: number; df: Record<string, number> }, ctx: z.RefinementCtx): void {
  if (st.documents === 0 && st.total_length > 0) ctx.addIssue({ code: 'custom', path: ['total_length'], message: `must be 0 when documents is 0 (inconsistent statistics)`, input: st.total_length });
  for (const [t, n] of Object.entries(st.df)) {
    if (n > st.documents) {
      ctx.addIssue({ code: 'custom', path: ['df', t], message: `must be at most documents (${st.documents}): a term cannot be in more documents than there are`, input: n });
      return;
    }
  }
}

/**
 * local_query: a document query (concepts false) needs the cluster's statistics and scores with the
 * weighted terms; a concept query reads neither (they are not checked). k and the number of terms are
 * checked against the shard's limits.
 */
const localQueryFields = { terms: z.array(str, { error: 'must be a list' }), k: uint, coordination: bool };
export const LocalQueryRequest = z.discriminatedUnion(
  'concepts',
  [
    z.object({ ...localQueryFields, concepts: z.literal(true), stats: z.unknown(), weighted: z.array(z.unknown(), { error: 'must be a list' }) }),
    z.object({
      ...localQueryFields,
      concepts: z.literal(false),
      stats: z.object(CorpusStats.shape, { error: 'must be given: a document query needs the cluster statistics' }).superRefine(consistentStats),
      weighted: z.array(WeightedTerm, { error: 'must be a list' }),
    }),
  ],
  { error: 'must be true or false' },
);

export const NodeIds = z.object({ ids: list(uuid('node id'), MAX_IDS_PER_CALL, 'ids') });

export const NeighborsRequest = z.object({ id: uuid('node id'), k: uint });

/**
 * update_membership: `config_json` (empty: keep the shard's config) arrives as the checked colony
 * config, `config` (null when empty).
 */
export const Membership = z
  .object({
    epoch: uint,
    members: z.array(Member, { error: 'must be a list' }),
    you: uint,
    config_json: str.transform((json, ctx): ColonyConfig | null => {
      if (json === '') return null;
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON of a colony config', input: json });
        return z.NEVER;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        ctx.addIssue({ code: 'custom', message: 'must be JSON of a colony config (an object)', input: json });
        return z.NEVER;
      }
      try {
        return makeConfig(parsed as Partial<ColonyConfig>);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `must be a valid colony config (${(e as Error).message})`, input: json });
        return z.NEVER;
      }
    }),
    tick: uint,
  })
  .transform(({ config_json, ...rest }) => ({ ...rest, config: config_json }));

export const MigrateRequest = z.object({ epoch: uint, members: z.array(Member, { error: 'must be a list' }) });

export const StoredDocument = z.object({ id: uuid('document id'), key: str, title: str, text: str, ingest_tick: uint, digested: bool, digested_tick: uint });

export const Node = z.object({ id: uuid('node id'), label, access_count: uint, created_tick: uint, found: bool });

export const Edge = z.object({
  a: uuid('node id'),
  b: uuid('node id'),
  weight,
  co_activations: uint,
  created_tick: uint,
  last_activated_tick: uint,
  label_a: label,
  label_b: label,
});

/** A forgotten document's withdrawal moving to the new owner of its id. */
export const MovedWithdrawal = z
  .object({ id: uuid('document id'), labels: z.array(label, { error: 'must be a list' }), wired: uint })
  .superRefine((w, ctx) => {
    if (w.wired > w.labels.length) ctx.addIssue({ code: 'custom', path: ['wired'], message: 'must be at most the number of labels', input: w.wired });
  });

export const MigrateInRequest = z.object({
  epoch: uint,
  from: uint,
  docs: z.array(StoredDocument, { error: 'must be a list' }),
  nodes: z.array(Node, { error: 'must be a list' }),
  edges: z.array(Edge, { error: 'must be a list' }),
  withdrawals: z.array(MovedWithdrawal, { error: 'must be a list' }),
});

export const EpochNumber = z.object({ epoch: uint });

// ---- replication (docs/replication.md) ---------------------------------------------------------

export const FollowerReport = z.object({ shard_id: shardId, identity: z.string().min(1, 'must not be empty'), reason: z.string() });
export const ReplicateRequest = z.object({ shard_id: shardId, epoch: uint, seq: int(1, 'a positive integer'), op: z.string().min(2, 'must be an operation (JSON)'), stream: z.string().min(1, 'must name the stream') });
export const FollowerSpec = z.object({ identity: z.string().min(1, 'must not be empty'), address: z.string().regex(/^[^\s:]+:\d{1,5}$/, { error: 'must be host:port' }) });
export const PromoteRequest = z.object({ shard_id: shardId, tick: uint });

// ---- the request of every method ---------------------------------------------------------------

export const coordinatorRequests = {
  register: ShardInfo,
  unregister: ShardIdRequest,
  phase_complete: PhaseReport,
  route_document: DocumentIdRequest,
  route_node: NodeIdRequest,
  get_global_df: Terms,
  barrier_ready: PhaseReport,
  current_tick: Empty,
  list_shards: Empty,
  start_tick: Empty,
  tick_status: Empty,
  ingest: IngestRequest,
  query: QueryRequest,
  explore: ExploreRequest,
  run_ticks: RunTicksRequest,
  stats: StatsRequest,
  health: Empty,
  report_df: DfReport,
  heartbeat: Heartbeat,
  forget: ForgetRequest,
  remove_shard: RemoveShardRequest,
  follower_failed: FollowerReport,
} as const;

export const shardRequests = {
  ingest_document: ShardIngestRequest,
  tick_phase: TickPhaseRequest,
  abort_tick: AbortRequest,
  commit_tick: CommitRequest,
  deliver_deltas: DeltasRequest,
  receive_signals: SignalsRequest,
  local_query: LocalQueryRequest,
  get_term_frequencies: Terms,
  get_node: NodeIdRequest,
  resolve_ghost_nodes: NodeIds,
  get_neighbors: NeighborsRequest,
  export_graph: Empty,
  update_membership: Membership,
  migrate_out: MigrateRequest,
  migrate_in: MigrateInRequest,
  abort_migration: EpochNumber,
  health_check: Empty,
  forget_documents: ShardForgetRequest,
  replicate: ReplicateRequest,
  add_follower: FollowerSpec,
  promote: PromoteRequest,
} as const;

export type CoordinatorMethod = keyof typeof coordinatorRequests;
export type ShardMethod = keyof typeof shardRequests;

export type EmptyMsg = z.infer<typeof Empty>;
export type DocumentMsg = z.infer<typeof Document>;
export type TermsMsg = z.infer<typeof Terms>;
export type DocumentIdMsg = z.infer<typeof DocumentIdRequest>;
export type NodeIdMsg = z.infer<typeof NodeIdRequest>;
export type MemberMsg = z.infer<typeof Member>;
export type ShardInfoMsg = z.infer<typeof ShardInfo>;
export type ShardIdMsg = z.infer<typeof ShardIdRequest>;
export type PhaseReportMsg = z.infer<typeof PhaseReport>;
export type IngestRequestMsg = z.infer<typeof IngestRequest>;
export type QueryRequestMsg = z.infer<typeof QueryRequest>;
export type ExploreRequestMsg = z.infer<typeof ExploreRequest>;
export type RunTicksRequestMsg = z.infer<typeof RunTicksRequest>;
export type StatsRequestMsg = z.infer<typeof StatsRequest>;
export type DfReportMsg = z.infer<typeof DfReport>;
export type ReplicateRequestMsg = z.infer<typeof ReplicateRequest>;
export type HeartbeatMsg = z.infer<typeof Heartbeat>;
export type ShardIngestRequestMsg = z.infer<typeof ShardIngestRequest>;
export type ShardForgetRequestMsg = z.infer<typeof ShardForgetRequest>;
export type ForgetRequestMsg = z.infer<typeof ForgetRequest>;
export type TickPhaseRequestMsg = z.infer<typeof TickPhaseRequest>;
export type AbortRequestMsg = z.infer<typeof AbortRequest>;
export type CommitRequestMsg = z.infer<typeof CommitRequest>;
export type DeltasRequestMsg = z.infer<typeof DeltasRequest>;
export type SignalsRequestMsg = z.infer<typeof SignalsRequest>;
export type CorpusStatsMsg = z.infer<typeof CorpusStats>;
export type WeightedTermMsg = z.infer<typeof WeightedTerm>;
export type LocalQueryRequestMsg = z.infer<typeof LocalQueryRequest>;
export type NodeIdsMsg = z.infer<typeof NodeIds>;
export type NeighborsRequestMsg = z.infer<typeof NeighborsRequest>;
/** update_membership as handled: `config` (the checked config, null when config_json is empty) in place of config_json. */
export type MembershipMsg = z.infer<typeof Membership>;
export type MigrateRequestMsg = z.infer<typeof MigrateRequest>;
export type StoredDocumentMsg = z.infer<typeof StoredDocument>;
export type NodeMsg = z.infer<typeof Node>;
export type EdgeMsg = z.infer<typeof Edge>;
export type MigrateInRequestMsg = z.infer<typeof MigrateInRequest>;
export type EpochNumberMsg = z.infer<typeof EpochNumber>;

/** The parsed request of a method. */
export type CoordinatorRequest<M extends CoordinatorMethod> = z.infer<(typeof coordinatorRequests)[M]>;
export type ShardRequest<M extends ShardMethod> = z.infer<(typeof shardRequests)[M]>;

export { parse } from './parse-request.js';

// Query routing: a query takes the state lock only for a snapshot (membership, clients, state
// version), fans out to the shards without it, and is asked again when a tick or membership change
// ran meanwhile. Concept and document queries, explore (neighbours from the owner, structure over
// the gathered graph), the gathered graph and its canonical hash, labels of concept ids, counts.
import { ConceptGraph } from '../core/graph.js';
import type { GraphView } from '../core/graph-types.js';
import { canonicalHash } from '../core/hash.js';
import type { ShardId } from '../cluster/placement.js';
import { countsOf, type CountsMsg } from '../rpc/wire.js';
import { DEFAULT_ALPHA } from '../search/concepts.js';
import { nodeIdOf } from '../ids/ids.js';
import { describeError, EncodedRequest, type RpcClient } from '../rpc/client.js';
import { shardService } from '../rpc/proto.js';
import type { ExploreKind } from '../rpc/schemas.js';
import { rpcError } from '../rpc/server.js';
import { isExpanding, mergeRanked, type RankedHit } from '../search/bm25.js';
import { decodeHits } from '../protocol/hits-packed.js';
import { decodeGraphPart, installGraphPart, type GraphPart } from '../protocol/graph-packed.js';
import { expansionPlanOf, needsConcepts, planQuery, type PlanConcept } from '../search/expansion.js';
import { rankConcepts, type ConceptCandidate } from '../search/concepts.js';
import { bridgeConcepts, centralConcepts, shortestPath } from '../search/structure.js';
import type { Coordinator } from './coordinator.js';
import { groupReader } from './replicas.js';

/** What a query needs of the coordinator's state, taken under the state lock, which it then releases. */
interface QuerySnapshot {
  /** `stateVersion` when taken: a different one afterwards means a tick or membership change ran meanwhile. */
  version: number;
  epoch: number;
  shards: { id: ShardId; client: Pick<RpcClient, 'call'> }[];
}

/** Under the state lock: the membership (and its clients) a query asks, and the state version. */
function querySnapshot(c: Coordinator): QuerySnapshot {
  const ids = c.registry.ids();
  if (ids.length === 0) throw rpcError.precondition('no shards are registered');
  return { version: c.stateVersion, epoch: c.registry.epoch, shards: ids.map((id) => ({ id, client: groupReader(c, id) })) };
}

/**
 * Ask every shard (of a query's snapshot, else of the current membership); a shard that misses the
 * deadline, or whose reply `read` refuses, is reported missing, never silently dropped.
 */
async function fanout<T, W = T>(c: Coordinator, method: string, req: object, deadlineMs: number, snapshot?: QuerySnapshot, read?: (wire: W) => T): Promise<{ replies: { shard: ShardId; reply: T }[]; missing: ShardId[] }> {
  const shards = snapshot?.shards ?? querySnapshot(c).shards;
  const ids = shards.map((s) => s.id);
  // every shard is asked the same: encoded once
  const encoded = new EncodedRequest(shardService[method].requestSerialize(req));
  const settled = await Promise.allSettled(shards.map(async (s) => {
    const wire = await s.client.call<W>(method, encoded, deadlineMs);
    return read ? read(wire) : (wire as unknown as T);
  }));
  const replies: { shard: ShardId; reply: T }[] = [];
  const missing: ShardId[] = [];
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled') replies.push({ shard: ids[i], reply: r.value });
    else {
      missing.push(ids[i]);
      c.log(`${method} on shard ${ids[i]}: ${describeError(r.reason)}`);
    }
  });
  return { replies, missing };
}

/** A concept or document query, validated (terms parsed, k and alpha checked, deadline in ms). */
export interface RoutedQuery {
  concepts: boolean;
  terms: string[];
  k: number;
  alpha: number;
  deadlineMs: number;
}

/**
 * Answer a query from a snapshot; when the state version moved while the shards answered (a tick or
 * membership change ran, they may have shown it half applied), ask again from a fresh snapshot, at
 * most three rounds. `missing` names the shards that did not answer in time.
 */
export async function routeQuery(c: Coordinator, q: RoutedQuery): Promise<{ hits: unknown[]; missing: ShardId[] }> {
  const timer = c.metrics.querySeconds.startTimer({ kind: q.concepts ? 'concepts' : 'documents' });
  let r: { hits: unknown[]; missing: ShardId[] };
  for (let round = 1; ; round++) {
    const snapshot = await c.readState(() => querySnapshot(c));
    r = q.concepts ? await queryConcepts(c, snapshot, q.terms, q.k, q.alpha, q.deadlineMs) : await queryDocuments(c, snapshot, q.terms, q.k, q.deadlineMs);
    if (snapshot.version === c.stateVersion || round === 3) break;
  }
  timer();
  if (r.missing.length > 0) c.metrics.partialQueries.inc();
  return r;
}

/** With `forExpansion`, words only (a phrase is not an index term) and each hit keeps its document count. */
async function queryConcepts(c: Coordinator, snapshot: QuerySnapshot, terms: string[], k: number, alpha: number, deadlineMs: number, forExpansion = false) {
  type R = { concepts: { id: string; label: string; seed: boolean; affinity: number; access_count: number }[]; seeds: number };
  const { replies, missing } = await fanout<R>(c, 'local_query', { terms, k, concepts: true }, deadlineMs, snapshot);
  const cands: ConceptCandidate[] = [];
  let seeds = 0;
  for (const { reply } of replies) {
    seeds += reply.seeds;
    for (const x of reply.concepts) cands.push({ id: x.id, label: x.label, seed: x.seed, affinity: x.affinity, accessCount: x.access_count });
  }
  return { hits: seeds === 0 ? [] : rankConcepts(cands, seeds, { alpha, k, specificFirst: c.config.specificFirst === 1, wordsOnly: forExpansion, documents: forExpansion }, terms), missing };
}

async function queryDocuments(c: Coordinator, snapshot: QuerySnapshot, terms: string[], k: number, deadlineMs: number) {
  const missing = new Set<ShardId>();
  let concepts: PlanConcept[] = [];
  const plan = { expansion: c.expansion, coordination: c.coordination, ...expansionPlanOf(c.config) };
  if (needsConcepts(plan, terms)) {
    const r = await queryConcepts(c, snapshot, terms, terms.length + c.expansion, DEFAULT_ALPHA, deadlineMs, true);
    concepts = r.hits;
    r.missing.forEach((s) => missing.add(s));
  }
  const { weighted, coordination } = planQuery(terms, concepts, plan);
  // the statistics in one synchronous step (a df report applies all of its counts at once): consistent
  const df = Object.fromEntries(weighted.map((w) => [w.term, c.stats.get(w.term)]));
  const stats = { documents: c.stats.documents, total_length: c.stats.totalLength, df };
  // each shard's hits decoded as its reply arrives: a reply that does not decode counts as a missing shard
  const { replies, missing: m2 } = await fanout<RankedHit[], { documents_packed: Uint8Array }>(c, 'local_query', { k, concepts: false, stats, weighted, coordination }, deadlineMs, snapshot, (r) => decodeHits(r.documents_packed));
  m2.forEach((s) => missing.add(s));
  const hits = mergeRanked(
    replies.map((r) => r.reply),
    k,
    isExpanding(weighted),
  ).map(({ base: _b, ...hit }) => hit);
  return { hits, missing: [...missing].sort((a, b) => a - b) };
}

/** An explore answer (wire shape): concepts with a value and a count each. */
export interface ExploreAnswer {
  found: boolean;
  cost?: number;
  items: { id: string; label: string; value: number; count: number }[];
}

/**
 * How long a structural query's gathered graph is kept after its last use (ms). The graph changes only
 * in ticks and membership changes, which bump the state version and so drop it; the timer only bounds
 * how long an idle coordinator holds a copy of the whole graph.
 */
export const GATHERED_GRAPH_MS = 60_000;

/** The gathered graph at one state version and tick, and the central and bridge answers made from it. */
interface Gathered {
  version: number;
  tick: number;
  view: Promise<GraphView>;
  answers: Map<string, ExploreAnswer>;
  timer?: NodeJS.Timeout;
}
const gathered = new WeakMap<Coordinator, Gathered>();

/**
 * The graph for a structural query, under the state lock for reading: gathered once per state version
 * and tick (concurrent queries share the gathering; a failed one is not kept), dropped
 * GATHERED_GRAPH_MS after its last use.
 */
function gatheredGraph(c: Coordinator): Gathered {
  const held = gathered.get(c);
  const tick = c.machine.current;
  const entry: Gathered = held && held.version === c.stateVersion && held.tick === tick ? held : { version: c.stateVersion, tick, view: gatherGraph(c).then((g) => g.view(tick)), answers: new Map() };
  const drop = () => {
    if (gathered.get(c) === entry) gathered.delete(c);
  };
  if (entry !== held) {
    clearTimeout(held?.timer);
    entry.view.catch(drop);
    gathered.set(c, entry);
  }
  clearTimeout(entry.timer);
  entry.timer = setTimeout(drop, GATHERED_GRAPH_MS);
  entry.timer.unref();
  return entry;
}

/**
 * Neighbours of a concept (from its owner), or a path, central concepts or bridges over the gathered
 * graph (kept while the state version stays: `gatheredGraph`). A label is checked when it is used
 * (after the graph is gathered for a path).
 */
export async function explore(c: Coordinator, kind: ExploreKind, from: string, to: string, k: number): Promise<ExploreAnswer> {
  const label = (s: string, what: string) => {
    if (typeof s !== 'string' || s.trim() === '') throw rpcError.invalid(`${what} needs a concept label`);
    return s.trim().toLowerCase();
  };
  if (kind === 'neighbours' || kind === 'neighbors') {
    const id = nodeIdOf(label(from, 'neighbours'));
    const owner = c.registry.placement().owner(id);
    type N = { neighbors: { id: string; weight: number; co_activations: number }[] };
    const r = await groupReader(c, owner).call<N>('get_neighbors', { id, k });
    const labels = await resolveLabels(c, r.neighbors.map((n) => n.id));
    return { found: true, items: r.neighbors.map((n) => ({ id: n.id, label: labels.get(n.id) ?? n.id, value: n.weight, count: n.co_activations })) };
  }
  const cache = gatheredGraph(c);
  const g = await cache.view;
  if (kind === 'path') {
    const a = nodeIdOf(label(from, 'path'));
    const b = nodeIdOf(label(to, 'path'));
    for (const [id, l] of [[a, from], [b, to]]) if (!g.hasNode(id)) throw rpcError.notFound(`no concept labelled "${l}"`);
    const p = shortestPath(g, a, b);
    return { found: p.found, cost: p.cost, items: p.path.map((n) => ({ id: n.id, label: n.label, value: 0, count: 0 })) };
  }
  // central concepts cost seconds on a large graph: the answer is kept with the graph
  const key = `${kind} ${k}`;
  let answer = cache.answers.get(key);
  if (!answer) {
    answer =
      kind === 'central'
        ? { found: true, items: centralConcepts(g, k, 64, c.config.seed).map((x) => ({ id: x.id, label: x.label, value: x.centrality, count: 0 })) }
        : { found: true, items: bridgeConcepts(g, k).map((x) => ({ id: x.id, label: x.label, value: x.fragility, count: x.separates })) };
    cache.answers.set(key, answer);
  }
  return answer;
}

/** The labels of concept ids, asked of their owners (ids not found are left out). */
async function resolveLabels(c: Coordinator, ids: string[]): Promise<Map<string, string>> {
  const placement = c.registry.placement();
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
      const r = await groupReader(c, s).call<{ nodes: { id: string; label: string; found: boolean }[] }>('resolve_ghost_nodes', { ids: list });
      for (const n of r.nodes) if (n.found) out.set(n.id, n.label);
    }),
  );
  return out;
}

/** The whole graph, gathered from the shards (structural queries and the canonical hash). */
export async function gatherGraph(c: Coordinator): Promise<ConceptGraph> {
  // called outside the state lock too (Coordinator.graphHash): every shard at the committed tick first
  await c.commitRound;
  c.metrics.graphGathers.inc();
  // each shard's part decoded as its reply arrives: a reply that does not decode counts as missing
  const { replies, missing } = await fanout<GraphPart, { packed: Uint8Array }>(c, 'export_graph', {}, c.phaseTimeoutMs, undefined, (r) => decodeGraphPart(r.packed));
  if (missing.length > 0) throw rpcError.unavailable(`shard(s) ${missing.join(', ')} did not answer; the graph cannot be gathered`);
  const g = new ConceptGraph(c.config);
  const tick = c.machine.current;
  for (const { reply } of replies) installGraphPart(g, reply, tick);
  return g;
}

export async function graphHash(c: Coordinator): Promise<string> {
  return canonicalHash(await gatherGraph(c), c.machine.current, () => true);
}

/** Fresh counts from every shard that answers within a second; the others keep their last heartbeat's. */
export async function refreshCounts(c: Coordinator): Promise<void> {
  await Promise.allSettled(c.registry.ids().map((s) => c.client(s).call<{ counts: CountsMsg }>('health_check', {}, 1000).then((h) => c.registry.setCounts(s, countsOf(h.counts)))));
}

import { notFound } from '../core/errors.js';
import { wellFormed, type DocumentInput } from '../core/input.js';
import { encodeIngestRequest } from '../protocol/ingest-bytes.js';
import { EncodedRequest } from '../rpc/client.js';
import { LeaderClient } from '../rpc/leader-client.js';
import { CoordinatorServiceClient } from '../rpc/proto.js';
import type { SecurityConfig } from '../rpc/security.js';
import type { BridgeHit, CentralHit, NeighbourHit, PathResult } from '../search/structure.js';
import type { ConceptQueryResult, DocQueryResult, Engine, EngineStats, ForgetSummary, IngestSummary, TickSummary } from './engine.js';

/** An ingest call carries at most this many documents and about this many bytes of text. */
const INGEST_BATCH = 2048;
const INGEST_BATCH_BYTES = 4 << 20;
/** Ingest calls in flight at once: the coordinator and the shards work on one while the next travels. */
const INGEST_IN_FLIGHT = 3;

/** One run_ticks call runs digestion to its end: it may take long on a large corpus. */
const DIGEST_DEADLINE_MS = 6 * 3600_000;

/** The Engine of a cluster: a client of the coordinator (embedded in this process or remote). */
export class ClusterEngine implements Engine {
  readonly coordinator: LeaderClient;

  constructor(
    address: string,
    security: SecurityConfig,
    private readonly onClose?: () => Promise<void>,
  ) {
    this.coordinator = new LeaderClient(CoordinatorServiceClient, address, security, 600_000);
  }

  async ingest(docs: DocumentInput[], onProgress?: (done: number) => void): Promise<IngestSummary> {
    const batches = ingestBatches(docs);
    // calls in flight may land in any order; that is only safe when no id repeats across them (a repeat
    // with other content must refuse the whole call before anything lands): then one at a time
    const inFlight = repeatsAnId(docs) ? 1 : INGEST_IN_FLIGHT;
    let created = 0;
    const ids: string[] = new Array(docs.length);
    let done = 0;
    let next = 0;
    let failure: unknown = null;
    const run = async (): Promise<void> => {
      while (next < batches.length && failure === null) {
        const { offset, end } = batches[next++];
        const batch = wireBatch(docs, offset, end);
        try {
          const bytes = encodeIngestRequest(batch);
          const r = await this.coordinator.call<{ results: { id: string; created: boolean }[] }>('ingest', bytes ? new EncodedRequest(bytes) : { docs: batch });
          created += r.results.filter((x) => x.created).length;
          r.results.forEach((x, i) => (ids[offset + i] = x.id));
          done += batch.length;
          onProgress?.(done);
        } catch (e) {
          failure ??= e; // no new call starts; the ones in flight finish before the error is returned
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, batches.length) }, run));
    if (failure !== null) throw failure;
    return { created, unchanged: docs.length - created, ids };
  }

  async forget(ids: string[]): Promise<ForgetSummary> {
    const r = await this.coordinator.call<{ ids: string[]; digested: number }>('forget', { ids: ids.map((id) => (typeof id === 'string' ? wellFormed(id) : id)) });
    return { forgotten: r.ids ?? [], digested: Number(r.digested ?? 0) };
  }

  async tick(n: number | 'digest', onProgress?: (done: number, total: number) => void): Promise<TickSummary> {
    let ticks = 0;
    let digested = 0;
    let tick = 0;
    if (n === 'digest') {
      // the coordinator counts down its own pending documents (other clients may tick and ingest too);
      // progress, when asked for, polls its statistics meanwhile
      const total = onProgress ? (await this.stats()).pending : 0;
      const poll = onProgress && total > 0 ? setInterval(() => void this.stats().then((s) => onProgress(Math.max(0, total - s.pending), total), () => undefined), 1000) : undefined;
      try {
        const r = await this.coordinator.call<{ ticks: number; tick: number; digested: number }>('run_ticks', { until_digested: true }, DIGEST_DEADLINE_MS);
        ticks = r.ticks;
        digested = r.digested;
        tick = r.tick;
      } finally {
        clearInterval(poll);
      }
      onProgress?.(total, total);
    } else {
      for (let i = 0; i < n; i++) {
        const r = await this.coordinator.call<{ ticks: number; tick: number; digested: number }>('run_ticks', { ticks: 1 });
        ticks += r.ticks;
        digested += r.digested;
        tick = r.tick;
        onProgress?.(i + 1, n);
      }
      if (n === 0) tick = (await this.stats()).tick;
    }
    return { ticks, tick, digested };
  }

  async searchDocuments(query: string, k: number): Promise<DocQueryResult> {
    const r = await this.coordinator.call('query', { text: query, k, concepts: false });
    return { hits: r.documents, missingShards: r.missing_shards };
  }

  async searchConcepts(query: string, k: number, alpha?: number): Promise<ConceptQueryResult> {
    const r = await this.coordinator.call('query', { text: query, k, concepts: true, alpha: alpha ?? 0, has_alpha: alpha !== undefined });
    return { hits: r.concepts, missingShards: r.missing_shards };
  }

  private explore(kind: string, from = '', to = '', k = 10) {
    return this.coordinator.call<{ items: { id: string; label: string; value: number; count: number }[]; found: boolean; cost: number }>('explore', { kind, from, to, k });
  }

  async neighbours(label: string, k: number): Promise<NeighbourHit[]> {
    const r = await this.explore('neighbours', label, '', k).catch((e) => {
      if (e?.code === 5) throw notFound(`no concept labelled "${label}"`);
      throw e;
    });
    return r.items.map((i) => ({ id: i.id, label: i.label, weight: i.value, coActivations: i.count }));
  }

  async path(from: string, to: string): Promise<PathResult> {
    const r = await this.explore('path', from, to);
    return { found: r.found, cost: r.cost, path: r.items.map((i) => ({ id: i.id, label: i.label })) };
  }

  async central(k: number): Promise<CentralHit[]> {
    return (await this.explore('central', '', '', k)).items.map((i) => ({ id: i.id, label: i.label, centrality: i.value }));
  }

  async bridges(k: number): Promise<BridgeHit[]> {
    return (await this.explore('bridges', '', '', k)).items.map((i) => ({ id: i.id, label: i.label, fragility: i.value, separates: i.count }));
  }

  async stats(): Promise<EngineStats> {
    const s = await this.coordinator.call('stats', { with_graph_hash: false });
    return { tick: s.tick, documents: s.documents, digested: s.digested, pending: s.pending, nodes: s.nodes, edges: s.edges, shards: s.shards };
  }

  async graphHash(): Promise<string> {
    return (await this.coordinator.call('stats', { with_graph_hash: true })).graph_hash;
  }

  async close(): Promise<void> {
    this.coordinator.close();
    await this.onClose?.();
  }
}

/**
 * Where the wire batches of `docs` start and end: at most INGEST_BATCH documents and about
 * INGEST_BATCH_BYTES of text each (a document larger than that goes alone).
 */
function ingestBatches(docs: readonly DocumentInput[]): { offset: number; end: number }[] {
  const out: { offset: number; end: number }[] = [];
  let start = 0;
  let bytes = 0;
  docs.forEach((d, i) => {
    const size = (typeof d.text === 'string' ? d.text.length : 0) + (typeof d.title === 'string' ? d.title.length : 0);
    if (i > start && (i - start >= INGEST_BATCH || bytes + size > INGEST_BATCH_BYTES)) {
      out.push({ offset: start, end: i });
      start = i;
      bytes = 0;
    }
    bytes += size;
  });
  if (start < docs.length) out.push({ offset: start, end: docs.length });
  return out;
}

/**
 * One batch as it goes on the wire, made when it is sent (not all at once: a large ingest would keep
 * a copy of every document alive until its batch went). Well formed before the wire: UTF-8 cannot
 * carry a lone surrogate (it would arrive as U+FFFD × 3); an absent id stays absent (the empty id is
 * refused, as in one process).
 */
function wireBatch(docs: readonly DocumentInput[], offset: number, end: number): DocumentInput[] {
  const out: DocumentInput[] = [];
  for (let i = offset; i < end; i++) {
    const d = docs[i];
    const title = wellFormed(d.title ?? '');
    const text = typeof d.text === 'string' ? wellFormed(d.text) : d.text;
    out.push(d.id === undefined || d.id === null ? { title, text } : { id: typeof d.id === 'string' ? wellFormed(d.id) : d.id, title, text });
  }
  return out;
}

/** Whether a client-given id occurs twice (documents without an id are named by their content). */
function repeatsAnId(docs: readonly DocumentInput[]): boolean {
  const seen = new Set<unknown>();
  for (const d of docs) {
    if (d.id === undefined || d.id === null) continue;
    if (seen.has(d.id)) return true;
    seen.add(d.id);
  }
  return false;
}

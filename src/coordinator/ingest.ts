// Cluster ingest: the whole request is validated first (a conflict inside it refuses it before
// anything is stored), documents are grouped by owner, and when the request spans several shards
// each first checks its part against what it stores (check_only) before any shard stores.
import { PhagoError } from '../core/errors.js';
import { validateBatch, type DocumentInput, type ValidDocument } from '../core/input.js';
import { contentDigest } from '../ids/ids.js';
import type { ShardId } from '../cluster/placement.js';
import { describeError, EncodedRequest } from '../rpc/client.js';
import { describeValue } from '../rpc/parse-request.js';
import { requestBytes, rpcError } from '../rpc/server.js';
import { fieldSpans, shardIngestBytes } from '../protocol/ingest-bytes.js';
import { completePendingForget } from './forget.js';
import type { Coordinator } from './coordinator.js';

/** One document's answer (IngestResult). */
export interface IngestResult {
  id: string;
  key: string;
  created: boolean;
  shard: number;
}

/** The client's encoded documents of an ingest request, in request order: the bytes and each one's span. */
export interface EncodedDocuments {
  buf: Uint8Array;
  spans: number[];
}

/**
 * The encoded documents of an ingest request as the server decoded it (`raw`; IngestRequest.docs is
 * field 1): one span per decoded document, or the request did not come through the server.
 */
export function encodedDocuments(raw: unknown, count: number): EncodedDocuments {
  const buf = requestBytes(raw);
  const spans = buf ? fieldSpans(buf, 1) : null;
  if (!buf || !spans || spans.length !== 2 * count) throw new Error(`ingest: the request's bytes do not hold its ${count} documents`);
  return { buf, spans };
}

/**
 * Route an ingest request to the owners (run under the state lock for reading: a settled placement).
 * Each owner's request is made of the client's encoded documents (`encoded`, protocol/ingest-bytes.ts):
 * what the owner decodes is what was decoded and validated here (the wire's UTF-8 cannot carry what
 * validation normalizes, a lone surrogate), so nothing is encoded again.
 */
export async function routeIngest(c: Coordinator, docs: DocumentInput[], encoded: EncodedDocuments): Promise<{ results: IngestResult[] }> {
  if (c.registry.size === 0) throw rpcError.precondition('no shards are registered');
  await completePendingForget(c);
  const placement = c.registry.placement();
  const groups = new Map<ShardId, { v: ValidDocument; named: boolean; index: number }[]>();
  // the whole request first: a conflict inside it refuses it before anything is stored
  const valid = validateBatch(docs.map((d) => ({ id: d.id, title: d.title, text: d.text })), c.limits);
  docs.forEach((d, index) => {
    const v = valid[index];
    const s = placement.owner(v.id);
    let g = groups.get(s);
    if (!g) groups.set(s, (g = []));
    g.push({ v, named: d.id !== undefined && d.id !== null, index });
  });
  const results: IngestResult[] = new Array(docs.length);
  const epoch = c.registry.epoch;
  // the ingestion tick is the coordinator's (no tick runs during an ingest): a shard may still hold a
  // tick that was aborted
  const tick = c.machine.current;
  // several shards: each first says which of the documents it gets that carry a client id it already
  // stores, with their content digests, so a conflict with a stored document refuses the whole request
  // before any shard stores anything; a document named by its content never conflicts
  if (groups.size > 1) {
    const checks = [...groups.entries()].map(([s, list]) => [s, list.filter((x) => x.named)] as const).filter(([, list]) => list.length > 0);
    await Promise.all(
      checks.map(async ([s, list]) => {
        const r = await c.client(s).call<{ held?: { id: string; digest: string }[] }>('ingest_document', { epoch, tick, check_only: true, docs: [], check_ids: list.map((x) => x.v.id) });
        if (!r.held?.length) return;
        const asked = new Map(list.map((x) => [x.v.id, x.v]));
        for (const h of r.held) {
          const v = asked.get(h.id);
          if (!v) throw new Error(`shard ${s} answered a check of document ${h.id}, which it was not asked about`);
          if (contentDigest(v.title, v.text) !== h.digest) throw new PhagoError('ALREADY_EXISTS', `document ${describeValue(v.key)} already exists with different content; ids are never re-used, nothing of this request was stored`);
        }
      }),
    );
  }
  // an owner that fails after others stored makes the answer say which documents landed (storing is
  // idempotent: the client may send the same request again); what the shard gets is what was validated
  // (normalized text, e.g. no lone surrogates), and it answers only which documents are new
  const stored = await Promise.allSettled(
    [...groups.entries()].map(async ([s, list]) => {
      const req = new EncodedRequest(
        shardIngestBytes(
          epoch,
          tick,
          encoded.buf,
          encoded.spans,
          list.map((x) => x.index),
        ),
      );
      const reply = await c.client(s).call<{ created: boolean[] }>('ingest_document', req);
      if (reply.created.length !== list.length) throw new Error(`shard ${s} answered ${reply.created.length} results for ${list.length} documents`);
      let created = 0;
      list.forEach(({ v, index }, i) => {
        results[index] = { id: v.id, key: v.key, created: reply.created[i], shard: s };
        if (reply.created[i]) created++;
      });
      c.metrics.documentsIngested.inc(created);
    }),
  );
  const failed = stored.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) throw partialIngest(docs.length, results, (stored[failed] as PromiseRejectedResult).reason);
  return { results };
}

/**
 * Some owners stored their part, one did not: the error says which documents (request indices) landed
 * and that sending the whole request again is safe. A failure before anything was stored keeps its status.
 */
function partialIngest(total: number, results: readonly (IngestResult | undefined)[], reason: unknown): unknown {
  const landed: number[] = [];
  for (let i = 0; i < total; i++) if (results[i] !== undefined) landed.push(i);
  if (landed.length === 0) return reason;
  const shown = landed.slice(0, 20).join(', ') + (landed.length > 20 ? ', …' : '');
  return rpcError.unavailable(
    `${landed.length} of ${total} documents landed (request indices ${shown}); the owner of the others answered ${describeError(reason).slice(0, 200)}. Sending the same request again is safe: stored documents answer created: false`,
  );
}

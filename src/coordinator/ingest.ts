// Cluster ingest: the whole request is validated first (a conflict inside it refuses it before
// anything is stored), documents are grouped by owner, and when the request spans several shards
// each first checks its part against what it stores (check_only) before any shard stores.
import { validateBatch, type DocumentInput } from '../core/input.js';
import { contentDigest } from '../ids/ids.js';
import type { ShardId } from '../cluster/placement.js';
import { rpcError } from '../rpc/server.js';
import { completePendingForget } from './forget.js';
import type { Coordinator } from './coordinator.js';

/** Route an ingest request to the owners (run under the state lock for reading: a settled placement). */
export async function routeIngest(c: Coordinator, docs: DocumentInput[]): Promise<{ results: unknown[] }> {
  if (c.registry.size === 0) throw rpcError.precondition('no shards are registered');
  await completePendingForget(c);
  const placement = c.registry.placement();
  const groups = new Map<ShardId, { doc: DocumentInput; index: number }[]>();
  // the whole request first: a conflict inside it refuses it before anything is stored
  const valid = validateBatch(docs.map((d) => ({ id: d.id, title: d.title, text: d.text })), c.limits);
  docs.forEach((d, index) => {
    const v = valid[index];
    const s = placement.owner(v.id);
    let g = groups.get(s);
    if (!g) groups.set(s, (g = []));
    // what the shard gets is what was validated (normalized text, e.g. no lone surrogates)
    g.push({ doc: { id: d.id === undefined || d.id === null ? undefined : v.key, title: v.title, text: v.text }, index });
  });
  const results: unknown[] = new Array(docs.length);
  const epoch = c.registry.epoch;
  // the ingestion tick is the coordinator's (no tick runs during an ingest): a shard may still hold a
  // tick that was aborted
  const tick = c.machine.current;
  // several shards: each first checks the documents it gets that carry a client id against what it
  // stores (by content digest: the texts travel once), so a conflict with a stored document refuses the
  // whole request before any shard stores anything; a document named by its content never conflicts
  if (groups.size > 1) {
    const checks = [...groups.entries()]
      .map(([s, list]) => [s, list.filter((x) => x.doc.id !== undefined).map((x) => ({ id: x.doc.id!, digest: contentDigest(x.doc.title ?? '', x.doc.text) }))] as const)
      .filter(([, list]) => list.length > 0);
    await Promise.all(checks.map(([s, list]) => c.client(s).call('ingest_document', { epoch, tick, check_only: true, docs: [], checks: list })));
  }
  await Promise.all(
    [...groups.entries()].map(async ([s, list]) => {
      const reply = await c.client(s).call<{ results: unknown[] }>('ingest_document', { epoch, tick, docs: list.map((x) => x.doc) });
      reply.results.forEach((r, i) => (results[list[i].index] = r));
      c.metrics.documentsIngested.inc(reply.results.filter((r) => (r as { created: boolean }).created).length);
    }),
  );
  return { results };
}

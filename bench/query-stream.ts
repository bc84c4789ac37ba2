/**
 * Document queries as an evaluation asks them: the WordNet examples' dev queries (natural-language
 * sentences, each asked once, k = 100 like `phago eval`) on the whole collection, on one process or on
 * an embedded cluster (every shard on this thread, so its CPU is the cluster's whole work per query).
 * 300 warm-up queries, then Q timed ones; prints p50, p99 and the CPU per query.
 *   node dist/bench/query-stream.js [--shards 0|N] [--queries 2000] [--k 100]
 */
import { readFileSync } from 'node:fs';
import type { DocumentInput } from '../src/core/input.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { LocalEngine } from '../src/engine/local.js';
import { ensureEvalCollection } from '../scripts/eval-collections.js';
import { arg } from './script-args.js';

const shards = Number(arg('--shards', '0'));
const nQueries = Number(arg('--queries', '2000'));
const k = Number(arg('--k', '100'));
const set = ensureEvalCollection('wordnet-examples');
const read = <T>(path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);
const docs = read<DocumentInput>(set.docs);
const queries = read<{ text: string }>(set.queries.dev);
const cluster = shards > 0 ? await EmbeddedCluster.start({ shards, log: () => {} }) : null;
const client = cluster?.engine();
const e = client ?? new LocalEngine();
try {
  await e.ingest(docs);
  await e.tick('digest');
  for (const q of queries.slice(nQueries, nQueries + 300)) await e.searchDocuments(q.text, k);
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (const q of queries.slice(0, nQueries)) {
    const t0 = performance.now();
    await e.searchDocuments(q.text, k);
    times.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))].toFixed(2);
  const where = cluster ? `an embedded cluster of ${shards} shards` : 'one process';
  console.log(`${times.length} WordNet-examples dev queries, k = ${k}, ${where}: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, CPU ${((c.user + c.system) / 1000 / times.length).toFixed(2)} ms a query`);
} finally {
  client?.close();
  await cluster?.stop();
}

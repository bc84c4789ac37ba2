/**
 * Document query latency by kind on a cluster: queries with more index terms of their own than
 * `shortQueryTerms` (scored without graph expansion, so no concept fan-out is made for them) and
 * shorter ones (concept fan-out, then the document fan-out). The man pages' dev queries on an embedded
 * cluster (loopback gRPC, every part on this thread), k = 10, two rounds.
 *
 *   node dist/bench/query-kinds.js [--shards 3]
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG } from '../src/core/config.js';
import { DEFAULT_LIMITS } from '../src/core/limits.js';
import type { DocumentInput } from '../src/core/input.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { ensureEvalCollection } from '../scripts/eval-collections.js';
import { parseQuery } from '../src/search/query.js';
import { isLongQuery, ownTermCount } from '../src/search/bm25.js';
import { arg } from './script-args.js';

const shards = Number(arg('--shards', '3'));
const set = ensureEvalCollection('manpages');
const read = <T>(path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);
const docs = read<DocumentInput>(set.docs);
const queries = read<{ text: string }>(set.queries.dev);
const isLong = (q: string) => isLongQuery(ownTermCount(parseQuery(q, DEFAULT_LIMITS), DEFAULT_CONFIG.stemming === 1), DEFAULT_CONFIG.shortQueryTerms);

const cluster = await EmbeddedCluster.start({ shards, log: () => {} });
const e = cluster.engine();
try {
  await e.ingest(docs);
  await e.tick('digest');
  const at = (a: number[], q: number) => [...a].sort((x, y) => x - y)[Math.floor(a.length * q)].toFixed(2);
  console.log(`man pages (${docs.length} pages), ${queries.length} dev queries, embedded cluster of ${shards} shards, k = 10 (ms):`);
  for (let round = 1; round <= 2; round++) {
    const long: number[] = [];
    const short: number[] = [];
    for (const q of queries) {
      const t0 = performance.now();
      await e.searchDocuments(q.text, 10);
      (isLong(q.text) ? long : short).push(performance.now() - t0);
    }
    console.log(`  round ${round}: more than ${DEFAULT_CONFIG.shortQueryTerms} terms (${long.length}) p50 ${at(long, 0.5)} p90 ${at(long, 0.9)}; the others (${short.length}) p50 ${at(short, 0.5)} p90 ${at(short, 0.9)}`);
  }
} finally {
  e.close();
  await cluster.stop();
}

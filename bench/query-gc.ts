/**
 * What document queries leave to the garbage collector: the WordNet collection in one process
 * (LocalEngine, defaults), 500 warm-up queries, then Q other queries (k = 10), each asked once, as a
 * stream of new questions would (queries picked like the scale bench's, from other seeds). Prints the
 * query p50 / p99, the young-generation collections during the timed queries (count, mean and largest
 * pause) and how much the old generation grew: what the queries' survivors promoted (no full
 * collection runs meanwhile; the line says so if one did).
 *   node --expose-gc dist/bench/query-gc.js [--docs 117659] [--queries 4000]
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { LocalEngine } from '../src/engine/local.js';
import { ensureCollection } from '../scripts/collections.js';
import { QueryPicker } from './scale-bench.js';
import { arg } from './script-args.js';

const nDocs = Number(arg('--docs', '117659'));
const nQueries = Number(arg('--queries', '4000'));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0;

const docs = readFileSync(await ensureCollection('wordnet'), 'utf8').trim().split('\n').slice(0, nDocs).map((l) => JSON.parse(l) as { id: string; title: string; text: string });
const pickers = [new QueryPicker(docs.length, 500, 20250101), new QueryPicker(docs.length, nQueries, 20261127)];
docs.forEach((d, i) => pickers.forEach((p) => p.offer(i, d)));
const [warmup, queries] = pickers.map((p) => p.queries());
const e = new LocalEngine();
for (let i = 0; i < docs.length; i += 10_000) await e.ingest(docs.slice(i, i + 10_000));
await e.tick('digest');
for (const q of warmup) await e.searchDocuments(q, 10);

gc();
const pauses: number[] = [];
let major = 0;
const obs = new PerformanceObserver((list) => {
  for (const x of list.getEntries()) {
    const kind = (x as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) pauses.push(x.duration);
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
  }
});
const oldBefore = oldSpace();
obs.observe({ entryTypes: ['gc'] });
const ms: number[] = [];
for (const q of queries) {
  const t = performance.now();
  await e.searchDocuments(q, 10);
  ms.push(performance.now() - t);
}
const grew = (oldSpace() - oldBefore) / 1e6;
await new Promise((r) => setTimeout(r, 20));
obs.disconnect();
ms.sort((a, b) => a - b);
const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(3);
const mean = pauses.reduce((a, b) => a + b, 0) / Math.max(1, pauses.length);
console.log(`${docs.length} WordNet glosses, ${queries.length} queries after ${warmup.length} others: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
console.log(`young collections meanwhile: ${pauses.length}, mean pause ${mean.toFixed(2)} ms, largest ${Math.max(0, ...pauses).toFixed(2)} ms; old generation ${grew >= 0 ? '+' : ''}${grew.toFixed(2)} MB${major > 0 ? ` (${major} full collections ran: not comparable)` : ''}`);

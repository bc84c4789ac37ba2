/**
 * How many documents a tick should digest: digestion time of one process for several `digestPerTick`
 * values on the first N WordNet glosses, and retrieval/concept quality on the sample corpus.
 *   node dist/bench/digest-per-tick.js [--docs 30000] [--values 64,256,1024,4096]
 */
import { readFileSync } from 'node:fs';
import { Colony } from '../src/colony/colony.js';
import { LocalEngine } from '../src/engine/local.js';
import { evaluate } from '../src/eval/evaluate.js';
import { readDocsJsonl, readQrels, readQueriesJsonl } from '../src/io/files.js';
import { sampleCorpus } from '../src/util/paths.js';
import { ensureCollection } from '../scripts/collections.js';
import { arg } from './script-args.js';

const n = Number(arg('--docs', '30000'));
const values = arg('--values', '64,256,1024,4096').split(',').map(Number);
const path = await ensureCollection('wordnet');
const docs = readFileSync(path, 'utf8').trim().split('\n').slice(0, n).map((l) => JSON.parse(l) as { id: string; title: string; text: string });
const S = sampleCorpus();
const sample = readDocsJsonl(S.docs);
const queries = readQueriesJsonl(S.queries);
console.log(`digestPerTick on ${n} WordNet glosses (one process) and the sample corpus`);
console.log('| digestPerTick | ticks | digest s | edges | sample docs NDCG@10 | sample concepts MRR@10 |');
console.log('|---|---|---|---|---|---|');
for (const per of values) {
  const c = new Colony({ digestPerTick: per });
  c.ingestBatch(docs);
  const t0 = performance.now();
  const ticks = c.runUntilDigested().length;
  const secs = (performance.now() - t0) / 1000;
  const e = new LocalEngine({ digestPerTick: per });
  await e.ingest(sample);
  await e.tick('digest');
  const d = await evaluate(e, queries, readQrels(S.qrelsDocuments), 'documents');
  const k = await evaluate(e, queries, readQrels(S.qrelsConcepts), 'concepts');
  console.log(`| ${per} | ${ticks} | ${secs.toFixed(2)} | ${c.graph.edgeCount} | ${d['NDCG@10'].toFixed(3)} | ${k['MRR@10'].toFixed(3)} |`);
}

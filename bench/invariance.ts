/**
 * Partition invariance on a real collection: the first N WordNet glosses ingested in batches with
 * ticks in between, on one process and on embedded clusters of 1, 2, 3 and 5 shards; the graph hash
 * and the top 10 documents and concepts of Q queries must be equal everywhere.
 *   node dist/bench/invariance.js [--docs 5000] [--queries 200] [--shards 1,2,3,5]
 */
import { readFileSync } from 'node:fs';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { Prng } from '../src/util/prng.js';
import { ensureCollection } from '../scripts/collections.js';
import { arg } from './script-args.js';

const n = Number(arg('--docs', '5000'));
const nq = Number(arg('--queries', '200'));
const shardCounts = arg('--shards', '1,2,3,5').split(',').map(Number);
const config = { digestPerTick: Number(arg('--digest-per-tick', '4096')) };
const docs = readFileSync(await ensureCollection('wordnet'), 'utf8').trim().split('\n').slice(0, n).map((l) => JSON.parse(l) as { id: string; title: string; text: string });
const prng = new Prng(99);
const queries = Array.from({ length: nq }, () => {
  const words = docs[prng.int(docs.length)].text.split(/\W+/).filter((w) => w.length > 3);
  return words.slice(0, 1 + prng.int(3)).join(' ') || 'entity';
});

async function run(engine: Engine): Promise<{ hash: string; answers: string; seconds: number }> {
  const t0 = performance.now();
  const batch = Math.ceil(docs.length / 5);
  for (let i = 0; i < docs.length; i += batch) {
    for (let j = i; j < Math.min(docs.length, i + batch); j += 500) await engine.ingest(docs.slice(j, Math.min(j + 500, i + batch)));
    await engine.tick(3);
  }
  await engine.tick('digest');
  const seconds = (performance.now() - t0) / 1000;
  const out: string[] = [];
  for (const q of queries) {
    out.push(JSON.stringify((await engine.searchDocuments(q, 10)).hits.map((h) => [h.key, h.score])));
    out.push(JSON.stringify((await engine.searchConcepts(q, 10)).hits.map((h) => [h.label, h.score])));
  }
  return { hash: await engine.graphHash(), answers: out.join('\n'), seconds };
}

const local = await run(new LocalEngine(config));
console.log(`${n} WordNet glosses, ${nq} queries (documents and concepts, top 10 with scores)`);
console.log(`| holders | graph hash | answers equal | build s |`);
console.log(`|---|---|---|---|`);
console.log(`| one process | ${local.hash.slice(0, 16)}… | — | ${local.seconds.toFixed(1)} |`);
let ok = true;
for (const s of shardCounts) {
  const cluster = await EmbeddedCluster.start({ shards: s, config });
  const engine = cluster.engine();
  try {
    const r = await run(engine);
    const same = r.hash === local.hash && r.answers === local.answers;
    ok &&= same;
    console.log(`| ${s} shard${s > 1 ? 's' : ''} | ${r.hash.slice(0, 16)}… | ${r.answers === local.answers ? 'yes' : 'NO'} | ${r.seconds.toFixed(1)} |`);
  } finally {
    await engine.close();
  }
}
console.log(ok ? 'partition invariance: holds' : 'partition invariance: VIOLATED');
process.exitCode = ok ? 0 : 1;

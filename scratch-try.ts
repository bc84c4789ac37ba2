import { readFileSync } from 'node:fs';
import { LocalEngine } from '../work/wt-core/src/engine/local.js';
const docs = readFileSync('/work/wt-core/data/phago-corpus/docs.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
for (const per of [1, 4, 16, 64, 256]) {
  const e = new LocalEngine({ digestPerTick: per });
  const t0 = performance.now();
  await e.ingest(docs);
  const r = await e.tick('digest');
  const t1 = performance.now();
  const s = await e.stats();
  console.log(per, r.ticks, s.nodes, s.edges, (t1 - t0).toFixed(0) + 'ms', (await e.graphHash()).slice(0, 12));
  console.log((await e.searchConcepts('cell division mitosis', 5)).hits.map((h) => h.label).join(','), '|', (await e.central(8)).map((h) => h.label).join(','));
}

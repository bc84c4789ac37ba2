/**
 * Per-query analysis of a graded collection (docs/search.md, "NDCG@10 on the sample corpus"): for each
 * query its NDCG@10, whether the expansion gate is open and the expansion terms with their weights, the
 * grades of its top 10, and the relevant documents ranked below 10. Ends with the mean NDCG@10 and the
 * lexical ceiling: NDCG@10 when the documents holding at least one query word (index term) are ranked
 * perfectly and the others not at all.
 *   node dist/bench/sample-queries.js [--docs F --queries F --qrels F] [--config '{"expansionPredict":0,"expansionWeight":0.25}']
 */
import { join } from 'node:path';
import { DEFAULT_CONFIG, makeConfig, textOptionsOf } from '../src/core/config.js';
import { LocalEngine } from '../src/engine/local.js';
import { ndcgAt } from '../src/eval/metrics.js';
import { readDocsJsonl, readQrels, readQueriesJsonl } from '../src/io/files.js';
import { EXPANSION_TERMS } from '../src/search/bm25.js';
import { conceptSearch, DEFAULT_ALPHA } from '../src/search/concepts.js';
import { expansionPlanOf, planQuery } from '../src/search/expansion.js';
import { parseQuery } from '../src/search/query.js';
import { indexTerm, tokenize } from '../src/text/tokenizer.js';
import { arg } from './script-args.js';

const corpus = join(import.meta.dirname, '..', '..', 'data', 'phago-corpus');
// documents need their ids here (the qrels name them)
const docs = readDocsJsonl(arg('--docs', join(corpus, 'docs.jsonl'))).map((d, i) => ({ ...d, id: d.id ?? `doc-${i}` }));
const queries = readQueriesJsonl(arg('--queries', join(corpus, 'queries.jsonl')));
const qrels = readQrels(arg('--qrels', join(corpus, 'qrels-documents.txt')));
const config = makeConfig(JSON.parse(arg('--config', '{}')) as object);
const text = textOptionsOf(config);

const engine = new LocalEngine(config);
await engine.ingest(docs);
await engine.tick('digest');
const { colony } = engine;
// each document's index terms, for the lexical ceiling
const termsOf = new Map(docs.map((d) => [d.id, new Set(tokenize(`${d.title} ${d.text}`, text.stopwords).map((t) => indexTerm(t, text.stem)))]));

let sum = 0;
let ceiling = 0;
let n = 0;
for (const q of queries) {
  const rels = qrels.get(q.qid);
  if (!rels) continue;
  n++;
  const ranked = (await engine.searchDocuments(q.text, 100)).hits.map((h) => h.key);
  const ndcg = ndcgAt(ranked, rels, 10);
  sum += ndcg;
  const terms = parseQuery(q.text, colony.limits);
  const concepts = conceptSearch(colony.graph, colony.currentTick, terms, { alpha: DEFAULT_ALPHA, k: terms.length + EXPANSION_TERMS, specificFirst: config.specificFirst === 1, documents: true });
  const plan = planQuery(terms, concepts, { expansion: EXPANSION_TERMS, coordination: true, ...expansionPlanOf(config) });
  const expansion = plan.weighted.filter((t) => !t.original && !t.term.startsWith('=')).map((t) => `${t.term} ${t.weight.toFixed(3)}`);
  const stems = new Set(terms.map((t) => indexTerm(t, text.stem)));
  const lexical = docs.filter((d) => [...termsOf.get(d.id)!].some((t) => stems.has(t))).map((d) => ({ id: d.id, g: rels.get(d.id) ?? 0 }));
  ceiling += ndcgAt(lexical.sort((x, y) => y.g - x.g).map((d) => d.id), rels, 10);
  const grades = [...rels.values()];
  console.log(`\n${q.qid} "${q.text}"  NDCG@10 ${ndcg.toFixed(3)}  relevant ${rels.size} (grade 2: ${grades.filter((g) => g >= 2).length})  density ${plan.density.toFixed(3)} gate ${plan.open ? 'open' : 'closed'}${expansion.length ? `  expansion: ${expansion.join(', ')}` : ''}`);
  console.log(`  top 10 grades: ${ranked.slice(0, 10).map((id) => rels.get(id) ?? '-').join(' ')}   ${ranked.slice(0, 10).join(' ')}`);
  const below = [...rels].filter(([id]) => !ranked.slice(0, 10).includes(id)).map(([id, g]) => `${id} (grade ${g}, ${ranked.includes(id) ? `rank ${ranked.indexOf(id) + 1}` : 'not retrieved'})`);
  if (below.length) console.log(`  relevant below 10: ${below.join('; ')}`);
}
console.log(`\n${n} queries: NDCG@10 ${(sum / n).toFixed(4)}; lexical ceiling ${(ceiling / n).toFixed(4)} (config ${JSON.stringify(Object.fromEntries(Object.entries(config).filter(([k, v]) => DEFAULT_CONFIG[k as keyof typeof DEFAULT_CONFIG] !== v)))})`);

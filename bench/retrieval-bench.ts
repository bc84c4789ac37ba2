/**
 * Retrieval benchmark (`npm run bench -- --only retrieval`): every engine on every evaluation set and
 * split, in one run, with the same harness (same documents, same queries, top 100, same metrics):
 *
 *   phago            the defaults (stdlib stopwords, title weight 3, stemming with the exact-form bonus, BM25 b 0.9,
 *                    proximity 2, graph expansion (5 concepts) and coordination behind the expansion gate 0.05)
 *   phago variants   each switch flipped alone (the ablation); the ranking switches (b, exact forms,
 *                    proximity) share the default colony: only the document table's RankOptions differ
 *   phago-core       phago's defaults without the graph (expansion 0) and without coordination
 *   bm25-plain       phago's BM25 core with the original tokenizer, one field and no graph: Okapi BM25 k1 1.2, b 0.75
 *   minisearch       new MiniSearch({ fields: ['title','text'] }), search(q) (its defaults: OR, no fuzzy)
 *   wink-bm25        wink-bm25-text-search, fields title and text (weight 1), the Porter2 pipeline of its
 *                    README (wink-nlp-utils: lowerCase, tokenize0, removeWords, stem, propagateNegations)
 *
 * Sets: the sample corpus (20 queries, no split), and the eval collections of
 * scripts/eval-collections.ts (built on first use in ~/.cache/phago/eval): manpages (all queries of
 * each split) and wordnet-examples (a deterministic sample of QUERIES_PER_SPLIT queries per split, by
 * sha1 of the query id; all 117,659 documents). --quick: manpages only, 200 queries a split. Alone
 * (`node dist/bench/retrieval-bench.js`): --sets picks sets by name, --text-only drops every title.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import type { Colony } from '../src/colony/colony.js';
import type { ColonyConfig } from '../src/core/config.js';
import type { DocumentTable } from '../src/core/documents.js';
import type { RankOptions } from '../src/core/ranking.js';
import { LocalEngine, type SearchOptions } from '../src/engine/local.js';
import { EXPANSION_TERMS } from '../src/search/bm25.js';
import { sampleOrder, SPLITS, type Split } from '../src/eval/collections.js';
import { meanMetrics, scoreQuery, type Metrics } from '../src/eval/metrics.js';
import { readDocsJsonl, readQrels, readQueriesJsonl, type Qrels, type Query } from '../src/io/files.js';
import { ensureEvalCollection } from '../scripts/eval-collections.js';
import type { BenchSectionOptions } from './run.js';

export const QUERIES_PER_SPLIT = 1000;

interface Doc {
  id: string;
  title: string;
  text: string;
}

interface EvalSetRun {
  name: string;
  docs: Doc[];
  splits: { split: Split | 'all'; queries: Query[] }[];
  qrels: Qrels;
}

/** A search engine under test: documents in, a ranked list of document ids out. */
interface Ranker {
  name: string;
  rank(query: string): Promise<string[]> | string[];
}

const require = createRequire(import.meta.url);

interface WinkEngine {
  defineConfig(cfg: { fldWeights: Record<string, number>; bm25Params?: Record<string, number> }): void;
  definePrepTasks(tasks: ((x: unknown) => unknown)[]): void;
  addDoc(doc: Record<string, string>, id: string | number): void;
  consolidate(): void;
  search(text: string, limit?: number): [string, number][];
}

function winkRanker(docs: readonly Doc[], textOnly: boolean): Ranker {
  const bm25 = require('wink-bm25-text-search') as () => WinkEngine;
  const nlp = require('wink-nlp-utils') as { string: Record<string, (x: unknown) => unknown>; tokens: Record<string, (x: unknown) => unknown> };
  const e = bm25();
  e.defineConfig({ fldWeights: textOnly ? { text: 1 } : { title: 1, text: 1 } });
  e.definePrepTasks([nlp.string.lowerCase, nlp.string.tokenize0, nlp.tokens.removeWords, nlp.tokens.stem, nlp.tokens.propagateNegations]);
  for (const d of docs) e.addDoc(textOnly ? { text: d.text } : { title: d.title, text: d.text }, d.id);
  e.consolidate();
  return { name: 'wink-bm25', rank: (q) => e.search(q, 100).map(([id]) => String(id)) };
}

function miniRanker(docs: readonly Doc[]): Ranker {
  const m = new MiniSearch<Doc>({ fields: ['title', 'text'] });
  m.addAll(docs);
  return { name: 'minisearch', rank: (q) => m.search(q).slice(0, 100).map((r) => String(r.id)) };
}

/** A phago colony with one text configuration; `ticks` digests it (the graph) when a variant expands. */
/** The default colony with other ranking options (b, exact forms, proximity: they change no term or graph). */
// Views that read everything from the default colony but the table's `rank` (the bench only: a colony's
// config does not change); its own search options, so rankers do not share them.
function withRank(engine: LocalEngine, rank: Partial<RankOptions>): LocalEngine {
  const docs = Object.create(engine.colony.docs, { rank: { value: { ...engine.colony.docs.rank, ...rank } } }) as DocumentTable;
  const colony = Object.create(engine.colony, { docs: { value: docs } }) as Colony;
  return Object.create(engine, { colony: { value: colony }, search: { value: { ...engine.search } } }) as LocalEngine;
}

/** The default colony with other query-time config (the expansion gate: it changes no term, graph or score). */
function withConfig(engine: LocalEngine, config: Partial<ColonyConfig>): LocalEngine {
  const colony = Object.create(engine.colony, { config: { value: { ...engine.colony.config, ...config } } }) as Colony;
  return Object.create(engine, { colony: { value: colony }, search: { value: { ...engine.search } } }) as LocalEngine;
}

async function phagoEngine(docs: readonly Doc[], config: Partial<ColonyConfig>, digest: boolean): Promise<LocalEngine> {
  const engine = new LocalEngine(config, { maxDocumentBytes: 16 << 20 });
  await engine.ingest(docs.map((d) => ({ id: d.id, title: d.title, text: d.text })));
  if (digest) await engine.tick('digest');
  return engine;
}

function phagoRanker(name: string, engine: LocalEngine, search: SearchOptions): Ranker {
  return {
    name,
    rank: async (q) => {
      Object.assign(engine.search, search);
      return (await engine.searchDocuments(q, 100)).hits.map((h) => h.key);
    },
  };
}

/** The engines of one set: phago's variants share colonies that differ only in search options. */
async function rankersFor(docs: readonly Doc[], log: (l: string) => void, phagoOnly: boolean, textOnly: boolean): Promise<Ranker[]> {
  const built = async <T>(label: string, make: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const x = await make();
    log(`  built ${label} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return x;
  };
  const full = await built('phago (defaults, digested)', () => phagoEngine(docs, {}, true));
  const unstemmed = await built('phago stemming 0 (digested)', () => phagoEngine(docs, { stemming: 0 }, true));
  const oneField = await built('phago titleWeight 1 (digested)', () => phagoEngine(docs, { titleWeight: 1 }, true));
  const baseStop = await built('phago stopwords 0 (digested)', () => phagoEngine(docs, { stopwords: 0 }, true));
  const baselines = async (): Promise<Ranker[]> => {
    const plainOpts = { stemming: 0, stopwords: 0, titleWeight: 1, bm25B: 0.75, bm25K1: 1.2, exactWeight: 0, proximity: 0 };
    const plain = await built('bm25-plain (not digested)', () => phagoEngine(docs, plainOpts, false));
    const mini = await built('minisearch', () => miniRanker(docs));
    const wink = await built('wink-bm25', () => winkRanker(docs, textOnly));
    return [phagoRanker('bm25-plain', plain, { expansion: 0, coordination: false }), mini, wink];
  };
  const on = { expansion: EXPANSION_TERMS, coordination: true };
  return [
    phagoRanker('phago', full, on),
    phagoRanker('  expansion 0', full, { expansion: 0, coordination: true }),
    phagoRanker('  no coordination', full, { expansion: EXPANSION_TERMS, coordination: false }),
    phagoRanker('  expansionGate 0', withConfig(full, { expansionGate: 0 }), on),
    phagoRanker('  expansion 2', full, { expansion: 2, coordination: true }),
    phagoRanker('  expansion 2, expansionGate 0 (before)', withConfig(full, { expansionGate: 0 }), { expansion: 2, coordination: true }),
    phagoRanker('  stemming 0', unstemmed, on),
    phagoRanker('  exactWeight 0', withRank(full, { exact: 0 }), on),
    phagoRanker('  proximity 0', withRank(full, { proximity: 0 }), on),
    phagoRanker('  bm25B 0.75', withRank(full, { b: 0.75 }), on),
    phagoRanker('  bm25K1 1.2', withRank(full, { k1: 1.2 }), on),
    phagoRanker('  titleWeight 1', oneField, on),
    phagoRanker('  stopwords 0', baseStop, on),
    phagoRanker('phago-core (no graph, no coord.)', full, { expansion: 0, coordination: false }),
    phagoRanker('  core, stemming 0', unstemmed, { expansion: 0, coordination: false }),
    phagoRanker('  core, exact 0, proximity 0, b 0.75, k1 1.2', withRank(full, { exact: 0, proximity: 0, b: 0.75, k1: 1.2 }), { expansion: 0, coordination: false }),
    ...(phagoOnly ? [] : await baselines()),
  ];
}

async function evaluateRanker(r: Ranker, queries: readonly Query[], qrels: Qrels): Promise<Metrics & { queries: number }> {
  const per: Metrics[] = [];
  for (const q of queries) {
    const rels = qrels.get(q.qid);
    if (!rels) continue;
    per.push(scoreQuery(await r.rank(q.text), rels));
  }
  return { ...meanMetrics(per), queries: per.length };
}

function repoRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Which sets run: `names` (default: all; --quick: the sample and man pages); `textOnly` drops every title. */
function loadSets(quick: boolean, log: (l: string) => void, names?: readonly string[], textOnly = false): EvalSetRun[] {
  const root = join(repoRoot(), 'data/phago-corpus');
  const title = (t: string | undefined) => (textOnly ? '' : (t ?? ''));
  const wanted = (name: string) => names === undefined || names.includes(name);
  const sets: EvalSetRun[] = [];
  if (wanted('sample'))
    sets.push({
      name: 'sample',
      docs: readDocsJsonl(join(root, 'docs.jsonl')).map((d, i) => ({ id: d.id ?? `doc${i}`, title: title(d.title), text: d.text })),
      splits: [{ split: 'all', queries: readQueriesJsonl(join(root, 'queries.jsonl')) }],
      qrels: readQrels(join(root, 'qrels-documents.txt')),
    });
  for (const name of quick ? (['manpages'] as const) : (['manpages', 'wordnet-examples'] as const)) {
    if (!wanted(name)) continue;
    const p = ensureEvalCollection(name, { log });
    const cap = quick ? 200 : name === 'wordnet-examples' ? QUERIES_PER_SPLIT : Infinity;
    sets.push({
      name,
      docs: readDocsJsonl(p.docs).map((d) => ({ id: d.id!, title: title(d.title), text: d.text })),
      splits: SPLITS.map((split) => ({ split, queries: sampleOrder(readQueriesJsonl(p.queries[split])).slice(0, cap) })),
      qrels: readQrels(p.qrels),
    });
  }
  return sets;
}

const SET_NAMES = ['sample', 'manpages', 'wordnet-examples'];

const f3 = (x: number) => x.toFixed(3);

/** `phagoOnly`: phago's rows only (the baselines do not depend on phago's code; minisearch dominates the run). */
export async function runRetrievalBench(opts: BenchSectionOptions & { phagoOnly?: boolean; sets?: string[]; textOnly?: boolean }): Promise<Record<string, unknown>> {
  const { log } = opts;
  const unknown = (opts.sets ?? []).filter((n) => !SET_NAMES.includes(n));
  if (unknown.length > 0) throw new Error(`unknown set ${unknown.join(', ')}: choose from ${SET_NAMES.join(', ')}`);
  log(`## Retrieval: every engine on every set and split (MRR@10, NDCG@10, R@10, R@100)${opts.textOnly ? ', text field only (every title dropped)' : ''}`);
  const out: Record<string, unknown> = {};
  for (const set of loadSets(opts.quick, log, opts.sets, opts.textOnly)) {
    log(`### ${set.name}: ${set.docs.length} documents, ${set.splits.map((s) => `${s.split} ${s.queries.length} queries`).join(', ')}`);
    const rankers = await rankersFor(set.docs, log, opts.phagoOnly ?? false, opts.textOnly ?? false);
    const rows: Record<string, unknown> = {};
    for (const { split, queries } of set.splits) {
      log(`${`${set.name} ${split}`.padEnd(30)} MRR@10  NDCG@10 R@10   R@100  (${queries.length} queries)`);
      for (const r of rankers) {
        const t0 = performance.now();
        const m = await evaluateRanker(r, queries, set.qrels);
        const ms = (performance.now() - t0) / Math.max(1, m.queries);
        log(`  ${r.name.padEnd(28)} ${f3(m['MRR@10'])}   ${f3(m['NDCG@10'])}   ${f3(m['R@10'])}  ${f3(m['R@100'])}  ${ms.toFixed(2)} ms/q`);
        rows[`${split}/${r.name.trim()}`] = { ...m, msPerQuery: ms };
      }
    }
    out[set.name] = rows;
  }
  return out;
}

// `node dist/bench/retrieval-bench.js [--quick] [--phago-only] [--sets sample,manpages,wordnet-examples] [--text-only]`:
// this section alone; --text-only drops every document's title for every engine (a harness that indexes
// the text field only)
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--sets');
  const sets = i >= 0 ? (process.argv[i + 1] ?? '').split(',').filter(Boolean) : undefined;
  await runRetrievalBench({ quick: process.argv.includes('--quick'), phagoOnly: process.argv.includes('--phago-only'), sets, textOnly: process.argv.includes('--text-only'), log: (l) => console.log(l) });
}

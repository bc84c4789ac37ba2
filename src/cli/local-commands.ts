import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ClusterEngine } from '../engine/cluster.js';
import type { Engine } from '../engine/engine.js';
import { DEFAULT_ALPHA, LocalEngine } from '../engine/local.js';
import { evaluate, type EvalTarget } from '../eval/evaluate.js';
import { METRIC_NAMES } from '../eval/metrics.js';
import { InputError, readDocsFromPath, readDocsJsonl, readQrels, readQueriesJsonl } from '../io/files.js';
import { EVAL_COLLECTIONS, evalPaths, SPLITS, type EvalCollectionName, type Split } from '../eval/collections.js';
import { sampleCorpus } from '../util/paths.js';
import { progress } from '../util/progress.js';
import { renderGraphHtml } from '../viz/html.js';
import { EmbeddedCluster } from '../engine/embedded.js';
import type { ConceptGraph } from '../core/graph.js';
import { addClientOptions, clusterQueryAction } from './cluster-commands.js';
import { addDashboardOptions, serveDashboard } from './dashboard-command.js';
import { addColonyOptions, addSearchOptions, colonyConfigFrom, floatArg, intArg, printHits, ticksArg } from './common.js';
import { EXPANSION_TERMS } from '../search/bm25.js';

type ColonyOpts = { seed: number; digestPerTick: number; wiringLimit: number; expansion: number; coordination: boolean };

/** Ingest with a progress bar, then run ticks with a progress bar. */
export async function loadAndRun(engine: Engine, docs: Parameters<Engine['ingest']>[0], ticks: number | 'digest', quiet: boolean) {
  const t0 = performance.now();
  const pi = progress('ingest', docs.length, quiet);
  const ing = await engine.ingest(docs, (d) => pi.update(d));
  pi.stop();
  const t1 = performance.now();
  let pt: ReturnType<typeof progress> | undefined;
  const t = await engine.tick(ticks, (done, total) => {
    pt ??= progress(ticks === 'digest' ? 'digest' : 'ticks', total, quiet); // 'digest' counts documents
    pt.update(done);
  });
  pt?.stop();
  return { ingest: ing, ticks: t, ingestSeconds: (t1 - t0) / 1000, digestSeconds: (performance.now() - t1) / 1000 };
}

const fmt = (x: number) => x.toFixed(4);

export function evalCommand(): Command {
  const cmd = new Command('eval')
    .description('ingest documents, run the colony, run every query and score it against TREC qrels')
    .option('--docs <file>', 'documents, JSONL {"id","title","text"}')
    .option('--queries <file>', 'queries, JSONL {"qid","text"}')
    .option('--qrels <file>', 'TREC qrels: qid 0 docid relevance')
    .addOption(new Option('--collection <name>', 'instead of --docs/--queries/--qrels: an evaluation collection built by scripts/collections.js').choices([...EVAL_COLLECTIONS]))
    .addOption(new Option('--split <split>', 'with --collection: the queries to run (tune on dev, report test)').choices([...SPLITS]).default('dev'))
    .addOption(new Option('--target <what>', 'what the qrels judge').choices(['documents', 'concepts']).default('documents'))
    .option('--ticks <n>', 'ticks to run after ingesting, or "digest" (as many as digesting every document takes)', ticksArg, 'digest')
    .option('--alpha <x>', 'concept ranking: weight of lexical against graph score', floatArg('--alpha', 0, 1), DEFAULT_ALPHA)
    .option('--shards <n>', 'run on an embedded cluster of n shards over loopback gRPC (0 = a single-process colony)', intArg('--shards', 0), 0)
    .option('--json', 'print one JSON object')
    .option('--per-query', 'also print each query\'s metrics');
  addColonyOptions(cmd);
  addSearchOptions(cmd);
  return cmd.action(async (o: ColonyOpts & { docs?: string; queries?: string; qrels?: string; collection?: EvalCollectionName; split: Split; target: EvalTarget; ticks: number | 'digest'; alpha: number; shards: number; json?: boolean; perQuery?: boolean }) => {
    const files = evalFiles(o);
    const docs = readDocsJsonl(files.docs);
    const queries = readQueriesJsonl(files.queries);
    const qrels = readQrels(files.qrels);
    const engine = await makeEngine(o.shards, o);
    try {
      const run = await loadAndRun(engine, docs, o.ticks, !!o.json);
      const r = await evaluate(engine, queries, qrels, o.target, o.alpha);
      if (o.json) {
        const out: Record<string, unknown> = Object.fromEntries(METRIC_NAMES.map((m) => [m, r[m]]));
        Object.assign(out, {
          queries: r.queries,
          graphHash: r.graphHash,
          target: r.target,
          ticks: r.ticks,
          ingestSeconds: run.ingestSeconds,
          digestSeconds: run.digestSeconds,
          queryP50Ms: r.queryP50Ms,
          queryP99Ms: r.queryP99Ms,
          // the process's peak resident set (an embedded cluster's shards run in this process too)
          peakRssMB: process.resourceUsage().maxRSS / 1024,
        });
        if (o.perQuery) out.perQuery = r.perQuery.map((p) => ({ qid: p.qid, ...p.metrics, top: p.ranked.slice(0, 10) }));
        process.stdout.write(JSON.stringify(out) + '\n');
        return;
      }
      console.log(`target ${r.target}, ${r.queries} queries, ${docs.length} documents, ${r.ticks} ticks`);
      for (const m of METRIC_NAMES) console.log(`${m.padEnd(8)} ${fmt(r[m])}`);
      console.log(`graphHash ${r.graphHash}`);
      console.log(`ingest ${run.ingestSeconds.toFixed(2)} s, digest ${run.digestSeconds.toFixed(2)} s, query p50 ${r.queryP50Ms.toFixed(2)} ms, p99 ${r.queryP99Ms.toFixed(2)} ms, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
      if (o.perQuery) for (const p of r.perQuery) console.log(`${p.qid}\t${METRIC_NAMES.map((m) => `${m} ${fmt(p.metrics[m])}`).join('  ')}\t${p.ranked.slice(0, 5).join(' ')}`);
    } finally {
      await engine.close();
    }
  });
}

/** The files of an eval run: --docs/--queries/--qrels, or those of --collection and --split. */
function evalFiles(o: { docs?: string; queries?: string; qrels?: string; collection?: EvalCollectionName; split: Split }): { docs: string; queries: string; qrels: string } {
  if (o.collection !== undefined) {
    if (o.docs !== undefined || o.queries !== undefined || o.qrels !== undefined) throw new InputError('give either --collection or --docs/--queries/--qrels, not both');
    const p = evalPaths(o.collection);
    if (!existsSync(p.docs)) throw new InputError(`collection "${o.collection}" is not built in ${p.dir}: run node dist/scripts/collections.js ${o.collection}`);
    return { docs: p.docs, queries: p.queries[o.split], qrels: p.qrels };
  }
  if (o.docs === undefined || o.queries === undefined || o.qrels === undefined) throw new InputError('give --docs, --queries and --qrels (or --collection)');
  return { docs: o.docs, queries: o.queries, qrels: o.qrels };
}

export function queryCommand(): Command {
  const cmd = new Command('query')
    .description('query a cluster (--coordinator), or one-shot locally: ingest --docs, digest, answer')
    .argument('<text>', 'query text')
    .option('--docs <path>', 'local mode: a .jsonl file, a text file, or a folder of .txt/.md/.jsonl files')
    .option('--concepts', 'return concepts instead of documents')
    .option('-k <n>', 'number of results', intArg('-k', 1), 10)
    .option('--alpha <x>', 'concept ranking: weight of lexical against graph score', floatArg('--alpha', 0, 1), DEFAULT_ALPHA)
    .option('--ticks <n>', 'ticks to run, or "digest"', ticksArg, 'digest')
    .option('--json', 'print JSON');
  addColonyOptions(cmd);
  addSearchOptions(cmd);
  addClientOptions(cmd);
  return cmd.action(async (text: string, o: ColonyOpts & { docs?: string; concepts?: boolean; k: number; alpha: number; ticks: number | 'digest'; json?: boolean }) => {
    if (!o.docs) return clusterQueryAction()(text, o);
    const engine = new LocalEngine(colonyConfigFrom(o), {}, { expansion: o.expansion, coordination: o.coordination });
    await loadAndRun(engine, readDocsFromPath(o.docs), o.ticks, true);
    const res = o.concepts ? await engine.searchConcepts(text, o.k, o.alpha) : await engine.searchDocuments(text, o.k);
    if (o.json) return void process.stdout.write(JSON.stringify(res) + '\n');
    printHits(res.hits, !!o.concepts);
  });
}

/** A single-process colony (shards = 0) or an embedded cluster of n shards. */
export async function makeEngine(shards: number, o: Partial<ColonyOpts> = {}): Promise<Engine> {
  const config = o.seed === undefined ? {} : colonyConfigFrom(o as ColonyOpts);
  const search = { expansion: o.expansion ?? EXPANSION_TERMS, coordination: o.coordination ?? true };
  if (shards === 0) return new LocalEngine(config, {}, search);
  const cluster = await EmbeddedCluster.start({ shards, config, ...search });
  embedded.set(cluster.address, cluster);
  return cluster.engine();
}

const embedded = new Map<string, EmbeddedCluster>();

const DEMO_QUERIES = ['cell membrane transport', 'quantum error correction', 'gene regulation expression', 'programmed cell death'];

/** The demo: the sample corpus through a colony, statistics, sample answers and an HTML view. */
export async function runDemo(engine: Engine, out: string, label: string): Promise<void> {
  const corpus = sampleCorpus();
  const docs = readDocsJsonl(corpus.docs);
  console.log(`phago demo: ${docs.length} documents from the sample corpus, ${label}`);
  const t0 = performance.now();
  const { ticks } = await loadAndRun(engine, docs, 'digest', false);
  const s = await engine.stats();
  console.log(`\ncolony after ${ticks.ticks} ticks (${((performance.now() - t0) / 1000).toFixed(2)} s): ${s.documents} documents, ${s.digested} digested, ${s.nodes} concepts, ${s.edges} Hebbian edges`);
  console.log(`graph hash ${await engine.graphHash()}`);
  for (const q of DEMO_QUERIES) {
    console.log(`\nquery "${q}"`);
    console.log(' documents (BM25):');
    printHits((await engine.searchDocuments(q, 3)).hits, false);
    console.log(' concepts (label match re-ranked by the graph):');
    printHits((await engine.searchConcepts(q, 5)).hits, true);
  }
  console.log('\nstrongest neighbours of "qubit":');
  for (const n of await engine.neighbours('qubit', 5)) console.log(`  ${n.label.padEnd(16)} weight ${n.weight.toFixed(3)}  co-activations ${n.coActivations}`);
  const p = await engine.path('membrane', 'qubit');
  console.log(`\nshortest path membrane → qubit: ${p.found ? `${p.path.map((x) => x.label).join(' → ')} (cost ${p.cost.toFixed(2)})` : 'none'}`);
  console.log(`central concepts: ${(await engine.central(8)).map((c) => c.label).join(', ')}`);
  console.log(`bridge concepts: ${(await engine.bridges(8)).map((c) => c.label).join(', ') || '(none)'}`);
  const html = await graphView(engine);
  if (html !== undefined) {
    const file = resolve(out);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, html);
    console.log(`\ngraph view written to ${file} (open it in a browser)`);
  }
}

async function graphView(engine: Engine): Promise<string | undefined> {
  let graph: ConceptGraph | undefined;
  if (engine instanceof LocalEngine) graph = engine.colony.graph;
  else if (engine instanceof ClusterEngine) graph = await embedded.get(engine.coordinator.address)?.coordinator.gatherGraph();
  if (!graph) return undefined;
  const s = await engine.stats();
  return renderGraphHtml(graph, s.tick, { title: 'phago: sample corpus', subtitle: `tick ${s.tick}${s.shards ? `, ${s.shards} shards` : ''}` });
}

export function demoCommand(): Command {
  const cmd = new Command('demo')
    .description('run the sample corpus through a colony and show what it learned')
    .option('--out <file>', 'where to write the HTML graph view', 'out/phago-graph.html')
    .option('--shards <n>', 'shards of the embedded cluster (0 = a single-process colony)', intArg('--shards', 0), 3)
    .option('--serve', 'then serve the live dashboard on the colony until Ctrl-C');
  addDashboardOptions(cmd);
  return cmd.action(async (o: { out: string; shards: number; serve?: boolean; httpPort: number; host: string }) => {
    const engine = await makeEngine(o.shards);
    const label = o.shards === 0 ? 'single-process colony' : `embedded cluster: coordinator + ${o.shards} shards over loopback gRPC`;
    try {
      await runDemo(engine, o.out, label);
    } catch (e) {
      await engine.close();
      throw e;
    }
    if (o.serve) return serveDashboard(engine, o.host, o.httpPort, `sample corpus, ${label}`);
    await engine.close();
  });
}

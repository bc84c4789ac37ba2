/**
 * Scale benchmark: one process on a large real collection, phago side by side with MiniSearch,
 * each engine measured in its OWN child process (clean heap and RSS), plus a growth curve and a
 * synthetic 1,000,000-document run.
 *
 *   node --expose-gc dist/bench/scale-bench.js [--docs N] [--quick] [--only main|growth|synthetic]
 *        [--synthetic N] [--json] [--timeout-min M] [--rounds R] [--repeat K] [--queries Q] [--batch B]
 *        [--engines phago,phago-plain,minisearch] [--synthetic-mode interleaved|end]
 *   (also `npm run bench -- --only scale`, which runs all three parts with the defaults)
 *
 * Collections (scripts/collections.ts, cached outside the repo in $PHAGO_CACHE or ~/.cache/phago):
 *   wordnet    117,659 WordNet 3.0 synsets from Debian's wordnet-base (title = words, text = gloss)
 *   synthetic  seeded Zipfian pseudo-word documents (30..90 words), generated inside the child
 *
 * Engines (a child each: `node --expose-gc dist/bench/scale-bench.js --child ENGINE ...`, which
 * prints one JSON line):
 *   phago        new LocalEngine(); ingest(batch) per batch, then tick('digest') (queryable = digested)
 *   phago-plain  the same with search options { expansion: 0, coordination: false } (plain BM25 core)
 *   minisearch   new MiniSearch({ fields: ['title','text'], idField: 'id' }); addAll(batch) per batch
 *
 * Only engine calls are timed (reading and parsing the JSONL, or generating synthetic documents,
 * is not). Memory: heapUsed and RSS after two global.gc() once the index is built, minus the same
 * before the first document (the child's baseline), per document; peak RSS from
 * process.resourceUsage().maxRSS. Queries: a fixed set made from random words (the phago
 * tokenizer's terms: no stopwords) of random documents of the measured prefix (seeded), the same
 * file for every engine; one untimed warm-up round over all of them, then R rounds, timed one by one.
 *
 * --repeat K builds every engine K times in the main part, alternating (minisearch, phago-plain, phago,
 * minisearch, …), and judges the goals by the median of the K sets' ratios: on a shared machine whose
 * speed drifts, one set can fall on a slow minute for one engine only.
 *
 * This is a benchmark, not a test: it measures and reports, it asserts nothing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import { LocalEngine, type SearchOptions } from '../src/engine/local.js';
import { tokenize } from '../src/text/tokenizer.js';
import { Prng } from '../src/util/prng.js';
import {
  countLines,
  DEFAULT_SYNTHETIC_SEED,
  ensureCollection,
  inBatches,
  readJsonlBatches,
  readMeta,
  synthetic,
  type CollectionDoc,
} from '../scripts/collections.js';
import { findGc, fmt, quantile, table } from './colony-bench.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;
const GB = 1024 * MB;

export const ENGINES = ['phago', 'phago-plain', 'minisearch'] as const;
export type EngineName = (typeof ENGINES)[number];

const PLAIN_SEARCH: Partial<SearchOptions> = { expansion: 0, coordination: false };
const QUERY_SEED = 20250101;
const K = 10;

// ---- the query set ------------------------------------------------------------------------------

/**
 * Picks `count` queries from a stream of documents: 2*count document indices drawn uniformly from
 * [0, n) up front (seeded), then, as the documents stream by, 1..3 distinct random terms of each
 * chosen document (phago's tokenizer: lowercase, no stopwords, >= 3 bytes); the first `count`
 * candidates in draw order that have a term are kept. Deterministic for (n, count, seed).
 */
export class QueryPicker {
  private readonly wanted = new Map<number, number[]>();
  private readonly slots: (string | null)[];
  constructor(
    readonly n: number,
    readonly count: number,
    readonly seed: number,
  ) {
    const rng = new Prng(seed);
    const candidates = n === 0 ? 0 : 2 * count;
    this.slots = new Array<string | null>(candidates).fill(null);
    for (let s = 0; s < candidates; s++) {
      const i = rng.int(n);
      const l = this.wanted.get(i);
      if (l) l.push(s);
      else this.wanted.set(i, [s]);
    }
  }
  offer(index: number, doc: { title?: string; text: string }): void {
    const slots = this.wanted.get(index);
    if (!slots) return;
    const terms = [...new Set(tokenize(`${doc.title ?? ''}\n${doc.text}`))];
    for (const s of slots) {
      if (terms.length === 0) continue;
      const rng = new Prng((this.seed ^ Math.imul(s + 1, 0x9e3779b1)) >>> 0);
      const k = Math.min(terms.length, 1 + rng.int(3));
      const pool = [...terms];
      const picked: string[] = [];
      for (let j = 0; j < k; j++) picked.push(pool.splice(rng.int(pool.length), 1)[0]);
      this.slots[s] = picked.join(' ');
    }
  }
  queries(): string[] {
    return this.slots.filter((q): q is string => q !== null).slice(0, this.count);
  }
}

async function buildQueries(docsPath: string, n: number, count: number, seed: number): Promise<string[]> {
  const picker = new QueryPicker(n, count, seed);
  let i = 0;
  for await (const batch of readJsonlBatches(docsPath, 10_000, n)) for (const d of batch) picker.offer(i++, d);
  return picker.queries();
}

const hashOf = (xs: readonly string[]) => createHash('sha256').update(xs.join('\n')).digest('hex').slice(0, 16);

// ---- the child ----------------------------------------------------------------------------------

export interface LatencyMs {
  samples: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export interface ChildResult {
  engine: EngineName;
  collection: string;
  docs: number;
  batch: number;
  /** 'end': every batch ingested, then tick('digest') once; 'interleaved': tick('digest') after each batch. */
  mode: 'end' | 'interleaved';
  ingestMs: number;
  digestMs: number;
  /** ingest + digest (engine time only). */
  buildMs: number;
  /** Wall time of the whole build loop, including reading/generating the documents. */
  wallMs: number;
  docsPerSec: number;
  msPerDoc: number;
  ticks: number;
  stats: Record<string, unknown> | null;
  gc: string;
  heapBaseline: number;
  heapAfter: number;
  rssBaseline: number;
  rssAfter: number;
  heapPerDoc: number;
  rssPerDoc: number;
  maxRss: number;
  queries: number;
  queriesHash: string;
  rounds: number;
  docQuery: LatencyMs | null;
  conceptQuery: LatencyMs | null;
  hitsPerQuery: number;
  /** 1-minute load average when the build finished (other processes on the machine skew timings). */
  load1: number;
}

interface ChildArgs {
  engine: EngineName;
  docsPath: string | null;
  synthetic: number;
  seed: number;
  limit: number;
  queriesPath: string | null;
  syntheticQueries: number;
  batch: number;
  rounds: number;
  mode: 'end' | 'interleaved';
}

function latency(ms: readonly number[]): LatencyMs | null {
  if (ms.length === 0) return null;
  return { samples: ms.length, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), mean: ms.reduce((a, b) => a + b, 0) / ms.length, max: Math.max(...ms) };
}

/** A progress line for the parent (stderr): `@@progress {json}`. */
function progress(p: Record<string, unknown>): void {
  process.stderr.write(`@@progress ${JSON.stringify({ ...p, maxRss: process.resourceUsage().maxRSS * 1024, rss: process.memoryUsage().rss })}\n`);
}

interface Index {
  ingest(batch: CollectionDoc[]): Promise<void>;
  digest(onProgress: (done: number, total: number) => void): Promise<number>;
  searchDocs(q: string): Promise<number>;
  searchConcepts: ((q: string) => Promise<number>) | null;
  stats(): Promise<Record<string, unknown> | null>;
}

function makeIndex(engine: EngineName): Index {
  if (engine === 'minisearch') {
    const m = new MiniSearch<CollectionDoc>({ fields: ['title', 'text'], idField: 'id' });
    return {
      ingest: async (batch) => m.addAll(batch),
      digest: async () => 0,
      searchDocs: async (q) => m.search(q).length,
      searchConcepts: null,
      stats: async () => ({ documents: m.documentCount, terms: m.termCount }),
    };
  }
  const e = new LocalEngine({}, {}, engine === 'phago-plain' ? PLAIN_SEARCH : {});
  return {
    ingest: async (batch) => {
      await e.ingest(batch);
    },
    digest: async (onProgress) => (await e.tick('digest', onProgress)).ticks,
    searchDocs: async (q) => (await e.searchDocuments(q, K)).hits.length,
    searchConcepts: async (q) => (await e.searchConcepts(q, K)).hits.length,
    stats: async () => ({ ...(await e.stats()) }),
  };
}

async function runChild(a: ChildArgs): Promise<ChildResult> {
  const { gc, how } = findGc();
  const fullGc = () => {
    gc?.();
    gc?.();
  };
  const index = makeIndex(a.engine);
  if (a.synthetic > 0) synthetic(0, a.seed).next(); // build the generator's vocabulary before the baseline
  fullGc();
  const m0 = process.memoryUsage();
  const picker = a.synthetic > 0 ? new QueryPicker(a.synthetic, a.syntheticQueries, QUERY_SEED) : null;
  const source: AsyncIterable<CollectionDoc[]> | Iterable<CollectionDoc[]> =
    a.synthetic > 0 ? inBatches(synthetic(a.synthetic, a.seed), a.batch) : readJsonlBatches(a.docsPath as string, a.batch, a.limit);

  let ingestMs = 0;
  let digestMs = 0;
  let ticks = 0;
  let docs = 0;
  let lastReport = 0;
  const tWall = performance.now();
  let digested = 0;
  const digest = async () => {
    const t = performance.now();
    const pending = docs - digested;
    ticks += await index.digest((done, total) => {
      const now = performance.now();
      if (now - lastReport > 5000) {
        lastReport = now;
        // documents digested so far, counting the current call's share by its ticks
        const so = digested + Math.floor((pending * done) / Math.max(1, total));
        progress({ phase: 'digest', docs, digested: so, ticksDone: done, ticksTotal: total, ingestMs, digestMs: digestMs + (now - t), wallMs: now - tWall });
      }
    });
    digested = docs;
    digestMs += performance.now() - t;
  };
  for await (const batch of source) {
    if (picker) batch.forEach((d, j) => picker.offer(docs + j, d));
    const t = performance.now();
    await index.ingest(batch);
    ingestMs += performance.now() - t;
    docs += batch.length;
    if (a.mode === 'interleaved') await digest();
    const now = performance.now();
    if (now - lastReport > 5000 || a.mode === 'interleaved') {
      lastReport = now;
      progress({ phase: 'ingest', docs, digested, ingestMs, digestMs, wallMs: now - tWall });
    }
  }
  if (a.mode === 'end') await digest();
  const wallMs = performance.now() - tWall;
  const stats = await index.stats();
  fullGc();
  const m1 = process.memoryUsage();
  const buildMs = ingestMs + digestMs;
  const load1 = loadavg()[0];
  progress({ phase: 'built', docs, digested, ingestMs, digestMs, wallMs });

  // queries
  const queries: string[] = picker ? picker.queries() : a.queriesPath ? (JSON.parse(readFileSync(a.queriesPath, 'utf8')) as string[]) : [];
  let hits = 0;
  for (const q of queries) {
    hits += await index.searchDocs(q);
    if (index.searchConcepts) hits += await index.searchConcepts(q);
  }
  hits = 0;
  const docMs: number[] = [];
  const conceptMs: number[] = [];
  for (let r = 0; r < a.rounds; r++) {
    for (const q of queries) {
      const t = performance.now();
      hits += await index.searchDocs(q);
      docMs.push(performance.now() - t);
    }
    if (index.searchConcepts) {
      for (const q of queries) {
        const t = performance.now();
        await index.searchConcepts(q);
        conceptMs.push(performance.now() - t);
      }
    }
  }
  return {
    engine: a.engine,
    collection: a.synthetic > 0 ? `synthetic(${a.synthetic}, seed ${a.seed})` : (a.docsPath as string),
    docs,
    batch: a.batch,
    mode: a.mode,
    ingestMs,
    digestMs,
    buildMs,
    wallMs,
    docsPerSec: docs / (buildMs / 1000),
    msPerDoc: buildMs / docs,
    ticks,
    stats,
    gc: how,
    heapBaseline: m0.heapUsed,
    heapAfter: m1.heapUsed,
    rssBaseline: m0.rss,
    rssAfter: m1.rss,
    heapPerDoc: (m1.heapUsed - m0.heapUsed) / docs,
    rssPerDoc: (m1.rss - m0.rss) / docs,
    maxRss: process.resourceUsage().maxRSS * 1024,
    queries: queries.length,
    queriesHash: hashOf(queries),
    rounds: a.rounds,
    docQuery: latency(docMs),
    conceptQuery: latency(conceptMs),
    hitsPerQuery: docMs.length === 0 ? 0 : hits / docMs.length,
    load1,
  };
}

function parseChildArgs(argv: string[]): ChildArgs {
  const a: ChildArgs = { engine: 'phago', docsPath: null, synthetic: 0, seed: DEFAULT_SYNTHETIC_SEED, limit: Infinity, queriesPath: null, syntheticQueries: 200, batch: 10_000, rounds: 2, mode: 'end' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--child') {
      if (!(ENGINES as readonly string[]).includes(v)) throw new Error(`unknown engine "${v}"`);
      a.engine = v as EngineName;
    } else if (k === '--docs') a.docsPath = v;
    else if (k === '--synthetic') a.synthetic = Number(v);
    else if (k === '--seed') a.seed = Number(v);
    else if (k === '--limit') a.limit = Number(v);
    else if (k === '--queries') a.queriesPath = v;
    else if (k === '--synthetic-queries') a.syntheticQueries = Number(v);
    else if (k === '--batch') a.batch = Number(v);
    else if (k === '--rounds') a.rounds = Number(v);
    else if (k === '--mode') {
      if (v !== 'end' && v !== 'interleaved') throw new Error('--mode is end or interleaved');
      a.mode = v;
    } else throw new Error(`unknown child argument "${k}"`);
  }
  if (a.docsPath === null && a.synthetic <= 0) throw new Error('child needs --docs PATH or --synthetic N');
  return a;
}

// ---- the parent: spawning children --------------------------------------------------------------

interface Progress {
  phase: string;
  docs: number;
  /** Documents digested so far (estimated within a digestion call from its ticks). */
  digested: number;
  ingestMs: number;
  digestMs: number;
  wallMs: number;
  ticksDone?: number;
  ticksTotal?: number;
  maxRss: number;
  rss: number;
}

/** What a child run came to: its result, or why not (with its last progress report and an estimate). */
export interface RunOutcome {
  engine: EngineName;
  size: number;
  result: ChildResult | null;
  error: string | null;
  timedOut: boolean;
  lastProgress: Progress | null;
  /** Progress at each batch boundary where everything ingested so far was digested (interleaved mode). */
  checkpoints: Progress[];
  /** On a timeout: the estimated build time of the whole size, extrapolated linearly from the progress. */
  estimatedBuildMs: number | null;
}

interface SpawnSpec {
  engine: EngineName;
  size: number;
  args: string[];
  timeoutMs: number;
  label: string;
}

/**
 * The build time of the whole size extrapolated linearly from a progress report: ingest time per
 * ingested document and digestion time per digested document (optimistic when the cost per
 * document grows with size). Null before any digestion.
 */
function estimate(p: Progress | null, size: number): number | null {
  if (!p || !(p.docs > 0) || !(p.digested > 0)) return null;
  return (p.ingestMs * size) / p.docs + (p.digestMs * size) / p.digested;
}

function spawnChild(spec: SpawnSpec, heapMB: number): Promise<RunOutcome> {
  return new Promise((resolveRun) => {
    const args = ['--expose-gc', `--max-old-space-size=${heapMB}`, THIS_FILE, '--child', spec.engine, ...spec.args];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    let last: Progress | null = null;
    const checkpoints: Progress[] = [];
    let timedOut = false;
    let lastEcho = 0;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s: string) => (stdout += s));
    let pending = '';
    child.stderr.on('data', (s: string) => {
      pending += s;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('@@progress ')) {
          try {
            last = JSON.parse(line.slice('@@progress '.length)) as Progress;
            if (last.phase === 'ingest' && last.digested === last.docs) checkpoints.push(last);
          } catch {
            /* ignore a torn line */
          }
          const now = performance.now();
          if (last && now - lastEcho > 30_000) {
            lastEcho = now;
            const p: Progress = last;
            const ticks = p.ticksTotal ? `, ticks ${fmt(p.ticksDone ?? 0)}/${fmt(p.ticksTotal)}` : '';
            process.stderr.write(`  [${spec.label}] ${p.phase}: ${fmt(p.docs)} docs${ticks}, ${fmt(p.wallMs / 1000, 1)} s, rss ${fmt(p.rss / MB)} MB\n`);
          }
        } else {
          stderrTail = (stderrTail + line + '\n').slice(-4000);
        }
      }
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, spec.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const base = { engine: spec.engine, size: spec.size, lastProgress: last as Progress | null, checkpoints };
      if (timedOut) {
        const p = last as Progress | null;
        const done = p
          ? `; it had got to ${p.phase} with ${fmt(p.docs)} docs ingested and about ${fmt(p.digested)} digested${p.ticksTotal ? ` (${fmt(p.ticksDone ?? 0)}/${fmt(p.ticksTotal)} ticks of the current tick('digest'))` : ''} after ${fmt(p.wallMs / 1000)} s`
          : '';
        resolveRun({
          ...base,
          result: null,
          timedOut: true,
          error: `${spec.label}: child exceeded the timeout of ${fmt(spec.timeoutMs / 60000, 1)} min and was killed${done}`,
          estimatedBuildMs: estimate(p, spec.size),
        });
        return;
      }
      const lines = stdout.trim().split('\n');
      const lastLine = lines[lines.length - 1] ?? '';
      if (code === 0) {
        try {
          resolveRun({ ...base, result: JSON.parse(lastLine) as ChildResult, error: null, timedOut: false, estimatedBuildMs: null });
          return;
        } catch {
          /* fall through */
        }
      }
      resolveRun({
        ...base,
        result: null,
        timedOut: false,
        error: `${spec.label}: child failed (exit ${code ?? signal})${stderrTail ? `: ${stderrTail.trim().split('\n').slice(-6).join(' | ')}` : ''}`,
        estimatedBuildMs: estimate(last, spec.size),
      });
    });
  });
}

// ---- the parent: sections -----------------------------------------------------------------------

export interface ScaleOptions {
  quick: boolean;
  log: (line: string) => void;
  /** Cap on documents of the real collection (default: all). */
  docs?: number;
  /** Parts to run (default: all). */
  only?: ('main' | 'growth' | 'synthetic')[];
  /** Synthetic size (default 1,000,000; quick 5,000). */
  synthetic?: number;
  syntheticMode?: 'interleaved' | 'end';
  timeoutMin?: number;
  rounds?: number;
  /** Main part: build every engine this many times, alternating, and judge the goals by the median ratio (default 1). */
  repeat?: number;
  queries?: number;
  batch?: number;
  engines?: EngineName[];
  /** Growth sizes (default 10,000, 30,000 and the whole (capped) collection). */
  sizes?: number[];
  heapMB?: number;
}

const pct = (x: number) => `${fmt(x, 2)}x`;
const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x < 10 ? fmt(x, 3) : fmt(x, 1));

function goal(ok: boolean | null): string {
  return ok === null ? 'n/a' : ok ? 'MET' : 'NOT MET';
}

export async function runScaleBench(opts: ScaleOptions): Promise<Record<string, unknown>> {
  const log = opts.log;
  const quick = opts.quick;
  const parts = opts.only && opts.only.length > 0 ? opts.only : ['main', 'growth', 'synthetic'];
  const timeoutMs = (opts.timeoutMin ?? 20) * 60_000;
  const rounds = opts.rounds ?? 2;
  const nQueries = opts.queries ?? (quick ? 200 : 500);
  const batch = opts.batch ?? 10_000;
  const heapMB = opts.heapMB ?? 12_288;
  const engines = opts.engines ?? [...ENGINES];
  const out: Record<string, unknown> = { parts, timeoutMin: timeoutMs / 60_000, rounds, queries: nQueries, batch, querySeed: QUERY_SEED, k: K };
  const t0 = performance.now();

  log(`# Scale benchmark: phago vs minisearch, one process per engine${quick ? ' (quick)' : ''}`);
  log(`node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; children: node --expose-gc --max-old-space-size=${heapMB}; timeout ${fmt(timeoutMs / 60000)} min per child`);

  const needReal = parts.includes('main') || parts.includes('growth');
  let docsPath = '';
  let total = 0;
  let cap = 0;
  if (needReal) {
    docsPath = await ensureCollection('wordnet', { log });
    const meta = readMeta(docsPath);
    total = meta?.count ?? countLines(docsPath);
    cap = Math.min(total, opts.docs ?? (quick ? 5000 : total));
    const src = meta?.source ?? {};
    log(`collection: wordnet, ${fmt(total)} documents (${String(src.package ?? '?')} ${String(src.version ?? '?')}), ${fmt((meta?.bytes ?? 0) / MB, 1)} MB JSONL at ${docsPath}; measuring up to ${fmt(cap)}`);
    out.collection = { name: 'wordnet', path: docsPath, documents: total, source: src, measured: cap };
  }
  log('');

  const tmp = mkdtempSync(join(tmpdir(), 'phago-scale-'));
  const runs = new Map<string, RunOutcome>();
  const queryFiles = new Map<number, { path: string; count: number; hash: string }>();
  const queriesFor = async (n: number) => {
    let q = queryFiles.get(n);
    if (!q) {
      const qs = await buildQueries(docsPath, n, nQueries, QUERY_SEED);
      const path = join(tmp, `queries-${n}.json`);
      writeFileSync(path, JSON.stringify(qs));
      q = { path, count: qs.length, hash: hashOf(qs) };
      queryFiles.set(n, q);
    }
    return q;
  };
  const real = async (engine: EngineName, n: number, rep = 0): Promise<RunOutcome> => {
    const key = `${engine}@${n}#${rep}`;
    let r = runs.get(key);
    if (!r) {
      const q = await queriesFor(n);
      const label = `${engine} ${fmt(n)} docs${rep > 0 ? ` (repeat ${rep + 1})` : ''}`;
      process.stderr.write(`scale: running ${label}\n`);
      r = await spawnChild(
        { engine, size: n, label, timeoutMs, args: ['--docs', docsPath, '--limit', String(n), '--queries', q.path, '--batch', String(batch), '--rounds', String(rounds), '--mode', 'end'] },
        heapMB,
      );
      if (r.error) process.stderr.write(`scale: ${r.error}\n`);
      runs.set(key, r);
    }
    return r;
  };

  try {
    if (parts.includes('main')) out.main = await mainPart(cap, engines, real, queriesFor, rounds, opts.repeat ?? 1, log);
    if (parts.includes('growth')) {
      const sizes = (opts.sizes ?? (quick ? [1000, 2500, cap] : [10_000, 30_000, cap])).filter((s) => s > 0 && s <= cap);
      out.growth = await growthPart([...new Set(sizes)].sort((a, b) => a - b), engines.filter((e) => e !== 'phago-plain'), real, log);
    }
    if (parts.includes('synthetic')) {
      const n = opts.synthetic ?? (quick ? 5_000 : 1_000_000);
      out.synthetic = await syntheticPart(n, opts.syntheticMode ?? 'interleaved', batch, timeoutMs, heapMB, log);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  out.totalMs = performance.now() - t0;
  log(`scale bench finished in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  return out;
}

type RealRun = (engine: EngineName, n: number, rep?: number) => Promise<RunOutcome>;

function failureLine(r: RunOutcome): string {
  const est = r.estimatedBuildMs !== null ? ` (linear estimate of its ingest+digest: ${fmt(r.estimatedBuildMs / 1000)} s)` : '';
  return `!! ${r.error}${est}`;
}

async function mainPart(
  n: number,
  engines: EngineName[],
  real: RealRun,
  queriesFor: (n: number) => Promise<{ count: number; hash: string }>,
  rounds: number,
  repeat: number,
  log: (l: string) => void,
): Promise<Record<string, unknown>> {
  const q = await queriesFor(n);
  log(`## Main: wordnet, ${fmt(n)} documents, one child per engine${repeat > 1 ? `, every engine built ${repeat} times, alternating` : ''}`);
  log(`ingest in batches, then tick('digest') until every document is digested (phago); queries: ${q.count} (seed ${QUERY_SEED}, hash ${q.hash}) x ${rounds} rounds, k = ${K}`);
  log('');
  // the engines alternate, so that a drift of the machine's speed falls on all of them alike
  const sets: Partial<Record<EngineName, RunOutcome>>[] = [];
  for (let r = 0; r < repeat; r++) {
    const outcomes: Partial<Record<EngineName, RunOutcome>> = {};
    for (const e of (['minisearch', 'phago-plain', 'phago'] as const).filter((x) => engines.includes(x))) outcomes[e] = await real(e, n, r);
    sets.push(outcomes);
  }
  const rows: string[][] = [];
  for (const [r, outcomes] of sets.entries())
    for (const e of ENGINES) {
      const o = outcomes[e];
      if (!o) continue;
      const name = repeat > 1 ? `${e} #${r + 1}` : e;
      const res = o.result;
      if (!res) {
        rows.push([name, ...new Array<string>(13).fill('-')]);
        continue;
      }
      rows.push([
        name,
        fmt(res.ingestMs / 1000, 2),
        fmt(res.digestMs / 1000, 2),
        fmt(res.buildMs / 1000, 2),
        fmt(res.docsPerSec),
        fmt((res.heapAfter - res.heapBaseline) / MB, 1),
        fmt(res.heapPerDoc),
        fmt((res.rssAfter - res.rssBaseline) / MB, 1),
        fmt(res.rssPerDoc),
        fmt(res.maxRss / MB),
        `${ms(res.docQuery?.p50)} / ${ms(res.docQuery?.p99)}`,
        res.conceptQuery ? `${ms(res.conceptQuery.p50)} / ${ms(res.conceptQuery.p99)}` : '',
        res.stats && 'nodes' in res.stats ? `${fmt(Number(res.stats.nodes))} / ${fmt(Number(res.stats.edges))}` : '',
        fmt(res.load1, 1),
      ]);
    }
  for (const l of table(
    ['engine', 'ingest s', 'digest s', 'total s', 'docs/s', 'heap MB', 'heap B/doc', 'RSS MB', 'RSS B/doc', 'peak RSS MB', 'doc query p50 / p99 ms', 'concept p50 / p99 ms', 'nodes / edges', 'load'],
    rows,
  ))
    log(l);
  log('(heap/RSS = after 2x global.gc() minus the child\'s baseline before the first document; docs/s = documents / (ingest + digest) engine time;');
  log(` minisearch: search(q) returns every match, ranked; phago: searchDocuments(q, 10), searchConcepts(q, 10); load = 1-min load average at the end of the build, ${cpus().length} cores)`);
  for (const outcomes of sets) for (const o of Object.values(outcomes)) if (o && !o.result) log(failureLine(o));
  log('');

  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !(b > 0) ? NaN : a / b);
  /** One set's ratios (phago against minisearch and against phago-plain built next to it). */
  const ratiosOf = (outcomes: Partial<Record<EngineName, RunOutcome>>) => {
    const p = outcomes.phago?.result ?? null;
    const pl = outcomes['phago-plain']?.result ?? null;
    const mi = outcomes.minisearch?.result ?? null;
    return {
      throughputVsMinisearch: ratio(p?.docsPerSec, mi?.docsPerSec),
      heapVsMinisearch: ratio(p?.heapPerDoc, mi?.heapPerDoc),
      rssVsMinisearch: ratio(p?.rssPerDoc, mi?.rssPerDoc),
      p99VsPlain: ratio(p?.docQuery?.p99, pl?.docQuery?.p99),
      p99Ms: p?.docQuery?.p99 ?? NaN,
      throughputVsPlain: ratio(p?.docsPerSec, pl?.docsPerSec),
      heapVsPlain: ratio(p?.heapPerDoc, pl?.heapPerDoc),
      rssVsPlain: ratio(p?.rssPerDoc, pl?.rssPerDoc),
      p99VsMinisearch: ratio(p?.docQuery?.p99, mi?.docQuery?.p99),
      plainP99VsMinisearch: ratio(pl?.docQuery?.p99, mi?.docQuery?.p99),
      docsPerSec: p?.docsPerSec ?? NaN,
      heapPerDoc: p?.heapPerDoc ?? NaN,
      rssPerDoc: p?.rssPerDoc ?? NaN,
    };
  };
  const perSet = sets.map(ratiosOf);
  const medianOf = (xs: number[]) => {
    const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
    return v.length === 0 ? NaN : v.length % 2 ? v[(v.length - 1) >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  type Ratios = ReturnType<typeof ratiosOf>;
  const goals = Object.fromEntries(Object.keys(perSet[0]).map((k) => [k, medianOf(perSet.map((x) => x[k as keyof Ratios]))])) as Ratios;
  const met = (x: number, ok: (x: number) => boolean) => (Number.isFinite(x) ? ok(x) : null);
  const verdicts = {
    throughput: met(goals.throughputVsMinisearch, (x) => x >= 0.5),
    heap: met(goals.heapVsMinisearch, (x) => x <= 1),
    rss: met(goals.rssVsMinisearch, (x) => x <= 1),
    p99Ratio: met(goals.p99VsPlain, (x) => x <= 2),
    p99Ms: met(goals.p99Ms, (x) => x <= 10),
  };
  const each = (k: keyof Ratios) => (repeat > 1 ? ` (${perSet.map((x) => pct(x[k])).join(', ')})` : '');
  log(`### phago against minisearch and against phago-plain (the plain BM25 core), and the goals${repeat > 1 ? `: medians over the ${repeat} sets, each set's in parentheses` : ''}`);
  for (const l of table(
    ['measure (phago)', 'phago', 'vs minisearch', 'vs phago-plain', 'goal', 'status'],
    [
      ['ingest+digest docs/s', fmt(goals.docsPerSec), pct(goals.throughputVsMinisearch) + each('throughputVsMinisearch'), pct(goals.throughputVsPlain), '>= 0.5x minisearch', goal(verdicts.throughput)],
      ['heap bytes/doc', fmt(goals.heapPerDoc), pct(goals.heapVsMinisearch) + each('heapVsMinisearch'), pct(goals.heapVsPlain), '<= 1x minisearch', goal(verdicts.heap)],
      ['RSS bytes/doc', fmt(goals.rssPerDoc), pct(goals.rssVsMinisearch) + each('rssVsMinisearch'), pct(goals.rssVsPlain), '<= 1x minisearch', goal(verdicts.rss)],
      ['doc query p99 ms', ms(goals.p99Ms), pct(goals.p99VsMinisearch), pct(goals.p99VsPlain) + each('p99VsPlain'), '<= 2x phago-plain', goal(verdicts.p99Ratio)],
      ['doc query p99 ms', ms(goals.p99Ms), '', '', '<= 10 ms', goal(verdicts.p99Ms)],
    ],
  ))
    log(l);
  log('');
  return { documents: n, queries: q, outcomes: sets[0], sets, ratios: goals, ratiosPerSet: perSet, goals: verdicts };
}

async function growthPart(sizes: number[], engines: EngineName[], real: RealRun, log: (l: string) => void): Promise<Record<string, unknown>> {
  log(`## Growth: wordnet prefixes of ${sizes.map((s) => fmt(s)).join(', ')} documents (a child per engine and size)`);
  const points: Record<string, unknown>[] = [];
  const rows: string[][] = [];
  const failures: string[] = [];
  for (const size of sizes) {
    const point: Record<string, unknown> = { size };
    for (const e of engines) {
      const o = await real(e, size);
      point[e] = o.result
        ? { buildMs: o.result.buildMs, usPerDoc: (o.result.buildMs * 1000) / size, heapPerDoc: o.result.heapPerDoc, rssPerDoc: o.result.rssPerDoc, maxRss: o.result.maxRss, docP99Ms: o.result.docQuery?.p99 ?? null }
        : { error: o.error, estimatedBuildMs: o.estimatedBuildMs };
      if (!o.result) failures.push(failureLine(o));
      const r = o.result;
      rows.push(
        r
          ? [fmt(size), e, fmt(r.buildMs / 1000, 2), fmt((r.buildMs * 1000) / size, 1), fmt(r.heapPerDoc), fmt(r.rssPerDoc), fmt(r.maxRss / MB), ms(r.docQuery?.p50), ms(r.docQuery?.p99), fmt(r.load1, 1)]
          : [fmt(size), e, o.estimatedBuildMs !== null ? `~${fmt(o.estimatedBuildMs / 1000)} (est.)` : '-', '-', '-', '-', '-', '-', '-', '-'],
      );
    }
    points.push(point);
  }
  for (const l of table(['docs', 'engine', 'ingest+digest s', 'us/doc', 'heap B/doc', 'RSS B/doc', 'peak RSS MB', 'query p50 ms', 'query p99 ms', 'load'], rows)) log(l);
  for (const f of failures) log(f);
  log('');
  return { sizes, points };
}

async function syntheticPart(n: number, mode: 'interleaved' | 'end', batch: number, timeoutMs: number, heapMB: number, log: (l: string) => void): Promise<Record<string, unknown>> {
  log(`## Synthetic: phago alone on synthetic(${fmt(n)}, seed ${DEFAULT_SYNTHETIC_SEED}) (Zipfian, 200,000 pseudo-words, s = 1.0, 30..90 words + 2..5 title words)`);
  log(
    mode === 'interleaved'
      ? `documents generated inside the child and streamed in batches of ${fmt(batch)}: ingest a batch, then tick('digest') (interleaved), until all are digested`
      : `documents generated inside the child and streamed in batches of ${fmt(batch)}: all ingested, then tick('digest') once at the end`,
  );
  const label = `phago synthetic ${fmt(n)}`;
  process.stderr.write(`scale: running ${label}\n`);
  const o = await spawnChild(
    { engine: 'phago', size: n, label, timeoutMs, args: ['--synthetic', String(n), '--seed', String(DEFAULT_SYNTHETIC_SEED), '--batch', String(batch), '--rounds', '2', '--mode', mode] },
    heapMB,
  );
  if (o.error) process.stderr.write(`scale: ${o.error}\n`);
  const r = o.result;
  const peak = r?.maxRss ?? o.lastProgress?.maxRss ?? NaN;
  // a run that did not finish decides the goal only when it already went over it
  const rssOk = Number.isFinite(peak) ? (peak > 4 * GB ? false : r ? true : null) : null;
  const lp = o.lastProgress;
  const rssExtrapolated = !r && lp && lp.docs > 0 ? (lp.maxRss * n) / lp.docs : null;
  if (r) {
    for (const l of table(
      ['', 'value'],
      [
        ['documents', fmt(r.docs)],
        ['ingest s', fmt(r.ingestMs / 1000, 1)],
        ['digest s', fmt(r.digestMs / 1000, 1)],
        ['ingest + digest s', fmt(r.buildMs / 1000, 1)],
        ['wall s (incl. generation)', fmt(r.wallMs / 1000, 1)],
        ['us/doc', fmt((r.buildMs * 1000) / r.docs, 1)],
        ['docs/s', fmt(r.docsPerSec)],
        ['ticks', fmt(r.ticks)],
        ['nodes / edges', r.stats ? `${fmt(Number(r.stats.nodes))} / ${fmt(Number(r.stats.edges))}` : '-'],
        ['heap after GC MB', fmt(r.heapAfter / MB)],
        ['peak RSS MB (maxRSS)', fmt(peak / MB)],
        ['load (1-min average at the end)', fmt(r.load1, 1)],
        ['doc query p50 / p99 ms', `${ms(r.docQuery?.p50)} / ${ms(r.docQuery?.p99)} (${r.queries} queries x ${r.rounds})`],
        ['concept query p50 / p99 ms', `${ms(r.conceptQuery?.p50)} / ${ms(r.conceptQuery?.p99)}`],
      ],
    ))
      log(l);
  } else {
    log(failureLine(o));
    const p = o.lastProgress;
    if (p)
      log(
        `last progress: ${p.phase}, ${fmt(p.docs)} docs ingested, ~${fmt(p.digested)} digested, ingest ${fmt(p.ingestMs / 1000, 1)} s + digest ${fmt(p.digestMs / 1000, 1)} s ` +
          `(${fmt(((p.ingestMs + p.digestMs) * 1000) / Math.max(1, p.digested), 1)} us/doc so far), peak RSS ${fmt(p.maxRss / MB)} MB`,
      );
  }
  if (o.checkpoints.length > 1) {
    const cps = o.checkpoints;
    const step = Math.max(1, Math.ceil(cps.length / 12));
    const rows: string[][] = [];
    for (let i = 0; i < cps.length; i++) {
      if (i % step !== step - 1 && i !== cps.length - 1) continue;
      const c = cps[i];
      const prev = i > 0 ? cps[i - 1] : null;
      const dt = c.ingestMs + c.digestMs - (prev ? prev.ingestMs + prev.digestMs : 0);
      const dn = c.docs - (prev?.docs ?? 0);
      rows.push([fmt(c.docs), fmt((c.ingestMs + c.digestMs) / 1000, 1), fmt(((c.ingestMs + c.digestMs) * 1000) / c.docs, 1), fmt((dt * 1000) / dn, 1), fmt(c.rss / MB), fmt(c.maxRss / MB)]);
    }
    log('progress (every batch ingested and digested):');
    for (const l of table(['docs', 'ingest+digest s', 'us/doc so far', 'us/doc this batch', 'RSS MB', 'peak RSS MB'], rows)) log(l);
  }
  log(
    `goal peak RSS <= 4 GB: ${goal(rssOk)}` +
      (r || !lp ? '' : ` (did not finish: peak ${fmt(peak / MB)} MB at ${fmt(lp.docs)} docs; linear extrapolation to ${fmt(n)} docs: ${fmt((rssExtrapolated ?? NaN) / GB, 1)} GB)`),
  );
  log('');
  return { n, seed: DEFAULT_SYNTHETIC_SEED, mode, batch, outcome: o, peakRss: peak, peakRssExtrapolated: rssExtrapolated, goals: { rss: rssOk } };
}

// ---- CLI ----------------------------------------------------------------------------------------

const USAGE =
  'usage: node --expose-gc dist/bench/scale-bench.js [--docs N] [--quick] [--only main|growth|synthetic] [--synthetic N] [--json]\n' +
  '       [--timeout-min M] [--rounds R] [--repeat K] [--queries Q] [--batch B] [--engines a,b] [--sizes a,b,c] [--synthetic-mode interleaved|end] [--heap-mb MB]';

function parseArgs(argv: string[]): { opts: Omit<ScaleOptions, 'log'>; json: boolean } {
  const opts: Omit<ScaleOptions, 'log'> = { quick: false };
  let json = false;
  const only: ('main' | 'growth' | 'synthetic')[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const int = () => {
      const v = Number(val());
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${a} needs a positive integer\n${USAGE}`);
      return v;
    };
    if (a === '--quick') opts.quick = true;
    else if (a === '--json') json = true;
    else if (a === '--docs') opts.docs = int();
    else if (a === '--synthetic') opts.synthetic = int();
    else if (a === '--timeout-min') opts.timeoutMin = Number(val());
    else if (a === '--rounds') opts.rounds = int();
    else if (a === '--repeat') opts.repeat = int();
    else if (a === '--queries') opts.queries = int();
    else if (a === '--batch') opts.batch = int();
    else if (a === '--heap-mb') opts.heapMB = int();
    else if (a === '--synthetic-mode') {
      const v = val();
      if (v !== 'interleaved' && v !== 'end') throw new Error('--synthetic-mode is interleaved or end');
      opts.syntheticMode = v;
    } else if (a === '--sizes') opts.sizes = val().split(',').map(Number);
    else if (a === '--engines') {
      const es = val().split(',');
      for (const e of es) if (!(ENGINES as readonly string[]).includes(e)) throw new Error(`unknown engine "${e}" (known: ${ENGINES.join(', ')})`);
      opts.engines = es as EngineName[];
    } else if (a === '--only') {
      for (const p of val().split(',')) {
        if (p !== 'main' && p !== 'growth' && p !== 'synthetic') throw new Error(`--only is main, growth or synthetic\n${USAGE}`);
        only.push(p);
      }
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  // `--synthetic N` alone means: the synthetic run only
  if (only.length === 0 && opts.synthetic !== undefined) only.push('synthetic');
  if (only.length > 0) opts.only = only;
  return { opts, json };
}

async function cli(argv: string[]): Promise<number> {
  if (argv[0] === '--child') {
    const result = await runChild(parseChildArgs(argv));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const { opts, json } = parseArgs(argv);
  const log = (l: string) => process.stdout.write(`${l}\n`);
  const out = await runScaleBench({ ...opts, log });
  if (json) process.stdout.write(`${JSON.stringify({ node: process.version, platform: `${process.platform}/${process.arch}`, ...out })}\n`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === THIS_FILE) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`scale-bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Micro-benchmark of InvertedIndex.topK (MaxScore) against the brute-force reference (every posting
 * of every query term scored, over the same compact index) and the existing bm25Search over a
 * Map-based index phago used before (test/simple-index.ts), plus the index's memory. Not a test.
 *
 *   npx tsc -p . && node --expose-gc dist/bench/topk-bench.js [--docs 100000] [--queries 1000] [--slow 1000] [--check 200] [--seed 42]
 *
 * topK is timed on all queries for k=10 and 100, with and without coordination; the two slow
 * baselines on the first --slow queries for k=10 with coordination (the engine's default); the
 * results of topK are checked against bm25Search on the first --check queries of each setting.
 * The brute force runs before the Map-based index exists (its large heap slows every GC).
 *
 * Corpus: synthetic documents of 40–80 (mean 60) Zipf(1.0) draws over a 50,000-word vocabulary.
 * Queries: 2–5 original terms (Zipf draws, weight 1) plus 3 expansion terms (weight 0.05–0.3).
 */
import assert from 'node:assert/strict';
import { SimpleIndex } from '../test/simple-index.js';
import { documentIdOf } from '../src/ids/ids.js';
import { InvertedIndex, type TopKQueryTerm, type TopKTrace } from '../src/search/inverted-index.js';
import { Prng } from '../src/util/prng.js';
import { referenceTopK, synthDoc, word, Zipf } from '../test/inverted-index-reference.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const DOCS = arg('docs', 100_000);
const QUERIES = arg('queries', 1000);
const SEED = arg('seed', 42);
const SLOW = arg('slow', QUERIES);
const CHECK = arg('check', 200);
const VOCAB = 50_000;

const gc = (globalThis as { gc?: () => void }).gc;
function mem(): { heap: number; buffers: number } {
  if (gc) for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

function* corpus(seed: number): Generator<{ terms: { term: string; tf: number }[]; length: number }> {
  const rng = new Prng(seed);
  const z = new Zipf(VOCAB, 1.0, rng);
  for (let i = 0; i < DOCS; i++) yield synthDoc(z, 40 + rng.int(41));
}

const ids: string[] = [];
for (let n = 0; n < DOCS; n++) ids.push(documentIdOf(`bench-${n}`));
const idOf = (n: number) => ids[n];

// ---- memory of the index alone (documents generated and dropped one by one) ----------------
if (!gc) console.log('(run with node --expose-gc for memory figures)');
const before = mem();
const t0 = performance.now();
const index = new InvertedIndex();
let postings = 0;
{
  let n = 0;
  for (const d of corpus(SEED)) {
    index.add(n++, d.terms, d.length);
    postings += d.terms.length;
  }
}
const buildMs = performance.now() - t0;
const after = mem();
const heapIdx = after.heap - before.heap;
const bufIdx = after.buffers - before.buffers;
console.log(`InvertedIndex: ${DOCS} docs, ${postings} postings, ${index.termCount} terms, built in ${buildMs.toFixed(0)} ms`);
console.log(`  heapUsed +${mb(heapIdx)} (${(heapIdx / DOCS).toFixed(1)} B/doc; term strings and Map), arrayBuffers +${mb(bufIdx)} (${(bufIdx / DOCS).toFixed(1)} B/doc)`);
console.log(`  total ${mb(heapIdx + bufIdx)} = ${((heapIdx + bufIdx) / DOCS).toFixed(1)} B/doc, ${((heapIdx + bufIdx) / postings).toFixed(2)} B/posting; typed arrays ${mb(index.byteLength)}`);

{
  const m = mem();
  index.trim();
  const t = mem();
  console.log(`  after trim(): arrayBuffers ${mb(t.buffers - before.buffers)} (${((t.buffers - before.buffers) / DOCS).toFixed(1)} B/doc), total ${(((t.heap - before.heap) + (t.buffers - before.buffers)) / DOCS).toFixed(1)} B/doc, ${(((t.heap - before.heap) + (t.buffers - before.buffers)) / postings).toFixed(2)} B/posting (was ${mb(m.buffers - before.buffers)})`);
}

// ---- queries ----------------------------------------------------------------------------------
const qrng = new Prng(SEED + 1);
const qz = new Zipf(VOCAB, 1.0, qrng);
const queries: TopKQueryTerm[][] = [];
for (let i = 0; i < QUERIES; i++) {
  const q: TopKQueryTerm[] = [];
  for (let j = 2 + qrng.int(4); j > 0; j--) q.push({ term: word(qz.next()), weight: 1, original: true });
  for (let j = 0; j < 3; j++) q.push({ term: word(qz.next()), weight: 0.05 + 0.25 * qrng.next(), original: false });
  queries.push(q);
}
const stats = index.localStats();

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function time(label: string, qs: TopKQueryTerm[][], fn: (q: TopKQueryTerm[]) => unknown): number[] {
  for (let i = 0; i < Math.min(20, qs.length); i++) fn(qs[i]); // warm-up
  const ms: number[] = [];
  for (const q of qs) {
    const t = process.hrtime.bigint();
    fn(q);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  console.log(`  ${label.padEnd(44)} p50 ${pct(ms, 50).toFixed(3).padStart(9)} ms   p99 ${pct(ms, 99).toFixed(3).padStart(9)} ms   mean ${mean.toFixed(3).padStart(9)} ms   (${qs.length} queries)`);
  return ms;
}

const SETTINGS = [
  [10, true],
  [10, false],
  [100, true],
  [100, false],
] as const;

for (const [k, coordination] of SETTINGS) {
  const trace: TopKTrace = { candidates: 0, scored: 0, skips: 0 };
  let touched = 0;
  for (const q of queries) {
    index.topK(q, stats, k, { coordination, trace }, idOf);
    for (const t of q) touched += index.df(t.term);
  }
  console.log(`\nk=${k} coordination=${coordination}: postings of the query terms ${(touched / QUERIES).toFixed(0)}/query, range skips ${(trace.skips / QUERIES).toFixed(0)}/query, candidates ${(trace.candidates / QUERIES).toFixed(0)}/query, fully scored ${(trace.scored / QUERIES).toFixed(0)}/query`);
  time('InvertedIndex.topK (MaxScore)', queries, (q) => index.topK(q, stats, k, { coordination }, idOf));
}

const slowQs = queries.slice(0, SLOW);
console.log(`\nbaselines, k=10 coordination=true:`);
const main = time('InvertedIndex.topK (same queries)', slowQs, (q) => index.topK(q, stats, 10, { coordination: true }, idOf));
const brute = time('brute-force reference over the same index', slowQs, (q) => referenceTopK(index, q, stats, 10, { coordination: true }, idOf));

// ---- the Map-based index with the same documents ----------------------------------------------
const before2 = mem();
let t1 = performance.now();
const store = new SimpleIndex();
{
  let n = 0;
  for (const d of corpus(SEED)) store.add(n++, d.terms, d.length);
}
const storeMs = performance.now() - t1;
const storeStats = { documents: store.documents, totalLength: store.totalLength, df: (t: string) => store.df(t) };
const after2 = mem();
const heapStore = after2.heap - before2.heap;
console.log(`\nMap-based index (the one phago used before): heapUsed +${mb(heapStore)} (${(heapStore / DOCS).toFixed(0)} B/doc), built in ${storeMs.toFixed(0)} ms`);
assert.equal(store.documents, index.documents);
assert.equal(store.totalLength, index.totalLength);

for (const [k, coordination] of SETTINGS) {
  for (const q of queries.slice(0, CHECK)) {
    const got = index.topK(q, stats, k, { coordination }, idOf).map((h) => ({ id: idOf(h.doc), score: h.score }));
    const want = store.topK(q, storeStats, k, { coordination }, idOf).map((h) => ({ id: idOf(h.doc), score: h.score }));
    assert.deepStrictEqual(got, want);
  }
}
console.log(`topK results identical (ids, order, scores ===) to the Map-based index on the first ${Math.min(CHECK, QUERIES)} queries of each setting`);
const old = time('Map-based brute force (before)', slowQs, (q) => store.topK(q, storeStats, 10, { coordination: true }, idOf));
console.log(`\nspeed-up of topK, k=10 coordination=true: p50 ${(pct(brute, 50) / pct(main, 50)).toFixed(0)}x vs brute force, ${(pct(old, 50) / pct(main, 50)).toFixed(0)}x vs the Map-based index; p99 ${(pct(brute, 99) / pct(main, 99)).toFixed(0)}x, ${(pct(old, 99) / pct(main, 99)).toFixed(0)}x`);


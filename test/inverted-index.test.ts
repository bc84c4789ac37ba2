import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimpleIndex } from './simple-index.js';
import { documentIdOf } from '../src/ids/ids.js';
import { InvertedIndex, type TopKQueryTerm, type TopKStats, type TopKTrace } from '../src/search/inverted-index.js';
import { Prng } from '../src/util/prng.js';
import { MapIndex, referenceTopK, synthDoc, word, Zipf } from './inverted-index-reference.js';

export { referenceTopK } from './inverted-index-reference.js';

const VOCAB = 3000;
const idCache = new Map<number, string>();
/** Document ids unrelated to document numbers, so the id tie-break is exercised for real. */
const idOf = (doc: number): string => {
  let id = idCache.get(doc);
  if (id === undefined) idCache.set(doc, (id = documentIdOf(`doc-${doc}`)));
  return id;
};

interface Corpus {
  index: InvertedIndex;
  model: MapIndex;
  next: number;
  rng: Prng;
  zipf: Zipf;
}

function corpus(seed: number): Corpus {
  const rng = new Prng(seed);
  return { index: new InvertedIndex(), model: new MapIndex(), next: 0, rng, zipf: new Zipf(VOCAB, 1.07, rng) };
}

/** Add n synthetic documents: Zipfian words, some very large tfs (≥ 255), some identical twins (score ties). */
function addDocs(c: Corpus, n: number): void {
  let twin: { terms: { term: string; tf: number }[]; length: number } | undefined;
  for (let i = 0; i < n; i++) {
    let d = synthDoc(c.zipf, 5 + c.rng.int(110));
    if (c.rng.next() < 0.01) {
      const term = word(c.zipf.next());
      const tf = 255 + c.rng.int(300);
      const terms = d.terms.filter((t) => t.term !== term);
      terms.push({ term, tf });
      d = { terms, length: terms.reduce((s, t) => s + t.tf, 0) };
    }
    if (c.rng.next() < 0.03) d = twin ??= d; // identical documents → equal scores
    const doc = c.next;
    c.next += 1 + (c.rng.next() < 0.05 ? c.rng.int(3) : 0); // occasional gaps in numbering
    c.index.add(doc, d.terms, d.length);
    c.model.add(doc, d.terms, d.length);
  }
}

type StatsKind = 'local' | 'global' | 'inconsistent';

function statsOf(c: Corpus, kind: StatsKind): TopKStats {
  const m = c.model;
  if (kind === 'local') return { documents: m.documents, totalLength: m.totalLength, df: (t) => m.df(t) };
  const h = (t: string) => [...t].reduce((s, ch) => (s * 31 + ch.charCodeAt(0)) >>> 0, 7) % 5;
  if (kind === 'global') return { documents: m.documents * 4 + 13, totalLength: m.totalLength * 3.7 + 5, df: (t) => m.df(t) * 4 + h(t) };
  // df above N for some terms: negative idf, negative contributions
  const N = m.documents + 1;
  return { documents: N, totalLength: m.totalLength * 0.8, df: (t) => (h(t) === 0 ? N + 10 : m.df(t)) };
}

function randomQuery(c: Corpus, opts: { expansion: boolean; oddWeights: boolean }): TopKQueryTerm[] {
  const r = c.rng;
  const q: TopKQueryTerm[] = [];
  const n = 1 + r.int(5);
  for (let i = 0; i < n; i++) {
    const x = r.next();
    if (x < 0.08) q.push({ term: `absent${r.int(10)}`, weight: 1, original: true });
    else if (x < 0.16 && q.length > 0) q.push({ ...q[r.int(q.length)] }); // duplicate occurrence
    else q.push({ term: word(r.next() < 0.5 ? r.int(40) : c.zipf.next()), weight: 1, original: true });
  }
  if (opts.expansion) {
    const e = r.int(4);
    for (let i = 0; i < e; i++) q.push({ term: word(c.zipf.next()), weight: 0.05 + 0.25 * r.next(), original: false });
  }
  if (opts.oddWeights) {
    const x = r.next();
    if (x < 0.3) q.push({ term: word(r.int(50)), weight: 0, original: r.next() < 0.5 });
    else if (x < 0.6) q.push({ term: word(r.int(200)), weight: -0.3 * r.next(), original: false });
    else if (x < 0.7) q.push({ term: word(r.int(200)), weight: -0, original: true });
  }
  // shuffle so expansion terms are not always last
  if (r.next() < 0.3) {
    for (let i = q.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [q[i], q[j]] = [q[j], q[i]];
    }
  }
  return q;
}

/** Compare topK with the brute-force reference on many random queries; returns the pruning trace. */
function compareMany(c: Corpus, queries: number, kinds: StatsKind[] = ['local', 'global', 'inconsistent']): TopKTrace & { matching: number } {
  const trace: TopKTrace = { candidates: 0, scored: 0, skips: 0 };
  let matching = 0;
  for (let i = 0; i < queries; i++) {
    const kind = kinds[i % kinds.length];
    const stats = statsOf(c, kind);
    const q = randomQuery(c, { expansion: i % 3 !== 0, oddWeights: i % 5 === 0 });
    for (const k of [1, 5, 10, 100]) {
      for (const coordination of [false, true]) {
        const got = c.index.topK(q, stats, k, { coordination, trace }, idOf);
        const want = referenceTopK(c.model, q, stats, k, { coordination }, idOf);
        assert.deepStrictEqual(got, want, `query ${JSON.stringify(q)} k=${k} coordination=${coordination} stats=${kind}`);
      }
    }
    matching += referenceTopK(c.model, q, stats, Infinity, {}, idOf).length * 8;
  }
  return { ...trace, matching };
}

function checkStats(c: Corpus): void {
  const { index, model } = c;
  index.checkInvariants();
  assert.equal(index.documents, model.documents);
  assert.equal(index.totalLength, model.totalLength);
  assert.deepEqual([...index.terms()].sort(), [...model.postings.keys()].sort());
  assert.equal(index.termCount, model.postings.size);
  for (let r = 0; r < VOCAB; r++) assert.equal(index.df(word(r)), model.df(word(r)), word(r));
  for (const [doc, len] of model.lengths) assert.equal(index.lengthOf(doc), len);
}

test('topK equals the brute-force reference (seeded random corpora and queries)', () => {
  const c = corpus(1234);
  addDocs(c, 3000);
  checkStats(c);
  const t = compareMany(c, 300);
  // MaxScore must actually skip work: far fewer full scores than matching documents.
  assert.ok(t.scored < t.matching * 0.5, `scored ${t.scored} of ${t.matching} matching`);
});

test('topK equals the reference after random removals (hinted, unhinted, batched) and re-adding', () => {
  const c = corpus(99);
  addDocs(c, 3000);
  const docs = [...c.model.lengths.keys()];
  let mode = 0;
  for (const d of docs) {
    if (c.rng.next() >= 0.35) continue;
    const terms = c.model.termsOf.get(d)!;
    if (mode++ % 2 === 0) assert.equal(c.index.remove(d, terms), true);
    else assert.equal(c.index.remove(d), true);
    c.model.remove(d);
    assert.equal(c.index.remove(d), false);
  }
  checkStats(c);
  compareMany(c, 120);

  const batch = [...c.model.lengths.keys()].filter(() => c.rng.next() < 0.3);
  assert.equal(c.index.removeMany([...batch, batch[0], -1, 10 ** 9]), batch.length);
  for (const d of batch) c.model.remove(d);
  checkStats(c);
  compareMany(c, 120);

  addDocs(c, 800);
  checkStats(c);
  compareMany(c, 120);

  // Remove almost everything: lists compact and empty lists are freed.
  for (const d of [...c.model.lengths.keys()]) {
    if (c.rng.next() < 0.95) {
      c.index.remove(d, c.rng.next() < 0.5 ? c.model.termsOf.get(d) : undefined);
      c.model.remove(d);
    }
  }
  checkStats(c);
  compareMany(c, 120);
  c.index.trim();
  checkStats(c);
  compareMany(c, 60);
  addDocs(c, 1500); // lists grow again from their trimmed capacities
  checkStats(c);
  compareMany(c, 120);
});

test('score ties: identical documents are ordered by id, also at the k-th place', () => {
  const index = new InvertedIndex();
  const model = new MapIndex();
  for (let d = 0; d < 200; d++) {
    const terms = d % 2 ? [{ term: 'a', tf: 1 }, { term: 'b', tf: 2 }] : [{ term: 'a', tf: 1 }];
    index.add(d, terms, 5);
    model.add(d, terms, 5);
  }
  const stats = index.localStats();
  for (const q of [[{ term: 'a', weight: 1, original: true }], [{ term: 'a', weight: 1, original: true }, { term: 'b', weight: 0.1, original: false }]]) {
    for (const k of [1, 3, 50, 150, 1000]) {
      for (const coordination of [false, true]) assert.deepStrictEqual(index.topK(q, stats, k, { coordination }, idOf), referenceTopK(model, q, stats, k, { coordination }, idOf));
    }
  }
});

test('topK equals the Map-based brute-force index phago used before, holding the same documents', () => {
  const rng = new Prng(7);
  const zipf = new Zipf(VOCAB, 1.07, rng);
  const store = new SimpleIndex();
  const index = new InvertedIndex();
  const recs: { id: string; terms: { term: string; tf: number }[] }[] = [];
  for (let n = 0; n < 2500; n++) {
    const d = synthDoc(zipf, 5 + rng.int(100));
    const id = documentIdOf(`store-${n}`);
    const rec = { id, terms: d.terms };
    store.add(n, rec.terms, d.length);
    index.add(n, rec.terms, d.length);
    recs.push(rec);
  }
  const storeId = (n: number) => recs[n].id;
  const check = (queries: number) => {
    for (let i = 0; i < queries; i++) {
      const q: TopKQueryTerm[] = [];
      for (let j = 1 + rng.int(4); j > 0; j--) q.push({ term: word(zipf.next()), weight: 1, original: true });
      for (let j = rng.int(4); j > 0; j--) q.push({ term: word(zipf.next()), weight: 0.05 + 0.25 * rng.next(), original: false });
      const local = { documents: store.documents, totalLength: store.totalLength, df: (t: string) => store.df(t) };
      const stats = i % 2 ? local : { documents: local.documents * 3 + 1, totalLength: local.totalLength * 2.5, df: (t: string) => local.df(t) * 3 + (t.length % 3) };
      assert.equal(index.documents, local.documents);
      assert.equal(index.totalLength, local.totalLength);
      for (const k of [1, 5, 10, 100]) {
        for (const coordination of [false, true]) {
          const want = store.topK(q, stats, k, { coordination }, storeId).map((h) => ({ id: storeId(h.doc), score: h.score }));
          const got = index.topK(q, stats, k, { coordination }, storeId).map((h) => ({ id: storeId(h.doc), score: h.score }));
          assert.deepStrictEqual(got, want);
        }
      }
    }
  };
  check(150);
  for (let n = 0; n < recs.length; n++) {
    if (rng.next() < 0.4) {
      store.remove(n);
      index.remove(n, recs[n].terms);
    }
  }
  for (const t of store.terms()) assert.equal(index.df(t), store.df(t));
  check(150);
});

test('edge cases: k, empty and absent queries, zero documents, duplicates, invalid input', () => {
  const index = new InvertedIndex();
  index.add(0, [{ term: 'x', tf: 1 }, { term: 'y', tf: 3 }], 4);
  index.add(1, [{ term: 'x', tf: 2 }], 2);
  index.add(5, [], 7); // a document without terms still counts
  const stats = index.localStats();
  assert.equal(index.documents, 3);
  assert.equal(index.totalLength, 13);
  const x = [{ term: 'x', weight: 1, original: true }];
  const ref = (q: TopKQueryTerm[], s: TopKStats, k: number) => referenceTopK(index, q, s, k, { coordination: true }, idOf);
  const top = (q: TopKQueryTerm[], s: TopKStats, k: number) => index.topK(q, s, k, { coordination: true }, idOf);
  for (const k of [0, -1, 0.5, 1, 1.7, 2, 3, Infinity, NaN]) assert.deepStrictEqual(top(x, stats, k), ref(x, stats, k), `k=${k}`);
  assert.deepStrictEqual(top([], stats, 5), []);
  assert.deepStrictEqual(top([{ term: 'nothere', weight: 1, original: true }], stats, 5), []);
  assert.deepStrictEqual(top(x, { documents: 0, totalLength: 0, df: () => 0 }, 5), []);
  assert.deepStrictEqual(top(x, { documents: 2, totalLength: 0, df: () => 1 }, 5), ref(x, { documents: 2, totalLength: 0, df: () => 1 }, 5)); // avgdl 0 → 1
  const dup = [...x, { term: 'y', weight: 0.2, original: false }, ...x, { term: 'nothere', weight: 1, original: true }];
  assert.deepStrictEqual(top(dup, stats, 5), ref(dup, stats, 5));
  const zero = [{ term: 'y', weight: 0, original: false }];
  assert.deepStrictEqual(top(zero, stats, 5), [{ doc: 0, score: 0 }]); // matched with a zero weight: returned, score 0
  const neg = [{ term: 'y', weight: -1, original: true }, { term: 'x', weight: 0.5, original: true }];
  assert.deepStrictEqual(top(neg, stats, 1), ref(neg, stats, 1));
  assert.deepStrictEqual(top(neg, stats, 5), ref(neg, stats, 5));

  assert.throws(() => top([{ term: 'x', weight: NaN }], stats, 5), RangeError);
  assert.throws(() => top([{ term: 'x', weight: Infinity }], stats, 5), RangeError);
  assert.throws(() => top(x, { documents: 3, totalLength: 13, df: () => NaN }, 5), RangeError);
  assert.throws(() => top(x, { documents: -1, totalLength: 13, df: () => 1 }, 5), RangeError);

  assert.throws(() => index.add(5, [{ term: 'x', tf: 1 }], 1), RangeError); // not increasing
  assert.throws(() => index.add(6, [{ term: 'z', tf: 1 }, { term: 'z', tf: 2 }], 3), RangeError); // duplicate term
  assert.throws(() => index.add(6, [{ term: 'z', tf: 0 }], 3), RangeError);
  assert.throws(() => index.add(6, [{ term: 'z', tf: 1 }], -1), RangeError);
  assert.equal(index.documents, 3);
  assert.equal(index.df('z'), 0);
  assert.deepEqual([...index.terms()].sort(), ['x', 'y']);
  index.add(6, [{ term: 'z', tf: 1 }], 3); // the failed adds left nothing behind
  assert.equal(index.df('z'), 1);

  assert.equal(index.remove(0), true);
  assert.equal(index.df('y'), 0);
  assert.equal(index.df('x'), 1);
  assert.deepEqual([...index.terms()].sort(), ['x', 'z']);
  assert.deepStrictEqual(top(x, index.localStats(), 5).map((h) => h.doc), [1]);
  assert.deepStrictEqual(top([{ term: 'y', weight: 1 }], index.localStats(), 5), []);
  assert.equal(index.remove(0), false);
  assert.equal(index.remove(3), false);
  assert.equal(index.remove(5), true);
  assert.equal(index.documents, 2);
  assert.equal(index.totalLength, 5);
});

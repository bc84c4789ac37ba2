import type { ColonyConfig } from '../src/core/config.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Colony } from '../src/colony/colony.js';
import { graphOf } from './graph-fixture.js';
import { nodeIdOf } from '../src/ids/ids.js';
import { bm25Search, mergeRanked, rankDocuments } from '../src/search/bm25.js';
import { conceptSearch } from '../src/search/concepts.js';
import { bridgeConcepts, centralConcepts, connectedComponents, neighbours, shortestPath } from '../src/search/structure.js';

const q = (...t: string[]) => t.map((term) => ({ term, weight: 1 }));

const stats = (c: Colony) => ({ documents: c.docs.index.documents, totalLength: c.docs.index.totalLength, df: (t: string) => c.docs.index.df(t) });

function small(config: Partial<ColonyConfig> = { stemming: 0 }): Colony {
  const c = new Colony(config);
  c.ingest({ id: 'd1', text: 'apple banana' });
  c.ingest({ id: 'd2', text: 'apple apple cherry' });
  c.ingest({ id: 'd3', text: 'cherry durian' });
  return c;
}

test('BM25 by hand (k1 1.2, b 0.75)', () => {
  const c = small({ stemming: 0, bm25B: 0.75, bm25K1: 1.2 });
  const hits = bm25Search(c.docs, stats(c), q('apple'), 10);
  const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
  const avg = 7 / 3;
  const s = (tf: number, dl: number) => (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * dl) / avg));
  assert.deepEqual(hits.map((h) => h.key), ['d2', 'd1']);
  assert.ok(Math.abs(hits[0].score - s(2, 3)) < 1e-12);
  assert.ok(Math.abs(hits[1].score - s(1, 2)) < 1e-12);
});

test('BM25 k1 from the config (default 1.5): the same scores by hand', () => {
  const c = small({ stemming: 0, bm25B: 0.75 });
  const hits = bm25Search(c.docs, stats(c), q('apple'), 10);
  const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
  const avg = 7 / 3;
  const s = (tf: number, dl: number) => (idf * tf * 2.5) / (tf + 1.5 * (0.25 + (0.75 * dl) / avg));
  assert.ok(Math.abs(hits[0].score - s(2, 3)) < 1e-12);
  assert.ok(Math.abs(hits[1].score - s(1, 2)) < 1e-12);
  assert.throws(() => new Colony({ bm25K1: 0 }), /bm25K1 must be in \(0, 10\]/);
});

test('BM25 uses statistics passed in from outside (global df)', () => {
  const c = small();
  const local = bm25Search(c.docs, stats(c), q('durian'), 1)[0].score;
  const global = bm25Search(c.docs, { documents: 1000, totalLength: 7000 / 3, df: () => 10 }, q('durian'), 1)[0].score;
  assert.ok(global > local);
});

test('equal scores break ties by DocumentId, and merging shard lists keeps that order', () => {
  const c = new Colony();
  for (const id of ['x', 'y', 'z']) c.ingest({ id, text: 'similar words appear' });
  const hits = bm25Search(c.docs, stats(c), q('similar'), 3);
  const ids = hits.map((h) => h.id);
  assert.deepEqual(ids, [...ids].sort());
  assert.deepEqual(mergeRanked([[hits[2]], [hits[0], hits[1]]], 3, false).map((h) => h.id), ids);
});

function chain() {
  // a–b–c–d path plus a–c; e isolated from the rest via d–e
  return graphOf(
    ['a', 'b', 'c', 'd', 'e', 'lonely'].map((l) => [l, 1]),
    [
      ['a', 'b', 0.9],
      ['b', 'c', 0.9],
      ['a', 'c', 0.1],
      ['c', 'd', 0.5],
      ['d', 'e', 0.5],
    ],
  );
}
const view = () => chain().view(1);

test('shortest path prefers strong edges (cost 1/w)', () => {
  const g = view();
  const p = shortestPath(g, nodeIdOf('a'), nodeIdOf('e'));
  assert.deepEqual(p.path.map((x) => x.label), ['a', 'b', 'c', 'd', 'e']);
  assert.ok(Math.abs(p.cost - (2 / 0.9 + 2 / 0.5)) < 1e-9);
  assert.equal(shortestPath(g, nodeIdOf('a'), nodeIdOf('lonely')).found, false);
});

test('bridges are articulation points with fragility = added components / degree', () => {
  const b = bridgeConcepts(view(), 10);
  assert.deepEqual(b.map((x) => [x.label, x.separates, x.fragility]), [
    ['d', 1, 0.5],
    ['c', 1, 1 / 3],
  ]);
  assert.equal(connectedComponents(view()), 2);
});

test('central concepts: exact betweenness on a small graph', () => {
  const top = centralConcepts(view(), 3);
  // c lies on the shortest paths of 4 pairs ({a,b}×{d,e}); d on 3 ({a,b,c}→e); b on 3 (a→c goes
  // through b since 2/0.9 < 1/0.1, and a→d, a→e); b and d tie and break by NodeId
  const tied = [nodeIdOf('b'), nodeIdOf('d')].sort().map((id) => (id === nodeIdOf('b') ? 'b' : 'd'));
  assert.deepEqual(top.map((x) => [x.label, x.centrality]), [
    ['c', 4],
    [tied[0], 3],
    [tied[1], 3],
  ]);
});

test('neighbours by weight', () => {
  assert.deepEqual(neighbours(view(), nodeIdOf('c'), 3).map((n) => n.label), ['b', 'd', 'a']);
});

test('concept search: query concepts first, then their strongest neighbours', () => {
  const g = chain();
  const hits = conceptSearch(g, 1, ['b', 'd'], { alpha: 0.5, k: 10 });
  assert.deepEqual(hits.slice(0, 2).map((h) => h.label).sort(), ['b', 'd']);
  // c is wired to both b (0.9) and d (0.5): mean weight 0.7
  assert.equal(hits[2].label, 'c');
  assert.ok(Math.abs(hits[2].graph - 0.7) < 1e-12);
  assert.deepEqual(conceptSearch(g, 1, ['nothing'], { alpha: 0.5, k: 10 }), []);
});

test('expansion re-scores the best documents for the query\'s own terms; merged lists answer like one holder', () => {
  const c = new Colony();
  for (let i = 0; i < 150; i++) c.ingest({ id: `d${i}`, text: `apple ${i % 3 === 0 ? 'banana' : 'cherry'} ${i % 7 === 0 ? 'banana banana' : ''} word${i}` });
  const terms = [
    { term: 'apple', weight: 1, original: true },
    { term: 'banana', weight: 0.3, original: false },
  ];
  const all = rankDocuments(c.docs, stats(c), terms, 10, { coordination: true });
  // every document matches "apple"; among the re-scored ones, those with banana come first
  assert.ok(all.slice(0, 5).every((h) => Number(h.key.slice(1)) % 3 === 0 || Number(h.key.slice(1)) % 7 === 0));
  // split the documents over two holders: the merged answer is the same
  const a = new Colony();
  const b = new Colony();
  const gs = stats(c);
  for (let i = 0; i < 150; i++) (i % 2 ? a : b).ingest({ id: `d${i}`, text: `apple ${i % 3 === 0 ? 'banana' : 'cherry'} ${i % 7 === 0 ? 'banana banana' : ''} word${i}` });
  const merged = mergeRanked([bm25Search(a.docs, gs, terms, 10, { coordination: true }), bm25Search(b.docs, gs, terms, 10, { coordination: true })], 10, true).map(({ base: _b, ...h }) => h);
  assert.deepEqual(merged, all);
});

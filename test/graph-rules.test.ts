import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Colony } from '../src/colony/colony.js';
import { makeConfig } from '../src/colony/config.js';
import { digestDocument } from '../src/colony/digestion.js';
import { Graph, edgeKey, type Edge } from '../src/colony/graph.js';
import { nodeIdOf } from '../src/ids/ids.js';
import { termStats } from '../src/text/tokenizer.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);
const id = nodeIdOf;

function edge(g: Graph, x: string, y: string): Edge | undefined {
  return g.getEdge(id(x), id(y));
}

test('exact dedup: "cell" and "cells" stay two concepts', () => {
  const c = new Colony({ digesters: 1 });
  c.ingest({ id: 'd1', text: 'cells cell cellular' });
  c.tick();
  const labels = [...c.graph.nodes.values()].map((n) => n.label).sort();
  assert.deepEqual(labels, ['cell', 'cells', 'cellular']);
  assert.equal(c.graph.edgeCount, 3); // a triangle, no self-loops
});

test('wiring: new edge 0.1 with 1 co-activation, +0.1 per later co-activation, capped at 1.0', () => {
  const g = new Graph(makeConfig());
  const [a, b] = [id('alpha'), id('beta')].sort();
  g.applyIncrements(1, [{ a, b, count: 1 }]);
  let e = g.getEdge(a, b)!;
  assert.deepEqual([e.weight, e.coActivations, e.createdTick, e.lastActivatedTick], [0.1, 1, 1, 1]);
  g.applyIncrements(5, [{ a, b, count: 1 }]);
  e = g.getEdge(a, b)!;
  close(e.weight, 0.2);
  assert.deepEqual([e.coActivations, e.createdTick, e.lastActivatedTick], [2, 1, 5]);
  g.applyIncrements(6, [{ a, b, count: 20 }]);
  assert.equal(e.weight, 1.0);
  assert.equal(e.coActivations, 22);
});

test('two documents wiring the same pair in one tick equal one batch of two', () => {
  const one = new Graph(makeConfig());
  const two = new Graph(makeConfig());
  const [a, b] = [id('x1'), id('x2')].sort();
  one.applyIncrements(3, [{ a, b, count: 1 }, { a: b, b: a, count: 1 }, { a, b, count: 1 }]);
  two.applyIncrements(3, [{ a, b, count: 3 }]);
  assert.equal(one.getEdge(a, b)!.weight, two.getEdge(a, b)!.weight);
  assert.equal(one.getEdge(a, b)!.coActivations, 3);
});

function single(created: number, last: number, weight: number, co: number) {
  const g = new Graph(makeConfig());
  const [a, b] = [id('p'), id('q')].sort();
  g.insertEdge({ a, b, weight, coActivations: co, createdTick: created, lastActivatedTick: last });
  return { g, e: () => g.getEdge(a, b) };
}

test('decay of a young edge: base rate only', () => {
  const { g, e } = single(10, 10, 0.1, 1);
  g.decay(10); // age 0
  close(e()!.weight, 0.1 * 0.995);
  g.decay(59); // age 49, still young
  close(e()!.weight, 0.1 * 0.995 * 0.995);
});

test('decay of a mature, fresh edge: staleness 0 gives the base rate', () => {
  const { g, e } = single(0, 60, 0.5, 3);
  g.decay(60); // age 60, staleness 0
  close(e()!.weight, 0.5 * 0.995);
});

test('decay of a mature, stale edge: base·(1 + 1.5·(staleness/100)/(1 + 0.5·co))', () => {
  const { g, e } = single(0, 0, 0.5, 1);
  g.decay(100); // age 100, staleness 100, co 1: rate = 0.005·(1 + 1.5·1·(1/1.5)) = 0.01
  close(e()!.weight, 0.5 * 0.99);
  const s2 = single(0, 0, 0.5, 4);
  s2.g.decay(200); // staleness 200, co 4: rate = 0.005·(1 + 1.5·2/3) = 0.01
  close(s2.e()!.weight, 0.5 * 0.99);
});

test('decay rate is capped at 0.5', () => {
  const { g, e } = single(0, 0, 0.8, 1);
  g.decay(100_000); // rate would be 5.005
  close(e()!.weight, 0.4);
});

test('pruning: mature edges below 0.05 go, young ones stay however weak', () => {
  const young = single(10, 10, 0.01, 1);
  young.g.decay(59);
  assert.ok(young.e(), 'young edge kept');
  const mature = single(0, 0, 0.0502, 1);
  assert.equal(mature.g.decay(50), 1); // 0.0502·(1 − rate) < 0.05
  assert.equal(mature.e(), undefined);
  assert.equal(mature.g.edgeCount, 0);
  assert.equal(mature.g.degree(id('p')), 0);
});

test('degree cap: a node keeps its 30 strongest edges; ties break by NodeId', () => {
  const g = new Graph(makeConfig());
  const hub = id('hub');
  const others = Array.from({ length: 32 }, (_, i) => id(`n${i}`));
  // 30 edges of weight 0.5, two of weight 0.2 (tied): only one of the tied may... none fit
  others.forEach((o, i) => {
    const [a, b] = [hub, o].sort();
    g.insertEdge({ a, b, weight: i < 29 ? 0.5 : 0.2, coActivations: 1, createdTick: 1, lastActivatedTick: 1 });
  });
  // 29 strong + 3 tied at 0.2 → the hub keeps 29 + the tied edge with the smallest NodeId
  const tied = others.slice(29).sort();
  const drops = g.degreeCapVerdicts();
  assert.deepEqual(drops.sort(), [edgeKey(hub, tied[1]), edgeKey(hub, tied[2])].sort());
  g.applyDrops(drops);
  assert.equal(g.degree(hub), 30);
  assert.ok(g.getEdge(hub, tied[0]));
});

test('degree cap: an edge survives only if both endpoints keep it', () => {
  const g = new Graph(makeConfig());
  const x = id('x'), y = id('y');
  const link = (p: string, q: string, w: number) => {
    const [a, b] = [p, q].sort();
    g.insertEdge({ a, b, weight: w, coActivations: 1, createdTick: 1, lastActivatedTick: 1 });
  };
  link(x, y, 0.3);
  // x has 30 stronger edges, so x drops x–y; y has only this one edge and would keep it
  for (let i = 0; i < 30; i++) link(x, id(`s${i}`), 0.9);
  const drops = g.degreeCapVerdicts();
  assert.deepEqual(drops, [edgeKey(x, y)]);
  g.applyDrops(drops);
  assert.equal(g.getEdge(x, y), undefined);
  assert.equal(g.degree(y), 0);
  assert.equal(g.degree(x), 30);
});

test('wiring limit: only the most salient concepts are wired, every keyword becomes a concept', () => {
  const terms = termStats('alpha alpha alpha beta beta gamma delta').terms;
  const d = digestDocument(terms, 3);
  assert.deepEqual(d.upserts.map((u) => u.label), ['alpha', 'beta', 'gamma', 'delta']);
  // alpha (3), beta (2), gamma (1, first before delta) are wired: 3 pairs
  const wired = new Set(d.increments.flatMap((e) => [e.a, e.b]));
  assert.equal(d.increments.length, 3);
  assert.ok(!wired.has(id('delta')));
  assert.equal(digestDocument(terms, 0).increments.length, 6);
});

test('a colony tick wires, decays once and counts access', () => {
  const c = new Colony({ digesters: 1 });
  c.ingest({ id: 'd1', text: 'membrane protein transport' });
  const r1 = c.tick();
  assert.equal(r1.digested, 1);
  c.ingest({ id: 'd2', text: 'membrane protein channel' }); // eligible from tick 2
  const r2 = c.tick(); // the lane is busy for 4 ticks
  assert.equal(r2.digested, 0);
  c.run(3);
  assert.equal(c.stats().digested, 2);
  const e = edge(c.graph, 'membrane', 'protein')!;
  assert.equal(e.coActivations, 2);
  assert.equal(e.createdTick, 1);
  assert.equal(e.lastActivatedTick, 5);
  // 0.1 decayed at ticks 1..4, then +0.1 at tick 5 and decayed once more
  close(e.weight, (0.1 * 0.995 ** 4 + 0.1) * 0.995);
  assert.equal(c.graph.nodes.get(id('membrane'))!.accessCount, 2);
  assert.equal(c.graph.nodes.get(id('channel'))!.createdTick, 5);
});

test('a rolled-back transaction leaves the graph exactly as it was', () => {
  const c = new Colony({ digesters: 2 });
  for (let i = 0; i < 6; i++) c.ingest({ id: `d${i}`, text: `alpha beta gamma${i} delta${i % 2}` });
  c.run(3);
  const before = c.graphHash();
  const g = c.graph;
  g.begin();
  g.applyUpserts(4, [{ id: id('newnode'), label: 'newnode', count: 1 }]);
  const [a, b] = [id('alpha'), id('newnode')].sort();
  g.applyIncrements(4, [{ a, b, count: 2 }, ...[...g.edges.values()].slice(0, 3).map((e) => ({ a: e.a, b: e.b, count: 1 }))]);
  g.decay(400); // prunes everything mature
  g.applyDrops(g.degreeCapVerdicts());
  assert.notEqual(c.graphHash(), before);
  g.rollback();
  assert.equal(c.graphHash(), before);
  c.run(1); // still works afterwards
});

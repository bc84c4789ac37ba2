import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Colony } from '../src/colony/colony.js';
import { makeConfig, type ColonyConfig } from '../src/core/config.js';
import { decayedWeight, pruneTick } from '../src/core/decay.js';
import { canonicalLines } from '../src/core/hash.js';
import { Partition } from '../src/core/partition.js';
import { nodeIdOf } from '../src/ids/ids.js';
import { newTextIndex } from '../src/search/text-index.js';
import { Prng } from '../src/util/prng.js';

const cfg = makeConfig();

function part(config: Partial<ColonyConfig> = {}): Partition {
  return new Partition(makeConfig(config), newTextIndex());
}

/** Run one tick of presentations on a partition that owns everything. */
function tick(p: Partition, t: number, docs: string[][], wired?: number): void {
  p.begin(t, false);
  p.present(
    t,
    docs.map((labels) => ({ labels, wired: wired ?? labels.length })),
  );
  p.prune(t);
  p.drop(t, p.verdicts(t));
  p.commit();
}

const edge = (p: Partition, x: string, y: string) => {
  const e = p.graph.edgeBetween(x, y);
  return e < 0 ? undefined : p.graph.edgeRow(e);
};

test('exact dedup: "cell" and "cells" stay two concepts', () => {
  const c = new Colony();
  c.ingest({ text: 'cell cells cell' });
  c.runUntilDigested();
  assert.deepEqual([...c.graph.nodeNumbers()].map((n) => c.graph.labelOf(n)).sort(), ['cell', 'cells']);
});

test('wiring: new edge 0.1 with 1 co-activation, +0.1 per later co-activation, capped at 1.0', () => {
  const p = part();
  tick(p, 1, [['alpha', 'beta']]);
  assert.equal(edge(p, 'alpha', 'beta')!.weight, 0.1);
  assert.equal(edge(p, 'alpha', 'beta')!.coActivations, 1);
  tick(p, 2, [['alpha', 'beta']]);
  const e = edge(p, 'alpha', 'beta')!;
  assert.equal(e.weight, decayedWeight(0.1, 1, 1, 2, cfg) + 0.1);
  assert.equal(e.coActivations, 2);
  assert.equal(e.lastActivatedTick, 2);
  tick(p, 3, Array.from({ length: 30 }, () => ['alpha', 'beta']));
  assert.equal(edge(p, 'alpha', 'beta')!.weight, 1.0);
});

test('two documents wiring the same pair in one tick equal one edge with two co-activations', () => {
  const a = part();
  tick(a, 1, [['x1', 'y1'], ['y1', 'x1']]);
  const e = edge(a, 'x1', 'y1')!;
  assert.equal(e.coActivations, 2);
  assert.equal(e.weight, Math.min(0.1 + 0.1, 1));
  assert.equal(a.graph.node(a.graph.numberOf('x1')!)!.accessCount, 2);
});

test('decay in closed form: w·exp(−rate·s·(1 + κ·s/2)), κ = staleness/100/(1 + 0.5·co)', () => {
  const k = 1.5 / 100 / (1 + 0.5 * 3);
  assert.equal(decayedWeight(0.8, 10, 3, 10, cfg), 0.8);
  assert.ok(Math.abs(decayedWeight(0.8, 10, 3, 40, cfg) - 0.8 * Math.exp(-0.005 * 30 * (1 + (k * 30) / 2))) < 1e-15);
  // more co-activations decay slower; longer staleness decays faster than linearly in log space
  assert.ok(decayedWeight(0.5, 0, 10, 100, cfg) > decayedWeight(0.5, 0, 1, 100, cfg));
});

test('pruning: the first tick a mature edge is below 0.05; young edges stay however weak', () => {
  const prng = new Prng(7);
  for (let i = 0; i < 500; i++) {
    const w = 0.05 + prng.next() * 0.95;
    const last = prng.int(200);
    const created = last - prng.int(100);
    const co = 1 + prng.int(20);
    const from = last + prng.int(5);
    const t = pruneTick(w, last, co, Math.max(0, created), from, cfg);
    // brute force: step tick by tick
    let u = from;
    while (!(u - Math.max(0, created) >= cfg.maturationTicks && decayedWeight(w, last, co, u, cfg) < cfg.edgePruneThreshold)) u++;
    assert.equal(t, u, `w ${w} last ${last} created ${created} co ${co} from ${from}`);
  }
  const p = part();
  tick(p, 1, [['weak', 'link']]);
  for (let t = 2; t < 51; t++) tick(p, t, []);
  assert.ok(edge(p, 'weak', 'link'), 'young edges are never pruned');
  const due = pruneTick(0.1, 1, 1, 1, 2, cfg);
  for (let t = 51; t < due; t++) tick(p, t, []);
  assert.ok(edge(p, 'weak', 'link'), 'still above the threshold');
  tick(p, due, []);
  assert.equal(edge(p, 'weak', 'link'), undefined, `pruned at tick ${due}`);
});

test('degree cap: a node keeps its strongest edges; ties break by NodeId', () => {
  const p = part({ maxEdgeDegree: 3 });
  // hub–a0 twice (0.2), the others once (0.1): a0 survives, then the two smallest NodeIds of the rest
  const others = ['a1', 'a2', 'a3', 'a4', 'a5'];
  tick(p, 1, [['hub', 'a0'], ['hub', 'a0'], ...others.map((o) => ['hub', o])]);
  const kept = others.filter((o) => edge(p, 'hub', o)).sort();
  const want = [...others].sort((x, y) => (nodeIdOf(x) < nodeIdOf(y) ? -1 : 1)).slice(0, 2).sort();
  assert.ok(edge(p, 'hub', 'a0'));
  assert.deepEqual(kept, want);
  assert.equal(p.graph.edgesOf(p.graph.numberOf('hub')!).length, 3);
});

test('degree cap: an edge survives only if both endpoints keep it', () => {
  const p = part({ maxEdgeDegree: 1 });
  // x–y (0.2) is x's best; y also has y–z (0.3), which y prefers: x–y goes although x keeps it
  tick(p, 1, [['x', 'y'], ['x', 'y'], ['y', 'z'], ['y', 'z'], ['y', 'z']]);
  assert.equal(edge(p, 'x', 'y'), undefined);
  assert.ok(edge(p, 'y', 'z'));
});

/**
 * The reference the core is checked against: the rules written plainly (every co-activated pair becomes
 * an edge, then every node that gained edges keeps its strongest, and an edge goes if either end drops it).
 */
function referenceRun(ticks: string[][][], config: ColonyConfig): { nodes: string[]; edges: string[] } {
  type E = { x: string; y: string; w: number; co: number; c: number; l: number };
  const nodes = new Map<string, { access: number; created: number }>();
  const edges = new Map<string, E>();
  const key = (x: string, y: string) => (nodeIdOf(x) < nodeIdOf(y) ? `${x}\u0000${y}` : `${y}\u0000${x}`);
  ticks.forEach((docs, i) => {
    const t = i + 1;
    const counts = new Map<string, number>();
    const grown = new Set<string>();
    for (const d of docs) {
      for (const l of d) {
        const n = nodes.get(l);
        if (n) n.access++;
        else nodes.set(l, { access: 1, created: t });
      }
      for (let a = 0; a < d.length; a++) for (let b = a + 1; b < d.length; b++) counts.set(key(d[a], d[b]), (counts.get(key(d[a], d[b])) ?? 0) + 1);
    }
    for (const [k, n] of counts) {
      let e = edges.get(k);
      let c = n;
      if (!e) {
        const [x, y] = k.split('\u0000');
        e = { x, y, w: config.edgeBaseWeight, co: 1, c: t, l: t };
        edges.set(k, e);
        grown.add(x).add(y);
        c -= 1;
      } else e.w = decayedWeight(e.w, e.l, e.co, t, config);
      for (let j = 0; j < c; j++) e.w = Math.min(e.w + config.edgeBaseWeight, config.edgeMaxWeight);
      e.co += c;
      e.l = t;
    }
    for (const [k, e] of edges) if (t - e.c >= config.maturationTicks && decayedWeight(e.w, e.l, e.co, t, config) < config.edgePruneThreshold) edges.delete(k);
    const drop = new Set<string>();
    for (const n of grown) {
      const mine = [...edges.entries()].filter(([, e]) => e.x === n || e.y === n);
      if (mine.length <= config.maxEdgeDegree) continue;
      const other = (e: E) => nodeIdOf(e.x === n ? e.y : e.x);
      mine.sort(([, a], [, b]) => decayedWeight(b.w, b.l, b.co, t, config) - decayedWeight(a.w, a.l, a.co, t, config) || (other(a) < other(b) ? -1 : 1));
      for (const [k] of mine.slice(config.maxEdgeDegree)) drop.add(k);
    }
    for (const k of drop) edges.delete(k);
  });
  const T = ticks.length;
  return {
    nodes: [...nodes].map(([l, n]) => `N ${nodeIdOf(l)} ${JSON.stringify(l)} ${n.access} ${n.created}`).sort(),
    edges: [...edges.values()]
      .map((e) => {
        const [a, b] = [nodeIdOf(e.x), nodeIdOf(e.y)].sort();
        return `E ${a} ${b} ${decayedWeight(e.w, e.l, e.co, T, config).toFixed(12)} ${e.co} ${e.c} ${e.l}`;
      })
      .sort(),
  };
}

test('the core builds exactly the graph of the plainly written rules (random documents, tight cap)', () => {
  for (const seed of [1, 2, 3]) {
    const config = makeConfig({ maxEdgeDegree: 4, maturationTicks: 5 });
    const prng = new Prng(seed);
    const vocab = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const ticks: string[][][] = [];
    for (let t = 0; t < 40; t++) {
      const docs: string[][] = [];
      for (let d = prng.int(4); d > 0; d--) {
        const set = new Set<string>();
        for (let k = 2 + prng.int(5); k > 0; k--) set.add(vocab[Math.floor(vocab.length * prng.next() ** 2)]);
        docs.push([...set]);
      }
      ticks.push(docs);
    }
    const p = new Partition(config, newTextIndex());
    ticks.forEach((docs, i) => tick(p, i + 1, docs));
    const got = canonicalLines(p.graph, ticks.length, () => true);
    const want = referenceRun(ticks, config);
    assert.deepEqual(got.nodes.sort(), want.nodes, `seed ${seed}: nodes`);
    assert.deepEqual(got.edges.sort(), want.edges, `seed ${seed}: edges`);
  }
});

test('wiring limit: only the most salient terms are wired, every term becomes a concept', () => {
  const c = new Colony({ wiringLimit: 2 });
  c.ingest({ text: 'zeta zeta zeta alpha alpha beta gamma' });
  c.runUntilDigested();
  assert.equal(c.graph.nodeCount, 4);
  assert.equal(c.graph.edgeCount, 1);
  assert.ok(c.graph.edgeBetween('zeta', 'alpha') >= 0);
});

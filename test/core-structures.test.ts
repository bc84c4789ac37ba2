/**
 * The compact structures of the core against plain JavaScript references, over seeded random
 * operations: PairTable (vs a Map), Adjacency (vs an array per node, including the order of each
 * list), TermLists (vs a Map), DecayMemo (vs decayedWeight, bit for bit).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Adjacency } from '../src/core/adjacency.js';
import { makeConfig } from '../src/core/config.js';
import { decayedWeight, DecayMemo } from '../src/core/decay.js';
import { PairTable } from '../src/core/pair-table.js';
import { TermLists } from '../src/core/term-lists.js';
import { Vocabulary } from '../src/core/vocabulary.js';
import { Prng } from '../src/util/prng.js';
import { join } from 'node:path';
import { Colony } from '../src/colony/colony.js';
import { readDocsJsonl } from '../src/io/files.js';
import { CORPUS } from './helpers.js';

const key = (a: number, b: number) => (a < b ? `${a},${b}` : `${b},${a}`);

test('PairTable: inserts, overwrites, getOrInsert, deletes (backward shift), growth and trim agree with a Map', () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Prng(seed);
    const t = new PairTable(4);
    const ref = new Map<string, number>();
    const range = 60 + seed * 40; // small key space: long probe runs, many deletions inside them
    for (let step = 0; step < 40_000; step++) {
      const a = rng.int(range);
      const b = rng.int(range);
      const op = rng.int(10);
      if (op < 4) {
        const v = rng.int(1_000_000);
        t.set(a, b, v);
        ref.set(key(a, b), v);
      } else if (op < 5) {
        // present: its value, left as it is; absent: inserted, -1
        const v = rng.int(1_000_000);
        const had = ref.get(key(a, b));
        assert.equal(t.getOrInsert(a, b, v), had ?? -1, `getOrInsert ${a},${b} at step ${step}`);
        if (had === undefined) ref.set(key(a, b), v);
      } else if (op < 9) {
        assert.equal(t.delete(a, b), ref.get(key(a, b)) ?? -1, `delete ${a},${b} at step ${step}`);
        ref.delete(key(a, b));
      } else {
        assert.equal(t.get(a, b), ref.get(key(a, b)) ?? -1, `get ${a},${b} at step ${step}`);
      }
      assert.equal(t.size, ref.size);
      if (step % 10_000 === 9_999) t.trim();
    }
    for (let a = 0; a < range; a++) for (let b = 0; b < range; b++) assert.equal(t.get(a, b), ref.get(key(a, b)) ?? -1, `final ${a},${b}`);
    t.clear();
    assert.equal(t.size, 0);
    assert.equal(t.get(1, 2), -1);
  }
});

test('Adjacency: push, swap-removal, filtering, growth, compaction and trim keep every list and its order', () => {
  const rng = new Prng(7);
  const adj = new Adjacency();
  const ref: number[][] = [];
  const nodes = 300;
  for (let n = 0; n < nodes; n++) {
    adj.ensure(n);
    ref.push([]);
  }
  let next = 0;
  for (let step = 0; step < 60_000; step++) {
    const n = rng.int(nodes);
    const op = rng.int(20);
    if (op < 12) {
      adj.push(n, next);
      ref[n].push(next++);
    } else if (op < 18) {
      const l = ref[n];
      if (l.length === 0) continue;
      const e = l[rng.int(l.length)];
      adj.removeSwap(n, e);
      const i = l.indexOf(e);
      l[i] = l[l.length - 1];
      l.pop();
    } else if (op < 19) {
      const odd = rng.int(2);
      adj.filter(n, (e) => e % 2 === odd);
      ref[n] = ref[n].filter((e) => e % 2 === odd);
    } else if (step % 1000 === 0) adj.trim(nodes);
    if (step % 97 === 0) {
      const m = rng.int(nodes);
      assert.deepEqual(adj.list(m), ref[m], `node ${m} at step ${step}`);
      assert.equal(adj.length(m), ref[m].length);
    }
  }
  for (let n = 0; n < nodes; n++) {
    assert.deepEqual(adj.list(n), ref[n], `node ${n}`);
    const at = adj.start(n);
    assert.deepEqual([...adj.arena.subarray(at, at + adj.length(n))], ref[n]);
  }
  // a removal of an absent entry changes nothing
  adj.removeSwap(0, -5);
  assert.deepEqual(adj.list(0), ref[0]);
});

test('TermLists: set, take, drop, compaction and trim agree with a Map', () => {
  const rng = new Prng(11);
  const lists = new TermLists();
  const ref = new Map<number, number[]>();
  let n = 0;
  for (let step = 0; step < 30_000; step++) {
    const op = rng.int(10);
    if (op < 5) {
      const l = Array.from({ length: rng.int(40) }, () => rng.int(5000));
      lists.set(n, l);
      ref.set(n++, l);
    } else if (op < 8 && n > 0) {
      const d = rng.int(n);
      assert.deepEqual(lists.take(d), ref.get(d) ?? null, `take ${d}`);
      ref.delete(d);
    } else if (op < 9 && n > 0) {
      const d = rng.int(n);
      lists.drop(d);
      ref.delete(d);
    } else if (n > 0) {
      const d = rng.int(n);
      assert.deepEqual(lists.get(d), ref.get(d) ?? null, `get ${d}`);
      assert.equal(lists.has(d), ref.has(d));
    }
    if (step % 5000 === 4999) lists.trim();
  }
  for (let d = 0; d < n; d++) assert.deepEqual(lists.get(d), ref.get(d) ?? null, `final ${d}`);
  for (const d of [...ref.keys()]) lists.drop(d);
  lists.trim();
  assert.equal(lists.get(0), null);
  lists.set(n, [1, 2, 3]);
  assert.deepEqual(lists.take(n), [1, 2, 3]);
});

test('Vocabulary: dense numbers in first-seen order, one per distinct term', () => {
  const v = new Vocabulary();
  assert.deepEqual(['b', 'a', 'b', 'c', 'a'].map((t) => v.intern(t)), [0, 1, 0, 2, 1]);
  assert.equal(v.size, 3);
  assert.equal(v.name(2), 'c');
});

test('DecayMemo gives exactly decayedWeight (memoized and out-of-table ranges)', () => {
  for (const cfg of [makeConfig(), makeConfig({ stalenessFactor: 7, edgeDecayRate: 0.02 })]) {
    const memo = new DecayMemo(cfg);
    const rng = new Prng(5);
    for (let i = 0; i < 20_000; i++) {
      const w = rng.next();
      const last = rng.int(700);
      const co = rng.int(i % 2 === 0 ? 40 : 5);
      const tick = last + rng.int(700) - 10;
      assert.equal(Object.is(memo.weight(w, last, co, tick), decayedWeight(w, last, co, tick, cfg)), true, `w ${w} last ${last} co ${co} tick ${tick}`);
    }
  }
});

test('trim between ticks (compacted columns, pair table, adjacency, prune schedule) changes no later tick', () => {
  // small digestion and maturation so that edges are capped, pruned and rescheduled within the run
  const config = { digestPerTick: 7, maturationTicks: 3, edgeDecayRate: 0.05 };
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  const plain = new Colony(config);
  const trimmed = new Colony(config);
  let pruned = 0;
  for (let t = 0; t < 40; t++) {
    if (t < 20) {
      plain.ingestBatch(docs.slice(t * 5, t * 5 + 5));
      trimmed.ingestBatch(docs.slice(t * 5, t * 5 + 5));
    }
    const a = plain.tick();
    const b = trimmed.tick();
    pruned += a.edgesPruned;
    assert.deepEqual(b, a, `tick ${t + 1}`);
    if (t % 3 === 0) trimmed.trim();
    assert.equal(trimmed.graphHash(), plain.graphHash(), `hash after tick ${t + 1}`);
  }
  assert.ok(pruned > 0, 'the run prunes edges (the schedule matters)');
});

test('term numbers from the index (no stemming) and from the table\'s own vocabulary (stemming) present the same graph', () => {
  // stemming changes the index's terms only; concepts, and so the graph, are the same
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  const hashes = [0, 1].map((stemming) => {
    const c = new Colony({ stemming, digestPerTick: 13 });
    c.ingestBatch(docs.slice(0, 60));
    c.tick();
    c.forget([docs[0].id!]); // a digested document's withdrawal recomputes its terms by number
    c.ingestBatch(docs.slice(60));
    c.runUntilDigested();
    return c.graphHash();
  });
  assert.equal(hashes[1], hashes[0]);
});

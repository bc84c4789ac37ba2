import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConceptGraph } from '../src/core/graph.js';
import { makeConfig } from '../src/core/config.js';
import { canonicalHash } from '../src/core/hash.js';
import { nodeIdOf } from '../src/ids/ids.js';
import { CodecError } from '../src/protocol/codec.js';
import { decodeGraphPart, encodeGraphPart, installGraphPart } from '../src/protocol/graph-packed.js';
import { Prng } from '../src/util/prng.js';
import { graphOf } from './graph-fixture.js';

/** A graph with odd labels, exact weights that are not short decimals, and counts up to the graph's int32 columns' largest. */
function sample(): ConceptGraph {
  const labels = ['cell', 'membrane', 'zürich', 'İstanbul', '東京', 'cell membrane', 'x'.repeat(300), '🐙'];
  const rng = new Prng(7);
  const edges: [string, string, number, number][] = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) if (rng.next() < 0.6) edges.push([labels[i], labels[j], rng.next(), 1 + rng.int(2 ** 31 - 2)]);
  return graphOf(labels.map((l, i) => [l, i === 0 ? 2 ** 31 - 1 : 1 + i]), edges);
}

it('a graph part travels packed: the gathered graph has the same canonical hash', () => {
  const g = sample();
  const part = decodeGraphPart(encodeGraphPart(g));
  assert.equal(part.nodeLabel.length, g.nodeCount);
  assert.equal(part.edgeA.length, g.edgeCount);
  const back = new ConceptGraph(makeConfig({}));
  installGraphPart(back, part, 1);
  assert.equal(canonicalHash(back, 1, () => true), canonicalHash(g, 1, () => true));
  // every row's stored state, exactly
  for (let i = 0; i < part.edgeA.length; i++) {
    const e = g.edgeBetween(part.labels[part.edgeA[i]], part.labels[part.edgeB[i]]);
    const row = g.edgeRow(e);
    assert.equal(row.a, nodeIdOf(part.labels[part.edgeA[i]]), 'a is the smaller NodeId');
    assert.ok(Object.is(part.weight[i], row.weight));
    assert.equal(part.coActivations[i], row.coActivations);
  }
  const empty = decodeGraphPart(encodeGraphPart(new ConceptGraph(makeConfig({}))));
  assert.deepEqual([empty.labels, empty.nodeLabel.length, empty.edgeA.length], [[], 0, 0]);
});

it('a holder exports the edges whose smaller endpoint it owns, and the labels of their other ends', () => {
  const full = sample();
  const owned = new Set(['cell', 'zürich', '東京'].map(nodeIdOf));
  const g = new ConceptGraph(makeConfig({}), (id) => owned.has(id));
  for (const n of full.nodeNumbers()) {
    const row = full.node(n)!;
    if (owned.has(row.id)) g.installNode(row);
  }
  for (const e of full.edgeNumbers()) {
    const [la, lb] = full.edgeLabels(e);
    if (owned.has(nodeIdOf(la)) || owned.has(nodeIdOf(lb))) g.installEdge(la, lb, full.edgeRow(e), 1);
  }
  const part = decodeGraphPart(encodeGraphPart(g));
  assert.deepEqual([...part.nodeLabel].map((l) => part.labels[l]).sort(), ['cell', 'zürich', '東京'].sort());
  const want = [...full.edgeNumbers()].filter((e) => owned.has(full.edgeRow(e).a)).length;
  assert.equal(part.edgeA.length, want);
  for (const a of part.edgeA) assert.ok(owned.has(nodeIdOf(part.labels[a])));
});

it('a packed graph that is not one is refused', () => {
  const b = encodeGraphPart(sample());
  assert.throws(() => decodeGraphPart(b.subarray(0, b.length - 1)), CodecError, 'truncated');
  assert.throws(() => decodeGraphPart(Buffer.concat([b, Buffer.from([0])])), /trailing bytes/);
  const wrong = Buffer.from(b);
  wrong[0] = 2;
  assert.throws(() => decodeGraphPart(wrong), /not a graph layout/);
  assert.throws(() => decodeGraphPart(new Uint8Array(0)), /another phago version/);
  // one label "a", one node naming label 1
  assert.throws(() => decodeGraphPart(Buffer.from([1, 1, 1, 0x61, 1, 1, 1, 1, 0])), /out of range/);
  assert.throws(() => decodeGraphPart(Buffer.from([1, 1, 0])), /label of 0 bytes/);
  assert.throws(() => decodeGraphPart(Buffer.from([1, 1, 1, 0x07, 0, 0])), /control character/);
  assert.throws(() => decodeGraphPart(Buffer.from([1, 1, 1, 0xff, 0, 0])), /not valid UTF-8/);
  assert.throws(() => decodeGraphPart(Buffer.from([1, 200, 1])), CodecError, 'more labels than bytes');
});

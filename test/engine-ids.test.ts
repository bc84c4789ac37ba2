import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { LocalEngine } from '../src/engine/local.js';
import { within } from './helpers.js';

test('ingest answers the DocumentId of every input, in input order, in one process and over several wire batches', { timeout: 60_000 }, async () => {
  // more than one ingest call of the cluster engine (2,048 documents a call, several in flight)
  const docs = Array.from({ length: 4500 }, (_, i) => (i % 2 === 0 ? { id: `doc-${i}`, text: `document ${i} about topic ${i % 7}` } : { text: `anonymous text number ${i}` }));
  const local = new LocalEngine();
  const expected = (await local.ingest(docs)).ids;
  assert.equal(expected.length, docs.length);
  assert.equal(new Set(expected).size, docs.length);
  const cluster = await within(EmbeddedCluster.start({ shards: 2 }), 30_000, 'the embedded cluster did not start');
  const engine = cluster.engine();
  try {
    const r = await within(engine.ingest(docs), 45_000, 'ingest did not finish');
    assert.equal(r.created, docs.length);
    assert.deepEqual(r.ids, expected);
    const again = await within(engine.ingest(docs.slice(0, 3)), 10_000, 'ingest did not finish');
    assert.deepEqual(again, { created: 0, unchanged: 3, ids: expected.slice(0, 3) });
  } finally {
    await engine.close();
  }
});

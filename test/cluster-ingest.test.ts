import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { LocalEngine } from '../src/engine/local.js';
import { Prng } from '../src/util/prng.js';
import { LONG, rejects, within } from './helpers.js';

/** Synthetic documents, deterministic: ids given, words from a small vocabulary. */
function corpus(n: number, seed: number) {
  const rng = new Prng(seed);
  const words = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}`);
  return Array.from({ length: n }, (_, i) => ({ id: `doc-${i}`, title: '', text: Array.from({ length: 12 }, () => words[Math.floor(rng.next() * rng.next() * words.length)]).join(' ') }));
}

/** A large ingest travels as several calls in flight at once; what lands is what one process stores. */
describe('cluster ingest of many documents', LONG, () => {
  let cluster: EmbeddedCluster;
  before(async () => {
    cluster = await within(EmbeddedCluster.start({ shards: 2 }), 60_000, 'the embedded cluster did not start');
  });
  after(async () => {
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  });

  test('5,000 documents in several calls in flight: every one lands once, the graph equals one process', async () => {
    const docs = corpus(5000, 7);
    const engine = cluster.engine();
    const seen: number[] = [];
    const r = await within(engine.ingest(docs, (done) => seen.push(done)), 60_000, 'ingest did not finish');
    assert.deepEqual([r.created, r.unchanged], [5000, 0]);
    assert.ok(seen.length >= 3 && seen.at(-1) === 5000, `progress: ${seen.join(', ')}`);
    const again = await within(engine.ingest(docs), 60_000, 'the repeat did not finish');
    assert.deepEqual([again.created, again.unchanged], [0, 5000], 'a repeat stores nothing');
    const local = new LocalEngine();
    await local.ingest(docs);
    await within(engine.tick('digest'), 120_000, 'digestion did not finish');
    await local.tick('digest');
    assert.equal((await engine.stats()).documents, 5000);
    assert.equal(await engine.graphHash(), await local.graphHash());
  });

  test('a call that fails stops the ones after it and its error is returned', async () => {
    const docs = corpus(6000, 8).map((d) => ({ ...d, id: `bad-${d.id}` }));
    docs[4500] = { ...docs[4500], text: '   ' }; // in the third call: refused as a whole
    await rejects(within(cluster.engine().ingest(docs), 60_000, 'ingest did not answer'), grpc.status.INVALID_ARGUMENT, /empty document/);
    // three calls of 2,048, 2,048 and 1,904 documents, all in flight: the first two land whole, the third not at all
    assert.equal((await cluster.engine().stats()).documents, 5000 + 4096);
  });
});

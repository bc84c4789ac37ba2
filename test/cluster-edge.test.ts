import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { Colony } from '../src/colony/colony.js';
import { PhagoError } from '../src/core/errors.js';
import { documentIdOf } from '../src/ids/ids.js';
import { LocalEngine } from '../src/engine/local.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { LONG, rejects, within } from './helpers.js';


/** The API edge behaves the same in one process and on a cluster. */
describe('one process and a cluster agree at the API edge', LONG, () => {
  let cluster: EmbeddedCluster;
  let coord: RpcClient;
  /** Where a document lives on the cluster (undefined: nowhere). */
  const holder = (id: string) => cluster.shards.find((s) => s.docs.get(id) !== undefined)?.id;

  before(async () => {
    cluster = await within(EmbeddedCluster.start({ shards: 3 }), 60_000, 'the embedded cluster did not start');
    coord = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 20_000);
  });

  after(async () => {
    coord.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  });

  test('get_global_df looks indexed terms up as given (İstanbul lowercases with a combining mark)', async () => {
    const doc = { id: 'istanbul-notes', title: 'Travel', text: 'İstanbul and Ankara: travel notes from İstanbul' };
    const local = new LocalEngine();
    await local.ingest([doc]);
    const terms = [...local.colony.docs.index.terms()];
    assert.ok(terms.includes('i\u0307stanbul'), `indexed terms: ${terms.join(', ')}`);
    await coord.call('ingest', { docs: [doc] });
    const r = await coord.call('get_global_df', { terms: [...terms, 'stanbul', 'İstanbul', 'nothing-like-it'] });
    for (const t of terms) assert.equal(r.df[t], local.colony.docs.df(t), `df of ${JSON.stringify(t)}`);
    assert.equal(r.df['i\u0307stanbul'], 1);
    // not indexed terms: 0 (the lookup is exact, nothing is tokenized again)
    assert.equal(r.df.stanbul, 0);
    assert.equal(r.df['İstanbul'], 0);
    assert.equal(r.df['nothing-like-it'], 0);
  });

  test('a lone UTF-16 surrogate gets the same id, key and text in one process and on a cluster', async () => {
    const docs = [
      { title: 'Lone \ud800 high', text: 'surrogate halves \udc00 travel badly through wires' },
      { id: 'surrogate-\ud83d-id', title: '', text: 'an identifier with half an emoji \ud83d inside' },
      { id: 'pair-\ud83d\ude00-ok', title: 'A whole pair \ud83d\ude00', text: 'a whole emoji pair is well formed already' },
    ];
    const colony = new Colony();
    const local = docs.map((d) => colony.ingest(d));
    const summary = await within(cluster.engine().ingest(docs), 20_000, 'ingest did not finish');
    assert.equal(summary.created, docs.length);
    local.forEach(({ id, key }, i) => {
      const held = cluster.shards.map((s) => s.docs.get(id)).find((d) => d !== undefined);
      assert.ok(held, `document ${i} (${id}) is on no shard: the cluster derived another id`);
      assert.equal(held.key, key, `key of document ${i}`);
      const mine = colony.docs.get(id)!;
      assert.equal(held.title, mine.title, `title of document ${i}`);
      assert.equal(held.text, mine.text, `text of document ${i}`);
      assert.ok(held.text.isWellFormed() && held.key.isWellFormed(), `document ${i} is stored well formed`);
    });
    // one U+FFFD per lone surrogate, the same on both paths
    assert.equal(local[1].key, 'surrogate-\ufffd-id');
  });

  test('the same id with different content in one request: ALREADY_EXISTS, nothing stored, on both paths', async () => {
    const a = { id: 'conflict-a', title: '', text: 'the first version of this document' };
    const a2 = { id: 'conflict-a', title: '', text: 'another text under the same id' };
    // a document that lives on another shard than conflict-a, so a partial store would show
    const other = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ id: `conflict-other-${i}`, title: '', text: `innocent bystander number ${i}` }));
    const owner = async (id: string) => (await coord.call('route_document', { uuid: documentIdOf(id) })).id as number;
    const bystander = (await Promise.all(other.map(async (d) => ((await owner(d.id)) !== (await owner(a.id)) ? d : null)))).find((d) => d !== null)!;
    assert.ok(bystander, 'a document on another shard');
    const batch = [bystander, a, a2];
    const local = new LocalEngine();
    await assert.rejects(local.ingest(batch), (e: unknown) => e instanceof PhagoError && e.code === 'ALREADY_EXISTS' && /conflict-a/.test(e.message));
    assert.equal(local.colony.docs.size, 0, 'one process stored nothing');
    const before = (await coord.call('stats', {})).documents;
    await rejects(coord.call('ingest', { docs: batch }), grpc.status.ALREADY_EXISTS, /conflict-a.*different content/);
    await rejects(within(cluster.engine().ingest(batch), 20_000, 'ingest did not answer'), grpc.status.ALREADY_EXISTS, /conflict-a/);
    assert.equal((await coord.call('stats', {})).documents, before, 'the cluster stored nothing');
    assert.equal(holder(documentIdOf(bystander.id)), undefined);
    assert.equal(holder(documentIdOf(a.id)), undefined);
    // the same id with the same content: one document, the repeat is a no-op (created: false)
    const r = await coord.call('ingest', { docs: [a, bystander, a] });
    assert.deepEqual(r.results.map((x: { created: boolean }) => x.created), [true, true, false]);
    const l = await local.ingest([a, bystander, a]);
    assert.deepEqual([l.created, l.unchanged], [2, 1]);
    // a request that conflicts with a stored document: refused as a whole, the new document is not stored
    const fresh = other.find((d) => d !== bystander && d.id !== a.id)!;
    await assert.rejects(local.ingest([fresh, a2]), (e: unknown) => e instanceof PhagoError && e.code === 'ALREADY_EXISTS');
    assert.equal(local.colony.docs.get(documentIdOf(fresh.id)), undefined);
    await rejects(coord.call('ingest', { docs: [fresh, a2] }), grpc.status.ALREADY_EXISTS, /conflict-a/);
    assert.equal(holder(documentIdOf(fresh.id)), undefined);
  });

  test('an empty id is INVALID_ARGUMENT on both paths; an absent id means a content id on both', async () => {
    const empty = { id: '', title: '', text: 'a document whose id is the empty string' };
    await assert.rejects(new LocalEngine().ingest([empty]), (e: unknown) => e instanceof PhagoError && e.code === 'INVALID_ARGUMENT' && /"id" is empty/.test(e.message));
    await rejects(coord.call('ingest', { docs: [empty] }), grpc.status.INVALID_ARGUMENT, /"id" is empty/);
    await rejects(within(cluster.engine().ingest([empty]), 20_000, 'ingest did not answer'), grpc.status.INVALID_ARGUMENT, /"id" is empty/);
    const anon = { title: 'No id', text: 'a document without any id at all' };
    const mine = new Colony().ingest(anon);
    const r = await coord.call('ingest', { docs: [anon] });
    assert.equal(r.results[0].id, mine.id);
    assert.equal(r.results[0].key, mine.key);
    assert.equal(holder(mine.id) !== undefined, true);
  });
});

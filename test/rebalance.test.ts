import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { Placement } from '../src/cluster/placement.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { ShardNode } from '../src/shard/shard.js';
import { CORPUS, LONG, within } from './helpers.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl')).map((q) => q.text);

async function answers(e: { searchDocuments: LocalEngine['searchDocuments']; searchConcepts: LocalEngine['searchConcepts'] }) {
  const out: string[] = [];
  for (const q of queries) out.push(JSON.stringify([(await e.searchDocuments(q, 10)).hits.map((h) => [h.id, h.score]), (await e.searchConcepts(q, 10)).hits.map((h) => [h.id, h.score])]));
  return out;
}

test('growing 3 → 4 shards and shrinking 4 → 3 keeps the graph and the answers; only keys of the changed shard move', LONG, async () => {
  const ref = new LocalEngine();
  await ref.ingest(docs.slice(0, 60));
  await ref.tick(12);
  await ref.ingest(docs.slice(60));
  await ref.tick('digest');
  await ref.tick(5);
  const refHash = await ref.graphHash();

  const cluster = await within(EmbeddedCluster.start({ shards: 3 }), 60_000, 'the embedded cluster did not start');
  const engine = cluster.engine();
  const coord = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security);
  let fourth: ShardNode | undefined;
  try {
    await within(engine.ingest(docs.slice(0, 60)), 60_000, 'ingest did not finish');
    await within(engine.tick(12), 60_000, '12 ticks did not finish');
    // grow: a fourth shard joins a populated cluster between ticks
    const before = await Promise.all(cluster.shards.map(async (s) => ({ id: s.id, nodes: s.graph.nodeIds(), docs: s.docs.allIds() })));
    fourth = new ShardNode({ join: cluster.address, identity: 'fourth', security: cluster.security });
    assert.equal(await within(fourth.start(), 60_000, 'the fourth shard did not join'), 4);
    const grown = (await coord.call('stats', {})).last_rebalance;
    const allNodes = before.flatMap((b) => b.nodes);
    const allDocs = before.flatMap((b) => b.docs);
    const p4 = new Placement([1, 2, 3, 4]);
    // exactly the keys the new shard wins moved, all of them to it
    assert.equal(grown.nodes, allNodes.filter((n) => p4.owner(n) === 4).length);
    assert.equal(grown.documents, allDocs.filter((d) => p4.owner(d) === 4).length);
    assert.deepEqual(fourth.graph.nodeIds().sort(), allNodes.filter((n) => p4.owner(n) === 4).sort());
    for (const s of cluster.shards) for (const n of s.graph.nodeIds()) assert.notEqual(p4.owner(n), 4);
    const share = grown.nodes / grown.total_nodes;
    console.log(`3 → 4: moved ${grown.documents}/${grown.total_documents} documents, ${grown.nodes}/${grown.total_nodes} concepts (${(share * 100).toFixed(1)}%, goal ≤ ${(110 / 4).toFixed(1)}%), ${grown.edges} edge copies`);
    assert.ok(share <= 1.1 / 4, `moved ${share}`);
    await within(engine.ingest(docs.slice(60)), 60_000, 'ingest did not finish');
    await within(engine.tick('digest'), 120_000, 'digestion did not finish');
    // shrink: shard 2 leaves gracefully
    await coord.call('unregister', { id: 2 });
    const shrunk = (await coord.call('stats', {})).last_rebalance;
    console.log(`4 → 3: moved ${shrunk.documents}/${shrunk.total_documents} documents, ${shrunk.nodes}/${shrunk.total_nodes} concepts, ${shrunk.edges} edge copies`);
    assert.equal(cluster.shards[1].docs.size, 0);
    assert.equal(cluster.shards[1].graph.nodeCount, 0);
    await within(engine.tick(5), 60_000, '5 ticks did not finish');
    assert.equal(await within(engine.graphHash(), 30_000, 'the graph hash did not come'), refHash);
    const st = await coord.call('stats', {});
    assert.equal(st.held_documents, docs.length);
    assert.deepEqual(await within(answers(engine), 60_000, 'the sample queries did not finish'), await answers(ref));
  } finally {
    coord.close();
    await within(fourth?.stop() ?? Promise.resolve(), 10_000, 'the fourth shard did not stop');
    await within(engine.close(), 20_000, 'the embedded cluster did not stop');
  }
});

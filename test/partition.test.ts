import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient, ShardServiceClient } from '../src/rpc/proto.js';
import { decodeGraphPart } from '../src/protocol/graph-packed.js';
import { nodeIdOf } from '../src/ids/ids.js';
import { CORPUS, LONG, within } from './helpers.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl'));
const EXTRA_TICKS = 6; // a few ticks past digestion, so decay and the degree cap have run on every shard

async function answers(e: Engine) {
  const out: string[] = [];
  for (const q of queries) {
    const d = await e.searchDocuments(q.text, 10);
    const c = await e.searchConcepts(q.text, 10);
    assert.deepEqual(d.missingShards, []);
    out.push(JSON.stringify({ d: d.hits.map((h) => [h.key, h.score]), c: c.hits.map((h) => [h.label, h.score]) }));
  }
  return out;
}

async function run(e: Engine) {
  await e.ingest(docs);
  await e.tick('digest');
  await e.tick(EXTRA_TICKS);
  return { hash: await e.graphHash(), stats: await e.stats(), answers: await answers(e) };
}

test('partition invariance: the same graph and answers on 1, 2, 3 and 5 shards as in one process', LONG, async () => {
  const single = await run(new LocalEngine());
  for (const n of [1, 2, 3, 5]) {
    const cluster = await within(EmbeddedCluster.start({ shards: n }), 60_000, `a cluster of ${n} shards did not start`);
    const engine = cluster.engine();
    try {
      const r = await within(run(engine), 120_000, `the run on ${n} shards did not finish`);
      assert.equal(r.hash, single.hash, `graph hash on ${n} shards`);
      assert.equal(r.stats.tick, single.stats.tick);
      assert.equal(r.stats.nodes, single.stats.nodes);
      assert.equal(r.stats.edges, single.stats.edges);
      assert.deepEqual(r.answers, single.answers, `answers on ${n} shards`);
      if (n === 3) {
        // route_node names the shard that really holds the concept, for every concept
        const coord = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security);
        let checked = 0;
        for (const s of cluster.shards) {
          const sc = new RpcClient(ShardServiceClient, s.address, cluster.security);
          const part = decodeGraphPart((await sc.call<{ packed: Uint8Array }>('export_graph', {})).packed);
          const exp = { nodes: [...part.nodeLabel].map((l) => ({ id: nodeIdOf(part.labels[l]) })) };
          sc.close();
          for (let i = 0; i < exp.nodes.length; i += 500) {
            const owners = await Promise.all(exp.nodes.slice(i, i + 500).map((n) => coord.call<{ id: number }>('route_node', { uuid: n.id })));
            for (const o of owners) assert.equal(o.id, s.id);
            checked += owners.length;
          }
        }
        assert.equal(checked, single.stats.nodes);
        coord.close();
      }
    } finally {
      await within(engine.close(), 20_000, 'the embedded cluster did not stop');
    }
  }
});

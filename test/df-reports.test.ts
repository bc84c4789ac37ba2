import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/cluster/embedded.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { ShardNode } from '../src/shard/shard.js';
import { failNextDfReport } from './fakes.js';
import { CORPUS, SHORT, within } from './helpers.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));

/** The coordinator's df for every term of `batch` equals a single colony's. */
async function sameDf(coord: RpcClient, batch: typeof docs): Promise<void> {
  const local = new LocalEngine();
  await local.ingest(batch);
  const terms = [...local.colony.docs.postings.keys()];
  const r = await coord.call('get_global_df', { terms });
  for (const t of terms) assert.equal(r.df[t], local.colony.docs.df(t), `df of ${t}`);
}

test('in memory, a df report whose reply was lost is applied once when the ingest is retried; until_digested ends', SHORT, async () => {
  // no heartbeat during the test: only the retried ingest re-sends the report
  const cluster = await within(EmbeddedCluster.start({ shards: 1, shardOptions: () => ({ heartbeatMs: 3_600_000 }) }), 30_000, 'the embedded cluster did not start');
  const coord = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 20_000);
  try {
    const batch = docs.slice(0, 10);
    failNextDfReport(cluster.shards[0], 'reply-lost');
    await assert.rejects(coord.call('ingest', { docs: batch }), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE && /not yet counted/.test(e.details));
    // the client sends the documents again
    await coord.call('ingest', { docs: batch });
    const st = await coord.call('stats', {});
    assert.equal(st.documents, 10, 'each document counted once');
    assert.equal(st.pending, 10);
    await sameDf(coord, batch);
    const r = await within(coord.call('run_ticks', { until_digested: true }), 20_000, 'run_ticks until_digested did not end');
    assert.equal(r.digested, 10);
    assert.equal((await coord.call('stats', {})).pending, 0);
    // a shard that restarts in memory with the same identity numbers its batches after the last one
    // the coordinator applied (they are not taken for re-sends of old batches)
    await within(cluster.shards[0].stop(), 10_000, 'the shard did not stop');
    cluster.shards[0] = new ShardNode({ join: cluster.address, identity: 'embedded-shard-1', security: cluster.security, heartbeatMs: 3_600_000 });
    assert.equal(await within(cluster.shards[0].start(), 20_000, 'the restarted shard did not register'), 1);
    await coord.call('ingest', { docs: docs.slice(10, 15) });
    assert.equal((await coord.call('stats', {})).documents, 15, 'the restarted shard\'s documents are counted');
  } finally {
    coord.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  }
});

import assert from 'node:assert/strict';
import { join, join as join_ } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import { documentIdOf } from '../src/ids/ids.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { ShardNode } from '../src/shard/shard.js';
import { failNextDfReport } from './fakes.js';
import { CORPUS, SHORT, within, tempDir } from './helpers.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));

/** The coordinator's df for every term of `batch` equals a single colony's. */
async function sameDf(coord: RpcClient, batch: typeof docs): Promise<void> {
  const local = new LocalEngine();
  await local.ingest(batch);
  const terms = [...local.colony.docs.index.terms()];
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

for (const [durable, counted] of [[false, 10], [true, 10], [false, 0], [true, 0]] as const) {
  test(`${durable ? 'with' : 'without'} a data directory, ${counted} counted: documents that move to a joining shard before their df report was flushed are still counted`, SHORT, async () => {
    const security = { token: `moved-df-${durable}` };
    const coordinator = new Coordinator({ security });
    const port = await within(coordinator.start(), 10_000, 'the coordinator did not start');
    const join = `127.0.0.1:${port}`;
    const dir = tempDir('phago-moved-df-');
    // no heartbeats (they would flush the report at once): only what the cluster does on its own
    const shard = (name: string) => new ShardNode({ join, identity: name, security, heartbeatMs: 3_600_000, dataDir: durable ? join_(dir, name) : undefined });
    const s1 = shard('s1');
    let s2: ShardNode | undefined;
    const coord = new RpcClient(CoordinatorServiceClient, join, security, 20_000);
    try {
      await within(s1.start(), 20_000, 'shard 1 did not register');
      if (counted > 0) await coord.call('ingest', { docs: docs.slice(0, counted) });
      // the next report does not reach the coordinator: stored on shard 1, not counted yet
      failNextDfReport(s1, 'not-delivered');
      const unreported = docs.slice(counted, counted + 20);
      await assert.rejects(coord.call('ingest', { docs: unreported }), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
      assert.equal((await coord.call('stats', {})).documents, counted);
      // a second shard joins: about half of the documents move to it
      s2 = shard('s2');
      await within(s2.start(), 30_000, 'shard 2 did not join');
      const moved = unreported.filter((d) => s2!.docs.get(documentIdOf(d.id!)) !== undefined);
      assert.ok(moved.length > 0, 'some unreported documents moved');
      // what a heartbeat would do: re-send whatever shard 1 still has unreported
      await (s1 as unknown as { flushDfReports(): Promise<void> }).flushDfReports();
      const st = await coord.call('stats', {});
      assert.equal(st.held_documents, counted + 20, 'no document was lost');
      assert.equal(st.documents, counted + 20, `every document counted (${moved.length} moved before their report)`);
      await sameDf(coord, docs.slice(0, counted + 20));
    } finally {
      coord.close();
      await within(s2?.stop() ?? Promise.resolve(), 10_000, 'shard 2 did not stop');
      await within(s1.stop(), 10_000, 'shard 1 did not stop');
      await within(coordinator.stop(), 10_000, 'the coordinator did not stop');
    }
  });
}

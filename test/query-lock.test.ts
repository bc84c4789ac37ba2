import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { CORPUS, LONG, within } from './helpers.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));

test('a query waiting for a hung shard holds no lock: ticks and other calls go on; deadline_ms is bounded', LONG, async () => {
  let hold: Promise<void> | null = null;
  let held = 0;
  // shard 2 hangs on local queries while `hold` is set (its tick phases are unaffected)
  const cluster = await within(
    EmbeddedCluster.start({ shards: 3, shardOptions: (i) => (i === 1 ? { beforeQuery: async () => (hold ? (held++, hold) : undefined) } : {}) }),
    30_000,
    'the embedded cluster did not start',
  );
  const a = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 30_000);
  const b = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 30_000);
  let release = () => {};
  try {
    await a.call('ingest', { docs: docs.slice(0, 30) });
    await a.call('run_ticks', { ticks: 3 });
    hold = new Promise<void>((r) => (release = r));
    const waiting = a.call('query', { text: 'cell membrane protein', k: 5, deadline_ms: 20_000 });
    const end = Date.now() + 5000;
    while (held === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.ok(held > 0, 'the query reached the held shard');
    // meanwhile another client's calls complete promptly: a tick, reads, and another query
    const before = (await within(b.call('current_tick', {}), 2000, 'current_tick did not answer while a query waited')).tick;
    await within(b.call('run_ticks', { ticks: 1 }), 5000, 'a tick did not complete while a query waited for a hung shard');
    assert.equal((await within(b.call('current_tick', {}), 2000, 'current_tick did not answer')).tick, before + 1);
    await within(b.call('list_shards', {}), 2000, 'list_shards did not answer while a query waited');
    await within(b.call('stats', {}), 5000, 'stats did not answer while a query waited');
    const partial = await within(b.call('query', { text: 'cell', k: 3, deadline_ms: 500 }), 5000, 'a second query did not answer while the first waited');
    assert.deepEqual(partial.missing_shards, [2]);
    assert.equal(partial.partial, true);
    // the first query gets its whole answer once the shard answers (asked again: a tick ran meanwhile)
    hold = null;
    release();
    const r = await within(waiting, 25_000, 'the waiting query did not finish');
    assert.deepEqual(r.missing_shards, []);
    assert.ok(r.documents.length > 0);
    // deadline_ms is bounded (30 s by default): over it is INVALID_ARGUMENT, not a longer wait
    await assert.rejects(b.call('query', { text: 'cell', k: 3, deadline_ms: 3_600_000 }), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT && /deadline_ms 3600000 is over the limit of 30000/.test(e.details));
    assert.equal((await b.call('query', { text: 'cell', k: 3, deadline_ms: 30_000 })).partial, false);
  } finally {
    hold = null;
    release();
    a.close();
    b.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  }
});

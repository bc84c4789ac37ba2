import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { readDocsJsonl } from '../src/io/files.js';
import type { RpcClient } from '../src/rpc/client.js';
import { CORPUS, SHORT, within } from './helpers.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl')).slice(0, 12);

/**
 * Hold back every commit_tick the coordinator sends to a shard until `release` is called (the
 * message then goes out through the real socket): a commit that is slow to arrive.
 */
function holdCommits(client: RpcClient): { release(): void; held(): number } {
  const queue: (() => void)[] = [];
  let open = false;
  const call = client.call.bind(client);
  client.call = ((method: string, req: unknown, ms?: number) => {
    if (method !== 'commit_tick' || open) return call(method, req, ms);
    return new Promise<void>((r) => queue.push(r)).then(() => call(method, req, ms));
  }) as RpcClient['call'];
  return {
    release() {
      open = true;
      for (const go of queue.splice(0)) go();
    },
    held: () => queue.length,
  };
}

test('a tick is committed at its decision: the next tick overlaps a commit round that has not arrived, and reads wait for it', SHORT, async () => {
  // the shard records the tick it has committed whenever it answers a query
  const seenAtQuery: number[] = [];
  const cluster = await within(
    EmbeddedCluster.start({ shards: 2, shardOptions: () => ({ beforeQuery: async () => void seenAtQuery.push(Math.min(...cluster.shards.map((s) => s.committedTick))) }) }),
    30_000,
    'the embedded cluster did not start',
  );
  const engine = cluster.engine();
  let hold: { release(): void; held(): number } | undefined;
  try {
    await engine.ingest(docs);
    await within(engine.tick('digest'), 30_000, 'the documents were not digested');
    const c = cluster.coordinator;
    const t0 = c.currentTick;
    const target = cluster.shards[0];
    hold = holdCommits(c.clientOf(target.id));

    // tick t0+1 is committed (its decision recorded) although its commit has not reached the shard
    assert.equal(await within(c.runTick(), 10_000, 'tick t0+1 did not commit'), t0 + 1);
    assert.equal(hold.held(), 1, 'the commit to the held shard is still on its way');
    assert.equal(target.committedTick, t0, 'the held shard has not heard of the commit yet');
    assert.equal(target.participant.isPrepared, true, 'the held shard holds the tick prepared');

    // the next tick does not wait for that commit: its first phase commits t0+1 on the shard
    assert.equal(await within(c.runTick(), 10_000, 'tick t0+2 did not commit while the commit of t0+1 was held'), t0 + 2);
    assert.ok(target.committedTick >= t0 + 1, `the next tick's first phase committed t0+1 on the held shard (at ${target.committedTick})`);

    // a read waits for the commit round still in flight: it sees every shard at tick t0+2
    const query = engine.searchDocuments('cell membrane', 5);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(seenAtQuery.length, 0, 'no shard answered the query before the commit round ended');
    hold.release();
    await within(query, 10_000, 'the query did not answer after the commit round');
    assert.ok(seenAtQuery.length > 0 && seenAtQuery.every((t) => t === t0 + 2), `every shard answered at tick ${t0 + 2}: ${JSON.stringify(seenAtQuery)}`);
    // the late commits of t0+1 and t0+2 were idempotent: the shards serve at t0+2, and ticks go on
    assert.deepEqual(
      cluster.shards.map((s) => s.committedTick),
      [t0 + 2, t0 + 2],
    );
    assert.equal(await within(c.runTick(), 10_000, 'tick t0+3 did not commit'), t0 + 3);
  } finally {
    hold?.release();
    engine.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  }
});

// Replicated shards (issue 8 part 2, docs/replication.md): 4 shard servers with --replicas 2 form two
// groups of a primary and a follower. Followers catch up from a snapshot, apply every operation and
// prove the same state digest at every ADVANCE; a primary that stops is replaced by its in-sync
// follower and ticks, ingest and queries go on with the same graph and answers as one process; a
// returning process follows again and catches up.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { ShardNode } from '../src/shard/shard.js';
import { CORPUS, LONG, until, within } from './helpers.js';
import { answers, replicasIdentical, type Entry } from './replica-checks.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));

let cluster: EmbeddedCluster;
let coord: RpcClient;
const extra: ShardNode[] = [];

const list = async (): Promise<Entry[]> => (await coord.call<{ shards: Entry[] }>('list_shards', {})).shards;
const allInSync = (l: Entry[]) => l.filter((e) => e.role === 'follower').length >= 2 && l.filter((e) => e.role === 'follower').every((e) => e.in_sync);

before(async () => {
  cluster = await within(EmbeddedCluster.start({ shards: 4, replicas: 2, leaseMs: 400, retryWindowMs: 30_000 }), 30_000, 'the replicated cluster did not start');
  coord = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 20_000);
});

after(async () => {
  coord.close();
  for (const s of extra) await within(s.stop(), 10_000, 'an extra shard did not stop');
  await within(cluster.stop(), 20_000, 'the cluster did not stop');
});

test('followers sync, replicate every change with equal digests, and take over from a dead primary', LONG, async () => {
  const l0 = await until(list, allInSync, 'both followers in sync', 20_000);
  assert.deepEqual(l0.map((e) => [e.id, e.role]), [[1, 'primary'], [1, 'follower'], [2, 'primary'], [2, 'follower']], 'two groups of a primary and a follower');
  const engine = cluster.engine();
  const local = new LocalEngine();
  const first = docs.slice(0, 60);
  await within(engine.ingest(first), 30_000, 'ingest did not finish');
  await within(engine.tick('digest'), 60_000, 'digestion did not finish');
  await local.ingest(first);
  await local.tick('digest');
  assert.equal(await cluster.coordinator.graphHash(), await local.graphHash(), 'the replicated cluster has the graph of one process');
  assert.deepEqual(await answers(engine), await answers(local), 'and its answers');
  await replicasIdentical(await list(), cluster.shardSecurity);

  // a follower whose state diverged (tampered here: every concept's count) fails the digest check at
  // the next ADVANCE: that attempt aborts (nothing commits), the follower is resynced, the retry commits
  const follower = cluster.shards[1];
  assert.equal(follower.role, 'follower');
  const fg = follower.part.graph;
  for (const n of [...fg.nodeNumbers()]) {
    const row = fg.node(n)!;
    fg.installNode({ ...row, accessCount: row.accessCount + 1000 });
  }
  const aborted = cluster.coordinator.metrics.ticksAborted;
  const before = (await aborted.get()).values[0]?.value ?? 0;
  const mid = docs.slice(60, 70);
  await within(engine.ingest(mid), 30_000, 'ingest of the next batch did not finish');
  await within(engine.tick('digest'), 60_000, 'the tick after the divergence did not commit');
  await local.ingest(mid);
  await local.tick('digest');
  assert.ok(((await aborted.get()).values[0]?.value ?? 0) > before, 'the attempt with a diverged replica aborted');
  assert.equal(await cluster.coordinator.graphHash(), await local.graphHash(), 'the committed graph is the primary\'s');
  await until(list, allInSync, 'the diverged follower is resynced', 20_000);
  await replicasIdentical(await list(), cluster.shardSecurity);

  // the primary of shard 1 dies: its follower is promoted; ticks, ingest and queries go on
  const victim = cluster.shards[0];
  await within(victim.stop(), 10_000, 'shard 1 did not stop');
  const rest = docs.slice(70, 100);
  await local.ingest(rest);
  await local.tick('digest');
  await within(engine.ingest(rest), 60_000, 'ingest after the primary died did not finish');
  await within(engine.tick('digest'), 90_000, 'digestion after the primary died did not finish');
  const l1 = await list();
  const g1 = l1.filter((e) => e.id === 1);
  assert.equal(g1.find((e) => e.role === 'primary')!.address, l0[1].address, 'the follower of shard 1 is its primary now');
  assert.equal(await cluster.coordinator.graphHash(), await local.graphHash(), 'the same graph as one process after the failover');
  assert.deepEqual(await answers(engine), await answers(local), 'the same answers after the failover');

  // the old primary's identity comes back (a new process, nothing kept): it follows and catches up
  const back = new ShardNode({ join: cluster.address, identity: 'embedded-shard-1', security: cluster.shardSecurity });
  extra.push(back);
  await within(back.start(), 20_000, 'the returning shard did not register');
  assert.equal(back.role, 'follower');
  const l2 = await until(list, (l) => l.filter((e) => e.id === 1 && e.role === 'follower' && e.in_sync).length === 1, 'the returning process is in sync', 30_000);
  await within(engine.tick(1), 30_000, 'a tick with the returned follower did not commit');
  await local.tick(1);
  assert.equal(await cluster.coordinator.graphHash(), await local.graphHash(), 'the same graph after the follower returned');
  await replicasIdentical(l2, cluster.shardSecurity);
});

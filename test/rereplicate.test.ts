// Restoring copies without a new process (issue 8 part 3, docs/replication.md): 4 shard servers with
// --replicas 2 form two groups. A dead follower is removed by the operator; no process replaces it,
// so the survivors restore two copies of what its group held: the group is folded into the other
// (its keys move there) and its surviving primary follows that group. A process that registers later
// becomes a new group, and a surplus follower moves to it. After each step the cluster has one
// process's graph and answers, every replica is identical, and a primary's death loses nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { withRole } from '../src/rpc/roles.js';
import { ShardNode } from '../src/shard/shard.js';
import { CORPUS, LONG, until, within } from './helpers.js';
import { answers, replicasIdentical, type Entry } from './replica-checks.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));

let cluster: EmbeddedCluster;
let coord: RpcClient;
let admin: RpcClient;
const extra: ShardNode[] = [];

const list = async (): Promise<Entry[]> => (await coord.call<{ shards: Entry[] }>('list_shards', {})).shards;
const shape = (l: Entry[]) => l.map((e) => `${e.id}:${e.role}${e.role === 'follower' && !e.in_sync ? '(syncing)' : ''}`).join(' ');

before(async () => {
  cluster = await within(EmbeddedCluster.start({ shards: 4, replicas: 2, leaseMs: 400, retryWindowMs: 30_000, rereplicateAfterMs: 0 }), 30_000, 'the replicated cluster did not start');
  coord = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 20_000);
  admin = new RpcClient(CoordinatorServiceClient, cluster.address, withRole(cluster.security, 'admin'), 60_000);
});

after(async () => {
  coord.close();
  admin.close();
  for (const s of extra) await within(s.stop(), 10_000, 'an extra shard did not stop');
  await within(cluster.stop(), 20_000, 'the cluster did not stop');
});

test('survivors restore r copies after a removal: the short group folds, a new process gets a surplus follower', LONG, async () => {
  await until(list, (l) => shape(l) === '1:primary 1:follower 2:primary 2:follower', 'two groups in sync', 20_000);
  const engine = cluster.engine();
  const local = new LocalEngine();
  const check = async (what: string) => {
    assert.equal(await cluster.coordinator.graphHash(), await local.graphHash(), `${what}: the graph of one process`);
    assert.deepEqual(await answers(engine), await answers(local), `${what}: the answers of one process`);
  };
  const step = async (batch: typeof docs, what: string) => {
    await within(engine.ingest(batch), 60_000, `${what}: ingest did not finish`);
    await within(engine.tick('digest'), 90_000, `${what}: digestion did not finish`);
    await local.ingest(batch);
    await local.tick('digest');
  };
  await step(docs.slice(0, 40), 'start');
  await check('before any failure');

  // group 2's follower dies and the operator removes it: group 2 has one copy, no process comes
  const l0 = await list();
  const dead = l0.find((e) => e.id === 2 && e.role === 'follower')!;
  const survivor = l0.find((e) => e.id === 2 && e.role === 'primary')!;
  assert.equal(dead.status, 'ONLINE', 'a live follower in sync is ONLINE');
  await within(cluster.shards.find((s) => s.address === dead.address)!.stop(), 10_000, 'the follower did not stop');
  // followers do not heartbeat: the coordinator's probes find it silent
  await until(list, (l) => l.find((e) => e.address === dead.address)?.status === 'OFFLINE', 'the dead follower is OFFLINE in list_shards', 10_000);
  const report = await admin.call<{ detail: string }>('remove_shard', { id: 2, identity: dead.identity });
  assert.match(report.detail, /nothing is lost/);
  assert.match(report.detail, /survivors restore 2 copies/);
  // with --rereplicate-after 0 the fold follows: group 2's keys move to group 1, its primary follows group 1
  const l1 = await until(list, (l) => shape(l) === '1:primary 1:follower 1:follower', 'group 2 folded into group 1, its primary a follower in sync', 60_000);
  assert.ok(l1.some((e) => e.address === survivor.address && e.role === 'follower'), 'the survivor of group 2 follows group 1');
  await check('after the fold');
  await replicasIdentical(l1, cluster.shardSecurity);
  await step(docs.slice(40, 60), 'after the fold');
  await check('ticks after the fold');

  // a new process registers: every group has r copies, so it becomes group 3 (keys move to it), and
  // group 1's surplus follower moves to it: two groups of two copies again
  const fresh = new ShardNode({ join: cluster.address, identity: 'rereplicate-new', security: cluster.shardSecurity });
  extra.push(fresh);
  await within(fresh.start(), 30_000, 'the new shard did not register');
  const l2 = await until(list, (l) => shape(l) === '1:primary 1:follower 3:primary 3:follower', 'group 3 with a follower moved from group 1', 60_000);
  await check('after the move');
  await replicasIdentical(l2, cluster.shardSecurity);
  await step(docs.slice(60, 80), 'after the move');
  await check('ticks after the move');
  await replicasIdentical(await until(list, (l) => shape(l) === '1:primary 1:follower 3:primary 3:follower', 'all in sync', 20_000), cluster.shardSecurity);

  // group 3's primary dies: its follower (moved there from group 1) takes over; nothing is lost
  const p3 = l2.find((e) => e.id === 3 && e.role === 'primary')!;
  const victim = [...cluster.shards, ...extra].find((s) => s.address === p3.address)!;
  await within(victim.stop(), 10_000, 'the primary of group 3 did not stop');
  await step(docs.slice(80, 100), 'after the primary of group 3 died');
  await check('after the failover');
});

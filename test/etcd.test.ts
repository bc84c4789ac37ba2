// Coordinators on etcd (docs/etcd.md): real etcd members on loopback ports (scripts/etcd-members.ts),
// a coordinator that keeps the cluster's state across its restart, and three coordinators of which the
// leader is killed twice (idle, then during ticks): a standby takes over within the lease TTL + 2 s, the
// tick counter never goes back, df and answers are those of before, and the graph is the one-process one.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Etcd3 } from 'etcd3';
import { CoordinatorCandidate } from '../src/coordinator/leadership.js';
import { ClusterEngine } from '../src/engine/cluster.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { LeaderClient } from '../src/rpc/leader-client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { ShardNode } from '../src/shard/shard.js';
import { EtcdCoordinatorStorage, FencedError } from '../src/storage/etcd-coordinator-storage.js';
import { freePort } from '../src/util/net.js';
import { etcdMissing, startEtcd } from '../scripts/etcd-members.js';
import { CORPUS, killProcess, killStarted, startProcess, until, within } from './helpers.js';

const missing = etcdMissing();
const skip = missing ? `skipped: ${missing}` : false;
if (missing) process.stdout.write(`# etcd tests skipped: ${missing}\n`);

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl')).slice(0, 6);
const CONFIG = { digestPerTick: 20 };
const TERMS = ['cell', 'protein', 'graph', 'memory', 'network', 'gene'];
const TTL_S = 2;

after(() => killStarted());

async function answers(e: Engine): Promise<string[]> {
  const out: string[] = [];
  for (const q of queries) {
    const d = await e.searchDocuments(q.text, 10);
    const c = await e.searchConcepts(q.text, 10);
    assert.deepEqual(d.missingShards, []);
    out.push(JSON.stringify({ d: d.hits.map((h) => [h.key, h.score]), c: c.hits.map((h) => [h.label, h.score]) }));
  }
  return out;
}

async function snapshot(client: LeaderClient, e: Engine) {
  const { tick } = await client.call<{ tick: number }>('current_tick', {});
  const { df } = await client.call<{ df: Record<string, number> }>('get_global_df', { terms: TERMS });
  const shards = await client.call<{ epoch: number; shards: { id: number; address: string }[] }>('list_shards', {});
  const stats = await e.stats();
  return { tick, df, epoch: shards.epoch, members: shards.shards.map((s) => [s.id, s.address]), documents: stats.documents, digested: stats.digested, answers: await answers(e) };
}

/** The graph hash of one process after the same documents and `ticks` ticks (`forgotten` forgotten after tick 3). */
async function oneProcessHash(ticks: number, forgotten: string[] = []): Promise<string> {
  const local = new LocalEngine(CONFIG);
  await local.ingest(docs);
  if (forgotten.length > 0) {
    await local.tick(3);
    await local.forget(forgotten);
    await local.tick(ticks - 3);
  } else await local.tick(ticks);
  const h = await local.graphHash();
  await local.close();
  return h;
}

test('a coordinator on etcd keeps the cluster state across its restart and steps down when deposed', { timeout: 60_000, skip }, async () => {
  const etcd = await startEtcd(1);
  const security = { token: 'etcd-one' };
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const candidate = () => new CoordinatorCandidate({ security, port, config: CONFIG }, { endpoints: etcd.endpoints, leaseTtlS: TTL_S, prefix: '/restart/' });
  let cand = candidate();
  const shards: ShardNode[] = [];
  const client = new LeaderClient(CoordinatorServiceClient, address, security, 10_000);
  const engine = new ClusterEngine(address, security);
  try {
    await within(cand.start(), 10_000, 'the coordinator did not start');
    await until(async () => cand.isLeader, (v) => v, 'the only coordinator was not elected', 10_000);
    for (const identity of ['r1', 'r2']) {
      const s = new ShardNode({ join: address, identity, security, heartbeatMs: 300 });
      await within(s.start(), 10_000, `shard ${identity} did not join`);
      shards.push(s);
    }
    await within(engine.ingest(docs), 20_000, 'ingest did not finish');
    await within(engine.tick(3), 20_000, 'ticks did not finish');
    // forgotten documents leave the counts (digested ones too): kept in etcd like every df report
    const forgotten = docs.slice(0, 5).map((d) => d.id!);
    const f = await within(engine.forget(forgotten), 20_000, 'forget did not finish');
    assert.ok(f.digested >= 1 && f.digested < 5, `digested and pending documents forgotten (${f.digested} digested)`);
    const before = await snapshot(client, engine);
    assert.equal(before.tick, 3);
    assert.equal(before.documents, docs.length - 5);
    assert.equal(before.digested, 60 - f.digested);
    assert.ok(before.df.cell > 0, 'df of "cell" is counted');

    await within(cand.stop(), 10_000, 'the coordinator did not stop');
    cand = candidate();
    await within(cand.start(), 10_000, 'the coordinator did not start again');
    await until(async () => cand.isLeader, (v) => v, 'the restarted coordinator was not elected', 10_000);
    // (a client's channel to the stopped coordinator reconnects: its first calls may fail fast)
    await until(() => client.call('current_tick', {}, 1000), () => true, 'the restarted coordinator did not answer', 10_000);
    const again = await within(snapshot(client, engine), 20_000, 'the restarted coordinator did not answer');
    assert.deepEqual(again, before, 'the state after the restart is the state before');

    await within(engine.tick('digest'), 20_000, 'digestion did not finish');
    await within(engine.tick(2), 20_000, 'ticks did not finish');
    const { tick } = await client.call<{ tick: number }>('current_tick', {});
    assert.equal(await engine.graphHash(), await oneProcessHash(tick, forgotten), 'the graph of one process');

    // the leader's election key disappears (as when its lease expires unseen): its next write is refused,
    // the tick is not committed, it stands down, campaigns again and (the only candidate) serves again
    const watcher = new Etcd3({ hosts: etcd.endpoints, dialTimeout: 2000 });
    try {
      const firstElected = cand.electedAtMs;
      await watcher.delete().prefix('/restart/election/').exec();
      await assert.rejects(client.call('run_ticks', { ticks: 1 }, 10_000), 'a deposed leader commits no tick');
      await until(async () => cand.isLeader && cand.electedAtMs > firstElected, (v) => v, 'the deposed coordinator was not elected again', 15_000);
      await until(() => client.call('current_tick', {}, 1000), () => true, 'the re-elected coordinator did not answer', 10_000);
      const r = await client.call<{ tick: number }>('run_ticks', { ticks: 1 }, 10_000);
      assert.equal(r.tick, tick + 1, 'the tick counter goes on from the last committed tick');
    } finally {
      watcher.close();
    }
  } finally {
    client.close();
    await engine.close();
    await Promise.all(shards.map((s) => s.stop()));
    await cand.stop().catch(() => undefined);
    await etcd.stop();
  }
});

test('three coordinators on a 3-member etcd: the leader killed twice, a standby takes over', { timeout: 90_000, skip }, async () => {
  const etcd = await startEtcd(3);
  const token = 'etcd-three';
  const security = { token }; // shards: the cluster token
  const clientSec = { token: `${token}-client` }; // clients: the client token
  const coordinators: Awaited<ReturnType<typeof startProcess>>[] = [];
  const shards: ShardNode[] = [];
  const watcher = new Etcd3({ hosts: etcd.endpoints, dialTimeout: 2000 });
  const election = watcher.namespace('/phago/').election('coordinator');
  let polling = true;
  let poller: Promise<void> = Promise.resolve();
  try {
    const args = ['coordinator', '--etcd', etcd.endpoints.join(','), '--lease-ttl', String(TTL_S), '--port', '0', '--token', `${token}-client`, '--cluster-token', token, '--admin-token', `${token}-admin`, '--digest-per-tick', String(CONFIG.digestPerTick), '--retry-window', '20000', '--log-level', 'warn'];
    for (let i = 0; i < 3; i++) coordinators.push(await startProcess(args, /listening (\S+)/, 20_000));
    const addresses = coordinators.map((c) => c.match[1]);
    const all = addresses.join(',');
    const leader = async () => election.leader();
    const first = await until(leader, (v) => v !== undefined, 'no coordinator was elected', 15_000);
    const client = new LeaderClient(CoordinatorServiceClient, all, clientSec, 10_000);
    const engine = new ClusterEngine(all, clientSec);
    for (const identity of ['f1', 'f2']) {
      const s = new ShardNode({ join: all, identity, security, heartbeatMs: 300 });
      await within(s.start(), 15_000, `shard ${identity} did not join`);
      shards.push(s);
    }
    await within(engine.ingest(docs), 30_000, 'ingest did not finish');
    await within(engine.tick(3), 30_000, 'ticks did not finish');
    const before = await snapshot(client, engine);

    // current_tick as every client sees it, all along: it never goes back
    const seen: number[] = [];
    const watch = new LeaderClient(CoordinatorServiceClient, all, security, 1000);
    poller = (async () => {
      while (polling) {
        await watch.call<{ tick: number }>('current_tick', {}).then((r) => seen.push(r.tick), () => undefined);
        await new Promise((r) => setTimeout(r, 50));
      }
      watch.close();
    })();

    /** Kill the leader abruptly; resolves with the ms until another coordinator serves as leader. */
    const failover = async (old: string): Promise<number> => {
      const victim = coordinators[addresses.indexOf(old)];
      const t0 = Date.now();
      await killProcess(victim.child);
      const next = await until(leader, (v) => v !== undefined && v !== old, `no standby took over from ${old}`, (TTL_S + 5) * 1000);
      await until(() => client.call<{ tick: number }>('current_tick', {}, 1000), () => true, `the new leader ${next} did not serve`, 10_000);
      return Date.now() - t0;
    };

    // 1. the leader killed while idle: the state is the one before, exactly
    const idleMs = await failover(first!);
    assert.ok(idleMs <= (TTL_S + 2) * 1000, `the first takeover took ${idleMs} ms (lease ${TTL_S} s)`);
    const after1 = await within(snapshot(client, engine), 20_000, 'the new leader did not answer');
    assert.deepEqual(after1, before, 'tick, df, membership, counts and answers after the takeover');

    // 2. the leader killed during ticks: ticks go on, the counter never goes back
    const second = (await leader())!;
    const running = engine.tick('digest').catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 150));
    const busyMs = await failover(second);
    assert.ok(busyMs <= (TTL_S + 2) * 1000, `the second takeover took ${busyMs} ms (lease ${TTL_S} s)`);
    await within(running, 30_000, 'the interrupted run did not end');
    await within(engine.tick('digest'), 30_000, 'digestion did not finish on the last coordinator');
    await within(engine.tick(2), 30_000, 'ticks did not finish');
    const end = await snapshot(client, engine);
    assert.deepEqual(end.df, before.df, 'global df is exact across two failovers');
    assert.equal(end.documents, docs.length);
    assert.equal(end.digested, docs.length);
    // the poller reads through the same leader client across both failovers; on a loaded machine its
    // polls during the run may all meet a dead or not yet elected coordinator, so it gets a bounded
    // while to read the settled leader once before it stops
    await until(async () => seen.length, (n) => n >= 1, 'the current_tick poller never read a tick through the leader client', 15_000);
    polling = false;
    await within(poller, 5000, 'the current_tick poller did not stop');
    // (a poll that meets a dead coordinator waits out its 1 s deadline, so on a quiet machine, where the
    // whole run takes a few seconds, only a handful land: the check is that none goes back)
    assert.ok(seen.length >= 1, `current_tick was seen ${seen.length} times`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `current_tick went back from ${seen[i - 1]} to ${seen[i]}`);
    assert.equal(await engine.graphHash(), await oneProcessHash(end.tick), 'the graph of one process');
    process.stdout.write(`# takeover after the leader was killed: ${idleMs} ms idle, ${busyMs} ms during ticks (lease ${TTL_S} s); current_tick seen ${seen.length} times\n`);
    client.close();
    await engine.close();
  } finally {
    polling = false;
    await poller;
    await Promise.all(shards.map((s) => s.stop()));
    for (const c of coordinators) await killProcess(c.child);
    watcher.close();
    await etcd.stop();
  }
});

test('fencing: a coordinator whose election key is gone writes nothing more', { timeout: 30_000, skip }, async () => {
  const etcd = await startEtcd(1);
  const client = new Etcd3({ hosts: etcd.endpoints, dialTimeout: 2000 });
  try {
    const lease = client.lease(TTL_S);
    await lease.put('/fence/election/key').value('127.0.0.1:1').exec();
    const kv = (await client.get('/fence/election/key').exec()).kvs[0];
    let fenced = '';
    const store = await EtcdCoordinatorStorage.load(client, '/fence/', { key: '/fence/election/key', createRevision: String(kv.create_revision) }, 1000);
    store.onFenced = (e) => (fenced = e.message);
    const core = async () => JSON.parse((await client.get('/fence/state/core').string()) ?? '{}') as { meta?: { current_tick?: string } };
    store.setMeta({ current_tick: 1 });
    await store.flush();
    assert.equal((await core()).meta?.current_tick, '1');
    await lease.revoke(); // the lease is gone: another coordinator may be elected now
    store.setMeta({ current_tick: 2 });
    await assert.rejects(store.flush(), FencedError);
    await assert.rejects(store.flush(), FencedError, 'it stays fenced');
    assert.match(fenced, /no longer the leader/);
    assert.equal((await core()).meta?.current_tick, '1', 'the deposed coordinator wrote nothing');
    // a new leader loads what the old one had written
    const next = await EtcdCoordinatorStorage.load(client, '/fence/', { key: '/fence/election/other', createRevision: '0' }, 1000);
    assert.equal(next.meta('current_tick'), '1');
  } finally {
    client.close();
    await etcd.stop();
  }
});

test('df records fold into snapshots: exact totals for the next leader, whatever a dead leader left behind', { timeout: 30_000, skip }, async () => {
  const etcd = await startEtcd(1);
  const client = new Etcd3({ hosts: etcd.endpoints, dialTimeout: 2000 });
  try {
    const lease = client.lease(TTL_S);
    await lease.put('/dfc/election/key').value('127.0.0.1:1').exec();
    const kv = (await client.get('/dfc/election/key').exec()).kvs[0];
    const fence = { key: '/dfc/election/key', createRevision: String(kv.create_revision) };
    const store = await EtcdCoordinatorStorage.load(client, '/dfc/', fence, 1000, 5);
    const expected = new Map<string, number>();
    const add = (df: Record<string, number>) => {
      for (const [t, n] of Object.entries(df)) expected.set(t, (expected.get(t) ?? 0) + n);
    };
    for (let b = 1; b <= 12; b++) {
      const df = { shared: 1, [`only${b}`]: b, [`pair${b % 3}`]: 2 };
      assert.ok(store.applyDf(b % 2 ? 'shard-a' : 'shard-b', b, new Map(Object.entries(df)), 1, 10 * b));
      add(df);
      if (b % 4 === 0) {
        store.addDf(new Map([['shared', -1]]), -1, -5);
        add({ shared: -1 });
      }
    }
    await store.flush();
    await until(async () => (await store.flush(), store.dfRecords()), (r) => r.obsolete === 0, 'the folded records are deleted', 10_000);
    const keys = async (under: string) => Object.keys(await client.getAll().prefix(`/dfc/state/${under}`).strings());
    const st = store.dfRecords();
    assert.ok(st.generation >= 2 && st.records < 5, `records fold every 5 (generation ${st.generation}, ${st.records} unfolded)`);
    assert.equal((await keys('df/')).length + (await keys('df0/')).length, st.records, 'only the unfolded records stay in etcd');
    assert.deepEqual((await keys('dfsnap/')).map((k) => k.split('/').slice(-2).join('/')).sort(), [`${String(st.generation).padStart(12, '0')}/head`, `${String(st.generation).padStart(12, '0')}/part-0`], 'one snapshot: the older ones are deleted');
    const sorted = (m: Map<string, number>) => [...m].filter(([, n]) => n !== 0).sort();
    assert.deepEqual(sorted(store.df()), sorted(expected));

    // what a leader that died mid-compaction leaves: a folded record not deleted yet (re-put here) and
    // the parts of a generation whose head it never wrote; the next leader counts neither
    const head = JSON.parse(inflateRawSync((await client.get(`/dfc/state/dfsnap/${String(st.generation).padStart(12, '0')}/head`).buffer())!).toString('utf8')) as { folded: string[] };
    const stale = head.folded.find((k) => k.startsWith('state/df/'))!;
    await client.put(`/dfc/${stale}`).value(deflateRawSync(JSON.stringify({ df: { shared: 1000 }, documents: 1000, totalLength: 1000 })));
    await client.put(`/dfc/state/dfsnap/${String(st.generation + 5).padStart(12, '0')}/part-0`).value(deflateRawSync(JSON.stringify({ df: { shared: 1000 } })));
    const next = await EtcdCoordinatorStorage.load(client, '/dfc/', { key: '/dfc/election/key', createRevision: fence.createRevision }, 1000, 5);
    assert.deepEqual(sorted(next.df()), sorted(expected), 'the next leader has the same df');
    assert.equal(next.meta('documents'), store.meta('documents'));
    assert.equal(next.meta('total_length'), store.meta('total_length'));
    assert.equal(next.lastDfBatch('shard-a'), 11);
    assert.equal(next.lastDfBatch('shard-b'), 12);
    assert.equal(next.dfRecords().obsolete, 2, 'the stale record and the unfinished generation are to delete');
    // it goes on: more reports fold into a generation above the unfinished one, and the leftovers go
    for (let b = 13; b <= 18; b++) {
      assert.ok(next.applyDf('shard-a', b, new Map([['late', 1]]), 1, 1));
      add({ late: 1 });
    }
    assert.equal(next.applyDf('shard-a', 13, new Map([['late', 1]]), 1, 1), false, 'a batch is applied once');
    await until(async () => (await next.flush(), next.dfRecords()), (r) => r.obsolete === 0, 'the leftovers are deleted', 10_000);
    assert.ok(next.dfRecords().generation > st.generation + 5, 'a new generation number');
    const third = await EtcdCoordinatorStorage.load(client, '/dfc/', fence, 1000, 5);
    assert.deepEqual(sorted(third.df()), sorted(expected));
    assert.equal(third.lastDfBatch('shard-a'), 18);
    assert.equal((await keys('dfsnap/')).length, 2, 'one snapshot left (head and one part)');
  } finally {
    client.close();
    await etcd.stop();
  }
});

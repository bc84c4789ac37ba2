import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Colony } from '../src/colony/colony.js';
import { PhagoError } from '../src/core/errors.js';
import type { DocumentInput } from '../src/core/input.js';
import { Partition } from '../src/core/partition.js';
import { makeConfig } from '../src/core/config.js';
import { canonicalHash } from '../src/core/hash.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { decodePresentations, encodePresentations } from '../src/protocol/codec.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { newTextIndex } from '../src/search/text-index.js';
import { freePort } from '../src/util/net.js';
import { PENDING as PENDING_FORGET } from '../src/coordinator/forget.js';
import { forgetReport } from '../src/shard/forget.js';
import { CORPUS, exitOf, killProcess, killStarted, LONG, rejects, SHORT, startProcess, within, tempDir } from './helpers.js';

after(killStarted);

const corpus = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl'));

/** Concepts as label → access count, edges as "a|b" (labels sorted) → co-activations. */
function graphOf(c: Colony): { nodes: Record<string, number>; edges: Record<string, number> } {
  const g = c.graph;
  const nodes: Record<string, number> = {};
  for (const n of g.nodeNumbers()) nodes[g.labelOf(n)] = g.node(n)!.accessCount;
  const edges: Record<string, number> = {};
  for (const e of g.edgeNumbers()) edges[g.edgeLabels(e).slice().sort().join('|')] = g.coActivations(e);
  return { nodes, edges };
}

test('forget withdraws a digested document at the next tick: counts down, edges and concepts at zero go', () => {
  const c = new Colony();
  c.ingestBatch([
    { id: 'one', text: 'alpha beta gamma' },
    { id: 'two', text: 'alpha beta delta' },
  ]);
  c.run(1);
  assert.deepEqual(graphOf(c), {
    nodes: { alpha: 2, beta: 2, gamma: 1, delta: 1 },
    edges: { 'alpha|beta': 2, 'alpha|gamma': 1, 'beta|gamma': 1, 'alpha|delta': 1, 'beta|delta': 1 },
  });
  const r = c.forget(['two']);
  assert.equal(r.length, 1);
  assert.equal(r[0].digested, true);
  // the document leaves at once: table, postings, df; the graph waits for the next tick
  assert.equal(c.docs.size, 1);
  assert.equal(c.docs.df('delta'), 0);
  assert.equal(c.docs.df('alpha'), 1);
  assert.equal(graphOf(c).nodes.delta, 1);
  c.tick();
  assert.deepEqual(graphOf(c), { nodes: { alpha: 1, beta: 1, gamma: 1 }, edges: { 'alpha|beta': 1, 'alpha|gamma': 1, 'beta|gamma': 1 } });
  // forgetting the last document empties the graph
  c.forget(['one']);
  c.tick();
  assert.deepEqual(graphOf(c), { nodes: {}, edges: {} });
  assert.equal(c.stats().documents, 0);
});

test('forget: an unknown id is NOT_FOUND for the whole request; nothing is forgotten', () => {
  const c = new Colony();
  c.ingestBatch([{ id: 'a', text: 'alpha beta' }, { id: 'b', text: 'gamma delta' }]);
  assert.throws(() => c.forget(['a', 'nope']), (e) => e instanceof PhagoError && e.code === 'NOT_FOUND' && /nothing was forgotten/.test(e.message));
  assert.equal(c.docs.size, 2);
  assert.throws(() => c.forget([]), (e) => e instanceof PhagoError && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => c.forget(['']), (e) => e instanceof PhagoError && e.code === 'INVALID_ARGUMENT');
  // the same id twice is one document
  assert.equal(c.forget(['a', 'a']).length, 1);
  assert.throws(() => c.forget(['a']), (e) => e instanceof PhagoError && e.code === 'NOT_FOUND');
});

test('forget then ingest the same id with new content (an update); a pending document just leaves the queue', () => {
  const c = new Colony();
  c.ingestBatch([{ id: 'doc', text: 'alpha beta gamma' }, { id: 'other', text: 'alpha zeta' }]);
  c.run(1);
  assert.throws(() => c.ingest({ id: 'doc', text: 'something else entirely' }), (e) => e instanceof PhagoError && e.code === 'ALREADY_EXISTS');
  c.forget(['doc']);
  assert.equal(c.ingest({ id: 'doc', text: 'omega sigma alpha' }).created, true);
  c.run(1); // withdraws the old content and digests the new one in the same tick
  assert.deepEqual(graphOf(c).nodes, { alpha: 2, zeta: 1, omega: 1, sigma: 1 });
  assert.equal(c.docs.get(c.docs.allIds().find((id) => c.docs.get(id)!.key === 'doc')!)!.text, 'omega sigma alpha');

  // a pending document: gone from the queue, the graph as if it never came
  const withIt = new Colony();
  const without = new Colony();
  withIt.ingestBatch(corpus.slice(0, 12));
  without.ingestBatch(corpus.slice(0, 12).filter((d) => d.id !== corpus[5].id));
  withIt.forget([corpus[5].id!]);
  assert.equal(withIt.stats().pending, 11);
  withIt.runUntilDigested();
  without.runUntilDigested();
  assert.equal(withIt.currentTick, without.currentTick);
  assert.equal(withIt.graphHash(), without.graphHash());
});

test('a withdrawing tick rolls back whole: the graph and the outbox as before', () => {
  const p = new Partition(makeConfig(), newTextIndex());
  const docs = corpus.slice(0, 8).map((d) => ({ id: d.id!, key: d.id!, title: d.title ?? '', text: d.text }));
  p.ingest(docs.map((d) => ({ ...d, id: new Colony().ingestBatch([d])[0].id })), 0);
  for (let t = 1; t <= 8; t++) p.runTick(t, 1);
  const before = canonicalHash(p.graph, 8, () => true);
  p.forget([p.docs.allIds()[2]]);
  p.begin(9, true);
  p.present(9, p.withdraw());
  p.prune(9);
  p.rollback();
  assert.equal(canonicalHash(p.graph, 8, () => true), before);
  assert.equal(p.pendingWithdrawals.length, 1);
  p.runTick(9, 1);
  assert.equal(p.pendingWithdrawals.length, 0);
});

test('the codec carries withdrawals beside presentations (and the old layout without them)', () => {
  const list = [
    { labels: ['a', 'b', 'c'], wired: 2 },
    { labels: ['b', 'd'], wired: 2, withdrawn: true },
  ];
  assert.deepEqual(decodePresentations(encodePresentations(list)), list);
  assert.equal(encodePresentations([list[0]])[0], 1);
  assert.deepEqual(decodePresentations(encodePresentations([list[0]])), [list[0]]);
});

test('after forgetting a document the document ranking is that of a colony that never ingested it', async () => {
  // the ranking without graph expansion depends only on the documents: it must be the same exactly
  const plain = { expansion: 0 };
  const forgot = new LocalEngine({}, {}, plain);
  const never = new LocalEngine({}, {}, plain);
  const full = new LocalEngine();
  await full.ingest(corpus);
  await full.tick('digest');
  const top = (await full.searchDocuments(queries[0].text, 1)).hits[0];
  await forgot.ingest(corpus);
  await forgot.tick('digest');
  await forgot.forget([top.key]);
  await full.forget([top.key]);
  await never.ingest(corpus.filter((d) => d.id !== top.key));
  await never.tick('digest');
  for (const q of queries) {
    assert.deepEqual((await forgot.searchDocuments(q.text, 10)).hits, (await never.searchDocuments(q.text, 10)).hits, q.text);
    // with expansion (the default), the forgotten document is never returned, before or after the tick
    assert.ok(!(await full.searchDocuments(q.text, 100)).hits.some((h) => h.key === top.key), q.text);
  }
  await full.tick(1);
  for (const q of queries) assert.ok(!(await full.searchDocuments(q.text, 100)).hits.some((h) => h.key === top.key), q.text);
});

/** A script of ingests, ticks and forgets (digested and pending documents, an update, a re-forget). */
async function script(e: Engine) {
  const ids = corpus.map((d) => d.id!);
  await e.ingest(corpus.slice(0, 36));
  await e.tick(2);
  await e.forget([ids[1], ids[7], ids[30]]);
  await e.ingest(corpus.slice(36, 48));
  await e.ingest([{ id: ids[7], title: 'updated', text: 'cellular membranes transport ions and proteins' }]);
  await e.tick(2);
  await e.forget([ids[3], ids[37], ids[7]]);
  await e.tick('digest');
  await e.forget([ids[20], ids[21]]);
  await e.ingest(corpus.slice(48, 60));
  await e.forget([ids[50], ids[22]]); // a pending one and a digested one
  await e.tick('digest');
  await e.tick(3);
  const answers: string[] = [];
  for (const q of queries) {
    const d = await e.searchDocuments(q.text, 10);
    const c = await e.searchConcepts(q.text, 10);
    assert.deepEqual(d.missingShards, []);
    answers.push(JSON.stringify({ d: d.hits.map((h) => [h.key, h.score]), c: c.hits.map((h) => [h.label, h.score]) }));
  }
  const gone = [ids[1], ids[7], ids[30], ids[3], ids[37], ids[20], ids[21], ids[50], ids[22]];
  for (const q of queries.slice(0, 5)) assert.ok(!(await e.searchDocuments(q.text, 100)).hits.some((h) => gone.includes(h.key)), q.text);
  return { hash: await e.graphHash(), stats: await e.stats(), answers };
}

test('partition invariance with forgets interleaved with ingests and ticks: one process and 1, 2, 3 shards', LONG, async () => {
  const single = await script(new LocalEngine());
  assert.equal(single.stats.documents, 51);
  for (const n of [1, 2, 3]) {
    const cluster = await within(EmbeddedCluster.start({ shards: n }), 60_000, `a cluster of ${n} shards did not start`);
    const engine = cluster.engine();
    try {
      const r = await within(script(engine), 120_000, `the script on ${n} shards did not finish`);
      assert.equal(r.hash, single.hash, `graph hash on ${n} shards`);
      assert.deepEqual([r.stats.tick, r.stats.documents, r.stats.pending, r.stats.nodes, r.stats.edges], [single.stats.tick, single.stats.documents, single.stats.pending, single.stats.nodes, single.stats.edges]);
      assert.deepEqual(r.answers, single.answers, `answers on ${n} shards`);
    } finally {
      await within(engine.close(), 20_000, 'the embedded cluster did not stop');
    }
  }
});

test('cluster forget: NOT_FOUND all or none across shards, bad ids INVALID_ARGUMENT, global df at once', SHORT, async () => {
  // the words themselves as index terms, so the df of "membrane" counts the documents that contain it
  const cluster = await within(EmbeddedCluster.start({ shards: 3, config: { stemming: 0 } }), 60_000, 'the cluster did not start');
  const client = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 10_000);
  try {
    const docs = corpus.slice(0, 20);
    await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
    const ids = docs.map((d) => d.id!);
    await rejects(client.call('forget', { ids: [ids[0], ids[1], ids[2], 'unknown-doc'] }), grpc.status.NOT_FOUND, /not found/);
    assert.equal((await client.call('stats', {})).documents, 20);
    await rejects(client.call('forget', { ids: [] }), grpc.status.INVALID_ARGUMENT, /at least one/);
    await rejects(client.call('forget', { ids: ['x'.repeat(300)] }), grpc.status.INVALID_ARGUMENT, /limit/);
    const term = 'membrane';
    const before = (await client.call('get_global_df', { terms: [term] })).df[term];
    const has = docs.filter((d) => /\bmembrane\b/i.test(`${d.title}\n${d.text}`)).map((d) => d.id!);
    assert.ok(has.length > 0);
    const r = await client.call('forget', { ids: has });
    assert.equal(r.ids.length, has.length);
    assert.equal(Number((await client.call('get_global_df', { terms: [term] })).df[term] ?? 0), Number(before) - has.length);
    assert.equal(Number((await client.call('stats', {})).documents), 20 - has.length);
    await rejects(client.call('forget', { ids: [has[0]] }), grpc.status.NOT_FOUND);
  } finally {
    client.close();
    await within(cluster.stop(), 20_000, 'the cluster did not stop');
  }
});

test('a forget rolled forward completes only once its df decrements are counted, also where an earlier try already forgot the documents', SHORT, async () => {
  // no heartbeat in the test's time: only the roll-forward itself can deliver the waiting report
  const cluster = await within(EmbeddedCluster.start({ shards: 2, leaseMs: 600_000, shardOptions: () => ({ heartbeatMs: 3_600_000 }) }), 60_000, 'the cluster did not start');
  const client = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 10_000);
  try {
    const docs = corpus.slice(0, 20);
    await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
    await client.call('run_ticks', { until_digested: true });
    // an earlier try of forget(ids) that stopped half way: shard 1 forgot them durably (its df report
    // waiting), then the try died before the report reached the coordinator, which kept the forget recorded
    const s = cluster.shards[0];
    const ids = s.part.docs.allIds().slice(0, 3);
    const batch = s.dfBatch + 1;
    s.part.forget(ids, (res, withdrawals) => {
      s.storage.forgetDocs(res.map((r) => r.id), withdrawals, batch, forgetReport(res));
      s.dfBatch = batch;
      s.dfDirty = true;
    });
    cluster.coordinator.store.setMeta({ [PENDING_FORGET]: JSON.stringify(ids) });
    assert.equal(Number((await client.call('stats', {})).documents), 20, 'not counted yet');
    // the next forget completes the recorded one first: counted before it answers
    const other = cluster.shards[1].part.docs.allIds()[0];
    await client.call('forget', { ids: [other] });
    assert.equal(Number((await client.call('stats', {})).documents), 20 - ids.length - 1);
    assert.equal(cluster.coordinator.store.meta(PENDING_FORGET), '');
  } finally {
    client.close();
    await within(cluster.stop(), 20_000, 'the cluster did not stop');
  }
});

/** `digested` documents digested after `ticks` ticks and `pending` still pending, in corpus order, skipping `skip`. */
function pick(docs: DocumentInput[], ticks: number, perTick: number, digested: number, pending: number, skip: readonly string[] = []): string[] {
  const c = new Colony({ digestPerTick: perTick });
  c.ingestBatch(docs);
  c.run(ticks);
  const state = (id: string) => c.docs.get(c.ingest(docs.find((d) => d.id === id)!).id)!.digestedTick !== null;
  const ids = docs.map((d) => d.id!).filter((id) => !skip.includes(id));
  return [...ids.filter(state).slice(0, digested), ...ids.filter((id) => !state(id)).slice(0, pending)];
}

/** The reference in one process: ingest, then per step: forget its ids, run its ticks. */
async function reference(docs: DocumentInput[], ticks: number, steps: { forget: string[]; ticks: number }[]): Promise<{ hash: string; digested: number[] }> {
  const e = new LocalEngine({ digestPerTick: 5 });
  await e.ingest(docs);
  await e.tick(ticks);
  const digested: number[] = [];
  for (const st of steps) {
    digested.push((await e.forget(st.forget)).digested);
    await e.tick(st.ticks);
  }
  return { hash: await e.graphHash(), digested };
}

test('kill -9 at each point of a forget and of its withdrawing tick: nothing acknowledged is lost, no forget is half done', { timeout: 300_000 }, async () => {
  const dir = tempDir('phago-forget-crash-');
  const token = 'forget-crash';
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const coordArgs = ['coordinator', '--port', String(port), '--token', `${token}-client`, '--cluster-token', token, '--data-dir', join(dir, 'c'), '--retry-window', '0', '--digest-per-tick', '5'];
  const shardArgs = (i: number) => ['shard', '--join', addr, '--port', '0', '--cluster-token', token, '--data-dir', join(dir, `s${i}`), '--identity', `fs${i}`];
  const shard = (i: number, failpoint?: string) => startProcess(shardArgs(i), /shard (\d+) /, 40_000, failpoint ? { PHAGO_FAILPOINT: failpoint } : {});
  const coordinator = (failpoint?: string) => startProcess(coordArgs, /listening/, 20_000, failpoint ? { PHAGO_FAILPOINT: failpoint } : {});
  const client = new RpcClient(CoordinatorServiceClient, addr, { token: `${token}-client` }, 20_000);
  /** Call until the process dies at its failpoint. */
  const untilDead = async (p: { child: import('node:child_process').ChildProcess }, call: () => Promise<unknown>, what: string) => {
    const dead = exitOf(p.child, 60_000, `${what}: the failpoint was not reached`);
    const exited = () => p.child.exitCode !== null || p.child.signalCode !== null;
    for (const end = Date.now() + 60_000; !exited() && Date.now() < end; ) await call().catch(() => new Promise((r) => setTimeout(r, 100)));
    await dead;
  };
  const settled = async (f: () => Promise<unknown>, what: string) => {
    for (const end = Date.now() + 40_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (await f().then(() => true, () => false)) return;
    throw new Error(`${what} did not succeed within 40 s`);
  };
  try {
    let coord = await coordinator();
    const shards = [await shard(1, 'shard-after-forget-stored'), await shard(2)];
    const docs = corpus.slice(0, 30);
    await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
    await client.call('run_ticks', { ticks: 4 });
    const a = pick(docs, 4, 5, 3, 2);
    const b = pick(docs, 4, 5, 2, 1, a);
    const cc = pick(docs, 4, 5, 2, 1, [...a, ...b]);
    const ref = await reference(docs, 4, [{ forget: [...a, ...b], ticks: 1 }, { forget: cc, ticks: 1 }]);
    assert.ok(ref.digested.every((n) => n > 0));

    // 1. shard 1 dies once its part of forget(a) is durable, before the coordinator counted it
    await untilDead(shards[0], () => client.call('forget', { ids: a }), 'forget a');
    await killProcess(coord.child);
    // 2. the coordinator dies once forget(b) is recorded (it completes forget(a) first)
    coord = await coordinator('coordinator-after-forget-recorded');
    shards[0] = await shard(1);
    await untilDead(coord, () => client.call('forget', { ids: b }), 'forget b');
    // 3. the coordinator dies once it decided the withdrawing tick 5, before any shard heard of it
    coord = await coordinator('after-decision');
    await untilDead(coord, () => client.call('run_ticks', { ticks: 1 }), 'tick 5');
    // 4. shard 2 is killed with tick 5 prepared; both come back and converge on the decision
    await killProcess(shards[1].child);
    coord = await coordinator();
    shards[1] = await shard(2);
    await settled(async () => assert.equal(Number((await client.call('current_tick', {})).tick), 5), 'tick 5 committed');
    assert.equal(Number((await client.call('stats', {})).documents), 30 - a.length - b.length);
    // 5. forget(cc) is acknowledged, then both shards are killed before its withdrawing tick
    assert.equal(Number((await client.call('forget', { ids: cc })).digested), ref.digested[1]);
    await Promise.all(shards.map((s) => killProcess(s.child)));
    await Promise.all([shard(1), shard(2)]); // together: a shard rejoins once the membership can be told
    await settled(() => client.call('run_ticks', { ticks: 1 }), 'tick 6');
    assert.equal(Number((await client.call('current_tick', {})).tick), 6);
    const st = await client.call('stats', { with_graph_hash: true });
    assert.equal(Number(st.documents), 30 - a.length - b.length - cc.length);
    assert.equal(Number(st.pending), Number(st.documents) - Number(st.digested));
    assert.equal(st.graph_hash, ref.hash);
    for (const id of [a[0], b[0], cc[0]]) await rejects(client.call('forget', { ids: [id] }), grpc.status.NOT_FOUND);
    for (const q of queries.slice(0, 5)) {
      const hits = (await client.call('query', { text: q.text, k: 50 })).documents as { key: string }[];
      assert.ok(hits.length > 0 && !hits.some((h) => [...a, ...b, ...cc].includes(h.key)), `${q.text}: ${JSON.stringify(hits.map((h) => h.key))} gone ${JSON.stringify([...a, ...b, ...cc])}`);
    }
  } finally {
    client.close();
  }
});

test('withdrawals waiting for a tick move with their document id when shards join and leave', SHORT, async () => {
  const docs = corpus.slice(0, 40);
  const gone = docs.slice(0, 40).filter((_, i) => i % 5 === 1).map((d) => d.id!);
  const ref = new LocalEngine();
  await ref.ingest(docs);
  await ref.tick(3);
  assert.equal((await ref.forget(gone)).digested, 8);
  await ref.tick(2);
  const cluster = await within(EmbeddedCluster.start({ shards: 2 }), 60_000, 'the cluster did not start');
  const e = cluster.engine();
  const client = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 30_000);
  const { ShardNode } = await import('../src/shard/shard.js');
  const third = new ShardNode({ join: cluster.address, identity: 'third', security: cluster.security });
  try {
    await e.ingest(docs);
    await e.tick(3);
    await e.forget(gone);
    const waiting = () => [...cluster.shards, third].reduce((n, s) => n + s.part.pendingWithdrawals.length, 0);
    assert.equal(waiting(), 8);
    await within(third.start(), 60_000, 'the third shard did not join');
    await client.call('unregister', { id: 1 }); // shard 1 leaves with its share of the withdrawals
    assert.equal(waiting() - cluster.shards[0].part.pendingWithdrawals.length, 8, 'every withdrawal is on a member');
    await e.tick(2);
    assert.equal(await e.graphHash(), await ref.graphHash());
  } finally {
    client.close();
    await within(third.stop(), 10_000, 'the third shard did not stop');
    await within(e.close(), 20_000, 'the cluster did not stop');
  }
});

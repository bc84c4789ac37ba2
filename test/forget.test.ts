import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { ShardNode } from '../src/shard/shard.js';
import { freePort } from '../src/util/net.js';
import { CORPUS, exitOf, killProcess, killStarted, LONG, rejects, SHORT, startProcess, within } from './helpers.js';

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
  await e.ingest(corpus.slice(0, 60));
  await e.tick(4);
  await e.forget([ids[1], ids[7], ids[50]]); // two digested (4 ticks of 10), one pending
  await e.ingest(corpus.slice(60, 80));
  await e.ingest([{ id: ids[7], title: 'updated', text: 'cellular membranes transport ions and proteins' }]);
  await e.tick(3);
  await e.forget([ids[3], ids[61], ids[7]]);
  await e.tick('digest');
  await e.forget([ids[20], ids[21]]);
  await e.ingest(corpus.slice(80));
  await e.tick('digest');
  await e.tick(5);
  const answers: string[] = [];
  for (const q of queries) {
    const d = await e.searchDocuments(q.text, 10);
    const c = await e.searchConcepts(q.text, 10);
    assert.deepEqual(d.missingShards, []);
    answers.push(JSON.stringify({ d: d.hits.map((h) => [h.key, h.score]), c: c.hits.map((h) => [h.label, h.score]) }));
  }
  for (const id of [ids[1], ids[7], ids[50], ids[3], ids[61], ids[20], ids[21]]) for (const q of queries.slice(0, 5)) assert.ok(!(await e.searchDocuments(q.text, 100)).hits.some((h) => h.key === id));
  return { hash: await e.graphHash(), stats: await e.stats(), answers };
}

test('partition invariance with forgets interleaved with ingests and ticks: one process and 1, 2, 3 shards', LONG, async () => {
  const single = await script(new LocalEngine());
  assert.equal(single.stats.documents, 93);
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
  const cluster = await within(EmbeddedCluster.start({ shards: 3 }), 60_000, 'the cluster did not start');
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

/** `digested` documents digested after `ticks` ticks and `pending` still pending, in corpus order. */
function pick(docs: DocumentInput[], ticks: number, perTick: number, digested: number, pending: number): string[] {
  const c = new Colony({ digestPerTick: perTick });
  c.ingestBatch(docs);
  c.run(ticks);
  const state = (id: string) => c.docs.get(c.ingest(docs.find((d) => d.id === id)!).id)!.digestedTick !== null;
  const ids = docs.map((d) => d.id!);
  return [...ids.filter(state).slice(0, digested), ...ids.filter((id) => !state(id)).slice(0, pending)];
}

/** The reference: the same ingests, forgets and ticks in one process. */
async function referenceRun(docs: DocumentInput[], forget: string[], ticksBefore: number, ticksAfter: number): Promise<{ hash: string; digested: number }> {
  const e = new LocalEngine({ digestPerTick: 5 });
  await e.ingest(docs);
  await e.tick(ticksBefore);
  const { digested } = await e.forget(forget);
  await e.tick(ticksAfter);
  return { hash: await e.graphHash(), digested };
}

test('kill -9 of shards after a forget and during the withdrawing tick: nothing acknowledged is lost, the forget is whole', LONG, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phago-forget-crash-'));
  const token = 'forget-crash';
  const coordArgs = ['coordinator', '--port', '0', '--token', token, '--data-dir', join(dir, 'c'), '--retry-window', '0', '--digest-per-tick', '5', '--lease', '600'];
  const coord = await startProcess(coordArgs, /listening (\S+)/);
  const addr = coord.match[1];
  const shardArgs = (i: number) => ['shard', '--join', addr, '--port', '0', '--token', token, '--data-dir', join(dir, `s${i}`), '--identity', `fs${i}`];
  const shards = [await startProcess(shardArgs(1), /shard (\d+) /), await startProcess(shardArgs(2), /shard (\d+) /)];
  const client = new RpcClient(CoordinatorServiceClient, addr, { token }, 20_000);
  try {
    const docs = corpus.slice(0, 30);
    await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
    await client.call('run_ticks', { ticks: 4 });
    const gone = pick(docs, 4, 5, 3, 1);
    const ref = await referenceRun(docs, gone, 4, 2);
    assert.ok(ref.digested > 0 && ref.digested < gone.length, 'digested and pending documents are forgotten');
    const r = await client.call('forget', { ids: gone });
    assert.equal(Number(r.digested), ref.digested);
    // kill -9 both shards right after the forget was acknowledged, then restart them
    await Promise.all(shards.map((s) => killProcess(s.child)));
    // both at once: a shard registers again only when the membership it rejoins can be told
    [shards[0], shards[1]] = await Promise.all([startProcess(shardArgs(1), /shard (\d+) /, 40_000), startProcess(shardArgs(2), /shard (\d+) /, 40_000)]);
    const ready = async () => {
      for (const end = Date.now() + 30_000; Date.now() < end; ) {
        const ok = await client.call('run_ticks', { ticks: 1 }).then(() => true, () => false);
        if (ok) return;
        await new Promise((res) => setTimeout(res, 200));
      }
      throw new Error('no tick committed within 30 s after the shards restarted');
    };
    await ready(); // tick 5: withdraws the two digested documents
    assert.equal(Number((await client.call('stats', {})).documents), 26);
    // and once more, the withdrawing tick already committed: recovery replays it from the log
    await killProcess(shards[0].child);
    shards[0] = await startProcess(shardArgs(1), /shard (\d+) /);
    await ready(); // tick 6
    const st = await client.call('stats', { with_graph_hash: true });
    const current = Number((await client.call('current_tick', {})).tick);
    assert.equal(current, 6);
    assert.equal(st.graph_hash, ref.hash);
    for (const q of queries.slice(0, 5)) {
      const hits = (await client.call('query', { text: q.text, k: 50 })).documents as { key: string }[];
      assert.ok(hits.length > 0, q.text);
      assert.ok(!hits.some((h) => gone.includes(h.key)), q.text);
    }
  } finally {
    client.close();
  }
});

test('a shard restarted while the withdrawing tick is prepared (the coordinator died after deciding) converges whole', LONG, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phago-forget-prepared-'));
  const security = { token: 'forget-prepared' };
  const port = await freePort();
  const coordArgs = ['coordinator', '--port', String(port), '--token', security.token, '--data-dir', join(dir, 'c'), '--retry-window', '0', '--digest-per-tick', '5'];
  let coord = await startProcess(coordArgs, /listening/);
  const mk = (i: number) => new ShardNode({ join: `127.0.0.1:${port}`, identity: `p${i}`, security, dataDir: join(dir, `s${i}`) });
  const shards = [mk(0), mk(1)];
  const client = new RpcClient(CoordinatorServiceClient, `127.0.0.1:${port}`, security, 10_000);
  try {
    for (const s of shards) await within(s.start(), 30_000, 'a shard did not start');
    const docs = corpus.slice(0, 20);
    await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
    await client.call('run_ticks', { ticks: 4 });
    const gone = pick(docs, 4, 5, 2, 1);
    const ref = await referenceRun(docs, gone, 4, 2);
    assert.ok(ref.digested > 0);
    assert.equal(Number((await client.call('forget', { ids: gone })).digested), ref.digested);
    await killProcess(coord.child);
    // this coordinator dies once it has recorded the commit of tick 5 (the withdrawing tick)
    coord = await startProcess(coordArgs, /listening/, 20_000, { PHAGO_FAILPOINT: 'after-decision' });
    const died = exitOf(coord.child, 60_000, 'the coordinator did not reach its after-decision failpoint');
    const exited = () => coord.child.exitCode !== null || coord.child.signalCode !== null;
    for (const end = Date.now() + 60_000; !exited() && Date.now() < end; ) await client.call('run_ticks', { ticks: 1 }).catch(() => new Promise((r) => setTimeout(r, 100)));
    await died;
    assert.deepEqual(shards.map((s) => s.committedTick), [4, 4]);
    // shard 1 goes down with tick 5 prepared and comes back from its data directory
    await within(shards[1].stop(), 10_000, 'a shard did not stop');
    coord = await startProcess(coordArgs, /listening/);
    shards[1] = mk(1);
    await within(shards[1].start(), 30_000, 'the shard did not restart');
    for (const end = Date.now() + 30_000; shards.some((s) => s.committedTick !== 5) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(shards.map((s) => s.committedTick), [5, 5]);
    assert.equal(shards.reduce((n, s) => n + s.part.pendingWithdrawals.length, 0), 0, 'the committed withdrawals left the outbox');
    await client.call('run_ticks', { ticks: 1 });
    assert.equal((await client.call('stats', { with_graph_hash: true })).graph_hash, ref.hash);
  } finally {
    client.close();
    for (const s of shards) await within(s.stop(), 10_000, 'a shard did not stop');
  }
});

test('kill -9 in the middle of a forget (a shard after storing it, the coordinator after recording it): it completes whole', LONG, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phago-forget-half-'));
  const token = 'forget-half';
  const port = await freePort();
  const coordArgs = ['coordinator', '--port', String(port), '--token', token, '--data-dir', join(dir, 'c'), '--retry-window', '0', '--digest-per-tick', '5'];
  let coord = await startProcess(coordArgs, /listening/);
  const addr = `127.0.0.1:${port}`;
  const shardArgs = (i: number) => ['shard', '--join', addr, '--port', '0', '--token', token, '--data-dir', join(dir, `s${i}`), '--identity', `h${i}`];
  const first = await startProcess(shardArgs(1), /shard (\d+) /, 20_000, { PHAGO_FAILPOINT: 'shard-after-forget-stored' });
  await startProcess(shardArgs(2), /shard (\d+) /);
  const client = new RpcClient(CoordinatorServiceClient, addr, { token }, 20_000);
  const settled = async (f: () => Promise<unknown>, what: string) => {
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (await f().then(() => true, () => false)) return;
    throw new Error(`${what} did not succeed within 30 s`);
  };
  try {
    const docs = corpus.slice(0, 30);
    await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
    await client.call('run_ticks', { ticks: 4 });
    const gone = pick(docs, 4, 5, 4, 2);
    const more = pick(docs, 4, 5, 8, 0).slice(4);
    const ref = await referenceRun(docs, [...gone, ...more], 4, 2);
    // shard 1 dies once its part is durable, before the coordinator counted it: not acknowledged
    await assert.rejects(client.call('forget', { ids: gone }), /UNAVAILABLE|forget recorded/);
    await exitOf(first.child, 10_000, 'shard 1 did not reach its failpoint');
    await startProcess(shardArgs(1), /shard (\d+) /);
    // the coordinator dies once the next forget is recorded (after completing the first), before any shard forgets it
    await killProcess(coord.child);
    coord = await startProcess(coordArgs, /listening/, 20_000, { PHAGO_FAILPOINT: 'coordinator-after-forget-recorded' });
    await assert.rejects(client.call('forget', { ids: more }), /UNAVAILABLE|unavailable|No connection|Connection dropped/);
    coord = await startProcess(coordArgs, /listening/);
    await settled(() => client.call('run_ticks', { ticks: 2 }), 'two ticks after the restarts');
    assert.equal(Number((await client.call('current_tick', {})).tick), 6);
    const st = await client.call('stats', { with_graph_hash: true });
    assert.equal(Number(st.documents), 30 - gone.length - more.length);
    assert.equal(st.graph_hash, ref.hash);
    await rejects(client.call('forget', { ids: [gone[0]] }), grpc.status.NOT_FOUND);
    await rejects(client.call('forget', { ids: [more[0]] }), grpc.status.NOT_FOUND);
  } finally {
    client.close();
  }
});

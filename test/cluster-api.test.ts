import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { LocalEngine } from '../src/engine/local.js';
import { documentIdOf, nodeIdOf } from '../src/ids/ids.js';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient, ShardServiceClient } from '../src/rpc/proto.js';
import { CORPUS, LONG, rejects, within } from './helpers.js';
import { join } from 'node:path';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));


async function until(pred: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached in time');
}

describe('CoordinatorService through real sockets', LONG, () => {
  let cluster: EmbeddedCluster;
  let coord: RpcClient;
  // a test can hold shard 2 before a given phase
  let hold: { phase: string; release: Promise<void> } | null = null;

  before(async () => {
    cluster = await within(
      EmbeddedCluster.start({
        shards: 3,
        shardOptions: (i) => (i === 1 ? { beforePhase: async (phase) => (hold && hold.phase === phase ? hold.release : undefined) } : {}),
      }),
      60_000,
      'the embedded cluster did not start',
    );
    coord = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 30_000);
    await within(cluster.engine().ingest(docs.slice(0, 40)), 60_000, 'ingest did not finish');
  });

  after(async () => {
    coord.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  });

  test('register: ids, returning identity, bad address, missing token', async () => {
    const list = await coord.call('list_shards', {});
    assert.deepEqual(list.shards.map((s: { id: number }) => s.id), [1, 2, 3]);
    assert.equal(list.epoch, 3);
    // a returning shard (same identity) gets its id back and the epoch does not move
    const again = await coord.call('register', { address: list.shards[0].address, identity: 'embedded-shard-1' });
    assert.equal(again.id, 1);
    assert.equal((await coord.call('list_shards', {})).epoch, 3);
    await rejects(coord.call('register', { address: 'no port here', identity: 'x' }), grpc.status.INVALID_ARGUMENT, /host:port/);
    // a new shard that cannot be reached: refused before anything changes (register never fails after adding)
    await rejects(coord.call('register', { address: '127.0.0.1:1', identity: 'newcomer' }), grpc.status.UNAVAILABLE, /does not answer .*nothing changed/);
    assert.deepEqual((await coord.call('list_shards', {})).shards.map((s: { id: number }) => s.id), [1, 2, 3]);
    const anon = new RpcClient(CoordinatorServiceClient, cluster.address, { token: 'wrong' });
    await rejects(anon.call('register', { address: '127.0.0.1:1', identity: 'x' }), grpc.status.UNAUTHENTICATED);
    anon.close();
  });

  test('unregister: unknown shard is NOT_FOUND, bad id INVALID_ARGUMENT', async () => {
    await rejects(coord.call('unregister', { id: 99 }), grpc.status.NOT_FOUND, /unknown shard 99/);
    await rejects(coord.call('unregister', { id: 0 }), grpc.status.INVALID_ARGUMENT);
  });

  test('route_document and route_node: owners, malformed ids', async () => {
    const id = documentIdOf('cell_biology_01');
    const owner = (await coord.call('route_document', { uuid: id })).id;
    assert.ok([1, 2, 3].includes(owner));
    // the owner really holds it: it refuses nothing and another shard refuses it
    const holder = cluster.shards.find((s) => s.id === owner)!;
    assert.ok(holder.docs.get(id));
    for (const s of cluster.shards) if (s.id !== owner) assert.equal(s.docs.get(id), undefined);
    await rejects(coord.call('route_document', { uuid: 'not-a-uuid' }), grpc.status.INVALID_ARGUMENT);
    await rejects(coord.call('route_node', { uuid: '' }), grpc.status.INVALID_ARGUMENT);
    const nodeOwner = (await coord.call('route_node', { uuid: nodeIdOf('membrane') })).id;
    assert.ok([1, 2, 3].includes(nodeOwner));
  });

  test('get_global_df equals a single colony holding every document', async () => {
    const local = new LocalEngine();
    await local.ingest(docs.slice(0, 40));
    const terms = [...local.colony.docs.index.terms()].sort();
    const r = await coord.call('get_global_df', { terms: [...terms, 'zzznotaword', 'the'] });
    for (const t of terms) assert.equal(r.df[t], local.colony.docs.df(t), t);
    assert.equal(r.df.zzznotaword, 0);
    assert.equal(r.df.the, 0);
  });

  test('start_tick, tick_status, barrier_ready, phase_complete with a shard held back in ACT', async () => {
    let release!: () => void;
    hold = { phase: 'ACT', release: new Promise<void>((r) => (release = r)) };
    const before = (await coord.call('current_tick', {})).tick;
    const { tick: started, attempt } = await coord.call('start_tick', {});
    assert.equal(started, before + 1);
    assert.ok(attempt >= 1);
    await until(async () => {
      const s = await coord.call('tick_status', {});
      return s.in_progress && s.phase === 'ACT' && s.completed.length === 2;
    });
    const s = await coord.call('tick_status', {});
    assert.deepEqual(s.pending, [2]);
    assert.equal(s.attempt, attempt);
    assert.deepEqual(s.completed, [1, 3]);
    assert.equal(s.complete, false);
    assert.equal((await coord.call('barrier_ready', { shard_id: 1, phase: 'ACT', tick: started, attempt })).ready, false);
    assert.equal((await coord.call('barrier_ready', { shard_id: 1, phase: 'SENSE', tick: started, attempt })).ready, true);
    assert.equal((await coord.call('barrier_ready', { shard_id: 1, phase: 'DECAY', tick: started, attempt })).ready, false);
    // errors while the tick runs
    await rejects(coord.call('start_tick', {}), grpc.status.FAILED_PRECONDITION, new RegExp(`tick ${started} is in progress`));
    await rejects(coord.call('register', { address: '127.0.0.1:1', identity: 'embedded-shard-1' }), grpc.status.FAILED_PRECONDITION, /in progress/);
    await rejects(coord.call('phase_complete', { shard_id: 1, phase: 'DECAY', tick: started, attempt }), grpc.status.FAILED_PRECONDITION, /phase ACT, not DECAY/);
    await rejects(coord.call('phase_complete', { shard_id: 1, phase: 'ACT', tick: started + 5, attempt }), grpc.status.FAILED_PRECONDITION, /not in progress/);
    await rejects(coord.call('phase_complete', { shard_id: 42, phase: 'ACT', tick: started, attempt }), grpc.status.NOT_FOUND, /unknown shard 42/);
    await rejects(coord.call('phase_complete', { shard_id: 1, phase: 'TICK_PHASE_UNSPECIFIED', tick: started, attempt }), grpc.status.INVALID_ARGUMENT);
    await rejects(coord.call('barrier_ready', { shard_id: 1, phase: 'ACT', tick: started + 3, attempt }), grpc.status.FAILED_PRECONDITION);
    // a report of another attempt is not counted; one without an attempt is malformed
    await rejects(coord.call('phase_complete', { shard_id: 2, phase: 'ACT', tick: started, attempt: attempt + 1 }), grpc.status.FAILED_PRECONDITION, /attempt .* is over/);
    await rejects(coord.call('phase_complete', { shard_id: 2, phase: 'ACT', tick: started }), grpc.status.INVALID_ARGUMENT, /attempt/);
    // phase_complete is idempotent for a shard that already completed
    await coord.call('phase_complete', { shard_id: 1, phase: 'ACT', tick: started, attempt });
    assert.equal((await coord.call('current_tick', {})).tick, before);
    hold = null;
    release();
    await until(async () => (await coord.call('current_tick', {})).tick === started);
    const done = await coord.call('tick_status', {});
    assert.equal(done.complete, true);
    assert.equal(done.in_progress, false);
    assert.equal((await coord.call('barrier_ready', { shard_id: 2, phase: 'ADVANCE', tick: started, attempt })).ready, true);
    await rejects(coord.call('phase_complete', { shard_id: 1, phase: 'ADVANCE', tick: started, attempt }), grpc.status.FAILED_PRECONDITION, /no tick is in progress/);
  });

  test('list_shards: ordered by id, with counts, address, status and heartbeat', async () => {
    await coord.call('run_ticks', { ticks: 2 });
    const list = await coord.call('list_shards', {});
    assert.deepEqual(list.shards.map((s: { id: number }) => s.id), [1, 2, 3]);
    const total = list.shards.reduce((n: number, s: { document_count: number }) => n + s.document_count, 0);
    assert.equal(total, 40);
    for (const s of list.shards) {
      assert.equal(s.status, 'ONLINE');
      assert.ok(s.last_heartbeat_ms > 0);
      assert.match(s.address, /^127\.0\.0\.1:\d+$/);
    }
    const st = await coord.call('stats', { with_graph_hash: false });
    assert.equal(list.shards.reduce((n: number, s: { node_count: number }) => n + s.node_count, 0), st.nodes);
  });

  test('a tick aborts when a shard fails a phase, and the graph is unchanged', async () => {
    // a tick with work to do (an empty tick skips ACT and DECAY)
    await coord.call('ingest', { docs: [{ id: 'abort-me', text: 'a pending document makes the tick digest something' }] });
    const hashBefore = (await coord.call('stats', { with_graph_hash: true })).graph_hash;
    const tickBefore = (await coord.call('current_tick', {})).tick;
    hold = { phase: 'DECAY', release: Promise.reject(new Error('injected failure')) };
    hold.release.catch(() => undefined);
    await rejects(coord.call('run_ticks', { ticks: 1 }), grpc.status.ABORTED, /injected failure/);
    hold = null;
    const status = await coord.call('tick_status', {});
    assert.match(status.failure, new RegExp(`tick ${tickBefore + 1} aborted in phase DECAY`));
    assert.equal((await coord.call('current_tick', {})).tick, tickBefore);
    assert.equal((await coord.call('stats', { with_graph_hash: true })).graph_hash, hashBefore);
    // the tick runs again once the cluster is whole
    await coord.call('run_ticks', { ticks: 1 });
    assert.equal((await coord.call('current_tick', {})).tick, tickBefore + 1);
  });

  test('bad input never crashes a process: token, size, malformed bytes', async () => {
    const noToken = new RpcClient(CoordinatorServiceClient, cluster.address, { token: '' });
    await rejects(noToken.call('current_tick', {}), grpc.status.UNAUTHENTICATED, /token/);
    noToken.close();
    const shardNoToken = new RpcClient(ShardServiceClient, cluster.shards[0].address, { token: 'nope' });
    await rejects(shardNoToken.call('health_check', {}), grpc.status.UNAUTHENTICATED);
    shardNoToken.close();
    const big = 'word '.repeat(300_000);
    await rejects(coord.call('ingest', { docs: [{ id: 'big', title: '', text: big }] }), grpc.status.INVALID_ARGUMENT, /over the limit/);
    await rejects(coord.call('ingest', { docs: [{ id: 'e', title: '', text: '   ' }] }), grpc.status.INVALID_ARGUMENT, /empty document/);
    await rejects(coord.call('ingest', { docs: [] }), grpc.status.INVALID_ARGUMENT);
    await rejects(coord.call('ingest', { docs: [{ id: 'cell_biology_01', title: 'x', text: 'different words entirely' }] }), grpc.status.ALREADY_EXISTS, /never re-used/);
    await rejects(coord.call('query', { text: Array.from({ length: 100 }, (_, i) => `term${i}`).join(' '), k: 10 }), grpc.status.INVALID_ARGUMENT, /terms/);
    await rejects(coord.call('query', { text: 'cell', k: 100_000 }), grpc.status.INVALID_ARGUMENT, /over the limit/);
    await rejects(coord.call('query', { text: 'cell', k: 5, concepts: true, alpha: 7, has_alpha: true }), grpc.status.INVALID_ARGUMENT, /alpha/);
    await rejects(coord.call('explore', { kind: 'nonsense', k: 3 }), grpc.status.INVALID_ARGUMENT);
    await rejects(coord.call('explore', { kind: 'neighbours', from: 'zzznotaconcept', k: 3 }), grpc.status.NOT_FOUND);
    // shard-level: a document the shard does not own is refused with its owner
    const doc = { id: 'routed-elsewhere', title: '', text: 'some words here' };
    const owner = (await coord.call('route_document', { uuid: documentIdOf(doc.id) })).id;
    const other = cluster.shards.find((s) => s.id !== owner)!;
    const sc = new RpcClient(ShardServiceClient, other.address, cluster.security);
    await rejects(sc.call('ingest_document', { epoch: other.epoch, tick: other.committedTick, docs: [doc] }), grpc.status.FAILED_PRECONDITION, new RegExp(`owned by shard ${owner}`));
    await rejects(sc.call('ingest_document', { epoch: other.epoch - 1, tick: other.committedTick, docs: [doc] }), grpc.status.FAILED_PRECONDITION, /stale epoch/);
    await rejects(sc.call('deliver_deltas', { tick: 999, attempt: 1, epoch: other.epoch, from: 1, upserts: [], increments: [] }), grpc.status.FAILED_PRECONDITION);
    await rejects(sc.call('get_node', { uuid: 'xyz' }), grpc.status.INVALID_ARGUMENT);
    sc.close();
    // raw garbage bytes as a request
    const raw = new grpc.Client(cluster.address, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${cluster.security.token}`);
    const garbage = await new Promise<grpc.ServiceError | null>((resolve) =>
      raw.makeUnaryRequest('/phago.v1.CoordinatorService/ingest', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), md, { deadline: Date.now() + 10_000 }, (err) => resolve(err)),
    );
    raw.close();
    assert.equal(garbage?.code, grpc.status.INVALID_ARGUMENT, garbage?.details);
    // and everything still answers
    assert.ok((await coord.call('health', {})).serving);
    for (const s of cluster.shards) assert.ok(s.counts().document_count > 0);
    const q = await coord.call('query', { text: 'cell membrane', k: 3 });
    assert.equal(q.documents.length, 3);
  });
});

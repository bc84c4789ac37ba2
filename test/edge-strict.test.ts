// Strictness at the edge (issue 8 part 7), through real sockets: bytes a conformant protobuf parser
// refuses get INVALID_ARGUMENT and are not executed; error messages stay short whatever the input's
// size (a 16 KB id is INVALID_ARGUMENT, not RESOURCE_EXHAUSTED in a stock client); update_membership
// with a config_json that is not JSON and local_query with non-finite weights or inconsistent
// statistics are INVALID_ARGUMENT.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient, ShardServiceClient } from '../src/rpc/proto.js';
import { withRole } from '../src/rpc/roles.js';
import { MAX_DETAILS } from '../src/rpc/server.js';
import { documentIdOf } from '../src/ids/ids.js';
import { failNextDfReport } from './fakes.js';
import { LONG, rejects, within } from './helpers.js';

// ---- a minimal protobuf writer, to send exactly the bytes a test means --------------------------
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const len = (field: number, body: number[]) => [...tag(field, 2), ...varint(body.length), ...body];
const utf8 = (s: string) => [...Buffer.from(s, 'utf8')];

/** Send raw bytes as a method's request; resolves with the status code and details (OK: 0). */
function sendRaw(address: string, path: string, token: string, bytes: number[]): Promise<{ code: number; details: string }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(bytes), md, { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '' });
    });
  });
}

describe('strictness at the edge', LONG, () => {
  let cluster: EmbeddedCluster;
  let client: RpcClient;
  let member: RpcClient;
  let shard: RpcClient;
  let tokens: { client: string; member: string };

  before(async () => {
    cluster = await within(EmbeddedCluster.start({ shards: 2 }), 30_000, 'the embedded cluster did not start');
    client = new RpcClient(CoordinatorServiceClient, cluster.address, withRole(cluster.security, 'client'), 20_000);
    member = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 20_000);
    shard = new RpcClient(ShardServiceClient, cluster.shards[0].address, cluster.security, 20_000);
    tokens = { client: cluster.security.roles!.client!, member: cluster.security.roles!.member! };
  });

  after(async () => {
    for (const c of [client, member, shard]) c.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  });

  test('malformed protobuf is INVALID_ARGUMENT and never runs', async () => {
    const ingest = '/phago.v1.CoordinatorService/ingest';
    const doc = (text: number[]) => len(1, [...len(2, utf8('title')), ...len(3, text)]);
    const cases: { what: string; path: string; token: string; bytes: number[]; says: RegExp }[] = [
      { what: 'invalid wire type 7', path: ingest, token: tokens.client, bytes: [...tag(1, 7)], says: /invalid wire type 7/ },
      { what: 'a group (wire type 3)', path: ingest, token: tokens.client, bytes: [...tag(1, 3)], says: /invalid wire type 3/ },
      { what: 'a truncated field', path: ingest, token: tokens.client, bytes: [...tag(1, 2), 5, 0x61], says: /runs past the end/ },
      { what: 'invalid UTF-8 in a string', path: ingest, token: tokens.client, bytes: doc([0x63, 0x65, 0x6c, 0x6c, 0xff, 0x73]), says: /docs\.text: not valid UTF-8/ },
      { what: 'a truncated varint', path: '/phago.v1.CoordinatorService/run_ticks', token: tokens.client, bytes: [...tag(1, 0), 0xff], says: /truncated varint/ },
      { what: 'an 11-byte varint', path: '/phago.v1.CoordinatorService/current_tick', token: tokens.client, bytes: [...tag(9, 0), ...Array(10).fill(0xff), 1], says: /varint/ },
      { what: 'a known field with the wrong wire type', path: '/phago.v1.CoordinatorService/query', token: tokens.client, bytes: [...tag(1, 0), 1], says: /text: wire type 0, expected 2/ },
      { what: 'a cut 64-bit value', path: '/phago.v1.CoordinatorService/current_tick', token: tokens.client, bytes: [...tag(3, 1), 1, 2, 3], says: /truncated 64-bit/ },
      { what: 'invalid UTF-8 in a map key', path: '/phago.v1.ShardService/local_query', token: tokens.member, bytes: len(4, len(3, [...len(1, [0xc3]), ...tag(2, 0), 1])), says: /stats\.df\.key: not valid UTF-8/ },
      { what: 'invalid UTF-8 in a repeated string', path: '/phago.v1.ShardService/get_term_frequencies', token: tokens.member, bytes: len(1, [0xed, 0xa0, 0x80]), says: /terms: not valid UTF-8/ },
    ];
    const before = (await client.call('stats', {})).documents;
    for (const c of cases) {
      const r = await sendRaw(c.path.includes('Shard') ? cluster.shards[0].address : cluster.address, c.path, c.token, c.bytes);
      assert.equal(r.code, grpc.status.INVALID_ARGUMENT, `${c.what}: ${grpc.status[r.code]} ${r.details}`);
      assert.match(r.details, c.says, c.what);
    }
    assert.equal((await client.call('stats', {})).documents, before, 'nothing was ingested');
    // the same bytes, well formed, run; an unknown field is skipped, as protobuf says
    assert.equal((await sendRaw(cluster.address, ingest, tokens.client, doc(utf8('cells divide')))).code, grpc.status.OK);
    assert.equal((await client.call('stats', {})).documents, before + 1);
    assert.equal((await sendRaw(cluster.address, '/phago.v1.CoordinatorService/current_tick', tokens.client, [...tag(15, 0), 7, ...len(16, [1, 2])])).code, grpc.status.OK);
  });

  test('a 16 KB input comes back as INVALID_ARGUMENT with a short message', async () => {
    const big = 'x'.repeat(16 * 1024);
    const calls: [string, RpcClient, string, object][] = [
      ['route_document', client, 'route_document', { uuid: big }],
      ['route_node', client, 'route_node', { uuid: big }],
      ['ingest id', client, 'ingest', { docs: [{ id: big, title: 't', text: 'cells' }] }],
      ['ingest title', client, 'ingest', { docs: [{ title: big, text: 'cells' }] }],
      ['explore', client, 'explore', { kind: big, k: 5 }],
      ['query', client, 'query', { text: big, k: 5 }],
      ['register', member, 'register', { address: big, identity: big }],
      ['get_node', shard, 'get_node', { uuid: big }],
      ['update_membership', shard, 'update_membership', { epoch: 99, members: [], you: 1, config_json: big, tick: 0 }],
    ];
    for (const [what, c, method, req] of calls) {
      try {
        await c.call(method, req);
        assert.fail(`${what}: succeeded`);
      } catch (e) {
        const err = e as grpc.ServiceError;
        assert.equal(err.code, grpc.status.INVALID_ARGUMENT, `${what}: ${grpc.status[err.code]} ${err.details?.slice(0, 300)}`);
        assert.ok(err.details.length <= 400, `${what}: a message of ${err.details.length} characters`);
        assert.ok(err.details.length <= MAX_DETAILS);
      }
    }
    // a term of 16 KB is just a term no document has
    assert.deepEqual((await client.call('get_global_df', { terms: [big] })).df, { [big]: 0 });
  });

  test('an ingest that lands on some owners only says which documents landed', async () => {
    const docs = Array.from({ length: 12 }, (_, i) => ({ id: `partial-${i}`, title: `t${i}`, text: `cells divide number ${i}` }));
    const owners = await Promise.all(docs.map(async (d) => (await client.call('route_document', { uuid: documentIdOf(d.id) })).id as number));
    assert.ok(new Set(owners).size === 2, 'the request spans both shards');
    const before = (await client.call('stats', {})).documents;
    // shard 1 stores its part but cannot report it: it answers UNAVAILABLE after shard 2 stored
    failNextDfReport(cluster.shards[0], 'not-delivered');
    const landed = owners.flatMap((o, i) => (o === 2 ? [i] : []));
    await rejects(client.call('ingest', { docs }), grpc.status.UNAVAILABLE, new RegExp(`^${landed.length} of 12 documents landed \\(request indices ${landed.join(', ')}\\).*same request again is safe`));
    // sent again: everything is there, once
    const again = await client.call('ingest', { docs });
    assert.equal(again.results.length, 12);
    assert.deepEqual(again.results.map((r: { created: boolean }) => r.created), Array(12).fill(false), 'every document was stored by the first request');
    assert.equal((await client.call('stats', {})).documents, before + 12, 'each counted once');
  });

  test('update_membership with a config_json that is not JSON is INVALID_ARGUMENT', async () => {
    await rejects(shard.call('update_membership', { epoch: 99, members: [], you: 1, config_json: '{not json', tick: 0 }), grpc.status.INVALID_ARGUMENT, /config_json must be JSON of a colony config/);
    await rejects(shard.call('update_membership', { epoch: 99, members: [], you: 1, config_json: '[1]', tick: 0 }), grpc.status.INVALID_ARGUMENT, /config_json/);
  });

  test('local_query refuses non-finite weights and inconsistent statistics', async () => {
    const q = (stats: object, weight: number) => shard.call('local_query', { terms: ['cell'], k: 5, concepts: false, coordination: false, stats, weighted: [{ term: 'cell', weight, original: true }] });
    const ok = { documents: 10, total_length: 100, df: { cell: 3 } };
    await q(ok, 1);
    for (const w of [Infinity, -Infinity, NaN]) await rejects(q(ok, w), grpc.status.INVALID_ARGUMENT, /weight must be a finite number/, `weight ${w}`);
    await rejects(q({ documents: 2, total_length: 100, df: { cell: 3 } }, 1), grpc.status.INVALID_ARGUMENT, /stats\.df\.cell must be at most documents \(2\)/);
    await rejects(q({ documents: 0, total_length: 100, df: {} }, 1), grpc.status.INVALID_ARGUMENT, /stats\.total_length must be 0 when documents is 0/);
  });
});

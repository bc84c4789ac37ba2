// Calls over one stream (src/rpc/call-stream.ts): a frame is answered exactly as the unary call of
// the same method (reply, statuses, credentials, malformed bytes), through a real socket; deadlines,
// shutdown and a server without the stream behave as a unary call would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { PhagoError } from '../src/core/errors.js';
import { CallStreamClient, openCallStreams } from '../src/rpc/call-stream.js';
import { MAX_STREAMED_REQUEST_BYTES, RpcClient } from '../src/rpc/client.js';
import { shardService, ShardServiceClient } from '../src/rpc/proto.js';
import { authMetadata } from '../src/rpc/security.js';
import { addService, listen, newServer, rpcError, shutdown, type Handler } from '../src/rpc/server.js';
import { rejects, SHORT, within } from './helpers.js';

const sec = { token: 'call-stream-token' };
let server: grpc.Server;
let address: string;
/** Replies that get_node holds back (released at the end). */
const held: (() => void)[] = [];

function handlers(): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const m of Object.keys(shardService)) out[m] = () => Promise.reject(rpcError.precondition(`${m} is not served by this test`));
  out.health_check = () => ({ serving: true, role: 'test', detail: 'test server' });
  out.get_term_frequencies = (req) => {
    const terms = (req as { terms: string[] }).terms;
    if (terms.includes('phago-error')) throw new PhagoError('NOT_FOUND', 'no such term here');
    if (terms.includes('crash')) throw new Error('boom');
    return { df: Object.fromEntries(terms.map((t, i) => [t.slice(0, 40), i + 1])) };
  };
  // never answers until the test releases it
  out.get_node = () => new Promise((resolve) => held.push(() => resolve({})));
  return out;
}

before(async () => {
  server = newServer();
  addService(server, shardService, handlers(), sec, () => undefined);
  address = `127.0.0.1:${await listen(server, '127.0.0.1', 0, sec)}`;
});

after(async () => {
  for (const r of held.splice(0)) r();
  await within(shutdown(server), 5000, 'the test server did not stop');
});

/** The same call as a plain gRPC unary call (no call stream involved). */
function unary(method: string, req: unknown, token = sec.token): Promise<unknown> {
  const c = new ShardServiceClient(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (c as any)[method](req, authMetadata(token), { deadline: Date.now() + 5000 }, (e: grpc.ServiceError | null, r: unknown) => {
      c.close();
      if (e) reject(e);
      else resolve(r);
    });
  });
}

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await p };
  } catch (e) {
    const err = e as grpc.ServiceError;
    return { code: grpc.status[err.code], details: err.details };
  }
}

test('a small call travels on the stream and gets the unary call\'s reply and statuses', SHORT, async () => {
  const client = new RpcClient(ShardServiceClient, address, sec, 5000);
  try {
    assert.deepEqual(await client.call('health_check', {}), await unary('health_check', {}));
    assert.equal(openCallStreams(server), 1, 'the call went over a call stream');
    for (const terms of [['alpha', 'beta'], ['phago-error'], ['crash']]) {
      assert.deepEqual(await outcome(client.call('get_term_frequencies', { terms })), await outcome(unary('get_term_frequencies', { terms })), `terms ${terms}`);
    }
    assert.deepEqual(await outcome(client.call('tick_phase', {})), await outcome(unary('tick_phase', {})));
    await rejects(client.call('get_term_frequencies', { terms: ['crash'] }), grpc.status.INTERNAL, /internal error in get_term_frequencies: boom/);
    // a request over the stream's size limit goes unary, with the same answer
    const big = ['x'.repeat(MAX_STREAMED_REQUEST_BYTES)];
    assert.deepEqual(await client.call('get_term_frequencies', { terms: big }), await unary('get_term_frequencies', { terms: big }));
  } finally {
    client.close();
  }
});

test('credentials are checked per frame as per unary call', SHORT, async () => {
  for (const token of ['', 'wrong-token']) {
    const client = new RpcClient(ShardServiceClient, address, { token }, 5000);
    try {
      const viaStream = await outcome(client.call('health_check', {}));
      assert.deepEqual(viaStream, await outcome(unary('health_check', {}, token)));
      assert.equal((viaStream as { code: string }).code, 'UNAUTHENTICATED');
    } finally {
      client.close();
    }
  }
});

test('a frame with malformed request bytes or an unknown method gets a status, and the stream serves on', SHORT, async () => {
  const c = new ShardServiceClient(address, grpc.credentials.createInsecure());
  const s = new CallStreamClient(c, authMetadata(sec.token));
  try {
    // field 1 (terms) as a varint: not what Terms holds
    await rejects(s.call('get_term_frequencies', Buffer.from([0x08, 0x01]), 5000), grpc.status.INVALID_ARGUMENT, /malformed request/);
    await rejects(s.call('no_such_method', Buffer.alloc(0), 5000), grpc.status.UNIMPLEMENTED, /no method "no_such_method"/);
    const ok = await s.call('health_check', Buffer.alloc(0), 5000);
    assert.ok(ok.length > 0, 'health_check answered on the same stream');
  } finally {
    s.close();
    c.close();
  }
});

test('a call without a reply fails at its deadline; shutdown ends open streams at once', SHORT, async () => {
  const client = new RpcClient(ShardServiceClient, address, sec, 5000);
  const t0 = performance.now();
  await rejects(client.call('get_node', { uuid: 'x' }, 300), grpc.status.DEADLINE_EXCEEDED, /get_node had no reply after 300 ms/);
  assert.ok(performance.now() - t0 < 3000, 'the deadline was kept');
  // a second server, shut down while a call waits on its stream: the call fails UNAVAILABLE, the
  // shutdown does not wait for the grace period
  const other = newServer();
  addService(other, shardService, handlers(), sec, () => undefined);
  const otherAddress = `127.0.0.1:${await listen(other, '127.0.0.1', 0, sec)}`;
  const c2 = new RpcClient(ShardServiceClient, otherAddress, sec, 5000);
  try {
    await c2.call('health_check', {});
    const waiting = outcome(c2.call('get_node', { uuid: 'y' }, 20_000));
    const t1 = performance.now();
    await within(shutdown(other, 10_000), 5000, 'shutdown waited for the open stream');
    assert.ok(performance.now() - t1 < 5000);
    assert.deepEqual(await within(waiting, 5000, 'the waiting call did not fail'), { code: 'UNAVAILABLE', details: `${otherAddress} closed the call stream` });
  } finally {
    client.close();
    c2.close();
  }
});

test('a server without a call stream is called unary', SHORT, async () => {
  // a plain grpc-js server of the shard service only (an older phago)
  const plain = new grpc.Server();
  const impl: grpc.UntypedServiceImplementation = {};
  for (const m of Object.keys(shardService)) impl[m] = (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, m === 'health_check' ? { serving: true, role: 'plain' } : {});
  plain.addService(shardService, impl);
  const port = await new Promise<number>((res, rej) => plain.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  const client = new RpcClient(ShardServiceClient, `127.0.0.1:${port}`, sec, 5000);
  try {
    for (let i = 0; i < 2; i++) assert.equal((await client.call<{ role: string }>('health_check', {})).role, 'plain');
  } finally {
    client.close();
    plain.forceShutdown();
  }
});

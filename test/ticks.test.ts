import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/cluster/embedded.js';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import type { RwLock } from '../src/util/mutex.js';
import { CORPUS, SHORT, within } from './helpers.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));

/** Poll `f` until `ok` (calls that fail count as not yet); fails with `what` after `ms`. */
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (ok(v)) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} within ${ms} ms (last: ${JSON.stringify(last)})`);
}

/** The coordinator's state lock (a test holds it to make the race of two start_tick calls certain). */
const stateLock = (c: EmbeddedCluster) => (c.coordinator as unknown as { stateLock: RwLock }).stateLock;

test('start_tick registers its tick before answering: of two concurrent calls one starts it, the other is FAILED_PRECONDITION', SHORT, async () => {
  const cluster = await within(EmbeddedCluster.start({ shards: 2 }), 30_000, 'the embedded cluster did not start');
  const a = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 10_000);
  const b = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 10_000);
  let release!: () => void;
  try {
    await a.call('ingest', { docs: docs.slice(0, 10) });
    const before = (await a.call('current_tick', {})).tick;
    // a reader holds the state lock (as a slow ingest or query would): the started tick must wait for it
    const held = stateLock(cluster).read(() => new Promise<void>((r) => (release = r)));
    const [x, y] = await Promise.allSettled([a.call('start_tick', {}), b.call('start_tick', {})]);
    const ok = [x, y].filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ tick: number }>[];
    const refused = [x, y].filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(ok.length, 1, `exactly one start_tick starts a tick: ${JSON.stringify([x, y])}`);
    assert.equal(ok[0].value.tick, before + 1);
    const e = refused[0].reason as grpc.ServiceError;
    assert.equal(e.code, grpc.status.FAILED_PRECONDITION, e.details);
    assert.match(e.details, new RegExp(`tick ${before + 1} is in progress`));
    // registered at once: tick_status shows it while it waits for the lock
    const st = await a.call('tick_status', {});
    assert.equal(st.in_progress, true);
    assert.equal(st.tick, before + 1);
    release();
    await within(held, 5000, 'the test reader did not end');
    await until(() => a.call('tick_status', {}), (s) => !s.in_progress && s.current_tick === before + 1, 'the started tick did not commit');
    // every writer queued before this one has finished: no second tick ran
    await within(stateLock(cluster).write(() => undefined), 15_000, 'the state lock was not free again');
    assert.equal((await a.call('current_tick', {})).tick, before + 1, 'only one tick ran');
  } finally {
    release?.();
    a.close();
    b.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  }
});

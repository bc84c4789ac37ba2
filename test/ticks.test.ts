import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import type { RwLock } from '../src/util/mutex.js';
import { CORPUS, LONG, runCli, SHORT, until, within } from './helpers.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));


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

/**
 * A TCP proxy that delays every chunk by `ms` each way: a client far from the coordinator (its calls
 * take longer than a tick, so another client's ticks run between them).
 */
function slowLink(target: string, ms: number): Promise<{ address: string; close(): void }> {
  const [host, port] = target.split(':');
  const server = createServer((down) => {
    const up = connect(Number(port), host);
    const pipe = (from: Socket, to: Socket) => from.on('data', (d) => setTimeout(() => to.destroyed || to.write(d), ms));
    pipe(down, up);
    pipe(up, down);
    for (const [a, b] of [[down, up], [up, down]]) {
      a.on('close', () => setTimeout(() => b.destroy(), ms));
      a.on('error', () => b.destroy());
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() })));
}

test('phago tick --until-digested ends while another client runs ticks too', LONG, async () => {
  const cluster = await within(EmbeddedCluster.start({ shards: 2, config: { digestPerTick: 2 } }), 30_000, 'the embedded cluster did not start');
  const other = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 20_000);
  const link = await slowLink(cluster.address, 100);
  try {
    await other.call('ingest', { docs: docs.slice(0, 12) });
    const cli = runCli(['tick', '--until-digested', '--quiet', '--coordinator', link.address, '--token', cluster.security.token], { timeoutMs: 45_000 });
    let done = false;
    void cli.then(
      () => (done = true),
      () => (done = true),
    );
    // once the CLI's ticks run, another client's ticks digest some of the documents it waits for
    await until(() => other.call('current_tick', {}), (t) => t.tick >= 1 || done, 'the CLI did not start ticking');
    for (let i = 0; i < 300 && !done; i++) await other.call('run_ticks', { ticks: 1 });
    const r = await cli;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /now at tick \d+; \d+ document\(s\) digested/);
    const st = await other.call('stats', {});
    assert.equal(st.pending, 0);
    assert.equal(st.digested, 12);
  } finally {
    link.close();
    other.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  }
});

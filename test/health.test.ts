import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coordinator } from '../src/coordinator/coordinator.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient, ShardServiceClient } from '../src/rpc/proto.js';
import { ShardNode } from '../src/shard/shard.js';
import { freePort } from '../src/util/net.js';
import { fakeCoordinator, fakeShard } from './fakes.js';
import { SHORT, until, within, tempDir } from './helpers.js';


test('a shard answers health_check serving=false ("recovering") until it has recovered and registered', SHORT, async () => {
  const token = 'health-shard';
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const coordinator = await fakeCoordinator(token, { register: async () => (await gate, { id: 1 }) });
  const port = await freePort();
  const shard = new ShardNode({ join: coordinator.address, identity: 'health-shard', security: { token }, port, dataDir: tempDir('phago-health-') });
  const sc = new RpcClient(ShardServiceClient, `127.0.0.1:${port}`, { token }, 2000);
  const started = shard.start();
  started.catch(() => undefined);
  try {
    // serving (its port is open), but its registration has not finished
    const h = await until(() => sc.call('health_check', {}), () => true, 'the shard did not answer health_check');
    assert.equal(h.serving, false, `serving while recovering: ${h.detail}`);
    assert.match(h.detail, /recovering/);
    release();
    assert.equal(await within(started, 10_000, 'the shard did not finish registering'), 1);
    const ok = await sc.call('health_check', {});
    assert.equal(ok.serving, true);
    assert.doesNotMatch(ok.detail, /recovering/);
  } finally {
    release();
    sc.close();
    await within(shard.stop(), 10_000, 'the shard did not stop');
    await coordinator.stop();
  }
});

test('a restarted coordinator answers health serving=false ("recovering") until it has converged', SHORT, async () => {
  const token = 'health-coordinator';
  const security = { token };
  const dir = tempDir('phago-health-c-');
  let hold: Promise<void> | null = null;
  let release!: () => void;
  // a shard that takes the membership at once the first time, and hangs on it after the restart
  const shard = await fakeShard(token, { update_membership: async () => (await hold, {}) });
  const first = new Coordinator({ security, dataDir: dir });
  const port = await within(first.start(), 10_000, 'the coordinator did not start');
  const client = new RpcClient(CoordinatorServiceClient, `127.0.0.1:${port}`, security, 5000);
  assert.equal((await client.call('register', { address: shard.address, identity: 'fake-shard' })).id, 1);
  client.close();
  await within(first.stop(), 10_000, 'the coordinator did not stop');
  hold = new Promise<void>((r) => (release = r));
  const second = new Coordinator({ security, dataDir: dir, phaseTimeoutMs: 20_000 });
  const port2 = await within(second.start(), 10_000, 'the restarted coordinator did not start');
  const c2 = new RpcClient(CoordinatorServiceClient, `127.0.0.1:${port2}`, security, 5000);
  try {
    await until(async () => shard.calls.filter((c) => c.method === 'update_membership').length, (n) => n >= 2, 'the restarted coordinator did not push the membership');
    const h = await c2.call('health', {});
    assert.equal(h.serving, false, `serving while converging: ${h.detail}`);
    assert.match(h.detail, /recovering/);
    release();
    const ok = await until(() => c2.call('health', {}), (x) => x.serving, 'the coordinator did not become serving after converging');
    assert.doesNotMatch(ok.detail, /recovering/);
  } finally {
    release();
    c2.close();
    await within(second.stop(), 10_000, 'the coordinator did not stop');
    await shard.stop();
  }
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { ShardNode } from '../src/shard/shard.js';
import { SHORT, within, tempDir } from './helpers.js';

test('unregister removes a shard of an empty cluster and bumps the epoch', SHORT, async () => {
  const cluster = await within(EmbeddedCluster.start({ shards: 3 }), 30_000, 'the embedded cluster did not start');
  const coord = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security);
  try {
    assert.equal((await coord.call('list_shards', {})).epoch, 3);
    await coord.call('unregister', { id: 3 });
    const list = await coord.call('list_shards', {});
    assert.deepEqual(list.shards.map((s: { id: number }) => s.id), [1, 2]);
    assert.equal(list.epoch, 4);
    // the remaining shards took the new membership: documents go to shards 1 and 2 only
    await within(cluster.engine().ingest([{ id: 'a', text: 'alpha beta gamma' }, { id: 'b', text: 'delta epsilon zeta' }, { id: 'c', text: 'eta theta iota' }]), 30_000, 'ingest did not finish');
    assert.equal(cluster.shards[2].docs.size, 0);
    assert.equal(cluster.shards[0].docs.size + cluster.shards[1].docs.size, 3);
    await coord.call('run_ticks', { ticks: 1 });
    assert.equal((await coord.call('current_tick', {})).tick, 1);
  } finally {
    coord.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  }
});

test('TLS: both services serve TLS; a client trusting the CA works, a plaintext one does not', SHORT, async () => {
  const dir = tempDir('phago-tls-');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const security = { token: 'tls-token', tls: { cert, key, ca: cert } };
  const coordinator = new Coordinator({ security });
  const port = await within(coordinator.start(), 10_000, 'the coordinator did not start');
  const shard = new ShardNode({ join: `127.0.0.1:${port}`, identity: 'tls-shard', security });
  try {
    assert.equal(await within(shard.start(), 30_000, 'the shard did not start and register'), 1);
    const client = new RpcClient(CoordinatorServiceClient, `127.0.0.1:${port}`, { token: 'tls-token', tls: { ca: cert } });
    await client.call('ingest', { docs: [{ id: 'x', title: '', text: 'secure words travel' }] });
    await client.call('run_ticks', { ticks: 1 });
    assert.equal((await client.call('stats', {})).digested, 1);
    client.close();
    const plain = new RpcClient(CoordinatorServiceClient, `127.0.0.1:${port}`, { token: 'tls-token' }, 2000);
    await assert.rejects(plain.call('current_tick', {}), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED);
    plain.close();
  } finally {
    await within(shard.stop(), 10_000, 'the shard did not stop');
    await within(coordinator.stop(), 10_000, 'the coordinator did not stop');
  }
});

// Retries back off (issue 8 part 5): run_ticks against a member that passes health_check but fails
// every tick_phase makes a few attempts over its retry window (exponential backoff with jitter), not a
// tight loop (the outside client measured 14,364 attempts in 60 s before).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { ShardNode } from '../src/shard/shard.js';
import { rejects, SHORT, within } from './helpers.js';

test('run_ticks makes a bounded, small number of attempts against a shard that fails its phases', SHORT, async () => {
  const security = { token: 'backoff' };
  const WINDOW = 5000;
  const coordinator = new Coordinator({ security, retryWindowMs: WINDOW });
  const address = `127.0.0.1:${await coordinator.start()}`;
  const shards = [0, 1].map(
    (i) =>
      new ShardNode({
        join: address,
        identity: `backoff-${i}`,
        security,
        beforePhase: async () => {
          if (i === 1) throw new Error('this shard fails every phase');
        },
      }),
  );
  const client = new RpcClient(CoordinatorServiceClient, address, security, 30_000);
  try {
    for (const s of shards) await within(s.start(), 10_000, 'a shard did not start');
    const before = coordinator.machine.attempts;
    const t0 = Date.now();
    await rejects(client.call('run_ticks', { ticks: 1 }), grpc.status.ABORTED, /shard 2 failed/);
    const ms = Date.now() - t0;
    const attempts = coordinator.machine.attempts - before;
    console.log(`run_ticks: ${attempts} attempts in ${ms} ms (retry window ${WINDOW} ms)`);
    assert.ok(ms >= WINDOW - 100 && ms < WINDOW + 5000, `gave up after ${ms} ms`);
    assert.ok(attempts >= 3 && attempts <= 25, `${attempts} attempts in ${ms} ms`);
  } finally {
    client.close();
    for (const s of shards) await s.stop();
    await coordinator.stop();
  }
});

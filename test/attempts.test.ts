import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { nodeIdOf } from '../src/ids/ids.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient, ShardServiceClient } from '../src/rpc/proto.js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import { ShardNode } from '../src/shard/shard.js';
import { encodePairs, encodePresentations } from '../src/protocol/codec.js';
import { decodeCandidates } from '../src/protocol/candidates.js';
import { fakeCoordinator } from './fakes.js';
import { rejects, SHORT, within, tempDir } from './helpers.js';


/**
 * The test is the coordinator: it drives a real shard through its ShardService, step by step, and a
 * fake coordinator answers the shard's own calls (registration, df reports) and records them.
 */
test('messages of an aborted attempt of a tick are refused in its retry (deltas, signals, phases, commit) and a late abort is ignored', SHORT, async () => {
  const token = 'attempts';
  const coordinator = await fakeCoordinator(token);
  const shard = new ShardNode({ join: coordinator.address, identity: 'attempt-shard', security: { token }, heartbeatMs: 3_600_000 });
  let sc: RpcClient | undefined;
  try {
    assert.equal(await within(shard.start(), 10_000, 'the shard did not register'), 1);
    sc = new RpcClient(ShardServiceClient, shard.address, { token }, 5000);
    await sc.call('update_membership', { epoch: 1, members: [{ id: 1, address: shard.address }], you: 1, config_json: '', tick: 0 });
    await sc.call('ingest_document', { epoch: 1, tick: 0, docs: [{ id: 'd1', title: '', text: 'a few words for the colony' }] });
    const deltas = (attempt: number, label: string) => ({ tick: 1, attempt, epoch: 1, from: 1, batch: 0, presentations: encodePresentations([{ labels: [label], wired: 1 }]) });

    // attempt 1 of tick 1: a batch arrives, then the attempt is aborted
    await sc.call('tick_phase', { tick: 1, attempt: 1, phase: 'SENSE', epoch: 1 });
    await sc.call('deliver_deltas', deltas(1, 'stale'));
    await sc.call('abort_tick', { tick: 1, attempt: 1, reason: 'test: attempt 1 failed' });
    // attempt 2 of the same tick
    const sensed = await sc.call<{ candidates: Uint8Array }>('tick_phase', { tick: 1, attempt: 2, phase: 'SENSE', epoch: 1 });
    const offer = decodeCandidates(sensed.candidates, 10);
    assert.equal(offer.length, 1, 'SENSE offers the one pending document, packed');
    // ACT names how many of its offer a shard digests: never more than it offered
    await rejects(sc.call('tick_phase', { tick: 1, attempt: 2, phase: 'ACT', epoch: 1, digest_count: 2 }), grpc.status.FAILED_PRECONDITION, /asks for 2 documents; this shard offered 1/, 'ACT past the offer');
    // attempt 1's messages arrive late: refused, nothing of them counts in attempt 2
    await rejects(sc.call('deliver_deltas', deltas(1, 'stale')), grpc.status.FAILED_PRECONDITION, /attempt 1 .*attempt 2/, 'a batch of attempt 1');
    await rejects(sc.call('receive_signals', { tick: 1, attempt: 1, epoch: 1, from: 1, pairs: encodePairs([]) }), grpc.status.FAILED_PRECONDITION, /attempt 1/, 'signals of attempt 1');
    await rejects(sc.call('tick_phase', { tick: 1, attempt: 1, phase: 'ACT', epoch: 1, digest_count: 0 }), grpc.status.FAILED_PRECONDITION, /attempt 1/, 'ACT of attempt 1');
    await rejects(sc.call('tick_phase', { tick: 1, attempt: 1, phase: 'SENSE', epoch: 1 }), grpc.status.FAILED_PRECONDITION, /attempt 1/, 'SENSE of attempt 1');
    await rejects(sc.call('deliver_deltas', { ...deltas(2, 'x'), attempt: 0 }), grpc.status.INVALID_ARGUMENT, /attempt/, 'a batch without an attempt');
    await sc.call('abort_tick', { tick: 1, attempt: 1, reason: 'a late abort of attempt 1' }); // ignored: attempt 2 stays open
    // attempt 2's own batch, with the same (sender, batch) as attempt 1's
    await sc.call('deliver_deltas', deltas(2, 'fresh'));
    await sc.call('tick_phase', { tick: 1, attempt: 2, phase: 'ACT', epoch: 1, digest_count: 0 });
    await sc.call('tick_phase', { tick: 1, attempt: 2, phase: 'DECAY', epoch: 1 });
    await sc.call('tick_phase', { tick: 1, attempt: 2, phase: 'ADVANCE', epoch: 1 });
    await rejects(sc.call('commit_tick', { tick: 1, attempt: 1 }), grpc.status.FAILED_PRECONDITION, /attempt 1/, 'commit of attempt 1');
    await sc.call('commit_tick', { tick: 1, attempt: 2 });
    assert.equal(shard.committedTick, 1);
    assert.ok(shard.graph.hasNodeId(nodeIdOf('fresh')), "attempt 2's batch was applied");
    assert.ok(!shard.graph.hasNodeId(nodeIdOf('stale')), "attempt 1's batch was not counted in attempt 2");

    // the reply to each phase is the shard's only acknowledgement: no phase_complete or barrier_ready calls
    assert.deepEqual(coordinator.calls.filter((c) => c.method === 'phase_complete' || c.method === 'barrier_ready'), []);
  } finally {
    sc?.close();
    await within(shard.stop(), 10_000, 'the shard did not stop');
    await coordinator.stop();
  }
});

test('a restarted coordinator goes on numbering attempts after the last one it gave out', SHORT, async () => {
  const security = { token: 'attempts-restart' };
  const dir = tempDir('phago-attempts-');
  let coordinator = new Coordinator({ security, dataDir: dir });
  const port = await within(coordinator.start(), 10_000, 'the coordinator did not start');
  const shard = new ShardNode({ join: `127.0.0.1:${port}`, identity: 'attempt-restart-shard', security });
  const client = new RpcClient(CoordinatorServiceClient, `127.0.0.1:${port}`, security, 10_000);
  try {
    await within(shard.start(), 10_000, 'the shard did not register');
    await client.call('ingest', { docs: [{ id: 'a', text: 'words to digest here' }] });
    const first = await client.call('start_tick', {});
    const end = Date.now() + 10_000;
    while ((await client.call('current_tick', {})).tick < first.tick && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await client.call('tick_status', {})).attempt, first.attempt);
    await within(coordinator.stop(), 10_000, 'the coordinator did not stop');
    coordinator = new Coordinator({ security, dataDir: dir, port });
    await within(coordinator.start(), 10_000, 'the coordinator did not restart');
    const end2 = Date.now() + 10_000;
    while (!(await client.call('health', {}).then((h) => h.serving, () => false)) && Date.now() < end2) await new Promise((r) => setTimeout(r, 20));
    const next = await client.call('start_tick', {});
    assert.equal(next.tick, first.tick + 1);
    assert.equal(next.attempt, first.attempt + 1, 'attempt numbers go on after a restart');
  } finally {
    client.close();
    await within(shard.stop(), 10_000, 'the shard did not stop');
    await within(coordinator.stop(), 10_000, 'the coordinator did not stop');
  }
});

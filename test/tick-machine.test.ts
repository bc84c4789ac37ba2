import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from '../src/cluster/registry.js';
import { Refusal, TickMachine } from '../src/cluster/tick-machine.js';

const refused = (f: () => unknown, kind: string, re: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof Refusal && e.kind === kind && re.test(e.message));

test('tick machine: phases in order, barrier, refusals, commit and abort', () => {
  const m = new TickMachine(7);
  refused(() => m.start([]), 'FAILED_PRECONDITION', /no shards/);
  assert.equal(m.start([3, 1]), 8);
  refused(() => m.start([1, 3]), 'FAILED_PRECONDITION', /tick 8 is in progress \(phase SENSE\)/);
  refused(() => m.complete(2, 'SENSE', 8, true, 1), 'FAILED_PRECONDITION', /shard 2 is not in the membership of tick 8/);
  refused(() => m.complete(9, 'SENSE', 8, false, 1), 'NOT_FOUND', /unknown shard 9/);
  refused(() => m.complete(1, 'ACT', 8, true, 1), 'FAILED_PRECONDITION', /phase SENSE, not ACT/);
  refused(() => m.complete(1, 'SENSE', 9, true, 1), 'FAILED_PRECONDITION', /tick 9 is not in progress/);
  m.complete(1, 'SENSE', 8, true, 1);
  m.complete(1, 'SENSE', 8, true, 1); // idempotent
  assert.equal(m.barrierReady(1, 'SENSE', 8, true, 1), false);
  refused(() => m.nextPhase(), 'FAILED_PRECONDITION', /not complete/);
  m.complete(3, 'SENSE', 8, true, 1);
  assert.equal(m.barrierReady(1, 'SENSE', 8, true, 1), true);
  assert.deepEqual(m.snapshot().pending, []);
  for (const phase of ['ACT', 'DECAY', 'ADVANCE'] as const) {
    assert.equal(m.nextPhase(), phase);
    assert.equal(m.barrierReady(3, 'SENSE', 8, true, 1), true);
    assert.equal(m.barrierReady(3, phase, 8, true, 1), false);
    m.complete(1, phase, 8, true, 1);
    assert.deepEqual(m.snapshot().pending, [3]);
    m.complete(3, phase, 8, true, 1);
  }
  assert.equal(m.commit(), 8);
  assert.equal(m.current, 8);
  assert.equal(m.barrierReady(1, 'ADVANCE', 8, true, 1), true);
  m.start([1, 3]);
  m.abort('shard 3 failed');
  assert.equal(m.current, 8);
  assert.match(m.snapshot().lastFailure, /tick 9 aborted in phase SENSE: shard 3 failed/);
  assert.equal(m.start([1, 3]), 9); // the aborted tick runs again with its number
});

test('tick machine: every start is a new attempt; reports of another attempt are refused, not counted', () => {
  const m = new TickMachine(4, 10); // a restarted coordinator goes on from its last attempt number
  assert.equal(m.start([1, 2]), 5);
  assert.equal(m.attempt, 11);
  m.complete(1, 'SENSE', 5, true, 11);
  m.abort('shard 2 failed');
  assert.equal(m.snapshot().attempt, 11);
  assert.equal(m.start([1, 2]), 5); // the same tick again, a new attempt
  assert.equal(m.attempt, 12);
  refused(() => m.complete(2, 'SENSE', 5, true, 11), 'FAILED_PRECONDITION', /attempt 11 of tick 5 is over \(attempt 12 runs\)/);
  refused(() => m.barrierReady(1, 'SENSE', 5, true, 11), 'FAILED_PRECONDITION', /attempt 11/);
  assert.deepEqual(m.snapshot().completed, []); // the old attempt's SENSE report does not count
  m.complete(1, 'SENSE', 5, true, 12);
  m.complete(2, 'SENSE', 5, true, 12);
  assert.equal(m.barrierReady(2, 'SENSE', 5, true, 12), true);
  assert.equal(m.snapshot().attempt, 12);
});

test('registry: ids, returning identities, epochs, leases', () => {
  const r = new Registry(1000);
  const a = r.register('h:1', 'A', 0);
  const b = r.register('h:2', 'B', 0);
  assert.deepEqual([a.id, b.id, r.epoch], [1, 2, 2]);
  // returning identity: same id; an address change bumps the epoch, the same address does not
  assert.deepEqual(r.register('h:1', 'A', 10), { id: 1, returning: true, changed: false });
  assert.equal(r.epoch, 2);
  assert.equal(r.register('h:9', 'A', 10).id, 1);
  assert.equal(r.epoch, 3);
  const s = r.get(2)!;
  assert.equal(r.status(s, 1000), 'ONLINE');
  assert.equal(r.status(s, 1001), 'SUSPECT');
  assert.equal(r.status(s, 2001), 'OFFLINE');
  r.heartbeat(2, undefined, 2001);
  assert.equal(r.status(s, 2002), 'ONLINE');
  r.remove(1);
  assert.equal(r.epoch, 4);
  assert.equal(r.register('h:3', 'C', 0).id, 3); // ids are never re-used
});

test('tick machine: a registered tick takes its membership when it runs; waitIdle resolves when it ends', async () => {
  const m = new TickMachine(2);
  assert.equal(m.start([1, 2]), 3);
  m.setMembers([1, 2, 4]); // a shard joined while the tick waited for the lock
  assert.deepEqual(m.snapshot().pending, [1, 2, 4]);
  refused(() => m.setMembers([]), 'FAILED_PRECONDITION', /no shards/);
  m.complete(1, 'SENSE', 3, true, 1);
  refused(() => m.setMembers([1]), 'FAILED_PRECONDITION', /fixed once it runs/);
  let idle = false;
  const w = m.waitIdle().then(() => (idle = true));
  await Promise.resolve();
  assert.equal(idle, false);
  m.abort('test');
  await w;
  assert.equal(idle, true);
  await m.waitIdle(); // nothing in progress: at once
});

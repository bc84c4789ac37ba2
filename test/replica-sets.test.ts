// Replica sets, pure (docs/replication.md): where a registering process goes, promotion, and the
// repairs that restore r copies without a new process (a surplus follower moves; a group left short by
// a removal is folded into the others once its grace has passed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplicaSets } from '../src/cluster/replica-sets.js';

const f = (identity: string, inSync = true) => ({ identity, address: `${identity}:1`, inSync });

test('a new process follows the lowest group short of copies; none short makes a new group', () => {
  const rs = new ReplicaSets(2);
  rs.of(1, 'a');
  rs.of(2, 'b');
  assert.equal(rs.placeNew([2, 1]), 1);
  rs.addFollower(1, 'a', f('a2'));
  assert.equal(rs.placeNew([1, 2]), 2);
  rs.addFollower(2, 'b', f('b2'));
  assert.equal(rs.placeNew([1, 2]), undefined);
  assert.equal(new ReplicaSets(1).placeNew([1]), undefined);
});

test('promotion: the follower becomes primary, the others and the old primary resync', () => {
  const rs = new ReplicaSets(3);
  rs.of(1, 'a');
  rs.addFollower(1, 'a', f('b'));
  rs.addFollower(1, 'a', f('c'));
  assert.throws(() => rs.promote(1, 'x', 'a:1'), /does not follow/);
  rs.promote(1, 'b', 'a:1');
  assert.equal(rs.get(1)!.primary, 'b');
  assert.deepEqual(rs.get(1)!.followers.map((x) => [x.identity, x.inSync]), [['c', false], ['a', false]]);
  assert.throws(() => rs.promote(1, 'c', 'b:1'), /not in sync/);
});

test('repair: nothing while every group has r copies; a surplus follower moves to a short group, out of sync first', () => {
  const rs = new ReplicaSets(2);
  rs.of(1, 'a');
  rs.addFollower(1, 'a', f('a2'));
  rs.of(2, 'b');
  rs.addFollower(2, 'b', f('b2'));
  assert.equal(rs.repair([1, 2], () => true), undefined);
  // a third group joins with one copy (growing: not degraded, never folded) while group 1 has a surplus
  rs.addFollower(1, 'a', f('a3'));
  rs.addFollower(1, 'a', f('a4', false));
  rs.of(3, 'c');
  assert.deepEqual(rs.repair([1, 2, 3], () => false), { kind: 'move', identity: 'a4', from: 1, to: 3 });
  rs.removeFollower(1, 'a4');
  assert.deepEqual(rs.repair([1, 2, 3], () => false), { kind: 'move', identity: 'a3', from: 1, to: 3 });
});

test('repair: a group left short by a removal is folded once foldable, the fewest copies (then highest id) first', () => {
  const rs = new ReplicaSets(3);
  for (const [g, p] of [[1, 'a'], [2, 'b'], [3, 'c']] as const) {
    rs.of(g, p);
    rs.addFollower(g, p, f(`${p}2`));
    rs.addFollower(g, p, f(`${p}3`));
  }
  rs.removeFollower(2, 'b3');
  rs.markDegraded(2, 1000);
  rs.removeFollower(3, 'c3');
  rs.markDegraded(3, 2000);
  assert.equal(rs.get(2)!.degradedSince, 1000);
  const since = (g: number) => rs.get(g)!.degradedSince;
  assert.equal(rs.repair([1, 2, 3], (g) => 5000 - since(g)! >= 10_000), undefined, 'within the grace: wait');
  assert.deepEqual(rs.repair([1, 2, 3], () => true), { kind: 'fold', group: 3 }, 'equal copies: the highest id');
  rs.removeFollower(2, 'b2');
  assert.deepEqual(rs.repair([1, 2, 3], () => true), { kind: 'fold', group: 2 }, 'the fewest copies first');
  assert.deepEqual(rs.repair([1, 2, 3], (g) => g === 3), { kind: 'fold', group: 3 }, 'only a foldable group');
  // the freed processes go to the groups with the fewest copies
  assert.equal(rs.placeSpare([1, 3]), 3);
  rs.addFollower(3, 'c', f('b'));
  assert.equal(rs.get(3)!.degradedSince, undefined, 'back to r copies: no longer degraded');
  assert.equal(rs.repair([3], () => true), undefined, 'a single group is never folded');
});

test('replica sets round-trip through their JSON, degradation included', () => {
  const rs = new ReplicaSets(2);
  rs.of(4, 'a');
  rs.addFollower(4, 'a', f('b'));
  rs.removeFollower(4, 'b');
  rs.markDegraded(4, 77);
  const back = new ReplicaSets(2);
  back.restore(JSON.stringify(rs.toJSON()));
  assert.deepEqual(back.toJSON(), rs.toJSON());
  assert.equal(back.get(4)!.degradedSince, 77);
});

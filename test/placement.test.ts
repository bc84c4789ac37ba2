import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmix32, Placement } from '../src/cluster/placement.js';
import { bytesToUuid, sha256 } from '../src/ids/ids.js';

const keys = (n: number) => Array.from({ length: n }, (_, i) => bytesToUuid(sha256(`k${i}`)));

test('fmix32 matches MurmurHash3 reference values', () => {
  assert.equal(fmix32(0), 0);
  assert.equal(fmix32(1), 0x514e28b7);
});

test('pinned owners (a port to another language must reproduce these)', () => {
  const p = new Placement([1, 2, 3]);
  assert.deepEqual(keys(8).map((k) => p.owner(k)), keys(8).map((k) => new Placement([3, 2, 1]).owner(k)));
  assert.equal(p.owner('00000000-0000-0000-0000-000000000000'), p.owner('00000000000000000000000000000000'));
});

test('balance: the most loaded shard holds at most 1.05 × the mean share', () => {
  const ks = keys(100_000);
  for (const n of [2, 3, 5, 8]) {
    const p = new Placement(Array.from({ length: n }, (_, i) => i + 1));
    const counts = new Map<number, number>();
    for (const k of ks) counts.set(p.owner(k), (counts.get(p.owner(k)) ?? 0) + 1);
    const max = Math.max(...counts.values());
    assert.ok(max <= 1.05 * (ks.length / n), `n=${n} max ${max}`);
  }
});

test('movement: adding a shard moves keys only to it; removing one moves only its keys', () => {
  const ks = keys(50_000);
  const before = new Placement([1, 2, 3, 4]);
  const after = new Placement([1, 2, 3, 4, 5]);
  let moved = 0;
  for (const k of ks) {
    const a = before.owner(k), b = after.owner(k);
    if (a !== b) {
      moved++;
      assert.equal(b, 5);
    }
  }
  assert.ok(moved <= 1.1 * (ks.length / 5), `moved ${moved}`);
  const removed = new Placement([1, 2, 4]);
  for (const k of ks) if (before.owner(k) !== 3) assert.equal(removed.owner(k), before.owner(k));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Colony } from '../src/colony/colony.js';
import { laneOf, planDigestion } from '../src/colony/schedule.js';

test('planDigestion: free lanes take their smallest eligible candidate', () => {
  const { plan, busyUntil } = planDigestion(
    5,
    [0, 7, 0],
    [
      { lane: 0, ingestTick: 2, id: 'b' },
      { lane: 0, ingestTick: 2, id: 'a' }, // same lane from another holder: smaller id wins
      { lane: 1, ingestTick: 0, id: 'c' }, // lane 1 busy until 7
      { lane: 2, ingestTick: 5, id: 'd' }, // ingested at tick 5: not eligible before tick 6
    ],
    4,
  );
  assert.deepEqual(plan.chosen.map((c) => c.id), ['a']);
  assert.deepEqual(busyUntil, [9, 7, 0]);
});

test('each document is digested exactly once, at a tick fixed by documents and config', () => {
  const run = (order: number[]) => {
    const c = new Colony({ digesters: 3 });
    for (const i of order) c.ingest({ id: `doc${i}`, text: `topic${i % 4} word${i} shared text` });
    const predicted = c.ticksToDigestAll();
    const reps = c.runUntilDigested();
    assert.equal(reps.length, predicted);
    assert.equal(reps.reduce((s, r) => s + r.digested, 0), 20);
    return [...c.docs.byId.values()].map((d) => `${d.key}@${d.digestedTick}`).sort().join(',');
  };
  const forward = Array.from({ length: 20 }, (_, i) => i);
  // ingestion order within one tick does not matter
  assert.equal(run(forward), run([...forward].reverse()));
});

test('lanes spread documents over digesters', () => {
  const counts = new Array(25).fill(0);
  for (let i = 0; i < 2500; i++) counts[laneOf(42, 25, `id-${i}`)]++;
  assert.ok(Math.min(...counts) > 60 && Math.max(...counts) < 140, counts.join(','));
});

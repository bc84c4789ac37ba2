import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Colony } from '../src/colony/colony.js';
import { planDigestion } from '../src/core/partition.js';

test('planDigestion: the first digestPerTick candidates in (ingestTick, DocumentId) order, wherever they come from', () => {
  const chosen = planDigestion(
    [
      { ingestTick: 2, id: 'b' },
      { ingestTick: 2, id: 'a' },
      { ingestTick: 0, id: 'z' },
      { ingestTick: 3, id: 'c' },
    ],
    3,
  );
  assert.deepEqual(
    chosen.map((c) => c.id),
    ['z', 'a', 'b'],
  );
});

test('each document is digested exactly once, from the tick after its ingestion, digestPerTick at a time', () => {
  const c = new Colony({ digestPerTick: 4 });
  for (let i = 0; i < 10; i++) c.ingest({ id: `d${i}`, text: `document number ${i} with words` });
  assert.equal(c.ticksToDigestAll(), 3);
  const r1 = c.tick();
  assert.equal(r1.digested, 4);
  c.ingest({ id: 'late', text: 'a late document arrives' });
  const reports = c.runUntilDigested();
  assert.deepEqual(
    reports.map((r) => r.digested),
    [4, 3],
  );
  assert.equal(c.docs.digestedCount, 11);
  assert.equal(c.docs.get(c.docs.idOf(c.docs.numberOf(c.ingest({ id: 'late', text: 'a late document arrives' }).id)!))!.digestedTick, 3);
});

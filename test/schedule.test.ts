import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Colony } from '../src/colony/colony.js';
import { planDigestion } from './plan-reference.js';
import { documentIdOf } from '../src/ids/ids.js';
import { CodecError } from '../src/protocol/codec.js';
import { decodeCandidates, encodeCandidates, planCounts } from '../src/protocol/candidates.js';
import { Prng } from '../src/util/prng.js';

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

test('SENSE candidates packed: the plan as counts per shard picks what planDigestion picks from the union', () => {
  const rng = new Prng(7);
  for (let round = 0; round < 200; round++) {
    const shards = 1 + rng.int(5);
    const perTick = 1 + rng.int(40);
    // each shard offers its first perTick pending documents in (ingestTick, id) order
    const offers = Array.from({ length: shards }, (_, s) => {
      const list = Array.from({ length: rng.int(2 * perTick) }, (_, i) => ({ ingestTick: rng.int(4), id: documentIdOf(`r${round}-s${s}-d${i}`) }));
      return planDigestion(list, perTick);
    });
    const counts = planCounts(
      offers.map((o) => decodeCandidates(encodeCandidates(o), perTick)),
      perTick,
    );
    const expected = new Set(planDigestion(offers.flat(), perTick).map((c) => c.id));
    const got = offers.flatMap((o, s) => o.slice(0, counts[s]).map((c) => c.id));
    assert.equal(got.length, expected.size, `round ${round}`);
    for (const id of got) assert.ok(expected.has(id), `round ${round}: ${id} chosen by the counts, not by planDigestion`);
  }
});

test('SENSE candidates packed: the decoder refuses malformed, unordered or too long lists', () => {
  const a = { ingestTick: 1, id: documentIdOf('a') };
  const b = { ingestTick: 1, id: documentIdOf('b') };
  const [lo, hi] = a.id < b.id ? [a, b] : [b, a];
  assert.equal(decodeCandidates(encodeCandidates([lo, hi]), 2).length, 2);
  assert.equal(decodeCandidates(new Uint8Array(0), 2).length, 0, 'an absent field is no candidates');
  assert.throws(() => decodeCandidates(encodeCandidates([hi, lo]), 2), CodecError, 'out of order');
  assert.throws(() => decodeCandidates(encodeCandidates([lo, lo]), 2), CodecError, 'twice');
  assert.throws(() => decodeCandidates(encodeCandidates([lo, hi]), 1), CodecError, 'over the limit');
  assert.throws(() => decodeCandidates(encodeCandidates([lo, hi]).subarray(0, 20), 2), CodecError, 'truncated');
  assert.throws(() => decodeCandidates(Buffer.concat([encodeCandidates([lo]), Buffer.from([0])]), 2), CodecError, 'trailing bytes');
  assert.throws(() => encodeCandidates([{ ingestTick: 0, id: 'not-a-uuid' }]), CodecError);
  // the order is that of the id strings (hex keeps byte order)
  assert.deepEqual(planCounts([decodeCandidates(encodeCandidates([hi]), 1), decodeCandidates(encodeCandidates([lo]), 1)], 1), [0, 1]);
  assert.deepEqual(planCounts([decodeCandidates(encodeCandidates([{ ...hi, ingestTick: 0 }]), 1), decodeCandidates(encodeCandidates([lo]), 1)], 1), [1, 0], 'ingest tick first');
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Presentation } from '../src/core/graph.js';
import { CodecError, decodePairsIndexed, decodePresentations, decodePresentationsIndexed, encodePresentations } from '../src/protocol/codec.js';

test('the indexed decoder keeps withdrawals apart and refuses what the label decoder refused', () => {
  const docs: Presentation[] = [
    { labels: ['a', 'b', 'c'], wired: 2 },
    { labels: ['b', 'd'], wired: 2, withdrawn: true },
    { labels: ['e'], wired: 0 },
  ];
  const buf = encodePresentations(docs);
  const m = decodePresentationsIndexed(buf);
  // the withdrawn section follows the others
  assert.equal(m.withdrawnFrom, 2);
  assert.deepEqual(decodePresentations(buf), [docs[0], docs[2], docs[1]]);
  // a repeated term, an index out of range, a truncation and trailing bytes are refused
  const bad = [
    Buffer.from([1, 1, 1, 0x61, 1, 2, 0, 0, 0]),
    Buffer.from([1, 1, 1, 0x61, 1, 1, 0, 3]),
    buf.subarray(0, buf.length - 1),
    Buffer.concat([buf, Buffer.from([0])]),
  ];
  for (const b of bad) assert.throws(() => decodePresentationsIndexed(b), CodecError, b.toString('hex'));
  assert.throws(() => decodePairsIndexed(Buffer.from([2, 1, 1, 0x61, 1, 0, 0])), /two different concepts/);
  assert.throws(() => decodePairsIndexed(Buffer.from([2, 0, 100])), /truncated/);
});

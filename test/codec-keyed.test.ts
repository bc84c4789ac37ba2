import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Presentation } from '../src/core/graph.js';
import type { LabelPair } from '../src/core/partition.js';
import {
  CodecError,
  decodePairs,
  decodePairsIndexed,
  decodePresentations,
  decodePresentationsIndexed,
  encodeKeyedPairs,
  encodeKeyedPresentations,
  encodePairs,
  encodePresentations,
} from '../src/protocol/codec.js';
import { Prng } from '../src/util/prng.js';

// labels with multi-byte UTF-8 (the keyed encoders write strings straight into the buffer)
const VOCAB = Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? `ünïcode-${i}-İstanbul` : i % 11 === 0 ? `日本語${i}` : `term${i}`));

/** Random presentations over VOCAB as term numbers: distinct terms per document, some wired. */
function randomDocs(rng: Prng, n: number): { keys: number[]; wired: number }[] {
  return Array.from({ length: n }, () => {
    const k = 1 + Math.floor(rng.next() * 12);
    const keys = new Set<number>();
    while (keys.size < k) keys.add(Math.floor(rng.next() * VOCAB.length));
    return { keys: [...keys], wired: Math.floor(rng.next() * (k + 1)) };
  });
}

test('keyed encoders write the same bytes as the label encoders, and the indexed decoders read them back', () => {
  const rng = new Prng(11);
  for (let round = 0; round < 50; round++) {
    const docs = randomDocs(rng, Math.floor(rng.next() * 20));
    const named: Presentation[] = docs.map((d) => ({ labels: d.keys.map((k) => VOCAB[k]), wired: d.wired }));
    const keyed = encodeKeyedPresentations(docs, (k) => VOCAB[k]);
    assert.deepEqual(keyed, encodePresentations(named), `round ${round}: presentations bytes`);
    assert.deepEqual(decodePresentations(keyed), named);
    const m = decodePresentationsIndexed(keyed);
    assert.equal(m.withdrawnFrom, docs.length);
    assert.deepEqual(
      Array.from(m.wired, (w, d) => ({ labels: Array.from(m.idx.subarray(m.start[d], m.start[d + 1]), (i) => m.dict[i]), wired: w })),
      named,
    );

    const flat: number[] = [];
    const pairs: LabelPair[] = [];
    for (let i = Math.floor(rng.next() * 30); i > 0; i--) {
      const x = Math.floor(rng.next() * VOCAB.length);
      const y = (x + 1 + Math.floor(rng.next() * (VOCAB.length - 1))) % VOCAB.length;
      flat.push(x, y);
      pairs.push([VOCAB[x], VOCAB[y]]);
    }
    const kp = encodeKeyedPairs(flat, (k) => VOCAB[k]);
    assert.deepEqual(kp, encodePairs(pairs), `round ${round}: pairs bytes`);
    assert.deepEqual(decodePairs(kp), pairs);
    const ip = decodePairsIndexed(kp);
    assert.deepEqual(Array.from(ip.pairs, (i) => ip.dict[i]), pairs.flat());
  }
});

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

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CodecError } from '../src/protocol/codec.js';
import { decodeHits, encodeHits, type PackedHit } from '../src/protocol/hits-packed.js';

const hits: PackedHit[] = [
  { id: '0b3c0001-1234-4abc-8def-0123456789ab', key: 'wn:n:01740', title: 'entity', score: 12.345678901234567, base: 11.2 },
  { id: '0b3c0002-1234-4abc-8def-0123456789ab', key: '', title: 'Zürich, İstanbul — 東京 🐙', score: -0, base: 5e-324 },
  { id: '0b3c0003-1234-4abc-8def-0123456789ab', key: 'k\nwith a line', title: '', score: 1 / 3, base: Number.MAX_VALUE },
];

it('document hits travel packed: every string and the exact float of each score', () => {
  const back = decodeHits(encodeHits(hits));
  assert.deepEqual(back, hits);
  assert.ok(Object.is(back[1].score, -0));
  assert.deepEqual(decodeHits(encodeHits([hits[0], hits[2]])), [hits[0], hits[2]], 'all ASCII (one decode, then substrings)');
  assert.deepEqual(decodeHits(encodeHits([])), []);
  assert.equal(encodeHits([]).length, 2, 'no hits still sends the layout');
  // a view into a larger buffer, as a decoded reply gives it
  const b = encodeHits(hits);
  const outer = Buffer.concat([Buffer.from([9, 9, 9]), b, Buffer.from([7])]);
  assert.deepEqual(decodeHits(outer.subarray(3, 3 + b.length)), hits);
});

it('a packed hits buffer that is not one is refused', () => {
  const b = encodeHits(hits);
  assert.throws(() => decodeHits(b.subarray(0, b.length - 1)), CodecError, 'truncated strings');
  assert.throws(() => decodeHits(Buffer.concat([b, Buffer.from([0x41])])), CodecError, 'trailing bytes');
  assert.throws(() => decodeHits(b.subarray(0, 10)), CodecError, 'truncated records');
  const wrongVersion = Buffer.from(b);
  wrongVersion[0] = 2;
  assert.throws(() => decodeHits(wrongVersion), /not a hits layout/);
  // the last string's last byte made a lone continuation byte: invalid UTF-8
  const one = encodeHits([{ id: 'x', key: 'y', title: 'é', score: 1, base: 1 }]);
  const bad = Buffer.from(one);
  bad[bad.length - 2] = 0x80;
  assert.throws(() => decodeHits(bad), /not valid UTF-8/);
  assert.throws(() => decodeHits(Buffer.from([1, 200, 1])), CodecError, 'more hits than bytes');
  assert.throws(() => decodeHits(new Uint8Array(0)), /another phago version/, 'a reply without the field (an older shard) is not "no hits"');
});

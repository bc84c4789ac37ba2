import assert from 'node:assert/strict';
import { it } from 'node:test';
import { join } from 'node:path';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { readDocsJsonl } from '../src/io/files.js';
import { CodecError } from '../src/protocol/codec.js';
import { decodeHits, encodeHits, type PackedHit } from '../src/protocol/hits-packed.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { CORPUS, LONG, within } from './helpers.js';

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
  // the strings go in one UTF-8 write; lone surrogates at a seam (a key ending in a high one, the
  // title starting with a low one) would join into one character there: each is U+FFFD apart, as
  // when written alone
  const seam = { id: '0b3c0004-1234-4abc-8def-0123456789ab', key: 'a\uD83D', title: '\uDE00b', score: 2, base: 2 };
  assert.deepEqual(decodeHits(encodeHits([hits[1], seam])), [hits[1], { ...seam, key: 'a\uFFFD', title: '\uFFFDb' }]);
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

it('a live shard whose reply does not decode is reported missing: the query answers partial, the coordinator goes on', LONG, async () => {
  let corrupt: ((b: Uint8Array) => Uint8Array) | null = null;
  // shard 2 sends what `corrupt` makes of its packed hits, while it is set
  const cluster = await within(
    EmbeddedCluster.start({ shards: 3, shardOptions: (i) => (i === 1 ? { queryReply: (r) => (corrupt && r.documents_packed ? { documents_packed: corrupt(r.documents_packed) } : r) } : {}) }),
    30_000,
    'the embedded cluster did not start',
  );
  const c = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 30_000);
  try {
    await c.call('ingest', { docs: readDocsJsonl(join(CORPUS, 'docs.jsonl')).slice(0, 40) });
    await c.call('run_ticks', { until_digested: true });
    const whole = await within(c.call('query', { text: 'cell membrane protein', k: 10 }), 10_000, 'the query did not answer');
    assert.equal(whole.partial, false);
    for (const [name, f] of [
      ['truncated', (b: Uint8Array) => b.subarray(0, b.length - 1)],
      ['not UTF-8', (b: Uint8Array) => Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([0xff])])],
      ['empty', () => new Uint8Array(0)],
    ] as const) {
      corrupt = f;
      const r = await within(c.call('query', { text: 'cell membrane protein', k: 10 }), 10_000, `the query with a ${name} reply did not answer`);
      assert.equal(r.partial, true, name);
      assert.deepEqual(r.missing_shards, [2], name);
      corrupt = null;
      const again = await within(c.call('query', { text: 'cell membrane protein', k: 10 }), 10_000, 'the next query did not answer');
      assert.deepEqual(again, whole, `after a ${name} reply the next query is whole and the same`);
    }
  } finally {
    corrupt = null;
    c.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeDocumentsReply } from '../src/protocol/query-reply.js';
import { coordinatorService } from '../src/rpc/proto.js';
import { Prng } from '../src/util/prng.js';

const query = coordinatorService.query;

test('a document query reply written directly decodes as the generic encoder\'s', () => {
  const prng = new Prng(3);
  const words = ['', 'cell', 'İstanbul', 'naïve', '水', '𝄞 clef', 'e\u0301', 'x'.repeat(200)];
  const pick = () => words[prng.int(words.length)];
  const scores = [0, -0, 1.5, -2.25, 1e-300, 123456.789, Number.MAX_VALUE, Number.MIN_VALUE];
  for (let round = 0; round < 60; round++) {
    const hits = Array.from({ length: prng.int(round < 10 ? 3 : 150) }, (_, i) => ({
      id: `0b3c${String(i).padStart(4, '0')}-1234-4abc-8def-0123456789ab`,
      key: pick() + pick(),
      title: pick(),
      score: prng.int(3) === 0 ? scores[prng.int(scores.length)] : prng.next() * 40,
    }));
    // shard ids of every varint length
    const missing = prng.int(3) === 0 ? Array.from({ length: 1 + prng.int(4) }, () => [1, 127, 128, 300, 70000][prng.int(5)]) : [];
    const generic = { documents: hits, missing_shards: missing, partial: missing.length > 0 };
    assert.deepEqual(query.responseDeserialize(encodeDocumentsReply(hits, missing)), query.responseDeserialize(query.responseSerialize(generic)), `round ${round}`);
  }
});

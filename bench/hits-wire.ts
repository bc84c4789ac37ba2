/**
 * A shard's document hits on the wire, per reply of N hits (WordNet-like ids, keys and titles): the
 * packed layout of LocalQueryReply.documents_packed (src/protocol/hits-packed.ts) against the same hits
 * as repeated protobuf DocHit messages (QueryReply.documents, what a shard's reply carried before),
 * each through the service's own serializer and deserializer, side by side in one run.
 *   node dist/bench/hits-wire.js [--hits 100] [--rounds 5]
 */
import { decodeHits, encodeHits } from '../src/protocol/hits-packed.js';
import { coordinatorService, shardService } from '../src/rpc/proto.js';
import { arg } from './script-args.js';

const n = Number(arg('--hits', '100'));
const rounds = Number(arg('--rounds', '5'));
const REPS = 2000;
const hits = Array.from({ length: n }, (_, i) => ({
  id: `0b3c${String(i).padStart(4, '0')}-1234-4abc-8def-0123456789ab`,
  key: `wn:n:0${1_000_000 + i * 37}`,
  title: `word${i} other words`,
  score: 12.3456 + i / 7,
  base: 11.2 + i / 9,
}));
const local = shardService.local_query;
const query = coordinatorService.query;

function time(f: () => number): number {
  const t = performance.now();
  let x = 0;
  for (let i = 0; i < REPS; i++) x += f();
  if (x < 0) console.log(x);
  return ((performance.now() - t) / REPS) * 1000;
}

console.log(`${n} hits per reply, µs per reply (${REPS} replies a round):`);
for (let r = 1; r <= rounds; r++) {
  const protoBytes = query.responseSerialize({ documents: hits });
  const packedBytes = local.responseSerialize({ documents_packed: encodeHits(hits) });
  const pe = time(() => query.responseSerialize({ documents: hits }).length);
  const pd = time(() => (query.responseDeserialize(protoBytes) as { documents: unknown[] }).documents.length);
  const ke = time(() => local.responseSerialize({ documents_packed: encodeHits(hits) }).length);
  const kd = time(() => decodeHits((local.responseDeserialize(packedBytes) as { documents_packed: Uint8Array }).documents_packed).length);
  console.log(
    `  round ${r}: repeated DocHit encode ${pe.toFixed(1)}, decode ${pd.toFixed(1)} (${protoBytes.length} bytes); packed encode ${ke.toFixed(1)}, decode ${kd.toFixed(1)} (${packedBytes.length} bytes)`,
  );
}

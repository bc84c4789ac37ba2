/**
 * What an ingest batch costs on the wire per document, on one hop (coordinator → shard): the
 * protobufjs encode of a `ShardIngestRequest`, the strict wire check every request passes
 * (src/rpc/strict-decode.ts) and the decode, over batches of 2,048 WordNet glosses. The first
 * rounds include V8's warm-up; the last ones are steady state.
 *
 *   node dist/bench/ingest-wire.js [--batches 20] [--rounds 5]
 */
import { readFileSync } from 'node:fs';
import { ensureCollection } from '../scripts/collections.js';
import { messageDescriptor, shardService } from '../src/rpc/proto.js';
import { shapeOf, wireProblem } from '../src/rpc/strict-decode.js';
import { arg } from './script-args.js';

const BATCH = 2048;
const batches = Number(arg('--batches', '20'));
const rounds = Number(arg('--rounds', '5'));
const lines = readFileSync(await ensureCollection('wordnet'), 'utf8').trim().split('\n').slice(0, BATCH * batches);
const docs = lines.map((l) => JSON.parse(l) as { id?: string; title?: string; text: string });
const method = shardService.ingest_document;
const shape = shapeOf((method as unknown as { requestType: { type: Parameters<typeof shapeOf>[0] } }).requestType.type, messageDescriptor);
const requests = Array.from({ length: Math.ceil(docs.length / BATCH) }, (_, i) => ({ epoch: 3, tick: 5, docs: docs.slice(i * BATCH, (i + 1) * BATCH) }));
const perDoc = (ms: number) => ((ms * 1000) / docs.length).toFixed(2);
const timed = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const out = f();
  return [out, performance.now() - t0];
};

console.log(`${docs.length} WordNet glosses in batches of ${BATCH}; µs per document:`);
for (let r = 0; r < rounds; r++) {
  const [bufs, enc] = timed(() => requests.map((q) => method.requestSerialize(q)));
  const [, check] = timed(() => {
    for (const b of bufs) if (wireProblem(b, shape)) throw new Error('a well-formed request was refused');
  });
  const [, dec] = timed(() => bufs.map((b) => method.requestDeserialize(b)));
  console.log(`round ${r + 1}: encode ${perDoc(enc)}, strict check ${perDoc(check)}, decode ${perDoc(dec)}`);
}

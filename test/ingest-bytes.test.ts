// The coordinator forwards a client's encoded documents to their owners byte for byte
// (src/protocol/ingest-bytes.ts): the owner's request must decode to exactly the documents the
// coordinator decoded and validated, whatever the documents hold and however they are spread.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { contentKey, documentIdOf } from '../src/ids/ids.js';
import { encodeIngestReply, encodeIngestRequest, fieldSpans, shardIngestBytes } from '../src/protocol/ingest-bytes.js';
import { EncodedRequest, RpcClient } from '../src/rpc/client.js';
import { coordinatorService, CoordinatorServiceClient, shardService } from '../src/rpc/proto.js';
import { withRole } from '../src/rpc/roles.js';
import { Prng } from '../src/util/prng.js';
import { LONG, within } from './helpers.js';

const ingest = coordinatorService.ingest;
const shardIngest = shardService.ingest_document;

/** Documents of every shape: with and without id and title, non-ASCII, astral, long (multi-byte lengths). */
function randomDocs(rand: () => number, n: number): { id?: string; title: string; text: string }[] {
  const words = ['cell', 'membrane', 'qubit', 'İstanbul', 'naïve', 'über', '水', '𝄞 clef', 'e\u0301', 'a'.repeat(300)];
  const pick = () => words[Math.floor(rand() * words.length)];
  return Array.from({ length: n }, (_, i) => {
    const text = Array.from({ length: 1 + Math.floor(rand() * 40) }, pick).join(' ');
    const title = rand() < 0.3 ? '' : pick();
    return rand() < 0.5 ? { title, text } : { id: `doc-${i}-${pick()}`, title, text };
  });
}

describe('ingest requests forwarded as bytes', () => {
  test('an owner decodes the documents the coordinator decoded, for any subset and order', () => {
    const prng = new Prng(7);
    const rand = () => prng.next();
    for (let round = 0; round < 50; round++) {
      const docs = randomDocs(rand, 1 + Math.floor(rand() * 30));
      const buf = ingest.requestSerialize({ docs });
      const spans = fieldSpans(buf, 1);
      assert.ok(spans, 'the request parses');
      assert.equal(spans.length, 2 * docs.length);
      const decoded = (ingest.requestDeserialize(buf) as { docs: unknown[] }).docs;
      const subset = docs.map((_, i) => i).filter(() => rand() < 0.6);
      if (rand() < 0.5) subset.reverse();
      const epoch = Math.floor(rand() * 2 ** 40);
      const tick = Math.floor(rand() * 2 ** 33);
      const forwarded = shardIngest.requestDeserialize(shardIngestBytes(epoch, tick, buf, spans, subset));
      const encoded = shardIngest.requestDeserialize(shardIngest.requestSerialize({ epoch, tick, docs: subset.map((i) => decoded[i]) }));
      assert.deepEqual(forwarded, encoded, `round ${round}`);
    }
  });

  test("the client's direct encoding decodes to what the generic encoder's does", () => {
    const prng = new Prng(9);
    const rand = () => prng.next();
    for (let round = 0; round < 50; round++) {
      const docs = randomDocs(rand, 1 + Math.floor(rand() * 30));
      const ours = encodeIngestRequest(docs);
      assert.ok(ours, 'string fields encode');
      assert.deepEqual(ingest.requestDeserialize(ours), ingest.requestDeserialize(ingest.requestSerialize({ docs })), `round ${round}`);
    }
    // what is not a string is left to the generic encoder, which reports it
    assert.equal(encodeIngestRequest([{ text: 5 as unknown as string }]), null);
    assert.equal(encodeIngestRequest([{ title: null as unknown as string, text: 'x' }]), null);
    assert.equal(encodeIngestRequest([{ id: 7 as unknown as string, text: 'x' }]), null);
    assert.deepEqual(ingest.requestDeserialize(encodeIngestRequest([{ id: null, text: 'cells' }])!), { docs: [{ title: '', text: 'cells' }] });
  });

  test("the coordinator's direct reply decodes to what the generic encoder's does", () => {
    const prng = new Prng(13);
    for (let round = 0; round < 30; round++) {
      const results = Array.from({ length: prng.int(40) }, (_, i) => {
        const id = documentIdOf(`doc ${round} ${i}`);
        return { id, key: prng.next() < 0.5 ? id : `käse-${i}-𝄞`, created: prng.next() < 0.5, shard: prng.int(3) === 0 ? 0 : 1 + prng.int(300) };
      });
      const reply = ingest.responseDeserialize(encodeIngestReply(results));
      assert.deepEqual(reply, ingest.responseDeserialize(ingest.responseSerialize({ results })), `round ${round}`);
    }
  });

  test('spans skip other fields and refuse what does not parse', () => {
    const doc = ingest.requestSerialize({ docs: [{ title: 't', text: 'cells divide' }] });
    // an unknown varint field and an unknown 64-bit field before the document, one 32-bit field after
    const extra = Buffer.concat([Buffer.from([7 << 3, 0x96, 0x01, (8 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]), doc, Buffer.from([(9 << 3) | 5, 1, 2, 3, 4])]);
    const spans = fieldSpans(extra, 1);
    assert.ok(spans);
    assert.equal(spans.length, 2);
    assert.deepEqual(extra.subarray(spans[0], spans[1]), doc.subarray(doc.length - (spans[1] - spans[0])));
    assert.equal(fieldSpans(doc.subarray(0, doc.length - 1), 1), null, 'a cut document');
    assert.equal(fieldSpans(Buffer.from([(1 << 3) | 3]), 1), null, 'a group');
    assert.deepEqual(fieldSpans(Buffer.alloc(0), 1), []);
  });
});

describe('an owner stores what the coordinator validated', LONG, () => {
  let cluster: EmbeddedCluster;
  let client: RpcClient;

  before(async () => {
    cluster = await within(EmbeddedCluster.start({ shards: 3 }), 30_000, 'the embedded cluster did not start');
    client = new RpcClient(CoordinatorServiceClient, cluster.address, withRole(cluster.security, 'client'), 20_000);
  });

  after(async () => {
    client.close();
    await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
  });

  test('a document whose text field comes twice is the last one, on the coordinator and on its owner', async () => {
    // Document { text = "mitochondria divide", text = "ribosomes translate" }: protobuf keeps the last
    const str = (field: number, s: string) => {
      const b = Buffer.from(s, 'utf8');
      return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
    };
    const doc = Buffer.concat([str(3, 'mitochondria divide'), str(3, 'ribosomes translate')]);
    const bytes = Buffer.concat([Buffer.from([(1 << 3) | 2, doc.length]), doc]);
    const r = await client.call<{ results: { id: string }[] }>('ingest', new EncodedRequest(bytes));
    assert.equal(r.results[0].id, documentIdOf(contentKey('', 'ribosomes translate')), 'the id is the content id of the last text');
    await client.call('run_ticks', { until_digested: true });
    const hits = async (text: string) => (await client.call<{ documents: { id: string }[] }>('query', { text, k: 5 })).documents.map((h) => h.id);
    assert.deepEqual(await hits('ribosomes'), [r.results[0].id], 'the owner stored the last text');
    assert.deepEqual(await hits('mitochondria'), [], 'and not the first');
  });
});

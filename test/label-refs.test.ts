import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../src/protocol/codec.js';
import { decodeRefs, encodePairRefs, encodePresentationRefs, messageKind, PAIR_REFS, PRESENTATION_REFS } from '../src/protocol/label-refs.js';
import { PeerLabels } from '../src/shard/peer-labels.js';
import { Prng } from '../src/util/prng.js';

// labels with multi-byte UTF-8 (the encoders write strings straight into the buffer)
const VOCAB = Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? `ünïcode-${i}-İstanbul` : i % 11 === 0 ? `日本語${i}` : `term${i}`));
const name = (k: number) => VOCAB[k];

function randomDocs(rng: Prng, n: number): { keys: number[]; wired: number }[] {
  return Array.from({ length: n }, () => {
    const k = 1 + Math.floor(rng.next() * 12);
    const keys = new Set<number>();
    while (keys.size < k) keys.add(Math.floor(rng.next() * VOCAB.length));
    return { keys: [...keys], wired: Math.floor(rng.next() * (k + 1)) };
  });
}

/** A receiver's graph: labels interned to numbers of its own, in another order than the sender's. */
function receiverGraph() {
  const byLabel = new Map<string, number>();
  const labels: string[] = [];
  const intern = (l: string) => {
    let n = byLabel.get(l);
    if (n === undefined) byLabel.set(l, (n = labels.push(l) - 1));
    return n;
  };
  return { intern, labels };
}

test('a label travels once per receiver: after an answer, later messages carry numbers that resolve to the same labels', () => {
  const rng = new Prng(5);
  const sender = new PeerLabels('s-1');
  const receiver = new PeerLabels('r-1');
  const g = receiverGraph();
  g.intern('unrelated'); // the receiver's numbers differ from the sender's
  let namedTotal = 0;
  for (let round = 0; round < 40; round++) {
    const docs = randomDocs(rng, 1 + Math.floor(rng.next() * 20));
    const { payload, named } = encodePresentationRefs(docs, sender.naming(7, name));
    assert.equal(messageKind(payload), PRESENTATION_REFS);
    const m = decodeRefs(payload);
    assert.deepEqual(m.newKeys, named);
    const nums = receiver.resolve(3, m, g.intern);
    const got = Array.from(m.wired, (w, d) => ({ labels: Array.from(nums.subarray(m.start[d], m.start[d + 1]), (n) => g.labels[n]), wired: w }));
    assert.deepEqual(
      got,
      docs.map((d) => ({ labels: d.keys.map(name), wired: d.wired })),
      `round ${round}`,
    );
    sender.acknowledge(7, named);
    namedTotal += named.length;
  }
  // every label was named exactly once over all the rounds
  assert.ok(namedTotal <= VOCAB.length, `${namedTotal} labels named`);
  const again = encodePresentationRefs([{ keys: [0, 1, 2], wired: 2 }], sender.naming(7, name));
  assert.deepEqual(again.named, [], 'known labels are not named again');
  // pairs use the same numbers
  const pairs = encodePairRefs([0, 1, 2, 3], sender.naming(7, name));
  assert.equal(messageKind(pairs.payload), PAIR_REFS);
  const p = receiver.resolve(3, decodeRefs(pairs.payload), g.intern);
  assert.deepEqual(Array.from(p, (n) => g.labels[n]), [0, 1, 2, 3].map(name));
  // another peer has been told nothing
  assert.equal(encodePresentationRefs([{ keys: [0, 1], wired: 2 }], sender.naming(8, name)).named.length, 2);
});

test('a restarted receiver refuses numbers it was never told; the sender names them again after the failure', () => {
  const sender = new PeerLabels('s-1');
  const first = receiverGraph();
  const m1 = encodePresentationRefs([{ keys: [1, 2, 3], wired: 3 }], sender.naming(2, name));
  new PeerLabels('r-1').resolve(1, decodeRefs(m1.payload), first.intern);
  sender.acknowledge(2, m1.named);
  // the receiver restarts: a new PeerLabels with nothing known
  const restarted = new PeerLabels('r-2');
  const g = receiverGraph();
  const m2 = encodePresentationRefs([{ keys: [1, 2, 4], wired: 3 }], sender.naming(2, name));
  assert.deepEqual(m2.named, [4]);
  assert.throws(() => restarted.resolve(1, decodeRefs(m2.payload), g.intern), (e: Error & { code?: string }) => e.code === 'FAILED_PRECONDITION' && /has not named/.test(e.message));
  sender.forget(2);
  const m3 = encodePresentationRefs([{ keys: [1, 2, 4], wired: 3 }], sender.naming(2, name));
  assert.deepEqual(m3.named, [1, 2, 4]);
  const nums = restarted.resolve(1, decodeRefs(m3.payload), g.intern);
  assert.deepEqual(Array.from(nums, (n) => g.labels[n]), [1, 2, 4].map(name));
});

test("a sender's new incarnation starts a new map: numbers of its earlier process are never trusted", () => {
  const receiver = new PeerLabels('r-1');
  const g = receiverGraph();
  const old = new PeerLabels('s-1');
  const m1 = encodePresentationRefs([{ keys: [5, 6], wired: 2 }], old.naming(9, name));
  receiver.resolve(4, decodeRefs(m1.payload), g.intern);
  // the same shard id, a new process whose number 5 is another label: it must name it
  const fresh = new PeerLabels('s-2');
  const other = (k: number) => (k === 5 ? 'another' : name(k));
  const m2 = encodePresentationRefs([{ keys: [5], wired: 1 }], fresh.naming(9, other));
  const nums = receiver.resolve(4, decodeRefs(m2.payload), g.intern);
  assert.equal(g.labels[nums[0]], 'another');
  // a forged reference of the new incarnation to a number it never named is refused
  const forged = Buffer.from([PRESENTATION_REFS, 3, ...Buffer.from('s-2'), 0, 1, 1, 1, 6]);
  assert.throws(() => receiver.resolve(4, decodeRefs(forged), g.intern), /has not named/);
});

test('the decoder refuses malformed messages', () => {
  const ok = encodePresentationRefs([{ keys: [1, 2], wired: 2 }], new PeerLabels('x').naming(1, name)).payload;
  const bad = [
    ok.subarray(0, ok.length - 1), // truncated
    Buffer.concat([ok, Buffer.from([0])]), // trailing bytes
    Buffer.from([PRESENTATION_REFS, 0]), // empty incarnation
    Buffer.from([PRESENTATION_REFS, 1, 0x61, 0, 1, 1, 2, 0]), // wired > terms
    Buffer.from([PAIR_REFS, 1, 0x61, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0]), // a key beyond 2^31
    Buffer.from([1, 0, 0]), // a label-layout message
  ];
  for (const b of bad) assert.throws(() => decodeRefs(b), CodecError, b.toString('hex'));
});

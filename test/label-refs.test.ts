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
    const { payload, named } = encodePresentationRefs(
      docs.map((d) => ({ keys: Int32Array.from(d.keys), wired: d.wired })),
      sender.naming(7, name),
    );
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
  const again = encodePresentationRefs([{ keys: Int32Array.from([0, 1, 2]), wired: 2 }], sender.naming(7, name));
  assert.deepEqual(again.named, [], 'known labels are not named again');
  // pairs use the same numbers
  const pairs = encodePairRefs(Int32Array.from([0, 1, 2, 3]), sender.naming(7, name));
  assert.equal(messageKind(pairs.payload), PAIR_REFS);
  const p = receiver.resolve(3, decodeRefs(pairs.payload), g.intern);
  assert.deepEqual(Array.from(p, (n) => g.labels[n]), [0, 1, 2, 3].map(name));
  // another peer has been told nothing
  assert.equal(encodePresentationRefs([{ keys: Int32Array.from([0, 1]), wired: 2 }], sender.naming(8, name)).named.length, 2);
});

test('a restarted receiver refuses numbers it was never told; the sender names them again after the failure', () => {
  const sender = new PeerLabels('s-1');
  const first = receiverGraph();
  const m1 = encodePresentationRefs([{ keys: Int32Array.from([1, 2, 3]), wired: 3 }], sender.naming(2, name));
  new PeerLabels('r-1').resolve(1, decodeRefs(m1.payload), first.intern);
  sender.acknowledge(2, m1.named);
  // the receiver restarts: a new PeerLabels with nothing known
  const restarted = new PeerLabels('r-2');
  const g = receiverGraph();
  const m2 = encodePresentationRefs([{ keys: Int32Array.from([1, 2, 4]), wired: 3 }], sender.naming(2, name));
  assert.deepEqual(m2.named, [4]);
  assert.throws(() => restarted.resolve(1, decodeRefs(m2.payload), g.intern), (e: Error & { code?: string }) => e.code === 'FAILED_PRECONDITION' && /has not named/.test(e.message));
  sender.forget(2);
  const m3 = encodePresentationRefs([{ keys: Int32Array.from([1, 2, 4]), wired: 3 }], sender.naming(2, name));
  assert.deepEqual(m3.named, [1, 2, 4]);
  const nums = restarted.resolve(1, decodeRefs(m3.payload), g.intern);
  assert.deepEqual(Array.from(nums, (n) => g.labels[n]), [1, 2, 4].map(name));
});

test("a sender's new incarnation starts a new map: numbers of its earlier process are never trusted", () => {
  const receiver = new PeerLabels('r-1');
  const g = receiverGraph();
  const old = new PeerLabels('s-1');
  const m1 = encodePresentationRefs([{ keys: Int32Array.from([5, 6]), wired: 2 }], old.naming(9, name));
  receiver.resolve(4, decodeRefs(m1.payload), g.intern);
  // the same shard id, a new process whose number 5 is another label: it must name it
  const fresh = new PeerLabels('s-2');
  const other = (k: number) => (k === 5 ? 'another' : name(k));
  const m2 = encodePresentationRefs([{ keys: Int32Array.from([5]), wired: 1 }], fresh.naming(9, other));
  const nums = receiver.resolve(4, decodeRefs(m2.payload), g.intern);
  assert.equal(g.labels[nums[0]], 'another');
  // a forged reference of the new incarnation to a number it never named is refused
  const forged = Buffer.from([PRESENTATION_REFS, 3, ...Buffer.from('s-2'), 0, 1, 1, 1, 6]);
  assert.throws(() => receiver.resolve(4, decodeRefs(forged), g.intern), /has not named/);
});

test('the decoder refuses malformed messages', () => {
  const ok = encodePresentationRefs([{ keys: Int32Array.from([1, 2]), wired: 2 }], new PeerLabels('x').naming(1, name)).payload;
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

test('ticks between two participants: a receiver that restarts refuses the next message by number; the aborted attempt is retried with labels and the graph equals one process', async () => {
  const { Placement } = await import('../src/cluster/placement.js');
  const { makeConfig } = await import('../src/core/config.js');
  const { canonicalLines, hashCanonical } = await import('../src/core/hash.js');
  const { validateBatch } = await import('../src/core/input.js');
  const { DEFAULT_LIMITS } = await import('../src/core/limits.js');
  const { Partition } = await import('../src/core/partition.js');
  const { decodeCandidates, encodeCandidates, planCounts } = await import('../src/protocol/candidates.js');
  const { nodeIdOf } = await import('../src/ids/ids.js');
  const { newTextIndex } = await import('../src/search/text-index.js');
  const { TickParticipant } = await import('../src/shard/participant.js');
  const { readDocsJsonl } = await import('../src/io/files.js');
  const { CORPUS } = await import('./helpers.js');
  const { join } = await import('node:path');

  const config = makeConfig({ digestPerTick: 16 });
  const valid = validateBatch(readDocsJsonl(join(CORPUS, 'docs.jsonl')), DEFAULT_LIMITS);
  const one = new Partition(config, newTextIndex());
  one.ingest(valid, 0);
  const placement = new Placement([1, 2]);
  const parts = [1, 2].map((s) => new Partition(config, newTextIndex(), (id) => placement.owner(id) === s));
  for (const v of valid) parts[placement.owner(v.id) - 1].ingest([v], 0);
  const owners = (self: number) => ({ self, members: [1, 2], key: placement, ownerOfLabel: (l: string) => placement.owner(nodeIdOf(l)), ownerOfNode: (id: string) => placement.owner(id) });
  const ps = [new TickParticipant(parts[0], 'a-1'), new TickParticipant(parts[1], 'b-1')];
  let refusals = 0;
  let named = [0, 0];
  /** One attempt of a tick; false when a delivery was refused (then every participant aborts). */
  const attempt = (t: number, a: number): boolean => {
    const offers = ps.map((p) => {
      p.openAttemptOf(t, a);
      return decodeCandidates(encodeCandidates(p.offer(t, a, config.digestPerTick)), config.digestPerTick);
    });
    const counts = planCounts(offers, config.digestPerTick);
    const run = (phase: 'act' | 'decay'): boolean => {
      const outs = ps.map((p, i) => (phase === 'act' ? p.act(t, a, counts[i], owners(i + 1)) : p.decay(t, a, owners(i + 1))));
      for (const [from, list] of outs.entries())
        for (const o of list) {
          try {
            if (phase === 'act') ps[o.to - 1].deliver(t, a, from + 1, 0, o.payload);
            else ps[o.to - 1].receiveDrops(t, a, from + 1, o.payload);
            ps[from].acknowledge(o);
            named[from] += o.named?.length ?? 0;
          } catch (e) {
            assert.equal((e as { code?: string }).code, 'FAILED_PRECONDITION');
            refusals++;
            ps[from].sendFailed(o.to);
            return false;
          }
        }
      return true;
    };
    if (!run('act') || !run('decay')) {
      for (const p of ps) p.abort();
      return false;
    }
    for (const p of ps) p.advance(t, a, true);
    for (const p of ps) p.commit(t);
    return true;
  };
  let t = 0;
  for (; t < 3; t++) {
    one.runTick(t + 1, config.digestPerTick);
    assert.ok(attempt(t + 1, 1));
  }
  const before = [...named];
  one.runTick(4, config.digestPerTick);
  assert.ok(attempt(4, 1));
  assert.ok(named[0] - before[0] < before[0], 'a later tick names fewer labels than the first ones');
  // shard 2 "restarts": a new participant (new incarnation) over the same committed partition
  ps[1] = new TickParticipant(parts[1], 'b-2');
  one.runTick(5, config.digestPerTick);
  assert.equal(attempt(5, 1), false, 'shard 1 sent numbers the restarted shard 2 was never told');
  assert.ok(refusals >= 1);
  assert.ok(attempt(5, 2), 'the retry names the labels again');
  for (let k = 6; k <= 8; k++) {
    one.runTick(k, config.digestPerTick);
    assert.ok(attempt(k, 1));
  }
  const hashOf = (ls: { nodes: string[]; edges: string[] }[]) => hashCanonical(ls.flatMap((l) => l.nodes), ls.flatMap((l) => l.edges));
  const cluster = hashOf(parts.map((p) => canonicalLines(p.graph, 8, (e) => p.ownsKey(e.a))));
  assert.equal(cluster, hashOf([canonicalLines(one.graph, 8, () => true)]));
});

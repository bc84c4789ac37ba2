import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmix32, keyWords, Placement, score } from '../src/cluster/placement.js';
import { Prng } from '../src/util/prng.js';
import { bytesToUuid, documentIdOf, nodeIdOf, sha256 } from '../src/ids/ids.js';

const keys = (n: number) => Array.from({ length: n }, (_, i) => bytesToUuid(sha256(`k${i}`)));

test('fmix32 matches MurmurHash3 reference values', () => {
  assert.equal(fmix32(0), 0);
  assert.equal(fmix32(1), 0x514e28b7);
});

/**
 * Fixed keys and their owners: a port of placement to another language must reproduce these exactly
 * (docs/cluster.md has the byte layout). Each row: kind, the name the id is derived from, the id,
 * its owner among shards {1, 2, 3} and among {1, 2, 3, 4, 5}.
 */
const PINNED: [kind: 'node' | 'doc', name: string, id: string, of3: number, of5: number][] = [
  ['node', 'cell', '16cf30e3-ec91-a6e0-cbef-faddc935fee7', 3, 3],
  ['node', 'membrane', '26a5bdba-13da-0fe7-0961-0f3eed66a7a9', 3, 5],
  ['node', 'quantum', 'fea3ccbf-c93e-c916-956b-81a40f22fa9d', 1, 1],
  ['node', 'qubit', 'a86ea88e-5105-39a9-dbc7-e4139eb7fdd3', 1, 1],
  ['node', 'entanglement', '13b1f53d-2801-64e2-37c0-611f56a4706d', 1, 1],
  ['node', 'protein', 'bce03cdb-19e7-3aff-9175-9819a3a74f6f', 1, 1],
  ['node', 'mitosis', 'd008b853-0da2-a4e4-18e4-118c5b483bae', 2, 2],
  ['node', 'neuron', '92d003a1-5bc6-e809-55c3-6a58e7caf141', 3, 5],
  ['node', 'gravity', 'b9e22ea0-0554-7b5a-29f3-e16845c5bcbc', 2, 2],
  ['node', 'photon', 'd1400970-4cfa-0cd6-4174-bf4b1e4e5043', 2, 2],
  ['doc', 'doc-1', '4e4185e1-6d8d-6cb1-afce-a97af671c7c6', 3, 3],
  ['doc', 'doc-2', 'ed83f3be-2289-591d-566d-3aa01e32ae23', 3, 3],
  ['doc', 'doc-3', '94a14bd9-bfa2-ac7b-54c9-b08e245176cd', 3, 5],
  ['doc', 'doc-4', 'd3797f09-da4e-a560-a74a-26fff715fda5', 2, 2],
  ['doc', 'doc-5', 'eb2f90cd-2ac6-c54a-7576-15bdcbe0c91a', 1, 5],
  ['doc', 'cell_biology_01', '4a5e2172-2a4d-e127-3efb-16d49b1e9c09', 1, 5],
  ['doc', 'quantum_computing_01', '0358a3d1-1ae3-187b-a225-dfca626685e6', 3, 4],
  ['doc', 'a', 'e2564bd4-20ee-299e-7f5b-85c9e564a063', 1, 1],
  ['doc', 'b', 'bb82e00a-b0b3-bcdd-070a-4a23edbe4742', 2, 5],
  ['doc', 'c', 'b69a63b6-765d-ceda-1489-bdabe61ddb22', 1, 5],
];

/** Raw scores (the 53-bit integer, in hex) of a few (shard, key) pairs, with the shard's salt. */
const PINNED_SCORES: [shard: number, id: string, salt: string, score: string][] = [
  [1, '16cf30e3-ec91-a6e0-cbef-faddc935fee7', '36deb503', '09cccb2b35c6e7'],
  [2, '16cf30e3-ec91-a6e0-cbef-faddc935fee7', 'b4421bbb', '17118013bfb9ae'],
  [3, '4e4185e1-6d8d-6cb1-afce-a97af671c7c6', '96a0f96b', '1ebb877ca884a1'],
  [5, '00000000-0000-0000-0000-000000000000', 'ed81ded3', '1735cdde02862e'],
];

test('pinned owners (a port to another language must reproduce these)', () => {
  const p3 = new Placement([1, 2, 3]);
  const p5 = new Placement([1, 2, 3, 4, 5]);
  for (const [kind, name, id, of3, of5] of PINNED) {
    assert.equal(kind === 'node' ? nodeIdOf(name) : documentIdOf(name), id, `${kind} id of ${name}`);
    assert.equal(p3.owner(id), of3, `owner of ${kind} ${name} (${id}) among {1,2,3}`);
    assert.equal(p5.owner(id), of5, `owner of ${kind} ${name} (${id}) among {1..5}`);
    // the order shards are listed in, and the id's spelling, do not matter
    assert.equal(new Placement([3, 2, 1]).owner(id), of3);
    assert.equal(p5.owner(id.replace(/-/g, '').toUpperCase()), of5);
  }
  // the documented worked example: shard 1, NodeId of "cell"
  assert.deepEqual(keyWords('16cf30e3-ec91-a6e0-cbef-faddc935fee7'), [0x16cf30e3, 0xec91a6e0, 0xcbeffadd, 0xc935fee7]);
  for (const [shard, id, salt, hex] of PINNED_SCORES) {
    assert.equal(fmix32((shard ^ 0x9e3779b9) >>> 0).toString(16).padStart(8, '0'), salt, `salt of shard ${shard}`);
    const s = score(keyWords(id), parseInt(salt, 16));
    assert.equal(s.toString(16).padStart(14, '0'), hex, `score of ${id} on shard ${shard}`);
  }
  assert.equal(p3.owner('00000000-0000-0000-0000-000000000000'), p3.owner('00000000000000000000000000000000'));
  // the canonical layout's fast path and the general pass read the same words, and refuse the same ids
  const prng = new Prng(11);
  for (let i = 0; i < 2000; i++) {
    const hex = Array.from({ length: 32 }, () => '0123456789abcdefABCDEF'[prng.int(22)]).join('');
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    assert.deepEqual(keyWords(uuid), keyWords(hex), uuid);
    assert.deepEqual(keyWords(uuid), [0, 8, 16, 24].map((k) => parseInt(hex.slice(k, k + 8), 16)), uuid);
  }
  for (const bad of ['16cf30e3-ec91-a6e0-cbef-faddc935feeg', '16cf30e3-ec91-a6e0-cbef-faddc935fe\u00e9', '16cf30e3-ec91-a6e0-cbef-faddc935fee', '16cf30e3-ec91-a6e0-cbef-faddc935fee77'])
    assert.throws(() => keyWords(bad), RangeError, bad);
});

test('balance: the most loaded shard holds at most 1.05 × the mean share', () => {
  const ks = keys(100_000);
  for (const n of [2, 3, 5, 8]) {
    const p = new Placement(Array.from({ length: n }, (_, i) => i + 1));
    const counts = new Map<number, number>();
    for (const k of ks) counts.set(p.owner(k), (counts.get(p.owner(k)) ?? 0) + 1);
    const max = Math.max(...counts.values());
    assert.ok(max <= 1.05 * (ks.length / n), `n=${n} max ${max}`);
  }
});

test('movement: adding a shard moves keys only to it; removing one moves only its keys', () => {
  const ks = keys(50_000);
  const before = new Placement([1, 2, 3, 4]);
  const after = new Placement([1, 2, 3, 4, 5]);
  let moved = 0;
  for (const k of ks) {
    const a = before.owner(k), b = after.owner(k);
    if (a !== b) {
      moved++;
      assert.equal(b, 5);
    }
  }
  assert.ok(moved <= 1.1 * (ks.length / 5), `moved ${moved}`);
  const removed = new Placement([1, 2, 4]);
  for (const k of ks) if (before.owner(k) !== 3) assert.equal(removed.owner(k), before.owner(k));
});

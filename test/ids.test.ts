import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentIdOf, isUuid, leading48, nodeIdOf } from '../src/ids/ids.js';

test('NodeId is a stable documented hash of the label', () => {
  // SHA-256("phago/node/v1\0cell")[0..16] — fixed forever; another language must reproduce it
  assert.equal(nodeIdOf('cell'), '16cf30e3-ec91-a6e0-cbef-faddc935fee7');
  assert.notEqual(nodeIdOf('cell'), nodeIdOf('cells'));
  assert.equal(nodeIdOf('cell'), nodeIdOf('cell'));
});

test('DocumentId: a client UUID is kept, other ids and content are hashed', () => {
  const u = '123E4567-E89B-12D3-A456-426614174000';
  assert.equal(documentIdOf(u), u.toLowerCase());
  assert.equal(documentIdOf('cell_biology_01'), '4a5e2172-2a4d-e127-3efb-16d49b1e9c09');
  assert.ok(isUuid(documentIdOf('cell_biology_01')));
  assert.notEqual(documentIdOf('a'), documentIdOf('b'));
});

test('leading48: the first 48 bits of an id, which order ids as their strings do', () => {
  assert.equal(leading48('16cf30e3-ec91-a6e0-cbef-faddc935fee7'), 0x16cf30e3ec91);
  assert.equal(leading48('ffffffff-ffff-0000-0000-000000000000'), 2 ** 48 - 1);
  const ids = Array.from({ length: 3000 }, (_, i) => nodeIdOf(`label ${i}`));
  for (const id of ids) assert.equal(leading48(id), parseInt(id.slice(0, 8) + id.slice(9, 13), 16), id);
  for (let i = 1; i < ids.length; i++) {
    const [a, b] = [ids[i - 1], ids[i]];
    if (leading48(a) !== leading48(b)) assert.equal(leading48(a) < leading48(b), a < b, `${a} ${b}`);
  }
});

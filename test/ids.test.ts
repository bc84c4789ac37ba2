import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentIdOf, isUuid, nodeIdOf } from '../src/ids/ids.js';

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

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ndcgAt, precisionAt, recallAt, reciprocalRankAt, scoreQuery } from '../src/eval/metrics.js';

const rels = new Map([
  ['a', 2],
  ['b', 1],
  ['c', 1],
  ['z', 0],
]);

test('P@k divides by k, not by the number returned', () => {
  assert.equal(precisionAt(['a', 'x'], rels, 5), 1 / 5);
  assert.equal(precisionAt(['x', 'a', 'b', 'z', 'c'], rels, 5), 3 / 5);
});

test('recall and reciprocal rank', () => {
  assert.equal(recallAt(['x', 'a', 'b'], rels, 10), 2 / 3);
  assert.equal(reciprocalRankAt(['x', 'z', 'b'], rels, 10), 1 / 3);
  assert.equal(reciprocalRankAt(['x'], rels, 10), 0);
});

test('graded NDCG by hand', () => {
  // ranked b, a: DCG = 1/log2(2) + 3/log2(3); ideal a, b, c: 3 + 1/log2(3) + 1/log2(4)
  const dcg = 1 + 3 / Math.log2(3);
  const idcg = 3 + 1 / Math.log2(3) + 1 / 2;
  assert.ok(Math.abs(ndcgAt(['b', 'a'], rels, 10) - dcg / idcg) < 1e-12);
  assert.equal(ndcgAt(['a', 'b', 'c'], rels, 10), 1);
});

test('scoreQuery names', () => {
  assert.deepEqual(Object.keys(scoreQuery([], rels)), ['P@5', 'P@10', 'MRR@10', 'NDCG@10', 'R@10', 'R@100']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectTop } from '../src/core/select-top.js';
import { Prng } from '../src/util/prng.js';

/** The best k by sorting: what selectTop must mark, for every shape (fewer losers than winners or not). */
test('selectTop marks exactly the best k of a strict total order, for every m and k', () => {
  const rng = new Prng(7);
  for (let round = 0; round < 400; round++) {
    const m = rng.int(90);
    const k = rng.int(m + 5);
    // few distinct weights, so most decisions fall to the tie-break, as in the degree cap
    const w = Array.from({ length: m }, () => rng.int(4));
    const key = Array.from({ length: m }, (_, i) => (i * 7919) % 101 + i / 1000);
    const cmp = (x: number, y: number) => w[x] - w[y] || key[y] - key[x];
    const best = new Set([...Array(m).keys()].sort((x, y) => cmp(y, x)).slice(0, k));
    const kept = selectTop(m, k, cmp);
    for (let i = 0; i < m; i++) assert.equal(kept[i], best.has(i) ? 1 : 0, `m ${m} k ${k} entry ${i}`);
  }
});

test('selectTop: the scratch of a larger call does not leak into a smaller one', () => {
  selectTop(50, 10, (x, y) => x - y);
  const kept = selectTop(5, 2, (x, y) => y - x); // the smallest two numbers are "best"
  assert.deepEqual([...kept.subarray(0, 5)], [1, 1, 0, 0, 0]);
});

// The coordinator's df counts (src/cluster/df.ts) against a plain model: random reports of increments
// and decrements (forgotten documents), terms that reach 0 disappear, restored values replace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GlobalStats } from '../src/cluster/df.js';
import { Prng } from '../src/util/prng.js';

test('GlobalStats counts what a plain map of sums counts', () => {
  const prng = new Prng(5);
  const stats = new GlobalStats();
  const model = new Map<string, number>();
  const terms = Array.from({ length: 40 }, (_, i) => `t${i}`);
  for (let round = 0; round < 2000; round++) {
    if (prng.next() < 0.05) {
      const t = terms[prng.int(terms.length)];
      const n = prng.int(5);
      stats.set(t, n);
      if (n === 0) model.delete(t);
      else model.set(t, n);
      continue;
    }
    const report = new Map<string, number>();
    for (let k = prng.int(6); k > 0; k--) report.set(terms[prng.int(terms.length)], prng.int(7) - 3);
    stats.apply(report, 1, 10);
    for (const [t, n] of report) {
      const v = (model.get(t) ?? 0) + n;
      if (v === 0) model.delete(t);
      else model.set(t, v);
    }
    for (const t of terms) assert.equal(stats.get(t), model.get(t) ?? 0, `round ${round}, ${t}`);
    assert.deepEqual([...stats.terms()].sort(), [...model.keys()].sort(), `round ${round}`);
  }
});
